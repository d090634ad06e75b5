package scale

import (
	"time"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// apiServerFlags are the flags the scale run changes from envtest's defaults.
//
// The request-inflight limits are left alone on purpose: the operator and
// the bench act as members of system:masters, which API Priority and
// Fairness exempts from queuing, so those limits never throttle them.
var apiServerFlags = map[string]string{
	// 65,534 cluster IPs instead of 254.
	"service-cluster-ip-range": "10.96.0.0/16",
	// Each LoadBalancer Service takes a node port; the default range holds
	// 2,768, the two adapters of 1,384 servers.
	"service-node-port-range": "30000-39999",
}

// startControlPlane starts kube-apiserver and etcd sized for a thousand
// DittoServers, with the audit log the write counts come from. envtest's
// default Service range (10.0.0.0/24) holds 254 cluster IPs: every
// DittoServer needs three (its API Service and two LoadBalancer adapter
// Services), so the default stops at about 84 servers.
func startControlPlane() (*kubetest.ControlPlane, error) {
	return kubetest.Start(kubetest.Options{
		Audit:          true,
		APIServerFlags: apiServerFlags,
		StartTimeout:   2 * time.Minute,
	})
}
