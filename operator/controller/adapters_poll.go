package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// poll lists the adapters of t's server once and returns the delay before
// the next poll: the rest of the interval after a success, the backoff
// after a failure. Only a successful listing changes the adapters the
// reconciler sees.
func (sp *serverPoll) poll(ctx context.Context, t pollTarget) time.Duration {
	clk := sp.p.clock
	start := clk.Now()
	adapters, err := sp.listAdapters(ctx, t.server)
	pollDuration.Observe(clk.Since(start).Seconds())
	if err != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errPollStopped), errors.Is(cause, context.Canceled):
			return 0 // stopped for the account's removal, or the operator's end
		case errors.Is(cause, errPollDeadline):
			err = fmt.Errorf("no answer within %s: %w", pollBudget*sp.p.r.apiTimeout(), err)
		}
		return sp.pollFailed(ctx, t, err)
	}
	server := t.server
	pollsTotal.WithLabelValues("success").Inc()
	lastPollSuccess.WithLabelValues(server.Namespace, server.Name).Set(float64(start.Unix()))
	identitySucceeded(&sp.id)
	sp.backoff.reset()
	sp.publish(server, func(s *pollSnapshot) {
		if s.outage {
			sp.p.r.event(server, nil, corev1.EventTypeNormal, "AdaptersRecovered", "Poll",
				"The DittoFS API answers again; adapter objects follow it")
		}
		s.adapters, s.lastSuccess = adapters, start
		s.outage, s.failure = false, ""
		s.identity = sp.id.condition
	})
	return max(0, start.Add(t.interval).Sub(clk.Now()))
}

// listAdapters lists the adapters with the operator's token; a token the API
// refuses is renewed once and the listing retried.
func (sp *serverPoll) listAdapters(ctx context.Context, server *dittov1.DittoServer) ([]networking.Adapter, error) {
	client, token, err := sp.session(ctx, server)
	if err != nil {
		return nil, err
	}
	list, err := client.ListAdapters(ctx, token)
	if dittofs.IsUnauthorized(err) {
		if token, err = sp.recoverSession(ctx, server, client); err != nil {
			return nil, err
		}
		list, err = client.ListAdapters(ctx, token)
	}
	if err != nil {
		return nil, fmt.Errorf("listing adapters: %w", err)
	}
	return networking.AdaptersFromAPI(list), nil
}

// pollFailed keeps the last listing, schedules a retry with backoff, and
// reports the outage once.
func (sp *serverPoll) pollFailed(ctx context.Context, t pollTarget, err error) time.Duration {
	server := t.server
	// Retries never wait longer than the poll interval, so the cluster
	// follows within one interval of the API's return.
	delay := sp.backoff.next(t.interval)
	pollsTotal.WithLabelValues(pollResult(err)).Inc()
	recordIdentityFailure(&sp.id, err)
	log.FromContext(ctx).Info("polling adapters failed; keeping adapter objects as they are",
		"server", server.Namespace+"/"+server.Name, "reason", err.Error(), "retryIn", delay)
	sp.publish(server, func(s *pollSnapshot) {
		if !s.outage {
			sp.p.r.event(server, nil, corev1.EventTypeWarning, "AdaptersUnavailable", "Poll",
				"Cannot read adapters from the DittoFS API; keeping every adapter object as it is: %s", err.Error())
		}
		s.outage, s.failure = true, err.Error()
		s.identity = sp.id.condition
	})
	return delay
}

// Backoff after failed polls: from backoffBase, doubling, with jitter, up to
// the polling interval and never more than backoffCap.
const (
	backoffBase   = 2 * time.Second
	backoffCap    = 5 * time.Minute
	backoffJitter = 0.2
)

// pollBackoff spaces the retries of one server's polls. The jitter spreads
// the retries of servers that failed together (a shared outage), so that
// they do not come back in step.
type pollBackoff struct {
	b *wait.Backoff
}

// next is the delay before the next retry, at most limit (and backoffCap).
// Near the limit the jitter stays below it: delays there fall between
// limit/(1+backoffJitter) and limit.
func (pb *pollBackoff) next(limit time.Duration) time.Duration {
	limit = min(limit, backoffCap)
	if pb.b == nil {
		pb.b = &wait.Backoff{
			Duration: backoffBase,
			Factor:   2,
			Jitter:   backoffJitter,
			Steps:    math.MaxInt32,
			Cap:      time.Duration(float64(limit) / (1 + backoffJitter)),
		}
	}
	return min(pb.b.Step(), limit)
}

func (pb *pollBackoff) reset() { pb.b = nil }

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

// setAuthenticated reports the account's last outcome; before the first
// one since the operator started it keeps what the status says.
func setAuthenticated(server *dittov1.DittoServer, c condition) {
	if c.status == "" {
		if meta.FindStatusCondition(server.Status.Conditions, dittov1.ConditionAuthenticated) != nil {
			return
		}
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
