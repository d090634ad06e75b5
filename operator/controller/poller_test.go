package controller

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// These tests run the poller against DittoFS simulators over HTTP, on a
// fake clock that both share: intervals, backoff, token lifetimes and
// deadlines pass when a test steps the clock, never by sleeping.

const testAdminPassword = "adminpass123"

// pollerHarness is a started poller on a fake clock and a fake client.
type pollerHarness struct {
	t      *testing.T
	r      *testReconciler
	p      *poller
	writes *atomic.Int64 // Kubernetes writes
}

func startPoller(t *testing.T, adminPassword string) *pollerHarness {
	t.Helper()
	admin := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "admin", Namespace: "storage"},
		Data:       map[string][]byte{"password": []byte(adminPassword)},
	}
	r := newTestReconciler(t, admin)
	h := &pollerHarness{t: t, r: r, writes: &atomic.Int64{}}
	r.Client = &countingClient{Client: r.Client, writes: h.writes}
	r.APIReader = r.Client
	r.AllowAPIURLOverride = true
	// Calls are bounded by the poll's deadline, on the fake clock.
	r.APITimeout = time.Minute
	h.p = r.polls()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.p.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// newAPI starts a simulator on the harness's clock.
func (h *pollerHarness) newAPI(opts dittofstest.Options) *dittofstest.Server {
	opts.Now = h.r.clock.Now
	if opts.AdminPassword == "" {
		opts.AdminPassword = testAdminPassword
	}
	return dittofstest.NewForTest(h.t, opts)
}

// track has the poller poll a server of api every interval.
func (h *pollerHarness) track(name string, api *dittofstest.Server, interval time.Duration) *dittov1.DittoServer {
	server := testServer()
	server.Name, server.UID = name, types.UID(name+"-uid")
	server.Annotations = map[string]string{dittov1.AnnotationAPIURL: api.URL()}
	server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: interval}
	server.Spec.Identity.Admin.PasswordSecretRef = &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "admin"}, Key: "password",
	}
	h.p.track(h.r.targetOf(server))
	return server
}

func (h *pollerHarness) snapshot(server *dittov1.DittoServer) pollSnapshot {
	snap, ok := h.p.snapshot(server.UID)
	if !ok {
		h.t.Fatalf("%s is not tracked", server.Name)
	}
	return snap
}

// settled waits until the server's poller finished a poll scheduled after
// prev and waits for the next one on the fake clock.
func (h *pollerHarness) settled(server *dittov1.DittoServer, prev time.Time) pollSnapshot {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := h.snapshot(server)
		if !snap.nextPoll.IsZero() && !snap.nextPoll.Equal(prev) && h.r.clock.HasWaiters() {
			return snap
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: no poll finished (last scheduled %s)", server.Name, prev)
		}
		time.Sleep(time.Millisecond) // polling the poller's goroutine; the clock it waits on is fake
	}
}

// next moves the clock to the server's next poll and waits for it.
func (h *pollerHarness) next(server *dittov1.DittoServer, snap pollSnapshot) pollSnapshot {
	h.t.Helper()
	h.r.clock.SetTime(snap.nextPoll)
	return h.settled(server, snap.nextPoll)
}

// changes drains the reconciles the poller asked for.
func (h *pollerHarness) changes() []string {
	var out []string
	for {
		select {
		case e := <-h.p.changes:
			out = append(out, e.Object.GetName())
		default:
			return out
		}
	}
}

func (h *pollerHarness) events(prefix string) int {
	n := 0
	for _, e := range h.r.recorded() {
		if strings.Contains(e, prefix) {
			n++
		}
	}
	return n
}

