package dittofs.networking_test

import data.dittofs.networking

test_one_service_per_published_adapter if {
	d := networking.services with input as with_adapters([smb, nfs, object.union(nfs, {"type": "x", "running": false})])
	[s.adapter | some s in d] == ["nfs", "smb"]
	d[1].ports == [{"name": "smb", "port": 1445, "targetPort": 1445, "protocol": "TCP"}]
}

test_no_service_without_a_valid_name if {
	networking.services == [] with input as patched({"adapterService": {"nameTemplate": "1-{adapter}"}, "adapters": [object.union(nfs, {"type": "2"})]})
}

test_requested_service_type if {
	networking.requested_service_type("nfs") == "LoadBalancer" with input as base_input
	networking.requested_service_type("smb") == "NodePort" with input as patched({"adapterService": {"overrides": {"smb": {"type": "NodePort", "annotations": {}}}}})
	networking.requested_service_type("smb") == "LoadBalancer" with input as patched({"adapterService": {"overrides": {"smb": {"type": "", "annotations": {}}}}})
}

test_override_type_wins_for_its_adapter_only if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "NodePort"}}}, "adapters": [nfs, smb]})
	networking.service_type == {"nfs": "LoadBalancer", "smb": "NodePort"} with input as inp
}

test_platform_type_wins_when_packages_agree if {
	networking.service_type == {"nfs": "ClusterIP"} with input as base_input
		with data.dittofs.networking.custom as {
			"a": {"service_type": {"nfs": "ClusterIP"}},
			"b": {"service_type": {"nfs": "ClusterIP"}},
		}
}

test_requested_type_kept_when_packages_disagree if {
	networking.service_type == {"nfs": "LoadBalancer"} with input as base_input
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
	networking.service_annotations.nfs == {"common": "spec", "k": "override", "o": "platform", "s": "1"} with input as inp
		with data.dittofs.networking.custom as custom
		with data.dittofs.settings as settings
}

test_override_annotations_apply_to_their_adapter_only if {
	inp := patched({"adapterService": {"overrides": {"smb": {"type": "", "annotations": {"x": "y"}}}}, "adapters": [nfs, smb]})
	networking.service_annotations == {"nfs": {}, "smb": {"x": "y"}} with input as inp
}

test_labels_from_settings_and_packages if {
	networking.service_labels.nfs == {"team": "storage", "tier": "gold"} with input as base_input
		with data.dittofs.settings as {"serviceLabels": {"team": "storage", "tier": "silver"}}
		with data.dittofs.networking.custom as {"p": {"service_labels": {"nfs": {"tier": "gold"}}}}
	networking.service_labels.nfs == {} with input as base_input
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

test_type_scoped if {
	networking.type_scoped("loadBalancerClass", "LoadBalancer", "") == "c" with input as patched({"adapterService": {"loadBalancerClass": "c"}})
	networking.type_scoped("loadBalancerClass", "NodePort", "") == "" with input as patched({"adapterService": {"loadBalancerClass": "c"}})
}
