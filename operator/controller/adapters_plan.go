package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// adapterPlan is what the cluster should look like for the adapters last
// listed. A nil plan means nothing is known yet: every adapter object and
// port stays as it is.
type adapterPlan struct {
	adapters []networking.Adapter
	decision *networking.Decision
	rendered *networking.Rendered
	// retained are the Services kept for stopped adapters, found while
	// applying the plan (see adapters_retention.go).
	retained []retainedService
}

// containerPorts are the adapter ports the pod should declare.
func (p *adapterPlan) containerPorts() []corev1.ContainerPort {
	if p == nil || p.rendered == nil {
		return nil
	}
	return p.rendered.ContainerPorts
}

// policyError: the policy refused or failed to decide; nothing is applied.
type policyError struct {
	reason string
	err    error
}

func (e *policyError) Error() string { return e.err.Error() }
func (e *policyError) Unwrap() error { return e.err }

// decisionMemo is the last decision for a server and what it was made
// from: a decision depends only on the input and the policy bundle.
type decisionMemo struct {
	input     networking.Input
	policyGen int64
	decision  *networking.Decision
}

// planAdapters evaluates the networking policy for the adapters last
// listed and renders its decision. It returns a nil plan, and no error,
// before the first listing.
func (r *DittoServerReconciler) planAdapters(ctx context.Context, server *dittov1.DittoServer, st *serverState, adapters []networking.Adapter) (*adapterPlan, error) {
	if adapters == nil {
		return nil, nil
	}
	ns, err := r.namespaceInfo(ctx, server.Namespace)
	if err != nil {
		return nil, err
	}
	decision, err := r.decide(ctx, st, networking.BuildInput(server, ns, r.Operator, adapters))
	if revision := networking.RevisionOf(decision, err); revision != "" {
		server.Status.PolicyRevision = revision
	}
	if err != nil {
		setListedAdapters(server, adapters)
		return nil, err
	}
	// Rendered afresh every time: applying an apply configuration fills it
	// with the server's answer, so one must not be reused.
	rendered, err := networking.Render(decision, networking.OwnerOf(server))
	if err != nil {
		setListedAdapters(server, adapters)
		return nil, &policyError{reason: "PolicyRefused", err: err}
	}
	return &adapterPlan{adapters: adapters, decision: decision, rendered: rendered}, nil
}

// decide evaluates the policy, unless the input and the policy are those of
// the server's last decision. A denied decision is returned with its error,
// for its revision.
func (r *DittoServerReconciler) decide(ctx context.Context, st *serverState, in networking.Input) (*networking.Decision, error) {
	policyGen := r.policyGen.Load()
	if m := st.decision; m.decision != nil && m.policyGen == policyGen && equality.Semantic.DeepEqual(m.input, in) {
		return m.decision, nil
	}
	start := time.Now()
	decision, err := r.Policy.Evaluate(ctx, in)
	policyEvalDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		reason := "PolicyError"
		if errors.Is(err, networking.ErrGuardrail) {
			reason = "PolicyRefused"
		}
		policyDecisions.WithLabelValues(strings.ToLower(strings.TrimPrefix(reason, "Policy"))).Inc()
		return nil, &policyError{reason: reason, err: fmt.Errorf("the networking policy: %w", err)}
	}
	if decision.Denied() {
		policyDecisions.WithLabelValues("denied").Inc()
		return decision, &policyError{reason: "PolicyDenied", err: fmt.Errorf("the networking policy denies this server: %s", strings.Join(decision.Deny, "; "))}
	}
	policyDecisions.WithLabelValues("applied").Inc()
	st.decision = decisionMemo{input: in, policyGen: policyGen, decision: decision}
	return decision, nil
}

// namespaceInfo is the policy's view of a namespace: its name and labels.
func (r *DittoServerReconciler) namespaceInfo(ctx context.Context, name string) (networking.NamespaceInfo, error) {
	var ns corev1.Namespace
	if err := r.Get(ctx, types.NamespacedName{Name: name}, &ns); err != nil && !apierrors.IsNotFound(err) {
		return networking.NamespaceInfo{}, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return networking.NamespaceInfo{Name: name, Labels: ns.Labels}, nil
}

// reportPolicyRefusal records a refused decision on AdaptersReady, with one
// event per distinct message rather than one per reconcile.
func (r *DittoServerReconciler) reportPolicyRefusal(server *dittov1.DittoServer, st *serverState, err error) {
	var perr *policyError
	reason := "PolicyError"
	if errors.As(err, &perr) {
		reason = perr.reason
	}
	setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, reason,
		err.Error()+"; nothing was applied and every adapter object stays as it is")
	r.warnOnce(server, st, dittov1.ConditionAdaptersReady, nil, reason, err.Error())
}
