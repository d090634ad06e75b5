package dittofs.networking_test

import data.dittofs.networking

test_no_messages_for_a_plain_input if {
	count(networking.deny) == 0 with input as with_adapters([nfs, smb])
	count(networking.warnings) == 0 with input as with_adapters([nfs, smb])
}

test_deny_includes_package_messages if {
	networking.deny == {"[p] no"} with input as base_input
		with data.dittofs.networking.custom as {"p": {"deny": {"no"}}}
}

test_warnings_include_package_messages if {
	networking.warnings == {"[p] careful"} with input as base_input
		with data.dittofs.networking.custom as {"p": {"warnings": {"careful"}}}
}

test_deny_unsupported_api_version if {
	networking.deny == {"unsupported policy input apiVersion networking.dittofs.io/v2: this bundle reads networking.dittofs.io/v1"} with input as patched({"apiVersion": "networking.dittofs.io/v2"})
	networking.deny == {"unsupported policy input apiVersion (none): this bundle reads networking.dittofs.io/v1"} with input as object.remove(base_input, ["apiVersion"])
}

test_deny_repeated_adapter_types if {
	networking.deny == {`the DittoFS API reported adapter types ["nfs"] more than once`} with input as with_adapters([nfs, smb, object.union(nfs, {"port": 2049})])
}

test_deny_port_out_of_range if {
	networking.deny == {`adapter "nfs" reports port 70000, outside 1-65535`} with input as with_adapters([object.union(nfs, {"port": 70000})])
	count(networking.deny) == 0 with input as with_adapters([object.union(nfs, {"port": 70000, "running": false})])
}

test_deny_template_without_a_valid_name if {
	inp := patched({"adapterService": {"nameTemplate": "{adapter}"}, "adapters": [object.union(nfs, {"type": "42"})]})
	networking.deny == {`adapterService.nameTemplate "{adapter}" gives adapter "42" no valid name: a DNS-1035 label needs a letter`} with input as inp
}

test_deny_adapters_sharing_a_name if {
	inp := patched({"adapterService": {"nameTemplate": "my-share"}, "adapters": [nfs, smb]})
	networking.deny == {`adapters ["nfs", "smb"] would all get the name "my-share": adapterService.nameTemplate must include {adapter}`} with input as inp
}

test_single_adapter_may_have_a_fixed_name if {
	count(networking.deny) == 0 with input as patched({"adapterService": {"nameTemplate": "my-share"}})
}

test_deny_name_of_the_api_objects if {
	inp := with_adapters([object.union(nfs, {"type": "api"})])
	networking.deny == {`adapter "api" would get the name "fs1-api" of the control-plane API Service and NetworkPolicy: change adapterService.nameTemplate`} with input as inp
}

test_deny_adapter_on_the_control_plane_port if {
	inp := with_adapters([object.union(nfs, {"port": 8080}), smb])
	networking.deny == {`adapter "nfs" reports port 8080, the control-plane port 8080 of the DittoFS API (spec.controlPlane.port): an adapter Service or NetworkPolicy on it would publish the API, so the adapter gets none; move the adapter to another port with 'dfsctl adapter enable nfs --port <port>', or the API with spec.controlPlane.port`} with input as inp
}

test_adapter_on_the_control_plane_port_gets_nothing if {
	inp := with_adapters([object.union(nfs, {"port": 8080}), smb])
	d := networking.decision with input as inp
	[s.name | some s in d.services] == ["fs1-smb"]
	{[p.name, p.role] | some p in d.networkPolicies} == {["fs1-api", "api"], ["fs1-smb", "adapter"]}
	[p.containerPort | some p in d.containerPorts] == [1445]
}

test_control_plane_port_is_the_one_of_the_input if {
	moved := patched({"controlPlane": {"port": 12049}})
	deny := networking.deny with input as moved
	count(deny) == 1
	some msg in deny
	contains(msg, `adapter "nfs" reports port 12049, the control-plane port 12049`)
	count(networking.deny) == 0 with input as with_adapters([object.union(nfs, {"port": 8080, "running": false})])
}

test_deny_adapters_sharing_a_port if {
	networking.deny == {`adapters ["nfs", "smb"] all report port 2049: a port serves one adapter`} with input as with_adapters([
		object.union(nfs, {"port": 2049}),
		object.union(smb, {"port": 2049}),
	])
}

test_deny_adapters_sharing_a_port_name if {
	# The two types also share a Service name, which is denied on its own.
	deny := networking.deny with input as with_adapters([nfs, object.union(nfs, {"type": "NFS", "port": 2049})])
	`adapter types ["NFS", "nfs"] all give the port name "nfs"` in deny
	count(deny) == 2
}

test_deny_service_types_the_platform_does_not_allow if {
	networking.deny == {`adapter "nfs" would get a LoadBalancer Service; this platform allows ["ClusterIP"]`} with input as base_input
		with data.dittofs.settings as {"allowedServiceTypes": ["ClusterIP"]}
	count(networking.deny) == 0 with input as base_input
		with data.dittofs.settings as {"allowedServiceTypes": ["LoadBalancer"]}
}

