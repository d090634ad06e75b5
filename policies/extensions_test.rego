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
	custom := {"a": {"api_ingress_from": {p1}}, "b": {}}
	networking.custom_api_ingress_from == {p1} with data.dittofs.networking.custom as custom
}

test_custom_messages_name_their_package if {
	custom := {
		"quota": {"deny": {"too many adapters"}, "warnings": {"close to the limit"}},
		"odd": {"deny": {{"msg": "object"}}},
	}
	networking.custom_deny == {"[quota] too many adapters", `[odd] {"msg": "object"}`} with data.dittofs.networking.custom as custom
	networking.custom_warnings == {"[quota] close to the limit"} with data.dittofs.networking.custom as custom
}

test_custom_conflicts_found_per_key if {
	custom := {
		"a": {"service_annotations": {"nfs": {"k": "1", "same": "x"}}, "service_labels": {"nfs": {"l": "1"}}},
		"b": {"service_annotations": {"nfs": {"k": "2", "same": "x"}}, "service_labels": {"nfs": {"l": "2"}}},
	}
	networking.custom_conflicts == {["annotation", "nfs", "k", ["1", "2"]], ["label", "nfs", "l", ["1", "2"]]} with data.dittofs.networking.custom as custom
}
