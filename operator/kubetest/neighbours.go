package kubetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Neighbours are what real clusters run next to the operator, played by
// small in-process components that behave as the real ones do. Each acts
// only where a test switches it on, so one control plane serves specs with
// and without them:
//
//   - the load-balancer class webhook (as the AWS Load Balancer Controller's)
//     in namespaces labelled LabelClassWebhook=on;
//   - a load-balancer controller (as a cloud's, or MetalLB) in namespaces
//     labelled LabelLoadBalancer=cloud (finalizer, address after a delay,
//     release after another) or =bare-metal (never an address);
//   - a controller that writes fields the operator does not own on its
//     Services and NetworkPolicies, in namespaces labelled LabelFieldWriter=on;
//   - with Options.PodsRun, kube-scheduler, a node whose kubelet runs every
//     pod bound to it, and a volume provisioner: pods that tolerate
//     NodeTaint are scheduled there and really run (see kubelet.go).
//
// Delays come from annotations on the namespace (AnnotationAddressDelay,
// AnnotationReleaseDelay).
const (
	LabelClassWebhook      = "neighbours.kubetest.dittofs.io/lb-class-webhook"
	LabelLoadBalancer      = "neighbours.kubetest.dittofs.io/load-balancer"
	LabelFieldWriter       = "neighbours.kubetest.dittofs.io/field-writer"
	AnnotationAddressDelay = "neighbours.kubetest.dittofs.io/address-delay"
	AnnotationReleaseDelay = "neighbours.kubetest.dittofs.io/release-delay"

	// LoadBalancerCloud and LoadBalancerBareMetal are the values of
	// LabelLoadBalancer.
	LoadBalancerCloud     = "cloud"
	LoadBalancerBareMetal = "bare-metal"

	// NeighboursUser is the user the neighbours act as, so the audit log
	// tells their writes from the operator's.
	NeighboursUser = "kubetest-neighbours"
)

// neighbours is the manager running the in-process neighbours.
type neighbours struct {
	cancel  context.CancelFunc
	done    chan error
	webhook *classWebhook
}

func (cp *ControlPlane) startNeighbours(podsRun bool) (*neighbours, error) {
	cfg, err := cp.UserConfig(NeighboursUser, "system:masters")
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 log.Log.WithName("kubetest-neighbours"),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the neighbours' manager: %w", err)
	}
	n := &neighbours{done: make(chan error, 1)}
	setups := []func(ctrl.Manager) error{setupLoadBalancerController, setupFieldWriter}
	if podsRun {
		setups = append(setups, setupKubelet, setupVolumeProvisioner)
	}
	for _, setup := range setups {
		if err := setup(mgr); err != nil {
			return nil, err
		}
	}
	if n.webhook, err = cp.startClassWebhook(mgr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		cancel()
		return nil, errors.New("the neighbours' caches did not sync")
	}
	if err := waitUntil(30*time.Second, func() error { return n.webhook.server.StartedChecker()(nil) }); err != nil {
		cancel()
		return nil, fmt.Errorf("the load-balancer class webhook did not start: %w", err)
	}
	return n, nil
}

func (n *neighbours) stop() error {
	n.cancel()
	select {
	case err := <-n.done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the neighbours did not stop within 30s")
	}
}

// namespaceSwitch reads a neighbour's switch on the namespace of an object.
type namespaceSwitch struct {
	client.Reader
}

// value is the namespace's label, "" when the namespace or label is missing.
func (s namespaceSwitch) value(ctx context.Context, namespace, label string) string {
	var ns corev1.Namespace
	if err := s.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return ""
	}
	return ns.Labels[label]
}

// delay is a duration annotation of the namespace, or def.
func (s namespaceSwitch) delay(ctx context.Context, namespace, annotation string, def time.Duration) time.Duration {
	var ns corev1.Namespace
	if err := s.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return def
	}
	d, err := time.ParseDuration(ns.Annotations[annotation])
	if err != nil {
		return def
	}
	return d
}

// waitUntil polls check until it succeeds or the timeout passes.
func waitUntil(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond) // polling a local process's start
	}
}
