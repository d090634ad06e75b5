package dittofs.networking_test

import data.dittofs.networking
import data.dittofs.networking.lib

# Fixtures shared by the tests of package dittofs.networking.

nfs := {"type": "nfs", "port": 12049, "enabled": true, "running": true, "portDefaulted": false}

smb := {"type": "smb", "port": 1445, "enabled": true, "running": true, "portDefaulted": false}

base_input := {
	"apiVersion": "networking.dittofs.io/v1",
	"server": {"name": "fs1", "namespace": "storage", "labels": {}, "annotations": {}},
	"namespace": {"name": "storage", "labels": {}},
	"controlPlane": {"port": 8080},
	"operator": {"namespace": "dittofs-system", "podLabels": {}},
	"adapterService": {
		"type": "LoadBalancer", "annotations": {}, "nameTemplate": "{instance}-{adapter}",
		"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"overrides": {},
	},
	"networkPolicy": {"enabled": true, "from": [], "apiFrom": []},
	"adapters": [nfs],
}

# with_adapters is base_input listing adapters.
with_adapters(adapters) := object.union(base_input, {"adapters": adapters})

# patched is base_input deep-merged with patch (objects merge, other values replace).
patched(patch) := object.union(base_input, patch)

api_policy := {
	"name": "fs1-api", "adapter": "", "role": "api",
	"ingress": [{
		"ports": [{"port": 8080, "protocol": "TCP"}],
		"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dittofs-system"}}}],
	}],
}

test_decision_for_one_adapter if {
	networking.decision == {
		"services": [{
			"name": "fs1-nfs", "adapter": "nfs", "type": "LoadBalancer",
			"annotations": {}, "labels": {},
			"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
			"ports": [{"name": "nfs", "port": 12049, "targetPort": 12049, "protocol": "TCP"}],
		}],
		"networkPolicies": [
			api_policy,
			{
				"name": "fs1-nfs", "adapter": "nfs", "role": "adapter",
				"ingress": [{"ports": [{"port": 12049, "protocol": "TCP"}], "from": []}],
			},
		],
		"containerPorts": [{"name": "nfs", "containerPort": 12049, "protocol": "TCP"}],
		"deny": [],
		"warnings": [],
	} with input as base_input
}

test_decision_without_adapters if {
	networking.decision == {
		"services": [],
		"networkPolicies": [api_policy],
		"containerPorts": [],
		"deny": [],
		"warnings": [],
	} with input as with_adapters([])
}

test_decision_messages_are_sorted if {
	d := networking.decision with input as with_adapters([
		object.union(nfs, {"running": false}),
		object.union(smb, {"running": false}),
	])
	d.warnings == sort(d.warnings)
	count(d.warnings) == 2
	startswith(d.warnings[0], `adapter "nfs"`)
}

test_decision_lists_follow_the_adapters if {
	d := networking.decision with input as with_adapters([smb, nfs])
	[s.adapter | some s in d.services] == ["smb", "nfs"]
	[p.name | some p in d.networkPolicies] == ["fs1-api", "fs1-smb", "fs1-nfs"]
	[c.name | some c in d.containerPorts] == ["smb", "nfs"]
}

test_plans_hold_what_objects_need if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "NodePort", "annotations": {}}}}, "adapters": [nfs, object.union(smb, {"type": "SMB_3", "portDefaulted": true})]})
	ps := networking.plans with input as inp
	[[p.adapter, p.port, p.portDefaulted, p.renderedName, p.name, p.portName, p.serviceType, p.servicePort] | some p in ps] == [
		["nfs", 12049, false, "fs1-nfs", "fs1-nfs", "nfs", "LoadBalancer", 12049],
		["SMB_3", 1445, true, "fs1-SMB_3", "fs1-smb-3", "smb-3", "LoadBalancer", 1445],
	]
	ps[1].service == {
		"name": "fs1-smb-3", "adapter": "SMB_3", "type": "LoadBalancer", "annotations": {}, "labels": {},
		"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"ports": [{"name": "smb-3", "port": 1445, "targetPort": 1445, "protocol": "TCP"}],
	}
	ps[1].networkPolicy == {
		"name": "fs1-smb-3", "adapter": "SMB_3", "role": "adapter",
		"ingress": [{"ports": [{"port": 1445, "protocol": "TCP"}], "from": []}],
	}
	ps[1].containerPort == {"name": "smb-3", "containerPort": 1445, "protocol": "TCP"}
	ps[1].claims == [["name", "fs1-smb-3"], ["port", 1445], ["portName", "smb-3"], ["servicePort", 1445]]
}

# A plan is the same whether it was built inline (valid names) or by plan
# (names to fix): the two paths must not drift apart.
test_renamed_plans_are_built_like_the_others if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "NodePort", "port": 445, "annotations": {"o": "1"}}}}, "adapters": [smb]})
	named := networking.plans[0] with input as inp
	renamed := networking.plan(smb, "fs1-smb", "fs1-smb", "smb") with input as inp
	named == renamed
	named.service.ports == [{"name": "smb", "port": 445, "targetPort": 1445, "protocol": "TCP"}]
}

