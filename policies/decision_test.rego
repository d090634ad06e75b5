package dittofs.networking_test

import data.dittofs.networking

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
	"networkPolicy": {"enabled": true, "from": []},
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
	networking.plans == [
		{"adapter": "nfs", "port": 12049, "portDefaulted": false, "renderedName": "fs1-nfs", "name": "fs1-nfs", "portName": "nfs", "serviceType": "LoadBalancer"},
		{"adapter": "SMB_3", "port": 1445, "portDefaulted": true, "renderedName": "fs1-SMB_3", "name": "fs1-smb-3", "portName": "smb-3", "serviceType": "LoadBalancer"},
	] with input as inp
}

test_plans_need_enabled_running_and_a_port if {
	adapters := [
		nfs,
		object.union(smb, {"enabled": false}),
		{"type": "a", "port": 1, "enabled": true, "running": false, "portDefaulted": false},
		{"type": "b", "port": 0, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "c", "port": 70000, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "d", "port": 65535, "enabled": true, "running": true, "portDefaulted": false},
	]
	[p.adapter | some p in networking.plans] == ["nfs", "d"] with input as with_adapters(adapters)
}

test_plans_empty_when_types_repeat if {
	networking.plans == [] with input as with_adapters([nfs, nfs, smb])
	networking.has_duplicate_adapter_types with input as with_adapters([nfs, nfs])
	not networking.has_duplicate_adapter_types with input as with_adapters([nfs, smb])
}

test_rendered_names_follow_the_template if {
	networking.rendered_names == {"nfs": "fs1-nfs", "smb": "fs1-smb"} with input as with_adapters([nfs, smb])
	networking.rendered_names == {"nfs": "share-nfs"} with input as patched({"adapterService": {"nameTemplate": "share-{adapter}"}})
}

test_sanitized_names_only_for_invalid_names if {
	networking.sanitized_names == {} with input as with_adapters([nfs, smb])
	networking.sanitized_names == {"fs1_nfs": "fs1-nfs"} with input as patched({"adapterService": {"nameTemplate": "{instance}_{adapter}"}})
}

test_sanitized_port_names_only_for_invalid_names if {
	networking.sanitized_port_names == {} with input as with_adapters([nfs, object.union(smb, {"type": "nfs-v4"})])
	networking.sanitized_port_names == {"NFS_V4": "nfs-v4", "a--b": "a-b", "9p": "9p", "averyveryverylongone": "averyveryverylo"} with input as with_adapters([
		object.union(nfs, {"type": "NFS_V4"}),
		object.union(nfs, {"type": "a--b"}),
		object.union(nfs, {"type": "9p"}),
		object.union(nfs, {"type": "averyveryverylongone"}),
	])
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
