package controller

import (
	"testing"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

func TestResourceVersionOf(t *testing.T) {
	answered := corev1ac.Service("fs1-nfs", "storage").WithResourceVersion("42")
	if got := resourceVersionOf(answered); got != "42" {
		t.Errorf("resourceVersionOf = %q, want 42", got)
	}
	if got := resourceVersionOf(corev1ac.Service("fs1-nfs", "storage")); got != "" {
		t.Errorf("resourceVersionOf without one = %q, want empty", got)
	}
}
