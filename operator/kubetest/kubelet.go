package kubetest

import (
	"context"
	"fmt"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// NodeName is the node whose pods run, and NodeTaint keeps every pod that
// does not tolerate it off that node: those stay Pending, unscheduled, as
// on a control plane without nodes, so a test chooses which of its pods
// run by giving them the toleration.
const NodeName = "kubetest-node"

var NodeTaint = corev1.Taint{Key: "kubetest.dittofs.io/pods-run", Value: "true", Effect: corev1.TaintEffectNoSchedule}

// NodeToleration lets a pod run on NodeName.
var NodeToleration = corev1.Toleration{
	Key: NodeTaint.Key, Operator: corev1.TolerationOpEqual, Value: NodeTaint.Value, Effect: NodeTaint.Effect,
}

const kubeletManager = "kubetest-kubelet"

// kubelet is a stand-in for the kubelet of NodeName: it registers the node,
// reports every pod kube-scheduler binds to it Running and Ready, with its
// own pod IP, and finishes the graceful deletion of its pods, as a kubelet
// does once the containers have stopped. Without it the StatefulSet
// controller could never replace a pod.
type kubelet struct {
	client.Client
	podIPs atomic.Uint32
}

func setupKubelet(mgr ctrl.Manager) error {
	k := &kubelet{Client: mgr.GetClient()}
	if err := mgr.Add(manager.RunnableFunc(k.registerNode)); err != nil {
		return err
	}
	onNode := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		pod, ok := obj.(*corev1.Pod)
		return ok && pod.Spec.NodeName == NodeName
	})
	return ctrl.NewControllerManagedBy(mgr).Named("kubetest-kubelet").
		For(&corev1.Pod{}, builder.WithPredicates(onNode)).Complete(k)
}

// registerNode creates the node, ready, with room for every test's pods.
func (k *kubelet) registerNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{
			"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{NodeTaint}},
	}
	if err := k.Create(ctx, node, client.FieldOwner(kubeletManager)); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("registering node %s: %w", NodeName, err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("128Gi"),
		corev1.ResourcePods:   resource.MustParse("250"),
	}
	node.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.10"}},
	}
	if err := k.Status().Update(ctx, node, client.FieldOwner(kubeletManager)); err != nil {
		return fmt.Errorf("reporting node %s ready: %w", NodeName, err)
	}
	// The API server taints a new node not-ready; the node lifecycle
	// controller, which does not run here, lifts the taint once it is.
	node.Spec.Taints = []corev1.Taint{NodeTaint}
	if err := k.Update(ctx, node, client.FieldOwner(kubeletManager)); err != nil {
		return fmt.Errorf("lifting the not-ready taint of node %s: %w", NodeName, err)
	}
	<-ctx.Done()
	return nil
}

func (k *kubelet) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var pod corev1.Pod
	if err := k.Get(ctx, req.NamespacedName, &pod); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !pod.DeletionTimestamp.IsZero() {
		// The containers "stopped": the kubelet ends a graceful deletion.
		err := k.Delete(ctx, &pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &pod.UID})
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if pod.Status.Phase == corev1.PodRunning {
		return ctrl.Result{}, nil
	}
	k.run(&pod)
	return ctrl.Result{}, client.IgnoreNotFound(k.Status().Update(ctx, &pod, client.FieldOwner(kubeletManager)))
}

// run reports the pod's containers started and ready.
func (k *kubelet) run(pod *corev1.Pod) {
	now := metav1.Now()
	n := k.podIPs.Add(1)
	pod.Status.Phase = corev1.PodRunning
	pod.Status.HostIP = "10.0.0.10"
	pod.Status.PodIP = fmt.Sprintf("10.244.%d.%d", n/250, 1+n%250)
	pod.Status.PodIPs = []corev1.PodIP{{IP: pod.Status.PodIP}}
	pod.Status.StartTime = &now
	pod.Status.Conditions = nil
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: ptrTo(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
}
