package dittofs.networking_test

import data.dittofs.networking

test_no_network_policies_when_disabled if {
	networking.network_policies == [] with input as patched({"networkPolicy": {"enabled": false}, "adapters": [nfs, smb]})
}

test_api_policy_admits_the_operator_namespace if {
	[p | some p in networking.network_policies; p.role == "api"] == [api_policy] with input as base_input
}

test_api_policy_uses_the_control_plane_port if {
	p := [q | some q in networking.network_policies; q.role == "api"][0] with input as patched({"controlPlane": {"port": 9090}})
	p.ingress[0].ports == [{"port": 9090, "protocol": "TCP"}]
}

test_operator_peer_narrows_to_operator_pods if {
	peer := networking.operator_peer with input as patched({"operator": {"podLabels": {"app": "op"}}})
	peer == {
		"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dittofs-system"}},
		"podSelector": {"matchLabels": {"app": "op"}},
	}
}

test_api_policy_adds_platform_peers if {
	monitoring := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
	backup := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backup"}}}
	operator := api_policy.ingress[0].from[0]
	peers := networking.api_peers with input as base_input
		with data.dittofs.settings as {"apiIngressFrom": [monitoring, operator]}
		with data.dittofs.networking.custom as {"p": {"api_ingress_from": {backup}}}
	peers == [operator, backup, monitoring]
}

test_adapter_policy_admits_any_source_by_default if {
	[p | some p in networking.network_policies; p.role == "adapter"] == [{
		"name": "fs1-nfs", "adapter": "nfs", "role": "adapter",
		"ingress": [{"ports": [{"port": 12049, "protocol": "TCP"}], "from": []}],
	}] with input as base_input
}

test_adapter_policy_admits_the_listed_peers if {
	clients := {"podSelector": {"matchLabels": {"role": "client"}}}
	p := [p | some p in networking.network_policies; p.role == "adapter"][0] with input as patched({"networkPolicy": {"from": [clients]}})
	p.ingress[0].from == [clients]
}

test_extended_peers_append_platform_peers_in_order if {
	clients := {"podSelector": {"matchLabels": {"role": "client"}}}
	ops := {"ipBlock": {"cidr": "10.1.0.0/16"}}
	vpn := {"ipBlock": {"cidr": "10.0.0.0/16"}}
	custom := {"p": {"extra_ingress_from": {"nfs": {ops, vpn, clients}}}}
	inp := patched({"networkPolicy": {"from": [clients]}, "adapters": [nfs, smb]})
	networking.extended_peers == {"nfs": [clients, vpn, ops]} with input as inp
		with data.dittofs.networking.custom as custom
	[p.ingress[0].from | some p in networking.network_policies; p.role == "adapter"] == [[clients, vpn, ops], [clients]] with input as inp
		with data.dittofs.networking.custom as custom
}

test_adapter_peers_stay_open_when_the_spec_admits_any_source if {
	custom := {"p": {"extra_ingress_from": {"nfs": {{"ipBlock": {"cidr": "10.0.0.0/16"}}}}}}
	networking.extended_peers == {} with input as base_input
		with data.dittofs.networking.custom as custom
}

test_no_adapter_policy_without_a_valid_name if {
	inp := patched({"adapterService": {"nameTemplate": "{adapter}"}, "adapters": [object.union(nfs, {"type": "9"})]})
	networking.network_policies == [api_policy] with input as inp
}

test_api_policy_admits_the_spec_api_peers if {
	admins := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "storage-admins"}}}
	operator := api_policy.ingress[0].from[0]
	p := [q | some q in networking.network_policies; q.role == "api"][0] with input as patched({"networkPolicy": {"apiFrom": [admins]}})
	p.ingress[0].from == [operator, admins]
	[q.ingress[0].from | some q in networking.network_policies; q.role == "adapter"] == [[]] with input as patched({"networkPolicy": {"apiFrom": [admins]}})
}

test_api_peers_merge_the_spec_settings_and_packages if {
	admins := {"podSelector": {"matchLabels": {"app": "dfsctl"}}}
	monitoring := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
	operator := api_policy.ingress[0].from[0]
	peers := networking.api_peers with input as patched({"networkPolicy": {"apiFrom": [admins, monitoring]}})
		with data.dittofs.settings as {"apiIngressFrom": [monitoring]}
	peers == [operator, monitoring, admins]
}

test_api_peers_read_inputs_without_api_from if {
	inp := json.remove(base_input, ["networkPolicy/apiFrom"])
	not inp.networkPolicy.apiFrom
	networking.api_peers == [api_policy.ingress[0].from[0]] with input as inp
}
