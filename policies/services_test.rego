package dittofs.networking_test

import data.dittofs.networking

test_one_service_per_published_adapter if {
	d := networking.services with input as with_adapters([nfs, smb, object.union(nfs, {"type": "x", "running": false})])
	[s.adapter | some s in d] == ["nfs", "smb"]
	d[1].ports == [{"name": "smb", "port": 1445, "targetPort": 1445, "protocol": "TCP"}]
}

test_no_service_without_a_valid_name if {
	networking.services == [] with input as patched({"adapterService": {"nameTemplate": "1-{adapter}"}, "adapters": [object.union(nfs, {"type": "2"})]})
}

test_override_type_wins_for_its_adapter_only if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "NodePort", "annotations": {}}}}, "adapters": [nfs, smb]})
	[s.type | some s in networking.services] == ["LoadBalancer", "NodePort"] with input as inp
}

test_platform_type_wins_when_packages_agree if {
	[s.type | some s in networking.services] == ["ClusterIP"] with input as base_input
		with data.dittofs.networking.custom as {
			"a": {"service_type": {"nfs": "ClusterIP"}},
			"b": {"service_type": {"nfs": "ClusterIP"}},
		}
}

test_requested_type_kept_when_packages_disagree if {
	[s.type | some s in networking.services] == ["LoadBalancer"] with input as base_input
		with data.dittofs.networking.custom as {
			"a": {"service_type": {"nfs": "ClusterIP"}},
			"b": {"service_type": {"nfs": "NodePort"}},
		}
}

test_annotations_merge_weakest_to_strongest if {
	inp := patched({"adapterService": {
		"annotations": {"common": "spec", "k": "common"},
		"overrides": {"nfs": {"type": "", "annotations": {"k": "override", "o": "1"}}},
	}})
	custom := {"p": {"service_annotations": {"nfs": {"o": "platform"}}}}
	settings := {"serviceAnnotations": {"common": "setting", "s": "1"}}
	s := networking.services[0] with input as inp
		with data.dittofs.networking.custom as custom
		with data.dittofs.settings as settings
	s.annotations == {"common": "spec", "k": "override", "o": "platform", "s": "1"}
}

test_adapters_without_their_own_annotations_get_the_common_ones if {
	inp := patched({"adapterService": {"annotations": {"c": "1"}, "overrides": {"smb": {"type": "", "annotations": {"x": "y"}}}}, "adapters": [nfs, smb]})
	[s.annotations | some s in networking.services] == [{"c": "1"}, {"c": "1", "x": "y"}] with input as inp
	networking.adapter_annotations == {"smb": {"c": "1", "x": "y"}} with input as inp
	networking.common_annotations == {"c": "1"} with input as inp
}

test_annotated_adapters if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "", "annotations": {"x": "y"}}, "nfs": {"type": "NodePort", "annotations": {}}}}})
	networking._annotated_adapters == {"smb", "p"} with input as inp
		with data.dittofs.networking.custom as {"x": {"service_annotations": {"p": {"a": "b"}}}}
}

test_labels_from_settings_and_packages if {
	s := networking.services[0] with input as base_input
		with data.dittofs.settings as {"serviceLabels": {"team": "storage", "tier": "silver"}}
		with data.dittofs.networking.custom as {"p": {"service_labels": {"nfs": {"tier": "gold"}}}}
	s.labels == {"team": "storage", "tier": "gold"}
	networking.services[0].labels == {} with input as base_input
	networking.common_labels == {"a": "b"} with input as base_input with data.dittofs.settings as {"serviceLabels": {"a": "b"}}
}

test_load_balancer_fields_pass_through_for_load_balancers if {
	inp := patched({"adapterService": {
		"loadBalancerClass": "example.com/lb", "externalTrafficPolicy": "Local",
		"loadBalancerSourceRanges": ["10.0.0.0/8"],
	}})
	s := networking.services[0] with input as inp
	s.loadBalancerClass == "example.com/lb"
	s.externalTrafficPolicy == "Local"
	s.loadBalancerSourceRanges == ["10.0.0.0/8"]
}

test_node_ports_keep_only_external_traffic_policy if {
	inp := patched({"adapterService": {
		"type": "NodePort", "loadBalancerClass": "example.com/lb",
		"externalTrafficPolicy": "Local", "loadBalancerSourceRanges": ["10.0.0.0/8"],
	}})
	s := networking.services[0] with input as inp
	s.loadBalancerClass == ""
	s.externalTrafficPolicy == "Local"
	s.loadBalancerSourceRanges == []
}

test_cluster_ips_keep_no_external_field if {
	inp := patched({"adapterService": {
		"type": "ClusterIP", "loadBalancerClass": "example.com/lb",
		"externalTrafficPolicy": "Local", "loadBalancerSourceRanges": ["10.0.0.0/8"],
	}})
	s := networking.services[0] with input as inp
	s.loadBalancerClass == ""
	s.externalTrafficPolicy == ""
	s.loadBalancerSourceRanges == []
}

