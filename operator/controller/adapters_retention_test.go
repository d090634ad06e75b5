package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// retentionFixture is a reconciler whose fake client indexes owned objects
// as the manager's cache does, with fs1's nfs and smb Services applied.
type retentionFixture struct {
	*testReconciler
	server *dittov1.DittoServer
	st     *serverState
}

func newRetentionFixture(t *testing.T) *retentionFixture {
	t.Helper()
	r := newTestReconciler(t)
	c := fake.NewClientBuilder().WithScheme(r.Scheme).
		WithIndex(&corev1.Service{}, controllerUIDIndex, controllerUID).
		WithIndex(&networkingv1.NetworkPolicy{}, controllerUIDIndex, controllerUID).
		WithReturnManagedFields().
		Build()
	r.Client, r.APIReader = c, c
	f := &retentionFixture{testReconciler: r, server: testServer(), st: &serverState{applied: appliedMemo{}}}
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(true, 1445)))
	r.recorded()
	return f
}

func nfsAdapter(port int32) networking.Adapter {
	return networking.Adapter{Type: "nfs", Port: port, Enabled: true, Running: true}
}

func smbAdapter(running bool, port int32) networking.Adapter {
	return networking.Adapter{Type: "smb", Port: port, Enabled: running, Running: running}
}

// plan decides for the adapters with the default policy bundle, as a
// reconcile does.
func (f *retentionFixture) plan(t *testing.T, adapters ...networking.Adapter) *adapterPlan {
	t.Helper()
	engine, err := networking.NewEngine(networking.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := networking.BuildInput(f.server, networking.NamespaceInfo{}, networking.OperatorInfo{Namespace: "ops"}, adapters)
	decision, err := engine.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := networking.Render(decision, networking.OwnerOf(f.server))
	if err != nil {
		t.Fatal(err)
	}
	// The fake client cannot apply NetworkPolicies; the controller suite,
	// on a real API server, checks that a stopped adapter's goes at once.
	rendered.NetworkPolicies = nil
	return &adapterPlan{adapters: adapters, decision: decision, rendered: rendered}
}

func (f *retentionFixture) apply(t *testing.T, plan *adapterPlan) map[string]*corev1.Service {
	t.Helper()
	services, err := f.applyAdapterObjects(context.Background(), f.server, f.st, plan)
	if err != nil {
		t.Fatal(err)
	}
	// As a reconcile ends: the changes noted make its event.
	f.recordChanges(f.server, f.states.get(f.server.UID))
	return services
}

func (f *retentionFixture) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{}
	if err := f.Get(context.Background(), client.ObjectKey{Namespace: f.server.Namespace, Name: name}, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		t.Fatal(err)
	}
	return svc
}

