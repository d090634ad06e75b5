package controller

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// The poller owns every call to the DittoFS APIs: each server's session
// (provisioning, refresh, login), its adapter listing, the backoff after
// failures, the deadlines, and the removal of the operator's account when
// the server goes. Each server has a goroutine of its own, so an API that
// accepts connections and never answers holds nobody but itself; the
// reconcile workers never wait on DittoFS. They read the poller's latest
// snapshot, and the poller starts a reconcile only when a listing differs
// from the last one or the poll's outcome changes (an outage begins or
// ends, the account's state changes).
//
// It runs on the leader only, like the controller it feeds.

// pollBudget bounds one poll as a whole, in multiples of the timeout of one
// call: a poll that provisions the account makes five calls (readiness,
// admin login, create user, login, list), which an API that answers serves
// in far less.
const pollBudget = 3

// accountRemovalTimeout bounds the removal of the operator's account that a
// deletion waits for; removalGrace is how much longer the reconciler waits
// for the poller to report before it releases the server anyway.
const (
	accountRemovalTimeout = 10 * time.Second
	removalGrace          = 5 * time.Second
)

// pollTarget is what the poller needs to know about a server; the reconciler
// hands it a new one when it changes.
type pollTarget struct {
	// server names the objects the poller writes (the credentials Secret,
	// events); it holds metadata and spec only.
	server    *dittov1.DittoServer
	url       string
	tlsSecret string
	adminRef  corev1.SecretKeySelector
	interval  time.Duration
	// generation is the spec's: a spec change polls at once.
	generation int64
}

// samePoll: a poll of t would call the same API in the same way as one of o.
func (t pollTarget) samePoll(o pollTarget) bool {
	return t.url == o.url && t.tlsSecret == o.tlsSecret && t.adminRef == o.adminRef &&
		t.interval == o.interval && t.generation == o.generation
}

// targetOf is the poll target of server.
func (r *DittoServerReconciler) targetOf(server *dittov1.DittoServer) pollTarget {
	slim := &dittov1.DittoServer{TypeMeta: server.TypeMeta, ObjectMeta: *server.ObjectMeta.DeepCopy(), Spec: *server.Spec.DeepCopy()}
	slim.ManagedFields = nil
	t := pollTarget{
		server:     slim,
		url:        r.APIURL(server),
		adminRef:   adminPasswordRef(server),
		interval:   server.Spec.PollInterval(),
		generation: server.Generation,
	}
	if tls := server.Spec.ControlPlane.TLS; tls != nil {
		t.tlsSecret = tls.SecretName
	}
	return t
}

// pollSnapshot is what the poller last learned about a server.
type pollSnapshot struct {
	// adapters is the last successful listing; nil before the first one
	// since the operator started.
	adapters    []networking.Adapter
	lastSuccess time.Time
	// outage: the last poll failed, for failure.
	outage  bool
	failure string
	// identity is the last outcome of the operator's account ("" status:
	// none yet).
	identity condition
	// removed: the account removal asked at deletion is over (done or
	// given up); removalAsked is when it was asked.
	removed      bool
	removalAsked time.Time
	// nextPoll is when the next poll is due.
	nextPoll time.Time
}

// sameOutcome: nothing in b that the reconciler acts on differs from a.
func sameOutcome(a, b pollSnapshot) bool {
	return (a.adapters == nil) == (b.adapters == nil) && slices.Equal(a.adapters, b.adapters) &&
		a.outage == b.outage && a.failure == b.failure && a.identity == b.identity && a.removed == b.removed
}

// poller runs one goroutine per tracked server once started.
type poller struct {
	r     *DittoServerReconciler
	clock clock.WithDelayedExecution
	// changes starts reconciles: the controller reads it through a
	// channel source.
	changes chan event.GenericEvent

	mu      sync.Mutex
	ctx     context.Context // nil until Start
	servers map[types.UID]*serverPoll
	running sync.WaitGroup
}

func newPoller(r *DittoServerReconciler) *poller {
	return &poller{
		r:       r,
		clock:   r.clock(),
		changes: make(chan event.GenericEvent, 1024),
		servers: map[types.UID]*serverPoll{},
	}
}

// Start runs the goroutines of the servers tracked so far, and of those
// tracked later, until ctx ends.
func (p *poller) Start(ctx context.Context) error {
	p.mu.Lock()
	p.ctx = ctx
	for _, sp := range p.servers {
		p.startLocked(sp)
	}
	p.mu.Unlock()
	<-ctx.Done()
	p.running.Wait()
	return nil
}

// NeedLeaderElection: only the leader calls the DittoFS APIs.
func (p *poller) NeedLeaderElection() bool { return true }

func (p *poller) startLocked(sp *serverPoll) {
	if p.ctx == nil || sp.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(p.ctx)
	sp.stop = stop
	p.running.Add(1)
	go func() {
		defer p.running.Done()
		sp.run(ctx)
	}()
}

// track hands the poller a server's current target and returns its latest
// snapshot. A target that would poll differently is polled at once.
func (p *poller) track(t pollTarget) pollSnapshot {
	sp := p.serverPoll(t)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !sp.target.samePoll(t) {
		sp.wakeUp()
	}
	sp.target = t
	return sp.snap
}

// serverPoll returns the poller of t's server, creating and starting it.
func (p *poller) serverPoll(t pollTarget) *serverPoll {
	p.mu.Lock()
	defer p.mu.Unlock()
	sp, ok := p.servers[t.server.UID]
	if !ok {
		sp = &serverPoll{p: p, key: client.ObjectKeyFromObject(t.server), target: t, wake: make(chan struct{}, 1)}
		p.servers[t.server.UID] = sp
		p.startLocked(sp)
	}
	return sp
}

