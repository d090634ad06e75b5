package production_no_nodeport_test

import data.dittofs.networking

request(namespace_labels, overrides) := {
	"apiVersion": "networking.dittofs.io/v1",
	"server": {"name": "fs1", "namespace": "storage", "labels": {}, "annotations": {}},
	"namespace": {"name": "storage", "labels": namespace_labels},
	"controlPlane": {"port": 8080},
	"operator": {"namespace": "dittofs-system", "podLabels": {}},
	"adapterService": {
		"type": "LoadBalancer", "annotations": {}, "nameTemplate": "{instance}-{adapter}",
		"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"overrides": overrides,
	},
	"networkPolicy": {"enabled": true, "from": []},
	"adapters": [
		{"type": "nfs", "port": 12049, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "smb", "port": 1445, "enabled": true, "running": true, "portDefaulted": false},
	],
}

smb_node_port := {"smb": {"type": "NodePort", "annotations": {}}}

test_node_port_denied_in_production if {
	d := networking.decision with input as request({"env": "production"}, smb_node_port)
	d.deny == [`[production_no_nodeport] Service "fs1-smb" of adapter "smb" is a NodePort, which namespaces labelled env=production may not use: choose LoadBalancer or ClusterIP in spec.adapterService`]
}

test_load_balancers_allowed_in_production if {
	d := networking.decision with input as request({"env": "production"}, {})
	d.deny == []
}

test_node_port_allowed_elsewhere if {
	d := networking.decision with input as request({"env": "staging"}, smb_node_port)
	d.deny == []
	d2 := networking.decision with input as request({}, smb_node_port)
	d2.deny == []
}
