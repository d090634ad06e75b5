package networking

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	"k8s.io/client-go/kubernetes/fake"
)

const testFieldManager = "dittofs-operator"

// TestRenderedObjectsSurviveExtraction: what the controller applies is what
// ExtractService and ExtractNetworkPolicy read back from the applied object,
// so comparing the two finds no drift after an apply.
func TestRenderedObjectsSurviveExtraction(t *testing.T) {
	in := testInput(nfs(), smb())
	in.AdapterService.Annotations = map[string]string{"a": "b"}
	in.AdapterService.ExternalTrafficPolicy = "Local"
	in.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	r := renderDefault(t, in)
	ctx := context.Background()
	client := fake.NewClientset()
	opts := metav1.ApplyOptions{FieldManager: testFieldManager, Force: true}

	for _, want := range r.Services {
		applied, err := client.CoreV1().Services("storage").Apply(ctx, want, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := corev1ac.ExtractService(applied, testFieldManager)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("service %s (-rendered +extracted):\n%s", *want.Name, diff)
		}
	}
	for _, want := range r.NetworkPolicies {
		applied, err := client.NetworkingV1().NetworkPolicies("storage").Apply(ctx, want, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := networkingv1ac.ExtractNetworkPolicy(applied, testFieldManager)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("network policy %s (-rendered +extracted):\n%s", *want.Name, diff)
		}
	}
}