// secretsChanged makes a changed Secret take effect at once: the client is
// built again (a rotated CA), a rejected admin password is reported again if
// it still fails, and a poll waiting out its backoff is made now.
func (p *poller) secretsChanged(uid types.UID) {
	p.mu.Lock()
	sp := p.servers[uid]
	p.mu.Unlock()
	if sp == nil {
		return
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.secretsChanged = true
	sp.wakeUp()
}

// removeAccount asks for the removal of the operator's account of a server
// being deleted. The first call stops the polls (a poll in flight is
// cancelled) and starts the removal; it is over (snapshot.removed) within
// accountRemovalTimeout, successful or not, and a reconcile is started.
func (p *poller) removeAccount(t pollTarget) pollSnapshot {
	sp := p.serverPoll(t)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.snap.removalAsked.IsZero() {
		sp.snap.removalAsked = p.clock.Now()
		sp.target = t
		if sp.cancelPoll != nil {
			sp.cancelPoll()
		}
		sp.wakeUp()
	}
	return sp.snap
}

// forget stops polling a server that is gone.
func (p *poller) forget(uid types.UID) {
	p.mu.Lock()
	var stop context.CancelFunc
	if sp := p.servers[uid]; sp != nil {
		stop = sp.stop
	}
	delete(p.servers, uid)
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// forgetName stops polling a server known only by name: one that went
// away without its finalizer running.
func (p *poller) forgetName(key types.NamespacedName) {
	p.mu.Lock()
	var gone []types.UID
	for uid, sp := range p.servers {
		if sp.key == key {
			gone = append(gone, uid)
		}
	}
	p.mu.Unlock()
	for _, uid := range gone {
		p.forget(uid)
	}
}

// snapshot is the latest snapshot of a server, if it is tracked.
func (p *poller) snapshot(uid types.UID) (pollSnapshot, bool) {
	p.mu.Lock()
	sp := p.servers[uid]
	p.mu.Unlock()
	if sp == nil {
		return pollSnapshot{}, false
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.snap, true
}

// serverPoll polls one server.
type serverPoll struct {
	p    *poller
	key  types.NamespacedName
	wake chan struct{} // poll now; holds at most one signal
	stop context.CancelFunc

	mu             sync.Mutex // guards the fields up to the blank line
	target         pollTarget
	snap           pollSnapshot
	secretsChanged bool
	cancelPoll     context.CancelFunc // cancels the poll in flight

	// Owned by the goroutine.
	ctx     context.Context // the goroutine's, longer than any one poll
	id      identityState
	backoff pollBackoff
}

// wakeUp makes the goroutine poll now; sp.mu is held.
func (sp *serverPoll) wakeUp() {
	select {
	case sp.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// run polls until ctx ends or the account was removed.
func (sp *serverPoll) run(ctx context.Context) {
	sp.ctx = ctx
	defer sp.id.forgetClient()
	for {
		next, more := sp.step(ctx)
		if !more {
			return
		}
		sp.mu.Lock()
		sp.snap.nextPoll = sp.p.clock.Now().Add(next)
		sp.mu.Unlock()
		if next <= 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		timer := sp.p.clock.NewTimer(next)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-sp.wake:
			timer.Stop()
		case <-timer.C():
		}
	}
}

// Why a poll's context ends early.
var (
	errPollDeadline = errors.New("the poll's deadline passed")
	errPollStopped  = errors.New("the poll was stopped")
)

// step polls once, or removes the account when asked; it returns the delay
// before the next poll, and false when there is none. Its deadline runs on
// the poller's clock.
func (sp *serverPoll) step(runCtx context.Context) (time.Duration, bool) {
	sp.mu.Lock()
	t := sp.target
	removing := !sp.snap.removalAsked.IsZero()
	if sp.secretsChanged {
		sp.secretsChanged = false
		sp.id.forgetClient()
		sp.id.rejectedWarned = false
		if sp.snap.outage {
			sp.backoff.reset()
		}
	}
	budget := accountRemovalTimeout
	if !removing {
		budget = pollBudget * sp.p.r.apiTimeout()
	}
	ctx, cancel := context.WithCancelCause(runCtx)
	sp.cancelPoll = func() { cancel(errPollStopped) }
	sp.mu.Unlock()
	deadline := sp.p.clock.AfterFunc(budget, func() { cancel(errPollDeadline) })
	defer func() {
		deadline.Stop()
		cancel(errPollStopped)
	}()

	if removing {
		sp.removeAccount(ctx, t.server)
		sp.publish(t.server, func(s *pollSnapshot) { s.removed = true })
		return 0, false
	}
	return sp.poll(ctx, t), true
}

// publish changes the snapshot and, when the reconciler would act on the
// change, starts a reconcile.
func (sp *serverPoll) publish(server *dittov1.DittoServer, change func(*pollSnapshot)) {
	sp.mu.Lock()
	before := sp.snap
	change(&sp.snap)
	changed := !sameOutcome(before, sp.snap)
	sp.mu.Unlock()
	if changed {
		sp.p.reconcile(sp.ctx, server)
	}
}

// reconcile starts a reconcile of server. The channel is drained by the
// controller, which runs wherever the poller does; a poller that stops
// gives up waiting.
func (p *poller) reconcile(ctx context.Context, server *dittov1.DittoServer) {
	select {
	case p.changes <- event.GenericEvent{Object: server}:
	case <-ctx.Done():
		log.FromContext(ctx).V(1).Info("a reconcile was not started: the poller stops", "server", server.Name)
	}
}