func TestPollerHandsOverOnlyChanges(t *testing.T) {
	const interval = 5 * time.Second
	h := startPoller(t, testAdminPassword)
	api := h.newAPI(dittofstest.Options{})
	server := h.track("fs1", api, interval)

	snap := h.settled(server, time.Time{})
	if got := h.changes(); !slices.Equal(got, []string{"fs1"}) {
		t.Fatalf("first listing: reconciles %v, want one", got)
	}
	want := []networking.Adapter{
		{Type: "nfs", Port: 12049, Enabled: true, Running: true},
		{Type: "smb", Port: 1445, Enabled: true, Running: true},
	}
	if !slices.Equal(snap.adapters, want) || snap.identity.reason != "Authenticated" {
		t.Fatalf("first snapshot %+v", snap)
	}

	for range 3 {
		polled := snap.nextPoll
		snap = h.next(server, snap)
		if got := snap.nextPoll.Sub(polled); got != interval {
			t.Errorf("next poll %s after the last, want the interval %s", got, interval)
		}
	}
	if got := h.changes(); len(got) != 0 {
		t.Errorf("unchanged listings started reconciles %v", got)
	}
	if n := api.Count(dittofstest.RouteListAdapters, dittofs.RoleOperator); n != 4 {
		t.Errorf("%d listings in four polls", n)
	}

	api.SetAdapter("smb", false, 1445)
	snap = h.next(server, snap)
	if got := h.changes(); len(got) != 1 || snap.adapters[1].Enabled {
		t.Errorf("a disabled adapter: reconciles %v, snapshot %+v", got, snap.adapters)
	}

	api.FailWith(503, dittofstest.RouteListAdapters)
	snap = h.next(server, snap)
	if got := h.changes(); len(got) != 1 || !snap.outage || snap.adapters == nil {
		t.Errorf("an outage begins: reconciles %v, snapshot %+v", got, snap)
	}
	snap = h.next(server, snap)
	if got := h.changes(); len(got) != 0 {
		t.Errorf("an outage goes on: reconciles %v", got)
	}
	api.ClearFaults()
	snap = h.next(server, snap)
	if got := h.changes(); len(got) != 1 || snap.outage {
		t.Errorf("an outage ends: reconciles %v, snapshot %+v", got, snap)
	}
	if n := h.events("AdaptersUnavailable"); n != 1 {
		t.Errorf("%d AdaptersUnavailable events for one outage", n)
	}
}

func TestPollerBacksOffWithJitterUpToTheInterval(t *testing.T) {
	const interval = 30 * time.Second
	h := startPoller(t, testAdminPassword)
	api := h.newAPI(dittofstest.Options{})
	api.FailWith(503, dittofstest.RouteListAdapters)
	server := h.track("fs1", api, interval)

	snap := h.settled(server, time.Time{})
	bounds := [][2]time.Duration{
		{2 * time.Second, 2400 * time.Millisecond},
		{4 * time.Second, 4800 * time.Millisecond},
		{8 * time.Second, 9600 * time.Millisecond},
		{16 * time.Second, 19200 * time.Millisecond},
		{25 * time.Second, interval}, // capped: jittered below the interval
		{25 * time.Second, interval},
	}
	for i, b := range bounds {
		delay := snap.nextPoll.Sub(h.r.clock.Now())
		if delay < b[0] || delay > b[1] {
			t.Errorf("retry %d after %s, want %s to %s", i+1, delay, b[0], b[1])
		}
		snap = h.next(server, snap)
	}
	if n := api.Count(dittofstest.RouteListAdapters, dittofs.RoleOperator); n != len(bounds)+1 {
		t.Errorf("%d listings, want %d", n, len(bounds)+1)
	}
	if n := h.events("AdaptersUnavailable"); n != 1 {
		t.Errorf("%d AdaptersUnavailable events for one outage", n)
	}
}

func TestPollBackoffJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		var b pollBackoff
		d := b.next(time.Minute)
		if d < backoffBase || d > time.Duration(float64(backoffBase)*(1+backoffJitter)) {
			t.Fatalf("first retry after %s", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("100 servers failing together retry at %d distinct times", len(seen))
	}
	var b pollBackoff
	for range 30 {
		if d := b.next(time.Second); d > time.Second {
			t.Fatalf("a retry after %s with a 1s interval", d)
		}
	}
}

