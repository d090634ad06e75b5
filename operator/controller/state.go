package controller

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// serverState is what the reconciler remembers about one DittoServer
// between reconciles. It lives in memory only: outage bookkeeping never
// becomes annotations on the user's object. The DittoFS session and the
// poll schedule are the poller's (see poller.go).
type serverState struct {
	mu sync.Mutex

	// poll is the poller's latest snapshot, as this reconcile read it.
	poll pollState
	// firstReconcile is when this server was first reconciled since the
	// operator started.
	firstReconcile time.Time

	// warned is the message last reported by a Warning event, by topic
	// (a condition type or an object), so that a lasting problem is
	// reported once.
	warned map[string]string
	// applied remembers the objects found in sync (see applyIfChanged).
	applied appliedMemo
	// changes are the objects the reconcile in progress changed, for its
	// one event (see recordChanges).
	changes []change
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
	// statusWritten is the status this operator last wrote.
	statusWritten statusWrite
}

// statusWrite is a status written over the resourceVersion from, which
// made the resourceVersion to.
type statusWrite struct {
	from, to string
	status   *dittov1.DittoServerStatus
}

func (st *serverState) forgetWarning(topic string) { delete(st.warned, topic) }

// identityState is the operator's DittoFS session for one server, owned by
// the server's poller.
type identityState struct {
	client    *dittofs.Client
	clientKey string
	creds     *credentials // nil until loaded from the Secret or provisioned
	loaded    bool         // the Secret was read at least once
	// applied remembers the credentials Secret found in sync.
	applied appliedMemo

	// condition is the last outcome of the account, reported on the
	// Authenticated condition ("" status: none yet).
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

// pollState is the reconciler's copy of the poller's snapshot.
type pollState struct {
	// adapters is the last successful answer; nil before the first one.
	adapters    []networking.Adapter
	lastSuccess time.Time
	outage      bool   // a poll failed and no success came since
	failure     string // why the last poll failed, for the condition

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
