package kubetest

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// MarkPodReady plays the kubelet for a StatefulSet's first pod, which the
// real StatefulSet controller created: it reports it running and ready, for
// suites that run without the stand-in kubelet. It returns an error while
// the pod does not exist yet. Other controllers (kube-scheduler, the pod
// controllers) may write the pod in between, so a conflict is retried.
func MarkPodReady(ctx context.Context, c client.Client, namespace, statefulSet string) error {
	key := client.ObjectKey{Namespace: namespace, Name: statefulSet + "-0"}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod := &corev1.Pod{}
		if err := c.Get(ctx, key, pod); err != nil {
			return err
		}
		now := metav1.Now()
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		return c.Status().Update(ctx, pod)
	})
}
