package controller_test

import (
	"context"
	"encoding/json"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

func sampleServer(namespace, name string) *dittov1.DittoServer {
	return &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: dittov1.DittoServerSpec{
			Storage: dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
		},
	}
}

func rawJSON(v any) *apiextensionsv1.JSON {
	data, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return &apiextensionsv1.JSON{Raw: data}
}

// configOf turns settings into spec.config.
func configOf(settings map[string]any) *dittov1.ServerConfig {
	cfg := &dittov1.ServerConfig{}
	Expect(cfg.UnmarshalJSON(rawJSON(settings).Raw)).To(Succeed())
	return cfg
}

func key(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

// operatorWritesSince lists the writes the operator made since t.
func operatorWritesSince(t time.Time) []kubetest.AuditEvent {
	events, err := plane.Writes(operatorUser, t)
	Expect(err).NotTo(HaveOccurred())
	return events
}

// reconcileCount is how many reconciles the DittoServer controller finished.
func reconcileCount() float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "dittoserver" {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// markPodReady plays the kubelet: the pod the StatefulSet controller created
// is reported running and ready.
func markPodReady(ctx context.Context, namespace, name string) {
	pod := &corev1.Pod{}
	Eventually(func() error { return k8s.Get(ctx, key(namespace, name+"-0"), pod) }).Should(Succeed())
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
}

// revisions counts the StatefulSet's ControllerRevisions: one per distinct
// pod template, created by the real StatefulSet controller.
func revisions(ctx context.Context, namespace string) int {
	var list appsv1.ControllerRevisionList
	Expect(k8s.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
	return len(list.Items)
}

// updateServer changes a DittoServer, retrying when the operator wrote it
// in between (it adds its finalizer and status).
func updateServer(ctx context.Context, namespace, name string, mutate func(*dittov1.DittoServer)) {
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		server := &dittov1.DittoServer{}
		if err := k8s.Get(ctx, key(namespace, name), server); err != nil {
			return err
		}
		mutate(server)
		return k8s.Update(ctx, server)
	})).To(Succeed())
}

func condition(server *dittov1.DittoServer, condType string) *metav1.Condition {
	for i := range server.Status.Conditions {
		if server.Status.Conditions[i].Type == condType {
			return &server.Status.Conditions[i]
		}
	}
	return nil
}
