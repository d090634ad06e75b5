package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// pollOutcome is what one reconcile learned about the adapters.
type pollOutcome struct {
	// adapters is the last successful listing; nil when there was none since
	// the operator started. Only a listing may change adapter objects.
	adapters []networking.Adapter
	// polled: this reconcile called the API and it answered.
	polled bool
	// next is when the next poll is due.
	next time.Duration
}

// pollAdapters lists the adapters when a poll is due: every interval, at
// once after a spec change, and on the backoff schedule after a failure.
// Between polls it returns the cached answer, so reconciles triggered by
// watches never multiply API calls.
func (r *DittoServerReconciler) pollAdapters(ctx context.Context, server *dittov1.DittoServer, st *serverState) pollOutcome {
	p := &st.poll
	now := time.Now()
	interval := server.Spec.PollInterval()
	if next, due := pollDue(p, server.Generation, interval, now); !due {
		return pollOutcome{adapters: p.adapters, next: next}
	}
	p.lastAttempt, p.generation = now, server.Generation
	adapters, err := r.listAdapters(ctx, server, st)
	st.apiWait = time.Since(now)
	pollDuration.Observe(st.apiWait.Seconds())
	if err != nil {
		return r.pollFailed(ctx, server, st, err, now)
	}
	pollsTotal.WithLabelValues("success").Inc()
	lastPollSuccess.WithLabelValues(server.Namespace, server.Name).Set(float64(now.Unix()))
	if p.outage {
		r.event(server, nil, corev1.EventTypeNormal, "AdaptersRecovered", "Poll",
			"The DittoFS API answers again; adapter objects follow it")
	}
	p.adapters, p.lastSuccess = adapters, now
	p.backoff.reset()
	p.outage, p.failure = false, ""
	identitySucceeded(&st.identity)
	return pollOutcome{adapters: adapters, polled: true, next: interval}
}

// pollDue says whether a poll is due, and if not, in how long it will be.
func pollDue(p *pollState, generation int64, interval time.Duration, now time.Time) (time.Duration, bool) {
	if wait := p.backoff.wait(now); wait > 0 {
		return wait, false
	}
	if p.outage || p.lastAttempt.IsZero() || p.generation != generation {
		return 0, true
	}
	if wait := p.lastAttempt.Add(interval).Sub(now); wait > 0 {
		return wait, false
	}
	return 0, true
}

// listAdapters lists the adapters with the operator's token; a token the API
// refuses is renewed once and the listing retried.
func (r *DittoServerReconciler) listAdapters(ctx context.Context, server *dittov1.DittoServer, st *serverState) ([]networking.Adapter, error) {
	client, token, err := r.session(ctx, server, st)
	if err != nil {
		return nil, err
	}
	list, err := client.ListAdapters(ctx, token)
	if dittofs.IsUnauthorized(err) {
		if token, err = r.recoverSession(ctx, server, st, client); err != nil {
			return nil, err
		}
		list, err = client.ListAdapters(ctx, token)
	}
	if err != nil {
		return nil, fmt.Errorf("listing adapters: %w", err)
	}
	return networking.AdaptersFromAPI(list), nil
}

// pollFailed keeps every adapter object as it is, schedules a retry with
// backoff, and reports the outage once.
func (r *DittoServerReconciler) pollFailed(ctx context.Context, server *dittov1.DittoServer, st *serverState, err error, now time.Time) pollOutcome {
	p := &st.poll
	// Retries never wait longer than the poll interval, so the cluster
	// follows within one interval of the API's return.
	delay := p.backoff.fail(now, server.Spec.PollInterval())
	pollsTotal.WithLabelValues(pollResult(err)).Inc()
	p.failure = err.Error()
	recordIdentityFailure(&st.identity, err)
	log.FromContext(ctx).Info("polling adapters failed; keeping adapter objects as they are", "reason", p.failure, "retryIn", delay)
	if !p.outage {
		p.outage = true
		r.event(server, nil, corev1.EventTypeWarning, "AdaptersUnavailable", "Poll",
			"Cannot read adapters from the DittoFS API; keeping every adapter object as it is: %s", p.failure)
	}
	return pollOutcome{adapters: p.adapters, next: delay}
}

// recordIdentityFailure keeps failures of the operator's account for the
// Authenticated condition; other failures leave its last outcome alone.
func recordIdentityFailure(id *identityState, err error) {
	var rejected *adminRejectedError
	var mustChange *adminMustChangePasswordError
	var notReady *apiNotReadyError
	switch {
	case errors.As(err, &rejected):
		id.condition = condition{metav1.ConditionFalse, "AdminCredentialsRejected", err.Error()}
	case errors.As(err, &mustChange):
		id.condition = condition{metav1.ConditionFalse, "AdminPasswordChangeRequired", err.Error()}
	case errors.As(err, &notReady):
		id.condition = condition{metav1.ConditionFalse, "APINotReady", err.Error()}
	case dittofs.IsUnauthorized(err) || dittofs.IsForbidden(err):
		id.condition = condition{metav1.ConditionFalse, "Unauthorized", err.Error()}
	}
}

// setAuthenticated reports the account's last outcome.
func setAuthenticated(server *dittov1.DittoServer, id *identityState) {
	c := id.condition
	if c.status == "" {
		c = condition{metav1.ConditionUnknown, "Pending", "the operator has not reached the DittoFS API yet"}
	}
	setCondition(server, dittov1.ConditionAuthenticated, c.status, c.reason, c.message)
}

func pollResult(err error) string {
	switch {
	case dittofs.IsUnauthorized(err), dittofs.IsForbidden(err):
		return "unauthorized"
	case dittofs.IsTransient(err):
		return "unavailable"
	default:
		return "error"
	}
}
