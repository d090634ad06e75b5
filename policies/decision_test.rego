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

test_decision_lists_are_sorted_by_name if {
	# "Zed" sorts before "a_" as a type, but its Service name sorts after.
	zed := object.union(nfs, {"type": "Zed", "port": 1})
	a := object.union(nfs, {"type": "a_", "port": 2})
	d := networking.decision with input as with_adapters([zed, a])
	[s.name | some s in d.services] == ["fs1-a", "fs1-zed"]
	[p.name | some p in d.networkPolicies] == ["fs1-a", "fs1-api", "fs1-zed"]
	[c.name | some c in d.containerPorts] == ["a", "zed"]
}

test_published_needs_enabled_running_and_a_port if {
	adapters := [
		nfs,
		object.union(smb, {"enabled": false}),
		{"type": "a", "port": 1, "enabled": true, "running": false, "portDefaulted": false},
		{"type": "b", "port": 0, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "c", "port": 70000, "enabled": true, "running": true, "portDefaulted": false},
	]
	object.keys(networking.published) == {"nfs"} with input as with_adapters(adapters)
}

test_published_nothing_when_types_repeat if {
	count(networking.published) == 0 with input as with_adapters([nfs, nfs, smb])
	networking.has_duplicate_adapter_types with input as with_adapters([nfs, nfs])
	not networking.has_duplicate_adapter_types with input as with_adapters([nfs, smb])
}

test_valid_port if {
	networking.valid_port(1)
	networking.valid_port(65535)
	not networking.valid_port(0)
	not networking.valid_port(65536)
	not networking.valid_port(-1)
}

test_service_name_follows_the_template if {
	networking.service_name == {"nfs": "fs1-nfs", "smb": "fs1-smb"} with input as with_adapters([nfs, smb])
	networking.service_name == {"nfs": "share-nfs"} with input as patched({"adapterService": {"nameTemplate": "share-{adapter}"}})
	networking.service_name == {"nfs": "fs1-nfs"} with input as patched({"adapterService": {"nameTemplate": "{instance}_{adapter}"}})
}

test_port_name_is_the_sanitized_type if {
	networking.port_name == {"nfs-v4": "nfs-v4"} with input as with_adapters([object.union(nfs, {"type": "nfs-v4"})])
	networking.port_name == {"NFS_V4": "nfs-v4"} with input as with_adapters([object.union(nfs, {"type": "NFS_V4"})])
}

test_api_object_name if {
	networking.api_object_name == "fs1-api" with input as base_input
	networking.api_object_name == "my-fs-api" with input as patched({"server": {"name": "my.fs"}})
}

test_setting_reads_settings_or_falls_back if {
	networking.setting("x", 1) == 1
	networking.setting("x", 1) == 2 with data.dittofs.settings as {"x": 2}
	networking.setting("y", 1) == 1 with data.dittofs.settings as {"x": 2}
}

test_by_name_sorts_objects if {
	networking.by_name({{"name": "b"}, {"name": "a"}}) == [{"name": "a"}, {"name": "b"}]
	networking.by_name(set()) == []
}
