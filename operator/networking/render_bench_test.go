package networking

import (
	"context"
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// BenchmarkRenderConfigured renders the decision for a DittoServer that
// uses every adapter Service and NetworkPolicy setting, so that annotations,
// source ranges, overrides and peers are copied into every object; the
// plain case is BenchmarkRender.
func BenchmarkRenderConfigured(b *testing.B) {
	e := newTestEngine(b, Options{})
	server := configuredServer()
	owner := OwnerOf(server)
	for _, n := range benchSizes {
		d := evaluate(b, e, BuildInput(server, NamespaceInfo{Labels: map[string]string{"team": "storage"}},
			OperatorInfo{Namespace: "dittofs-system"}, manyAdapters(n)))
		if len(d.Services) != n {
			b.Fatalf("the decision has %d Services for %d adapters", len(d.Services), n)
		}
		b.Run(fmt.Sprintf("adapters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPUTime(b)()
			for b.Loop() {
				if _, err := Render(d, owner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecide is what a reconcile asks of this package after a poll
// that found the adapters changed: build the policy input from the
// DittoServer and the adapters listed, evaluate the policy, and render the
// decision into objects. (When nothing changed, the reconciler reuses the
// server's last decision and asks nothing of this package.)
func BenchmarkDecide(b *testing.B) {
	server := configuredServer()
	ns := NamespaceInfo{Labels: map[string]string{"team": "storage"}}
	op := OperatorInfo{Namespace: "dittofs-system", PodLabels: map[string]string{"app.kubernetes.io/name": "dittofs-operator"}}
	owner := OwnerOf(server)
	e := newTestEngine(b, Options{})
	for _, n := range benchSizes {
		adapters := manyAdapters(n)
		b.Run(fmt.Sprintf("changed/adapters=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			defer reportCPUTime(b)()
			for b.Loop() {
				d, err := e.Evaluate(ctx, BuildInput(server, ns, op, adapters))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Render(d, owner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// configuredServer is a DittoServer with every networking setting in use.
func configuredServer() *v1alpha1.DittoServer {
	server := testServer()
	server.Labels = map[string]string{"app": "files", "tier": "storage"}
	server.Annotations = map[string]string{"owner": "platform-team"}
	server.Spec.AdapterService = v1alpha1.AdapterServiceSpec{
		Type:                     v1alpha1.ServiceTypeLoadBalancer,
		Annotations:              map[string]string{"service.beta.kubernetes.io/aws-load-balancer-internal": "true", "example.com/cost-center": "42"},
		LoadBalancerClass:        ptr.To("example.com/internal"),
		ExternalTrafficPolicy:    "Local",
		LoadBalancerSourceRanges: []string{"10.0.0.0/8", "192.168.0.0/16"},
		Overrides: map[string]v1alpha1.AdapterServiceOverride{
			"proto01": {Type: v1alpha1.ServiceTypeNodePort, Annotations: map[string]string{"example.com/exposed": "node"}},
		},
	}
	server.Spec.NetworkPolicy = v1alpha1.NetworkPolicySpec{From: []networkingv1.NetworkPolicyPeer{
		{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "storage"}}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.1.0.0/16", Except: []string{"10.1.2.0/24"}}},
	}}
	return server
}
