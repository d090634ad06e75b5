package scale

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// rollouts stands in for the StatefulSet controller and the kubelet, which
// the scale run does not start: every DittoServer's StatefulSet is reported
// rolled out, its pod ready, as soon as its spec changes. Real clusters run
// a DittoFS pod per server, and what an adapter change costs depends on it:
// with the default Deferred rollout, no StatefulSet write while a pod
// serves; with an immediate rollout, a pod replaced and its status
// followed.
type rollouts struct {
	cache  cache.Cache
	client client.Client
	queue  workqueue.TypedInterface[client.ObjectKey]
	cancel context.CancelFunc
}

func startRollouts(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, c client.Client) (*rollouts, error) {
	managed := labels.SelectorFromSet(labels.Set{dittov1.LabelManagedBy: dittov1.ManagedBy})
	informers, err := cache.New(cfg, cache.Options{
		Scheme:   scheme,
		ByObject: map[client.Object]cache.ByObject{&appsv1.StatefulSet{}: {Label: managed}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the rollouts' cache: %w", err)
	}
	r := &rollouts{cache: informers, client: c, queue: workqueue.NewTyped[client.ObjectKey]()}
	informer, err := informers.GetInformer(ctx, &appsv1.StatefulSet{})
	if err != nil {
		return nil, err
	}
	enqueue := func(obj any) {
		if sts, ok := obj.(*appsv1.StatefulSet); ok && sts.Status.ObservedGeneration != sts.Generation {
			r.queue.Add(client.ObjectKeyFromObject(sts))
		}
	}
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, err
	}
	ctx, r.cancel = context.WithCancel(ctx)
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		r.cancel()
		return nil, fmt.Errorf("the rollouts' cache did not sync")
	}
	for range 4 {
		go r.work(ctx)
	}
	go func() {
		<-ctx.Done()
		r.queue.ShutDown()
	}()
	return r, nil
}

func (r *rollouts) stop() { r.cancel() }

func (r *rollouts) work(ctx context.Context) {
	for {
		key, shutdown := r.queue.Get()
		if shutdown {
			return
		}
		if err := r.rollOut(ctx, key); err != nil && ctx.Err() == nil {
			r.queue.Add(key) // the cache lagged behind a write: try again
		}
		r.queue.Done(key)
	}
}

// rollOut reports the StatefulSet's latest spec observed and its pods
// ready, as the StatefulSet controller does once the new pod runs.
func (r *rollouts) rollOut(ctx context.Context, key client.ObjectKey) error {
	var sts appsv1.StatefulSet
	if err := r.cache.Get(ctx, key, &sts); err != nil {
		return client.IgnoreNotFound(err)
	}
	if sts.Status.ObservedGeneration == sts.Generation {
		return nil
	}
	patch := client.MergeFrom(sts.DeepCopy())
	replicas := ptr.Deref(sts.Spec.Replicas, 1)
	sts.Status.ObservedGeneration = sts.Generation
	sts.Status.Replicas, sts.Status.ReadyReplicas, sts.Status.AvailableReplicas = replicas, replicas, replicas
	sts.Status.CurrentReplicas, sts.Status.UpdatedReplicas = replicas, replicas
	return r.client.Status().Patch(ctx, &sts, patch)
}
