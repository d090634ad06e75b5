//go:build unix

package controller

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// BenchmarkReconcile measures one steady-state reconcile of a DittoServer:
// nothing changed, so it must write nothing. BenchmarkPoll measures what
// the poller does for a server every interval when nothing changed: one
// listing, compared with the last.
//
// It runs against a real kube-apiserver with the manager's cache, not a
// fake client, because what a steady reconcile costs is mostly deciding
// that nothing changed: extracting the fields the operator owns from
// managedFields and comparing them with the desired apply configurations.
// A fake client keeps no server-side-apply field ownership, so every
// comparison would differ and the benchmark would measure writes instead;
// and the reads that bypass the cache (APIReader) would cost nothing.
//
// A reconcile reads the poller's snapshot and never calls DittoFS; a poll
// lists the adapters from a DittoFS simulator in this process (whose side
// of the HTTP exchange is in the CPU and allocation figures). Besides time
// and allocations they report:
//
//	work-ns/op   the operator's reconcile-work histogram (API wait excluded)
//	writes/op    Kubernetes writes (must be 0)
//	uncached-reads/op  reads past the cache, each a round trip to the API server
//	cpu-ns/op    CPU time of the whole process per reconcile
func BenchmarkReconcile(b *testing.B) {
	if testing.Short() {
		b.Skip("needs a local control plane")
	}
	h := startReconcileBench(b)
	for _, adapters := range []int{2, 8} {
		server := h.newServer(b, adapters)
		b.Run(fmt.Sprintf("adapters=%d", adapters), func(b *testing.B) {
			h.run(b, server)
		})
	}
}

func BenchmarkPoll(b *testing.B) {
	if testing.Short() {
		b.Skip("needs a local control plane")
	}
	h := startReconcileBench(b)
	for _, adapters := range []int{2, 8} {
		server := h.newServer(b, adapters)
		b.Run(fmt.Sprintf("adapters=%d", adapters), func(b *testing.B) {
			h.runPoll(b, server)
		})
	}
}

// reconcileBench is a reconciler built as the operator builds it, driven
// directly rather than by a controller, so that each operation is exactly
// one reconcile.
type reconcileBench struct {
	ctx    context.Context
	r      *DittoServerReconciler
	direct client.Client // the bench's own, uncached client
	writes atomic.Int64
	reads  atomic.Int64
	seq    int
}

func startReconcileBench(b *testing.B) *reconcileBench {
	ctrl.SetLogger(logr.Discard())
	plane, err := kubetest.Start(kubetest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := plane.Stop(); err != nil {
			b.Error(err)
		}
	})
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	if err := dittov1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	mgr, err := ctrl.NewManager(plane.Config, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		b.Fatal(err)
	}
	engine, err := networking.NewEngine(networking.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := indexByController(mgr); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	h := &reconcileBench{ctx: ctx}
	defer func() { go h.runPoller(b) }()
	h.r = &DittoServerReconciler{
		Client:              &countingClient{Client: mgr.GetClient(), writes: &h.writes},
		APIReader:           &countingReader{Reader: mgr.GetAPIReader(), reads: &h.reads},
		Scheme:              scheme,
		Recorder:            mgr.GetEventRecorder("dittofs-operator"),
		Policy:              engine,
		Operator:            networking.OperatorInfo{Namespace: "dittofs-system", PodLabels: map[string]string{"app.kubernetes.io/name": "dittofs-operator"}},
		AllowAPIURLOverride: true,
		APITimeout:          5 * time.Second,
	}
	if h.direct, err = client.New(plane.Config, client.Options{Scheme: scheme}); err != nil {
		b.Fatal(err)
	}
	return h
}

// runPoller runs the reconciler's poller, and reads the reconciles it asks
// for: the benchmark reconciles by itself.
func (h *reconcileBench) runPoller(b *testing.B) {
	go func() {
		for {
			select {
			case <-h.ctx.Done():
				return
			case <-h.r.polls().changes:
			}
		}
	}()
	if err := h.r.polls().Start(h.ctx); err != nil {
		b.Error(err)
	}
}