func TestStoppedAdapterKeepsItsServiceForTheRetentionPeriod(t *testing.T) {
	f := newRetentionFixture(t)
	before := f.service(t, "fs1-smb")
	f.clock.Step(300 * time.Millisecond) // the annotation keeps whole seconds
	start := f.clock.Now().Truncate(time.Second)

	plan := f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	f.apply(t, plan)
	kept := f.service(t, "fs1-smb")
	if kept == nil || kept.UID != before.UID {
		t.Fatalf("the Service of the stopped adapter went: %+v", kept)
	}
	if got := kept.Annotations[dittov1.AnnotationStoppedAt]; got != start.UTC().Format(time.RFC3339) {
		t.Errorf("stopped-at annotation = %q, want the time of the listing that found it stopped", got)
	}
	if len(plan.retained) != 1 || !plan.retained[0].until.Equal(start.Add(dittov1.DefaultRetention)) {
		t.Errorf("retained = %+v, want fs1-smb until the default retention", plan.retained)
	}
	events := f.recorded()
	if n := countPrefix(events, "Normal Retained Keeping SMB Service fs1-smb until"); n != 1 {
		t.Errorf("events %q, want one Retained", events)
	}

	// The operator restarts mid-period: its memory is gone, the annotation
	// is not, and the clock does not start again.
	f.st = &serverState{applied: appliedMemo{}}
	f.clock.SetTime(start.Add(dittov1.DefaultRetention - time.Second))
	plan = f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	f.apply(t, plan)
	if f.service(t, "fs1-smb") == nil {
		t.Fatal("deleted before the end of its period")
	}
	if got := plan.retentionRecheck(f.clock.Now()); got != time.Second {
		t.Errorf("recheck in %s, want the second left of the period", got)
	}
	if events := f.recorded(); len(events) != 0 {
		t.Errorf("events within the period %q, want none", events)
	}

	f.clock.Step(time.Second)
	plan = f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	f.apply(t, plan)
	if f.service(t, "fs1-smb") != nil {
		t.Fatal("kept after its period")
	}
	if len(plan.retained) != 0 {
		t.Errorf("retained after the period: %+v", plan.retained)
	}
	events = f.recorded()
	if len(events) != 1 || !strings.Contains(events[0], "Deleted SMB Service fs1-smb: adapter stopped at") ||
		!strings.Contains(events[0], "retention (5m0s)") {
		t.Errorf("events %q, want one Deleted naming the retention", events)
	}
}

func TestReturningAdapterGetsItsKeptServiceBack(t *testing.T) {
	f := newRetentionFixture(t)
	before := f.service(t, "fs1-smb")
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445)))
	f.recorded()

	f.clock.Step(time.Minute)
	services := f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(true, 2445))) // back, on another port
	after := f.service(t, "fs1-smb")
	if after == nil || after.UID != before.UID {
		t.Fatalf("the adapter came back to a new Service: %+v", after)
	}
	if _, marked := after.Annotations[dittov1.AnnotationStoppedAt]; marked {
		t.Error("the stopped-at annotation stayed on the Service in use")
	}
	if p := after.Spec.Ports; len(p) != 1 || p[0].Port != 2445 || p[0].TargetPort.IntVal != 2445 {
		t.Errorf("ports %+v, want the new port", p)
	}
	if services["smb"] == nil {
		t.Error("the Service back is not reported for the status")
	}
	events := f.recorded()
	if n := countPrefix(events, "Normal Reused SMB adapter is back 1m0s after it stopped: Service fs1-smb serves it again on port 2445"); n != 1 {
		t.Errorf("events %q, want one Reused", events)
	}
	if n := countPrefix(events, "Normal Updated"); n != 0 {
		t.Errorf("events %q: the return is one event, not an update besides", events)
	}
}

func TestAnOutageKeepsKeptServicesPastTheirPeriod(t *testing.T) {
	f := newRetentionFixture(t)
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445)))
	f.recorded()

	f.clock.Step(2 * dittov1.DefaultRetention)
	f.st.poll.outage = true // the plan is the last listing's: the adapter may be back
	plan := f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	f.apply(t, plan)
	if f.service(t, "fs1-smb") == nil {
		t.Fatal("deleted while the API could not be read")
	}
	if len(plan.retained) != 1 || plan.retentionRecheck(f.clock.Now()) != 0 {
		t.Errorf("retained %+v: reported, and no recheck sooner than the polls", plan.retained)
	}

	f.st.poll.outage = false
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445)))
	if f.service(t, "fs1-smb") != nil {
		t.Fatal("kept after the API answered that the adapter is still stopped")
	}
}

func TestAnOutageStartsNoClock(t *testing.T) {
	f := newRetentionFixture(t)
	f.st.poll.outage = true
	plan := f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	f.apply(t, plan)
	svc := f.service(t, "fs1-smb")
	if svc == nil || isRetained(svc) || len(plan.retained) != 0 {
		t.Fatalf("Service %+v, retained %+v: nothing may change during an outage", svc, plan.retained)
	}
}