func TestPollerRefreshesAtEightyPercentOfTheTokenLifetime(t *testing.T) {
	const interval = 3 * time.Second
	h := startPoller(t, testAdminPassword)
	api := h.newAPI(dittofstest.Options{AccessTTL: 10 * time.Second})
	server := h.track("fs1", api, interval)
	snap := h.settled(server, time.Time{})
	api.ResetRequests()
	writes := h.writes.Load()

	for range 20 { // a minute
		snap = h.next(server, snap)
	}
	// The token issued at t is due for refresh at t+8s: polls every 3s
	// refresh it every 9s (every 12s at its expiry, every 6s at half its
	// lifetime).
	refreshes := api.Count(dittofstest.RouteRefresh, dittofstest.AnyRole)
	if refreshes != 6 {
		t.Errorf("%d refreshes in a minute, want 6", refreshes)
	}
	if n := api.Count(dittofstest.RouteLogin, dittofstest.AnyRole); n != 0 {
		t.Errorf("%d logins: the token is refreshed, not replaced", n)
	}
	if n := h.writes.Load() - writes; n != int64(refreshes) {
		t.Errorf("%d Kubernetes writes for %d refreshes: one credentials Secret write each", n, refreshes)
	}
	for _, rec := range api.Requests() {
		if rec.Route == dittofstest.RouteListAdapters && rec.Status != 200 {
			t.Errorf("a listing answered %d at %s", rec.Status, rec.Time)
		}
	}
}

func TestPollerReportsARejectedAdminPasswordOnce(t *testing.T) {
	const interval = 5 * time.Second
	h := startPoller(t, "not-the-password")
	api := h.newAPI(dittofstest.Options{})
	server := h.track("fs1", api, interval)
	snap := h.settled(server, time.Time{})
	for range 5 {
		snap = h.next(server, snap)
	}
	if snap.identity.reason != "AdminCredentialsRejected" || !strings.Contains(snap.identity.message, `"admin"`) {
		t.Errorf("identity %+v", snap.identity)
	}
	if n := h.events("AdminCredentialsRejected"); n != 1 {
		t.Errorf("%d AdminCredentialsRejected events for six attempts", n)
	}
	if n := api.Count(dittofstest.RouteLogin, dittofstest.AnyRole); n != 6 {
		t.Errorf("%d admin logins in six polls", n)
	}

	By := "correcting the Secret: the poller tries it at once, without waiting for its backoff"
	var secret corev1.Secret
	if err := h.r.Get(context.Background(), types.NamespacedName{Namespace: "storage", Name: "admin"}, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["password"] = []byte(testAdminPassword)
	if err := h.r.Update(context.Background(), &secret); err != nil {
		t.Fatal(err)
	}
	h.p.secretsChanged(server.UID)
	snap = h.settled(server, snap.nextPoll)
	if snap.identity.reason != "Authenticated" || snap.outage {
		t.Errorf("%s: %+v", By, snap)
	}
}

func TestPollerIsolatesAHungAPI(t *testing.T) {
	const interval = 5 * time.Second
	h := startPoller(t, testAdminPassword)
	hung := h.newAPI(dittofstest.Options{})
	hung.Hang()
	healthy := h.newAPI(dittofstest.Options{})
	stuck := h.track("stuck", hung, interval)
	fine := h.track("fine", healthy, interval)

	snap := h.settled(fine, time.Time{})
	if snap.adapters == nil || hung.InFlight() != 1 {
		t.Fatalf("the healthy server waited: snapshot %+v, %d hung calls", snap, hung.InFlight())
	}
	if got := h.snapshot(stuck); !got.nextPoll.IsZero() {
		t.Fatalf("the hung poll finished: %+v", got)
	}

	h.r.clock.Step(pollBudget * h.r.apiTimeout())
	got := h.settled(stuck, time.Time{})
	if !got.outage || !strings.Contains(got.failure, "no answer within 3m0s") {
		t.Errorf("after its deadline: %+v", got)
	}
}

func TestPollerRemovesTheAccount(t *testing.T) {
	h := startPoller(t, testAdminPassword)
	api := h.newAPI(dittofstest.Options{})
	server := h.track("fs1", api, time.Minute)
	h.settled(server, time.Time{})
	if !slices.ContainsFunc(api.Users(), func(u dittofstest.UserState) bool { return u.Username == OperatorUsername }) {
		t.Fatal("no account provisioned")
	}
	h.p.removeAccount(h.r.targetOf(server))
	waitFor(t, func() bool { return h.snapshot(server).removed })
	if slices.ContainsFunc(api.Users(), func(u dittofstest.UserState) bool { return u.Username == OperatorUsername }) {
		t.Error("the account is still there")
	}
	if got := h.changes(); len(got) != 2 {
		t.Errorf("reconciles %v: one for the listing, one for the removal", got)
	}
}

func TestPollerGivesUpRemovingTheAccountOfAHungAPI(t *testing.T) {
	h := startPoller(t, testAdminPassword)
	api := h.newAPI(dittofstest.Options{})
	server := h.track("fs1", api, time.Minute)
	h.settled(server, time.Time{})
	api.Hang()

	h.p.removeAccount(h.r.targetOf(server))
	waitFor(t, func() bool { return api.InFlight() == 1 })
	if h.snapshot(server).removed {
		t.Fatal("removed before the API answered or the deadline passed")
	}
	h.r.clock.Step(accountRemovalTimeout)
	waitFor(t, func() bool { return h.snapshot(server).removed })
	if n := h.events("AccountNotRemoved"); n != 1 {
		t.Errorf("%d AccountNotRemoved events", n)
	}
}

// waitFor waits until cond holds, for something the poller does in the
// background (not for time to pass: the clock is fake).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition did not come true")
		}
		time.Sleep(time.Millisecond) // polling for a condition, as Eventually does
	}
}

