package controller

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// serverState is what the operator remembers about one DittoServer between
// reconciles. It lives in memory only: backoff and outage bookkeeping never
// become annotations on the user's object, and tokens are reloaded from the
// credentials Secret after a restart.
type serverState struct {
	mu sync.Mutex

	identity identityState
	poll     pollState

	// apiWait is the time the current reconcile spent waiting for the
	// DittoFS API, left out of the reconcile-work metric.
	apiWait time.Duration
	// warned is the message last reported by a Warning event, by topic
	// (a condition type or an object), so that a lasting problem is
	// reported once.
	warned map[string]string
	// applied remembers the objects found in sync (see applyIfChanged).
	applied appliedMemo
	// secretsChecked is the spec generation whose Secret references were
	// found valid.
	secretsChecked int64
	// decision is the last policy decision for this server.
	decision decisionMemo
	// secretVersions fingerprints the referenced Secrets last seen (see
	// followSecretChanges).
	secretVersions string
	// pendingLoadBalancers are the adapter Services seen without a
	// load-balancer address, by UID, and decisionWarnings the warnings of
	// the last decision: what was reported, so each is reported once.
	pendingLoadBalancers map[types.UID]bool
	decisionWarnings     map[string]bool
}

func (st *serverState) forgetWarning(topic string) { delete(st.warned, topic) }

// identityState is the operator's DittoFS session for one server.
type identityState struct {
	client    *dittofs.Client
	clientKey string
	creds     *credentials // nil until loaded from the Secret or provisioned
	loaded    bool         // the Secret was read at least once

	// condition is the last outcome of the account, reported on the
	// Authenticated condition by every reconcile ("" status: none yet).
	condition condition

	// rejectedWarned is set once the rejected admin password has been
	// reported by an event, so that retries do not repeat it.
	rejectedWarned bool
}

// forgetClient drops the DittoFS client, so the next call builds it again
// from the current Secrets.
func (id *identityState) forgetClient() {
	if id.client != nil {
		id.client.CloseIdleConnections()
	}
	id.client, id.clientKey = nil, ""
}

// pollState caches the last adapter listing and tracks outages.
type pollState struct {
	// adapters is the last successful answer; nil before the first one.
	adapters    []networking.Adapter
	lastAttempt time.Time
	lastSuccess time.Time
	generation  int64 // spec generation of the last attempt

	backoff backoff
	outage  bool   // a poll failed and no success came since
	failure string // why the last poll failed, for the condition

	// legacyChecked: the static-design Service was looked for after the
	// first successful poll.
	legacyChecked bool
}

// condition is a condition's status, reason and message.
type condition struct {
	status          metav1.ConditionStatus
	reason, message string
}

// serverStates holds the state of every DittoServer, by UID so that a
// server deleted and created again under the same name starts afresh.
type serverStates struct {
	mu    sync.Mutex
	byUID map[types.UID]*serverState
}

func (s *serverStates) get(uid types.UID) *serverState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUID == nil {
		s.byUID = map[types.UID]*serverState{}
	}
	st, ok := s.byUID[uid]
	if !ok {
		st = &serverState{applied: appliedMemo{}}
		s.byUID[uid] = st
	}
	return st
}

func (s *serverStates) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byUID, uid)
}

// Backoff bounds: retries start after a few seconds and double up to a cap.
const (
	backoffBase = 2 * time.Second
	backoffCap  = 5 * time.Minute
)

// backoff is an exponential retry schedule, reset by a success.
type backoff struct {
	failures int
	until    time.Time
}

// fail records a failure at now and returns the delay before the next try,
// which doubles from backoffBase up to limit (itself at most backoffCap).
func (b *backoff) fail(now time.Time, limit time.Duration) time.Duration {
	limit = min(limit, backoffCap)
	delay := limit
	if b.failures < 20 {
		delay = min(backoffBase<<b.failures, limit)
	}
	b.failures++
	b.until = now.Add(delay)
	return delay
}

func (b *backoff) reset() { *b = backoff{} }

// wait is how long to wait at now before the next try; zero when due.
func (b *backoff) wait(now time.Time) time.Duration {
	if b.failures == 0 || !now.Before(b.until) {
		return 0
	}
	return b.until.Sub(now)
}
