package controller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/flowcontrol"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// testReconciler is a reconciler on controller-runtime's fake client, a
// fake clock and a recorder whose events a test reads.
type testReconciler struct {
	*DittoServerReconciler
	clock  *clocktesting.FakeClock
	events *events.FakeRecorder
}

func newTestReconciler(t *testing.T, objs ...client.Object) *testReconciler {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := dittov1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	// Server-side apply keeps field ownership, as a real API server does.
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithReturnManagedFields().
		WithStatusSubresource(&dittov1.DittoServer{}).Build()
	clock := clocktesting.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	recorder := events.NewFakeRecorder(100)
	r := &DittoServerReconciler{
		Client: c, APIReader: c, Scheme: scheme, Recorder: recorder, Clock: clock,
		recreates: flowcontrol.NewFakeBackOff(recreateBackoffInitial, recreateBackoffMax, clock),
	}
	return &testReconciler{DittoServerReconciler: r, clock: clock, events: recorder}
}

// recorded drains the events recorded so far.
func (r *testReconciler) recorded() []string {
	var out []string
	for {
		select {
		case e := <-r.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// testServer is a DittoServer as the API server returns it.
func testServer() *dittov1.DittoServer {
	return &dittov1.DittoServer{ObjectMeta: metav1.ObjectMeta{Name: "fs1", Namespace: "storage", UID: "server-uid", Generation: 1}}
}

// countingClient counts the writes made through a client.
type countingClient struct {
	client.Client
	writes *atomic.Int64
}

func (c *countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.writes.Add(1)
	return c.Client.Create(ctx, obj, opts...)
}

func (c *countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.writes.Add(1)
	return c.Client.Update(ctx, obj, opts...)
}

func (c *countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.writes.Add(1)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c *countingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	c.writes.Add(1)
	return c.Client.Apply(ctx, obj, opts...)
}

func (c *countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.writes.Add(1)
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *countingClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	c.writes.Add(1)
	return c.Client.DeleteAllOf(ctx, obj, opts...)
}

func (c *countingClient) Status() client.SubResourceWriter {
	return &countingStatus{SubResourceWriter: c.Client.Status(), writes: c.writes}
}

// countingStatus counts the status writes.
type countingStatus struct {
	client.SubResourceWriter
	writes *atomic.Int64
}

func (c *countingStatus) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	c.writes.Add(1)
	return c.SubResourceWriter.Create(ctx, obj, sub, opts...)
}

func (c *countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	c.writes.Add(1)
	return c.SubResourceWriter.Update(ctx, obj, opts...)
}

func (c *countingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	c.writes.Add(1)
	return c.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

func (c *countingStatus) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	c.writes.Add(1)
	return c.SubResourceWriter.Apply(ctx, obj, opts...)
}

// countingReader counts the reads that bypass the cache.
type countingReader struct {
	client.Reader
	reads *atomic.Int64
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.reads.Add(1)
	return c.Reader.Get(ctx, key, obj, opts...)
}

func (c *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	c.reads.Add(1)
	return c.Reader.List(ctx, list, opts...)
}
