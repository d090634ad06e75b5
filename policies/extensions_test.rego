package dittofs.networking_test

import data.dittofs.networking

test_custom_annotations_merge_in_package_order if {
	custom := {
		"b_second": {"service_annotations": {"nfs": {"k": "b", "only-b": "1"}}},
		"a_first": {"service_annotations": {"nfs": {"k": "a", "only-a": "1"}, "smb": {"s": "1"}}},
	}
	networking.custom_service_annotations == {
		"nfs": {"k": "b", "only-a": "1", "only-b": "1"},
		"smb": {"s": "1"},
	} with data.dittofs.networking.custom as custom
}

test_custom_annotations_ignore_non_objects if {
	custom := {"p": {"service_annotations": {"nfs": "not-an-object"}}}
	networking.custom_service_annotations == {} with data.dittofs.networking.custom as custom
}

test_custom_annotations_without_packages if {
	networking.custom_service_annotations == {}
}

test_custom_labels_merge_in_package_order if {
	custom := {
		"a": {"service_labels": {"nfs": {"tier": "a"}}},
		"b": {"service_labels": {"nfs": {"tier": "b"}}},
	}
	networking.custom_service_labels == {"nfs": {"tier": "b"}} with data.dittofs.networking.custom as custom
}

test_custom_service_types_collect_every_package if {
	custom := {"a": {"service_type": {"nfs": "ClusterIP"}}, "b": {"service_type": {"nfs": "NodePort", "gone": "NodePort"}}}
	networking.custom_service_types == {"nfs": {"ClusterIP", "NodePort"}, "gone": {"NodePort"}} with data.dittofs.networking.custom as custom
}

test_custom_ingress_from_unites_packages if {
	p1 := {"ipBlock": {"cidr": "10.0.0.0/8"}}
	p2 := {"podSelector": {}}
	custom := {"a": {"extra_ingress_from": {"nfs": {p1}}}, "b": {"extra_ingress_from": {"nfs": {p1, p2}}}}
	networking.custom_ingress_from == {"nfs": {p1, p2}} with data.dittofs.networking.custom as custom
}

test_custom_api_ingress_from_unites_packages if {
	p1 := {"ipBlock": {"cidr": "10.0.0.0/8"}}
	p2 := {"podSelector": {}}
	custom := {"a": {"api_ingress_from": {p1}}, "b": {"api_ingress_from": {p1, p2}}, "c": {}}
	peers := networking.api_peers with input as base_input with data.dittofs.networking.custom as custom
	peers == [networking.operator_peer, p1, p2] with input as base_input
}

test_custom_shaping_lists_every_value if {
	custom := {
		"a": {"service_annotations": {"nfs": {"k": "1"}}, "service_type": {"smb": "NodePort"}},
		"b": {"service_labels": {"nfs": {"l": "1"}}, "extra_ingress_from": {"nfs": {{"podSelector": {}}}}},
		"c": {"service_annotations": {"nfs": "not an object"}},
	}
	networking._custom_shaping == {
		["service_annotations", "a", "nfs", {"k": "1"}],
		["service_type", "a", "smb", "NodePort"],
		["service_labels", "b", "nfs", {"l": "1"}],
		["extra_ingress_from", "b", "nfs", {"podSelector": {}}],
	} with data.dittofs.networking.custom as custom
	networking._custom_shaping == set()
}

test_custom_messages_name_their_package if {
	custom := {
		"quota": {"deny": {"too many adapters"}, "warnings": {"close to the limit"}},
		"odd": {"deny": {{"msg": "object"}}},
	}
	d := networking.decision with input as base_input with data.dittofs.networking.custom as custom
	d.deny == [`[odd] {"msg": "object"}`, "[quota] too many adapters"]
	d.warnings == ["[quota] close to the limit"]
}

test_custom_conflicts_found_per_key if {
	custom := {
		"a": {"service_annotations": {"nfs": {"k": "1", "same": "x"}}, "service_labels": {"nfs": {"l": "1"}}},
		"b": {"service_annotations": {"nfs": {"k": "2", "same": "x"}}, "service_labels": {"nfs": {"l": "2"}}},
	}
	networking.custom_conflicts == {["annotation", "nfs", "k", ["1", "2"]], ["label", "nfs", "l", ["1", "2"]]} with data.dittofs.networking.custom as custom
}
