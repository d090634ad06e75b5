package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/utils/ptr"
)

func TestLoadBalancerClassAction(t *testing.T) {
	const aws, mine, other = "service.k8s.aws/nlb", "example.com/internal", "example.com/other"
	lb, nodePort := corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort
	live := func(typ corev1.ServiceType, class string) *corev1.Service {
		svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: typ}}
		if class != "" {
			svc.Spec.LoadBalancerClass = ptr.To(class)
		}
		return svc
	}
	config := func(typ corev1.ServiceType, class string) *corev1ac.ServiceApplyConfiguration {
		spec := corev1ac.ServiceSpec().WithType(typ)
		if class != "" {
			spec.WithLoadBalancerClass(class)
		}
		return corev1ac.Service("fs1-nfs", "ns").WithSpec(spec)
	}
	for _, tc := range []struct {
		name           string
		live           *corev1.Service
		owned, desired *corev1ac.ServiceApplyConfiguration
		want           classAction
	}{
		{"same class", live(lb, mine), config(lb, mine), config(lb, mine), classKeep},
		{"a webhook's class, no opinion of ours (EKS)", live(lb, aws), config(lb, ""), config(lb, ""), classKeep},
		{"a webhook's class, nothing owned at all", live(lb, aws), nil, config(lb, ""), classKeep},
		{"a class we set, changed in the spec", live(lb, mine), config(lb, mine), config(lb, other), classRecreate},
		{"a class we set, removed from the spec", live(lb, mine), config(lb, mine), config(lb, ""), classRecreate},
		{"a class wanted on a load balancer without one", live(lb, ""), config(lb, ""), config(lb, mine), classRecreate},
		{"a class wanted with the change to LoadBalancer", live(nodePort, ""), config(nodePort, ""), config(lb, mine), classKeep},
		{"a webhook's class against the spec's", live(lb, aws), config(lb, ""), config(lb, mine), classForeign},
		{"a class we set, dropped with a change of type", live(lb, mine), config(lb, mine), config(nodePort, ""), classKeep},
		{"a webhook's class blocking a change of type", live(lb, aws), config(lb, ""), config(nodePort, ""), classRecreate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadBalancerClassAction(tc.live, tc.owned, tc.desired); got != tc.want {
				t.Errorf("loadBalancerClassAction = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWithoutLoadBalancerClass(t *testing.T) {
	desired := corev1ac.Service("a", "b").WithSpec(corev1ac.ServiceSpec().WithLoadBalancerClass("x").WithType(corev1.ServiceTypeLoadBalancer))
	withoutLoadBalancerClass(desired)
	if desired.Spec.LoadBalancerClass != nil || desired.Spec.Type == nil {
		t.Errorf("spec = %+v, want the type without the class", desired.Spec)
	}
	withoutLoadBalancerClass(corev1ac.Service("a", "b")) // no spec: nothing to do, no panic
}

func TestRecreateServiceIsRateLimited(t *testing.T) {
	server := testServer()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: "fs1-nfs", Namespace: server.Namespace, UID: "svc-1",
		Labels: map[string]string{dittov1.LabelAdapter: "nfs"},
	}}
	r := newTestReconciler(t, svc.DeepCopy())
	ctx := context.Background()

	err := r.recreateService(ctx, server, svc.DeepCopy(), "its loadBalancerClass cannot change in place")
	var waiting *terminatingError
	if !errors.As(err, &waiting) {
		t.Fatalf("first recreate: err = %v, want a terminatingError", err)
	}
	if err := r.Get(ctx, client.ObjectKeyFromObject(svc), &corev1.Service{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the Service was not deleted: %v", err)
	}
	if got := r.recorded(); len(got) != 1 || !strings.HasPrefix(got[0], "Warning Recreated Recreated NFS Service fs1-nfs") {
		t.Fatalf("events = %q, want one Recreated warning", got)
	}

	// The same Service comes back and needs recreating again at once, as
	// under a webhook that sets the class again: refused, nothing deleted.
	svc.UID = "svc-2"
	if err := r.Create(ctx, svc.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	r.clock.Step(recreateBackoffInitial / 2)
	err = r.recreateService(ctx, server, svc.DeepCopy(), "again")
	var postponed *recreatePostponedError
	if !errors.As(err, &postponed) || !isUserError(err) {
		t.Fatalf("second recreate within the window: err = %v, want a recreatePostponedError", err)
	}
	if err := r.Get(ctx, client.ObjectKeyFromObject(svc), &corev1.Service{}); err != nil {
		t.Fatalf("the Service was deleted within the window: %v", err)
	}
	if got := r.recorded(); len(got) != 0 {
		t.Fatalf("events within the window = %q, want none", got)
	}

	r.clock.Step(recreateBackoffInitial)
	if err := r.recreateService(ctx, server, svc.DeepCopy(), "later"); !errors.As(err, &waiting) {
		t.Fatalf("recreate after the window: err = %v, want a terminatingError", err)
	}
}