test_deny_conflicting_platform_service_types if {
	custom := {"a": {"service_type": {"nfs": "ClusterIP"}}, "b": {"service_type": {"nfs": "NodePort"}}}
	networking.deny == {`platform packages force different Service types ["ClusterIP", "NodePort"] on adapter "nfs"`} with input as base_input
		with data.dittofs.networking.custom as custom
}

test_warn_enabled_but_not_running if {
	networking.warnings == {`adapter "smb" is enabled but not running: it gets no Service, NetworkPolicy or container port until it runs`} with input as with_adapters([nfs, object.union(smb, {"running": false})])
}

test_warn_running_but_disabled if {
	networking.warnings == {`adapter "smb" is running but disabled: it gets no Service, NetworkPolicy or container port`} with input as with_adapters([nfs, object.union(smb, {"enabled": false})])
}

test_warn_unknown_port if {
	networking.warnings == {`adapter "x" runs on an unknown port (the API reported 0 and its type has no known default): it gets no Service, NetworkPolicy or container port`} with input as with_adapters([{"type": "x", "port": 0, "enabled": true, "running": true, "portDefaulted": false}])
}

test_warn_defaulted_port if {
	inp := with_adapters([object.union(nfs, {"portDefaulted": true})])
	networking.warnings == {`adapter "nfs": the DittoFS API reported port 0, so the type's default port 12049 is assumed`} with input as inp
	count(networking.warnings) == 0 with input as inp with data.dittofs.settings as {"warnDefaultedPorts": false}
}

test_warn_adjusted_service_name if {
	networking.warnings == {`the Service name "fs1-NFS_4" of adapter "NFS_4" became "fs1-nfs-4" to be a valid DNS-1035 label`} with input as with_adapters([object.union(nfs, {"type": "NFS_4"})])
}

test_warn_fields_the_service_type_ignores if {
	inp := patched({"adapterService": {
		"type": "ClusterIP", "loadBalancerClass": "c",
		"externalTrafficPolicy": "Local", "loadBalancerSourceRanges": ["10.0.0.0/8"],
	}})
	networking.warnings == {
		`adapterService.externalTrafficPolicy applies to ["LoadBalancer", "NodePort"] Services only: the ClusterIP Service of adapter "nfs" ignores it`,
		`adapterService.loadBalancerClass applies to ["LoadBalancer"] Services only: the ClusterIP Service of adapter "nfs" ignores it`,
		`adapterService.loadBalancerSourceRanges applies to ["LoadBalancer"] Services only: the ClusterIP Service of adapter "nfs" ignores it`,
	} with input as inp
}

test_warn_conflicting_platform_annotations if {
	custom := {"a": {"service_annotations": {"nfs": {"k": "1"}}}, "b": {"service_annotations": {"nfs": {"k": "2"}}}}
	networking.warnings == {`platform packages set the annotation "k" of adapter "nfs" to different values ["1", "2"]: the last package by name wins`} with input as base_input
		with data.dittofs.networking.custom as custom
}

test_deny_publishing_the_control_plane_port if {
	inp := patched({"adapterService": {"overrides": {"nfs": {"type": "", "port": 8080, "annotations": {}}}}, "adapters": [nfs, smb]})
	networking.deny == {`adapter "nfs" would publish port 8080 on its Service, the control-plane port of the DittoFS API (spec.controlPlane.port): publish another port (spec.adapterService.overrides.nfs.port)`} with input as inp
}

test_deny_platform_publishing_the_control_plane_port if {
	count(networking.deny) == 1 with input as base_input
		with data.dittofs.networking.custom as {"p": {"service_port": {"nfs": 8080}}}
}

test_deny_two_services_publishing_one_port if {
	inp := patched({"adapterService": {"overrides": {"nfs": {"type": "", "port": 1445, "annotations": {}}}}, "adapters": [nfs, smb]})
	networking.deny == {`adapters ["nfs", "smb"] would all publish port 1445 on their Services: a published port serves one adapter; change spec.adapterService.overrides.<type>.port`} with input as inp
}

test_one_message_for_adapters_on_one_port if {
	networking.deny == {`adapters ["nfs", "smb"] all report port 1445: a port serves one adapter`} with input as with_adapters([object.union(nfs, {"port": 1445}), smb])
}

test_deny_platform_packages_forcing_different_ports if {
	networking.deny == {`platform packages force different published ports [2049, 20490] on adapter "nfs"`} with input as base_input
		with data.dittofs.networking.custom as {"a": {"service_port": {"nfs": 2049}}, "b": {"service_port": {"nfs": 20490}}}
}

test_a_published_port_may_be_another_adapter_pod_port if {
	# smb listens on 1445 in the pod; the NFS Service may still publish 1445
	# on its own address, as long as no other Service publishes it.
	inp := patched({"adapterService": {"overrides": {
		"nfs": {"type": "", "port": 1445, "annotations": {}},
		"smb": {"type": "", "port": 445, "annotations": {}},
	}}, "adapters": [nfs, smb]})
	networking.deny == set() with input as inp
}
