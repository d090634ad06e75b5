package controller

import (
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
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
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