test_unknown_types_keep_no_external_field if {
	inp := patched({"adapterService": {"loadBalancerClass": "example.com/lb"}})
	s := networking.services[0] with input as inp
		with data.dittofs.networking.custom as {"p": {"service_type": {"nfs": "ExternalName"}}}
	s.type == "ExternalName"
	s.loadBalancerClass == ""
}

test_type_scoped_fields_match_the_shapes if {
	spec := {"loadBalancerClass": "c", "externalTrafficPolicy": "Local", "loadBalancerSourceRanges": ["10.0.0.0/8"]}
	every field, types in networking.type_scoped_fields {
		every type in ["ClusterIP", "NodePort", "LoadBalancer"] {
			shape := networking.shape(type, {}, {}, [], 0) with input as patched({"adapterService": spec})
			passed := shape.service[field] == spec[field]
			takes := type in types
			passed == takes
		}
	}
}

# _default_shape spells out what shape computes, for every Service type.
test_default_shape_is_the_shape_of_the_common_settings if {
	settings := {"serviceAnnotations": {"s": "1"}, "serviceLabels": {"l": "1"}}
	every type in ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] {
		inp := patched({"adapterService": {
			"type": type, "annotations": {"a": "1"}, "externalTrafficPolicy": "Local",
			"loadBalancerClass": "c", "loadBalancerSourceRanges": ["10.0.0.0/8"],
		}})
		want := networking.shape(type, {"a": "1", "s": "1"}, {"l": "1"}, [], 0) with input as inp
		networking._default_shape == want with input as inp with data.dittofs.settings as settings
	}
	inp := patched({"adapterService": {"type": "NodePort", "annotations": {"a": "1"}, "externalTrafficPolicy": "Local"}})
	shape := networking.shape("NodePort", {"a": "1", "s": "1"}, {"l": "1"}, [], 0) with input as inp
	shape.service == {
		"type": "NodePort", "annotations": {"a": "1", "s": "1"}, "labels": {"l": "1"},
		"loadBalancerClass": "", "externalTrafficPolicy": "Local", "loadBalancerSourceRanges": [],
	}
}

# nfs_on_2049 publishes NFS on the port clients expect, 2049, while DittoFS
# listens on 12049.
nfs_on_2049 := patched({"adapterService": {"overrides": {"nfs": {"type": "", "port": 2049, "annotations": {}}}}, "adapters": [nfs, smb]})

test_override_port_is_published_and_forwarded_to_the_adapter_port if {
	d := networking.decision with input as nfs_on_2049
	[s.ports | some s in d.services] == [
		[{"name": "nfs", "port": 2049, "targetPort": 12049, "protocol": "TCP"}],
		[{"name": "smb", "port": 1445, "targetPort": 1445, "protocol": "TCP"}],
	]
	[p.ingress[0].ports | some p in d.networkPolicies; p.adapter == "nfs"] == [[{"port": 12049, "protocol": "TCP"}]]
	d.containerPorts[0] == {"name": "nfs", "containerPort": 12049, "protocol": "TCP"}
	d.deny == []
	[p.servicePort | some p in networking.plans] == [2049, 1445] with input as nfs_on_2049
}

test_adapter_moving_changes_only_the_target_port if {
	moved := object.union(nfs_on_2049, {"adapters": [object.union(nfs, {"port": 22049}), smb]})
	networking.services[0].ports == [{"name": "nfs", "port": 2049, "targetPort": 22049, "protocol": "TCP"}] with input as moved
}

test_override_port_of_zero_publishes_the_adapter_port if {
	inp := patched({"adapterService": {"overrides": {"nfs": {"type": "NodePort", "port": 0, "annotations": {}}}}})
	networking.services[0].ports[0].port == 12049 with input as inp
	networking.services[0].type == "NodePort" with input as inp
}

test_platform_port_wins_when_packages_agree if {
	d := networking.decision with input as nfs_on_2049
		with data.dittofs.networking.custom as {"a": {"service_port": {"nfs": 20490}}, "b": {"service_port": {"nfs": 20490}}}
	d.services[0].ports[0] == {"name": "nfs", "port": 20490, "targetPort": 12049, "protocol": "TCP"}
	d.deny == []
}

test_any_adapter_type_with_an_override if {
	webdav := {"type": "webdav", "port": 18080, "enabled": true, "running": true, "portDefaulted": false}
	inp := patched({"adapterService": {"overrides": {"webdav": {"type": "NodePort", "port": 80, "annotations": {"a": "b"}}}}, "adapters": [nfs, webdav]})
	d := networking.decision with input as inp
	[[s.name, s.type, s.annotations, s.ports] | some s in d.services] == [
		["fs1-nfs", "LoadBalancer", {}, [{"name": "nfs", "port": 12049, "targetPort": 12049, "protocol": "TCP"}]],
		["fs1-webdav", "NodePort", {"a": "b"}, [{"name": "webdav", "port": 80, "targetPort": 18080, "protocol": "TCP"}]],
	]
	[p.ingress[0].ports[0].port | some p in d.networkPolicies; p.adapter == "webdav"] == [18080]
	d.containerPorts[1] == {"name": "webdav", "containerPort": 18080, "protocol": "TCP"}
	d.deny == []
	d.warnings == []
}