func TestPollerRecoversItsAccount(t *testing.T) {
	for name, breakIt := range map[string]func(api *dittofstest.Server){
		"the operator user deleted": func(api *dittofstest.Server) {
			client, err := dittofs.New(dittofs.Config{BaseURL: api.URL()})
			if err != nil {
				t.Fatal(err)
			}
			admin, err := client.Login(context.Background(), "admin", testAdminPassword)
			if err != nil {
				t.Fatal(err)
			}
			if err := client.DeleteUser(context.Background(), admin.AccessToken, OperatorUsername); err != nil {
				t.Fatal(err)
			}
		},
		"the user database reset": func(api *dittofstest.Server) { api.ResetUsers() },
	} {
		t.Run(name, func(t *testing.T) {
			const interval = 5 * time.Second
			h := startPoller(t, testAdminPassword)
			api := h.newAPI(dittofstest.Options{AccessTTL: 10 * time.Second})
			server := h.track("fs1", api, interval)
			snap := h.settled(server, time.Time{})

			breakIt(api)
			// The access token works until it expires; then the refresh
			// and the login fail, and the account is provisioned again.
			for range 4 {
				snap = h.next(server, snap)
			}
			var secret corev1.Secret
			key := types.NamespacedName{Namespace: server.Namespace, Name: CredentialsSecretName(server)}
			if err := h.r.Get(context.Background(), key, &secret); err != nil {
				t.Fatal(err)
			}
			if !api.CheckPassword(OperatorUsername, string(secret.Data["password"])) {
				t.Error("the credentials Secret does not hold the account's password")
			}
			if snap.outage || snap.identity.reason != "Authenticated" {
				t.Errorf("snapshot %+v", snap)
			}
			if n := api.Count(dittofstest.RouteCreateUser, dittofs.RoleAdmin); n != 2 {
				t.Errorf("the account was created %d times, want twice", n)
			}
		})
	}
}

func TestPolicyChangedNeitherBlocksNorStartsGoroutines(t *testing.T) {
	var servers []client.Object
	for _, name := range []string{"fs1", "fs2", "fs3"} {
		s := testServer()
		s.Name = name
		servers = append(servers, s)
	}
	r := newTestReconciler(t, servers...)
	r.policyChanged = make(chan struct{}, 1)
	before := runtime.NumGoroutine()
	for range 100 { // a follower: nothing reads the signal
		r.PolicyChanged(context.Background())
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("100 policy reloads: %d goroutines, %d before", after, before)
	}
	if r.policyGen.Load() != 100 {
		t.Errorf("policy generation %d after 100 reloads", r.policyGen.Load())
	}

	// The leader's controller starts the source: the pending signal
	// requeues every server once.
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer queue.ShutDown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.requeueOnPolicyChange(ctx, queue); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return queue.Len() == 3 })
	r.PolicyChanged(ctx)
	waitFor(t, func() bool { return len(r.policyChanged) == 0 })
	if queue.Len() != 3 {
		t.Errorf("%d requests queued for 3 servers", queue.Len())
	}
}
