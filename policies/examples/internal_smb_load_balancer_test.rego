package internal_smb_load_balancer_test

import data.dittofs.networking

internal := "networking.gke.io/load-balancer-type"

request(namespace_labels) := {
	"apiVersion": "networking.dittofs.io/v1",
	"server": {"name": "fs1", "namespace": "storage", "labels": {}, "annotations": {}},
	"namespace": {"name": "storage", "labels": namespace_labels},
	"controlPlane": {"port": 8080},
	"operator": {"namespace": "dittofs-system", "podLabels": {}},
	"adapterService": {
		"type": "LoadBalancer", "annotations": {"team": "storage"}, "nameTemplate": "{instance}-{adapter}",
		"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"overrides": {},
	},
	"networkPolicy": {"enabled": true, "from": []},
	"adapters": [
		{"type": "nfs", "port": 12049, "enabled": true, "running": true, "portDefaulted": false},
		{"type": "smb", "port": 1445, "enabled": true, "running": true, "portDefaulted": false},
	],
}

annotations(d) := {s.adapter: s.annotations | some s in d.services}

test_smb_is_internal_in_internal_namespaces if {
	d := networking.decision with input as request({"tier": "internal"})
	annotations(d) == {
		"nfs": {"team": "storage"},
		"smb": {"team": "storage", internal: "Internal"},
	}
	d.deny == []
}

test_nothing_changes_elsewhere if {
	d := networking.decision with input as request({"tier": "public"})
	annotations(d) == {"nfs": {"team": "storage"}, "smb": {"team": "storage"}}
	d2 := networking.decision with input as request({})
	annotations(d2) == annotations(d)
}