// newServer creates a DittoServer whose simulated API runs the given
// number of adapters, and reconciles it until a reconcile writes nothing.
func (h *reconcileBench) newServer(b *testing.B, adapters int) *dittov1.DittoServer {
	const password = "bench-admin-password"
	api := dittofstest.NewForTest(b, dittofstest.Options{AdminPassword: password})
	for i := 2; i < adapters; i++ {
		api.SetAdapter(fmt.Sprintf("proto%02d", i), true, int32(20000+i))
	}
	h.seq++
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", h.seq)}}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "admin-password", Namespace: ns.Name},
		StringData: map[string]string{"password": password},
	}
	server := &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{
			Name: "fs1", Namespace: ns.Name,
			Annotations: map[string]string{dittov1.AnnotationAPIURL: api.URL()},
		},
		Spec: dittov1.DittoServerSpec{
			Storage: dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
			// Polls happen only when the benchmark forces them.
			AdapterPolling: dittov1.AdapterPollingSpec{Interval: &metav1.Duration{Duration: dittov1.MaxPollInterval}},
			Identity: dittov1.IdentitySpec{Admin: dittov1.AdminSpec{PasswordSecretRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: secret.Name}, Key: "password",
			}}},
		},
	}
	for _, obj := range []client.Object{ns, secret, server} {
		if err := h.direct.Create(h.ctx, obj); err != nil {
			b.Fatal(err)
		}
	}
	// The cache follows the API server a little later than each write, and
	// the poller lists the adapters in the background, so the server is
	// steady once a reconcile writes nothing and reports the adapters ready.
	deadline := time.Now().Add(time.Minute)
	for {
		writes := h.writes.Load()
		if _, err := h.r.Reconcile(h.ctx, requestFor(server)); err != nil {
			b.Fatal(err)
		}
		if h.writes.Load() == writes && h.ready(b, server, adapters) {
			return server
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s/%s did not reach a steady state within a minute", server.Namespace, server.Name)
		}
		time.Sleep(200 * time.Millisecond) // polling until steady, as Eventually does
	}
}

func (h *reconcileBench) ready(b *testing.B, server *dittov1.DittoServer, adapters int) bool {
	if err := h.direct.Get(h.ctx, client.ObjectKeyFromObject(server), server); err != nil {
		b.Fatal(err)
	}
	c := meta.FindStatusCondition(server.Status.Conditions, dittov1.ConditionAdaptersReady)
	return c != nil && c.Status == metav1.ConditionTrue && len(server.Status.Adapters) == adapters
}

func requestFor(server *dittov1.DittoServer) ctrl.Request {
	return ctrl.Request{NamespacedName: client.ObjectKeyFromObject(server)}
}

func (h *reconcileBench) run(b *testing.B, server *dittov1.DittoServer) {
	req := requestFor(server)
	writes, reads, work := h.writes.Load(), h.reads.Load(), reconcileWorkSeconds(b)
	b.ReportAllocs()
	cpu := processCPUTime()
	for b.Loop() {
		if _, err := h.r.Reconcile(h.ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64((processCPUTime()-cpu).Nanoseconds())/n, "cpu-ns/op")
	b.ReportMetric((reconcileWorkSeconds(b)-work)*1e9/n, "work-ns/op")
	b.ReportMetric(float64(h.writes.Load()-writes)/n, "writes/op")
	b.ReportMetric(float64(h.reads.Load()-reads)/n, "uncached-reads/op")
	if h.writes.Load() != writes {
		b.Errorf("a steady-state reconcile wrote %d times in %d reconciles", h.writes.Load()-writes, b.N)
	}
}

// runPoll polls the server's API as its poller does every interval, on a
// poller of its own (the server's goroutine sleeps for the hour-long
// interval meanwhile).
func (h *reconcileBench) runPoll(b *testing.B, server *dittov1.DittoServer) {
	t := h.r.targetOf(server)
	sp := &serverPoll{p: h.r.polls(), key: client.ObjectKeyFromObject(server), target: t, wake: make(chan struct{}, 1), ctx: h.ctx}
	sp.poll(h.ctx, t) // the first poll logs in and publishes the listing
	writes := h.writes.Load()
	b.ReportAllocs()
	cpu := processCPUTime()
	for b.Loop() {
		sp.poll(h.ctx, t)
	}
	n := float64(b.N)
	b.ReportMetric(float64((processCPUTime()-cpu).Nanoseconds())/n, "cpu-ns/op")
	b.ReportMetric(float64(h.writes.Load()-writes)/n, "writes/op")
	if snap := sp.snap; snap.outage || snap.adapters == nil {
		b.Fatalf("the polls failed: %s", snap.failure)
	}
	if h.writes.Load() != writes {
		b.Errorf("a steady poll wrote %d times in %d polls", h.writes.Load()-writes, b.N)
	}
}

// reconcileWorkSeconds is the sum of the reconcile-work histogram.
func reconcileWorkSeconds(b *testing.B) float64 {
	var m dto.Metric
	if err := reconcileWork.Write(&m); err != nil {
		b.Fatal(err)
	}
	return m.GetHistogram().GetSampleSum()
}

// processCPUTime is the user and system CPU time of the process so far.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
