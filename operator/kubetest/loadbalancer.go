package kubetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// LoadBalancerCleanupFinalizer is the finalizer cloud and MetalLB
// load-balancer controllers put on the Services they serve: a deleted
// Service stays, terminating, until its load balancer is released.
const LoadBalancerCleanupFinalizer = "service.kubernetes.io/load-balancer-cleanup"

const loadBalancerManager = "kubetest-load-balancer"

// loadBalancerController plays a cloud load-balancer controller in the
// namespaces labelled LabelLoadBalancer=cloud: it puts the cleanup finalizer
// on every LoadBalancer Service, gives it an address of its own after the
// namespace's address delay, and removes the finalizer the release delay
// after the Service's deletion. With LabelLoadBalancer=bare-metal it does
// nothing, as on a cluster without one: Services stay <pending>.
type loadBalancerController struct {
	client.Client
	sw        namespaceSwitch
	addresses atomic.Uint32
}

func setupLoadBalancerController(mgr ctrl.Manager) error {
	r := &loadBalancerController{Client: mgr.GetClient(), sw: namespaceSwitch{mgr.GetClient()}}
	return ctrl.NewControllerManagedBy(mgr).Named("kubetest-load-balancer").
		For(&corev1.Service{}).
		// A namespace switched to another mode is served from then on, as a
		// load-balancer controller installed in a running cluster would.
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.servicesIn)).
		Complete(r)
}

func (r *loadBalancerController) servicesIn(ctx context.Context, ns client.Object) []reconcile.Request {
	var list corev1.ServiceList
	if err := r.List(ctx, &list, client.InNamespace(ns.GetName())); err != nil {
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return requests
}

func (r *loadBalancerController) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var svc corev1.Service
	if err := r.Get(ctx, req.NamespacedName, &svc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.sw.value(ctx, svc.Namespace, LabelLoadBalancer) != LoadBalancerCloud {
		return ctrl.Result{}, nil
	}
	switch {
	case !svc.DeletionTimestamp.IsZero():
		return r.release(ctx, &svc)
	case svc.Spec.Type != corev1.ServiceTypeLoadBalancer:
		return ctrl.Result{}, r.forget(ctx, &svc)
	case !controllerutil.ContainsFinalizer(&svc, LoadBalancerCleanupFinalizer):
		patch := client.MergeFromWithOptions(svc.DeepCopy(), client.MergeFromWithOptimisticLock{})
		controllerutil.AddFinalizer(&svc, LoadBalancerCleanupFinalizer)
		return ctrl.Result{}, r.Patch(ctx, &svc, patch, client.FieldOwner(loadBalancerManager))
	case len(svc.Status.LoadBalancer.Ingress) == 0:
		return r.assignAddress(ctx, &svc)
	}
	return ctrl.Result{}, nil
}

// assignAddress gives the Service a new address once the delay is over:
// every Service object gets its own, as from a cloud.
func (r *loadBalancerController) assignAddress(ctx context.Context, svc *corev1.Service) (ctrl.Result, error) {
	delay := r.sw.delay(ctx, svc.Namespace, AnnotationAddressDelay, 0)
	if wait := time.Until(svc.CreationTimestamp.Add(delay)); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	n := r.addresses.Add(1)
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{
		IP:     fmt.Sprintf("198.51.%d.%d", 100+n/250, 1+n%250),
		IPMode: ptrTo(corev1.LoadBalancerIPModeVIP),
	}}
	return ctrl.Result{}, r.Status().Update(ctx, svc, client.FieldOwner(loadBalancerManager))
}

// release removes the finalizer the release delay after the deletion began.
func (r *loadBalancerController) release(ctx context.Context, svc *corev1.Service) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(svc, LoadBalancerCleanupFinalizer) {
		return ctrl.Result{}, nil
	}
	delay := r.sw.delay(ctx, svc.Namespace, AnnotationReleaseDelay, 0)
	if wait := time.Until(svc.DeletionTimestamp.Add(delay)); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	return ctrl.Result{}, r.removeFinalizer(ctx, svc)
}

// forget releases the load balancer of a Service that is no longer of type
// LoadBalancer.
func (r *loadBalancerController) forget(ctx context.Context, svc *corev1.Service) error {
	if len(svc.Status.LoadBalancer.Ingress) > 0 {
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
		if err := r.Status().Update(ctx, svc, client.FieldOwner(loadBalancerManager)); err != nil {
			return err
		}
	}
	return r.removeFinalizer(ctx, svc)
}

func (r *loadBalancerController) removeFinalizer(ctx context.Context, svc *corev1.Service) error {
	if !controllerutil.ContainsFinalizer(svc, LoadBalancerCleanupFinalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(svc.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(svc, LoadBalancerCleanupFinalizer)
	return client.IgnoreNotFound(r.Patch(ctx, svc, patch, client.FieldOwner(loadBalancerManager)))
}

func ptrTo[T any](v T) *T { return &v }