func TestZeroRetentionDeletesAtOnce(t *testing.T) {
	f := newRetentionFixture(t)
	f.server.Spec.AdapterService.Retention = &metav1.Duration{}
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445)))
	if f.service(t, "fs1-smb") != nil {
		t.Fatal("kept with a retention of 0s")
	}
	if events := f.recorded(); countPrefix(events, "Normal Deleted Deleted SMB Service fs1-smb: adapter stopped") != 1 {
		t.Errorf("events %q", events)
	}
}

// A kept Service forwards to the port its adapter had. When another adapter
// (or the API) takes that port, keeping the Service would send the stopped
// adapter's clients, through its load balancer, to something else.
func TestKeptServiceGoesWhenItsPortServesSomethingElse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		adapters []networking.Adapter
		apiPort  int32
		want     string
	}{
		{"another adapter on its target port", []networking.Adapter{nfsAdapter(1445), smbAdapter(false, 1445)}, 0,
			"its target port 1445 now serves adapter NFS"},
		{"the API on its target port", []networking.Adapter{nfsAdapter(12049), smbAdapter(false, 1445)}, 1445,
			"its target port 1445 is now the control-plane port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRetentionFixture(t)
			f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445)))
			f.recorded()
			if tc.apiPort != 0 {
				f.server.Spec.ControlPlane.Port = tc.apiPort
			}
			f.apply(t, f.plan(t, tc.adapters...))
			if f.service(t, "fs1-smb") != nil {
				t.Fatal("kept although its port serves something else")
			}
			// One event for the reconcile's changes, which names the
			// deletion and why.
			events := f.recorded()
			if len(events) != 1 || strings.Count(events[0], "eleted SMB Service fs1-smb: "+tc.want) != 1 {
				t.Errorf("events %q, want one naming the deletion of fs1-smb: %s", events, tc.want)
			}
		})
	}
}

func TestRenamedServiceGoesAtOnce(t *testing.T) {
	f := newRetentionFixture(t)
	f.server.Spec.AdapterService.NameTemplate = "share-{adapter}"
	f.apply(t, f.plan(t, nfsAdapter(12049), smbAdapter(true, 1445)))
	if f.service(t, "fs1-smb") != nil || f.service(t, "share-smb") == nil {
		t.Fatal("a renamed Service is replaced at once, not kept")
	}
}

func TestStatusOfAKeptService(t *testing.T) {
	f := newRetentionFixture(t)
	plan := f.plan(t, nfsAdapter(12049), smbAdapter(false, 1445))
	services := f.apply(t, plan)
	setAdapterStatus(f.server, plan, services)
	var smb dittov1.AdapterStatus
	for _, a := range f.server.Status.Adapters {
		if a.Type == "smb" {
			smb = a
		}
	}
	until := f.clock.Now().Add(dittov1.DefaultRetention)
	if smb.ServiceName != "fs1-smb" || smb.RetainedUntil == nil || !smb.RetainedUntil.Time.Equal(until) || len(smb.Endpoints) != 0 {
		t.Errorf("smb status %+v, want its kept Service, until when, and no endpoint", smb)
	}
	if !strings.Contains(smb.Message, "nothing listens on port 1445") {
		t.Errorf("message %q, want what the kept Service does meanwhile", smb.Message)
	}
	if strings.Contains(f.server.Status.Endpoints, "smb") {
		t.Errorf("endpoints %q list the stopped adapter", f.server.Status.Endpoints)
	}
	setAdaptersReady(f.server, &f.st.poll, plan, nil, loadBalancerReport{})
	if c := conditionOf(f.server, dittov1.ConditionAdaptersReady); c == nil || !strings.Contains(c.Message, "fs1-smb (smb, until") {
		t.Errorf("AdaptersReady %+v, want the kept Service named", c)
	}
}

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

func conditionOf(server *dittov1.DittoServer, condType string) *metav1.Condition {
	for i := range server.Status.Conditions {
		if server.Status.Conditions[i].Type == condType {
			return &server.Status.Conditions[i]
		}
	}
	return nil
}
