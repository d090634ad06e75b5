package scale

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// tracker watches the DittoServers and their adapter Services, so that the
// run learns when each server converged the moment the API server says so,
// rather than by listing a thousand objects in a loop.
type tracker struct {
	cache   cache.Cache
	adapter string // the adapter the wave disables
	cancel  context.CancelFunc

	mu        sync.Mutex
	waveStart time.Time
	gone      map[string]time.Time // server key → its adapter Service was deleted
	reported  map[string]time.Time // server key → its status no longer lists the adapter
}

func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, adapter string) (*tracker, error) {
	adapterServices := labels.SelectorFromSet(labels.Set{
		dittov1.LabelManagedBy: dittov1.ManagedBy, dittov1.LabelComponent: networking.ComponentAdapterService,
	})
	c, err := cache.New(cfg, cache.Options{
		Scheme:   scheme,
		ByObject: map[client.Object]cache.ByObject{&corev1.Service{}: {Label: adapterServices}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the bench's cache: %w", err)
	}
	t := &tracker{cache: c, adapter: adapter, gone: map[string]time.Time{}, reported: map[string]time.Time{}}
	svcInformer, err := c.GetInformer(ctx, &corev1.Service{})
	if err != nil {
		return nil, err
	}
	if _, err := svcInformer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: t.serviceDeleted}); err != nil {
		return nil, err
	}
	serverInformer, err := c.GetInformer(ctx, &dittov1.DittoServer{})
	if err != nil {
		return nil, err
	}
	if _, err := serverInformer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { t.serverUpdated(obj) },
	}); err != nil {
		return nil, err
	}
	ctx, t.cancel = context.WithCancel(ctx)
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.cancel()
		return nil, fmt.Errorf("the bench's cache did not sync")
	}
	return t, nil
}

func (t *tracker) stop() { t.cancel() }

func (t *tracker) serviceDeleted(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	svc, ok := obj.(*corev1.Service)
	if !ok || svc.Labels[dittov1.LabelAdapter] != t.adapter {
		return
	}
	t.record(t.gone, svc.Namespace+"/"+svc.Labels[dittov1.LabelInstance])
}

func (t *tracker) serverUpdated(obj any) {
	server, ok := obj.(*dittov1.DittoServer)
	if !ok || adapterRunning(server, t.adapter) {
		return
	}
	t.record(t.reported, server.Namespace+"/"+server.Name)
}

// record notes the first time of an event after the wave started.
func (t *tracker) record(times map[string]time.Time, key string) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waveStart.IsZero() {
		return
	}
	if _, seen := times[key]; !seen {
		times[key] = now
	}
}

func (t *tracker) startWave(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.waveStart = at
}

// converged is when the server's adapter Service was gone and its status
// said so, whichever came last; false until both.
func (t *tracker) converged(key string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	gone, ok1 := t.gone[key]
	reported, ok2 := t.reported[key]
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	if reported.After(gone) {
		return reported, true
	}
	return gone, true
}

// adapterRunning: the status lists the adapter as running.
func adapterRunning(server *dittov1.DittoServer, adapter string) bool {
	for _, a := range strings.Split(server.Status.RunningAdapters, ",") {
		if strings.HasPrefix(a, adapter+":") {
			return true
		}
	}
	return false
}

// readiness counts, from the bench's cache, the servers that are fully
// reconciled: AdaptersReady is true, both seeded adapters are running, and
// their Services exist.
func (t *tracker) readiness(ctx context.Context, f *fleet) (int, error) {
	var servers dittov1.DittoServerList
	if err := t.cache.List(ctx, &servers); err != nil {
		return 0, err
	}
	var services corev1.ServiceList
	if err := t.cache.List(ctx, &services); err != nil {
		return 0, err
	}
	adapterServices := map[string]int{}
	for _, s := range services.Items {
		adapterServices[s.Namespace+"/"+s.Labels[dittov1.LabelInstance]]++
	}
	ready := 0
	for i := range servers.Items {
		s := &servers.Items[i]
		c := meta.FindStatusCondition(s.Status.Conditions, dittov1.ConditionAdaptersReady)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != s.Generation {
			continue
		}
		if adapterRunning(s, "nfs") && adapterRunning(s, "smb") && adapterServices[s.Namespace+"/"+s.Name] == 2 {
			ready++
		}
	}
	return ready, nil
}