test_plans_need_enabled_running_and_a_port if {
	adapters := [
		nfs,
		object.union(smb, {"enabled": false}),
		{"type": "a", "port": 1, "enabled": true, "running": false, "portDefaulted": false},
		{"type": "b", "port": 0, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "c", "port": 70000, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "d", "port": 65535, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "E", "port": 2, "enabled": true, "running": true, "portDefaulted": false},
	]
	[p.adapter | some p in networking.plans] == ["nfs", "d", "E"] with input as with_adapters(adapters)
}

test_types_that_repeat_are_denied if {
	d := networking.decision with input as with_adapters([nfs, nfs, smb])
	d.deny == [`the DittoFS API reported adapter types ["nfs"] more than once`]
	networking.duplicate_types with input as with_adapters([nfs, nfs])
	not networking.duplicate_types with input as with_adapters([nfs, smb])
}

test_names_follow_the_template if {
	[p.name | some p in networking.plans] == ["fs1-nfs", "fs1-smb"] with input as with_adapters([nfs, smb])
	[p.name | some p in networking.plans] == ["share-nfs"] with input as patched({"adapterService": {"nameTemplate": "share-{adapter}"}})
}

test_only_invalid_names_are_changed if {
	networking._renamed_plans == [] with input as with_adapters([nfs, smb])
	ps := networking.plans with input as patched({"adapterService": {"nameTemplate": "{instance}_{adapter}"}})
	[[p.renderedName, p.name] | some p in ps] == [["fs1_nfs", "fs1-nfs"]]
}

test_only_invalid_port_names_are_changed if {
	[p.portName | some p in networking.plans] == ["nfs", "nfs-v4"] with input as with_adapters([nfs, object.union(smb, {"type": "nfs-v4"})])
	inp := with_adapters([
		object.union(nfs, {"type": "NFS_V4", "port": 1}),
		object.union(nfs, {"type": "a--b", "port": 2}),
		object.union(nfs, {"type": "9p", "port": 3}),
		object.union(nfs, {"type": "averyveryverylongone", "port": 4}),
	])
	{[p.adapter, p.portName] | some p in networking.plans} == {
		["NFS_V4", "nfs-v4"], ["a--b", "a-b"], ["9p", "9p"], ["averyveryverylongone", "averyveryverylo"],
	} with input as inp
}

# _valid_names may send a name the library would keep to the slow path (a
# type starting with a digit), never the other way round.
test_valid_names_are_kept_by_the_library if {
	every c in [["fs1-nfs", "nfs"], ["fs1-nfs-v4", "nfs-v4"], ["a", "smb3"]] {
		[rendered, type] := c
		networking._valid_names(rendered, type)
		lib.dns1035_label(rendered) == rendered
		lib.port_name(type) == type
	}
	every c in [["Fs1", "nfs"], ["fs1", "NFS"], ["fs1", "a--b"], ["fs1", "averyveryverylongone"], ["fs1", "nfs-"], ["fs1_x", "nfs"]] {
		[rendered, type] := c
		not networking._valid_names(rendered, type)
		[lib.dns1035_label(rendered), lib.port_name(type)] != [rendered, type]
	}
}

test_sound_rules_out_collisions_and_unpublished_adapters if {
	networking.sound with input as with_adapters([nfs, smb])
	networking.sound with input as with_adapters([])
	not networking.sound with input as with_adapters([nfs, object.union(smb, {"running": false})])
	not networking.sound with input as with_adapters([nfs, object.union(smb, {"port": 12049})])
	not networking.sound with input as with_adapters([nfs, object.union(smb, {"type": "api"})])
	not networking.sound with input as patched({"adapterService": {"nameTemplate": "{instance}"}, "adapters": [nfs, smb]})
	not networking.sound with input as base_input with data.dittofs.networking.custom as {"p": {"service_labels": {"nfs": {"a": "b"}}}}
}

test_adapter_service_types if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "NodePort", "annotations": {}}, "nfs": {"type": "", "annotations": {}}}}})
	networking.override_service_types == {"smb": "NodePort"} with input as inp
	networking.adapter_service_types == {"smb": "ClusterIP"} with input as inp
		with data.dittofs.networking.custom as {"p": {"service_type": {"smb": "ClusterIP"}}}
}

test_forced_service_types_need_agreement if {
	custom := {"a": {"service_type": {"nfs": "ClusterIP", "smb": "NodePort"}}, "b": {"service_type": {"nfs": "NodePort"}}}
	networking.forced_service_types == {"smb": "NodePort"} with input as with_adapters([nfs, smb])
		with data.dittofs.networking.custom as custom
}

test_api_object_name if {
	networking.api_object_name == "fs1-api" with input as base_input
	networking.api_object_name == "my-fs-api" with input as patched({"server": {"name": "my.fs"}})
}

test_settings_default_to_empty if {
	networking.settings == {}
	networking.settings == {"x": 2} with data.dittofs.settings as {"x": 2}
}

test_decision_lists_are_the_rules if {
	inp := patched({"adapterService": {"nameTemplate": "{instance}_{adapter}"}, "adapters": [nfs, smb]})
	d := networking.decision with input as inp
	d.services == networking.services with input as inp
	d.containerPorts == networking.container_ports with input as inp
	d.networkPolicies == networking.network_policies with input as inp
	count(d.services) == 2
}
