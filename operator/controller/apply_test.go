package controller

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

func TestIdentityOf(t *testing.T) {
	answered := corev1ac.Service("fs1-nfs", "storage").WithResourceVersion("42").WithUID("svc-uid")
	if got := identityOf(answered); got.ResourceVersion != "42" || got.UID != "svc-uid" {
		t.Errorf("identityOf = %q %q, want 42 and svc-uid", got.ResourceVersion, got.UID)
	}
	if got := identityOf(corev1ac.Service("fs1-nfs", "storage")); got.ResourceVersion != "" || got.UID != "" {
		t.Errorf("identityOf without one = %q %q, want empty", got.ResourceVersion, got.UID)
	}
}

// TestAppliedObjectsNeedNoComparison: the object an apply just wrote is
// remembered in sync, so the reconcile its write starts does not read its
// managed fields again.
func TestAppliedObjectsNeedNoComparison(t *testing.T) {
	r := newTestReconciler(t)
	ctx := context.Background()
	extracts := 0
	extract := func(cm *corev1.ConfigMap, manager string) (*corev1ac.ConfigMapApplyConfiguration, error) {
		extracts++
		return corev1ac.ExtractConfigMap(cm, manager)
	}
	desired := func(value string) *corev1ac.ConfigMapApplyConfiguration {
		return corev1ac.ConfigMap("fs1-config", "storage").WithData(map[string]string{"k": value})
	}
	memo := appliedMemo{}
	if changed, err := applyIfChanged(ctx, r.Client, memo, &corev1.ConfigMap{}, false, desired("a"), extract); err != nil || !changed {
		t.Fatalf("creating: %v %v", changed, err)
	}
	live := &corev1.ConfigMap{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "storage", Name: "fs1-config"}, live); err != nil {
		t.Fatal(err)
	}
	if changed, err := applyIfChanged(ctx, r.Client, memo, live, true, desired("a"), extract); err != nil || changed || extracts != 0 {
		t.Errorf("the object just created: changed %v, %v, %d comparisons", changed, err, extracts)
	}
	if changed, err := applyIfChanged(ctx, r.Client, memo, live, true, desired("b"), extract); err != nil || !changed || extracts != 1 {
		t.Errorf("a new desired value: changed %v, %v, %d comparisons", changed, err, extracts)
	}
}
