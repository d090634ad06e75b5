package webhooks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// Evaluation errors (a bundle that never compiled, a timeout, an unreadable
// namespace) fail closed on create: the webhook's failurePolicy is Fail
// anyway, and letting a DittoServer in unchecked would only move the
// refusal to the controller, minutes later. They cannot block anyone for
// good: an update that leaves the policy input as it was is not evaluated
// at all, and one whose stored object cannot be evaluated either is
// accepted with a warning. An update is refused only when the stored object
// evaluates and the new one does not.

// verdict is what the policy says of one object.
type verdict struct {
	deny, warnings []string
	err            error
}

func (v *Validator) policyOnCreate(ctx context.Context, server *dittov1.DittoServer, r *review) {
	if v.opts.Evaluator == nil {
		return
	}
	ns, err := v.namespaceInfo(ctx, server.Namespace)
	if err != nil {
		r.failure = err
		return
	}
	got := v.evaluate(ctx, server, ns, nil)
	if got.err != nil {
		r.failure = got.err
		return
	}
	r.errs = append(r.errs, denials(got.deny)...)
	r.warnings = append(r.warnings, policyWarnings(got.warnings)...)
}

// policyOnUpdate evaluates both objects with the same namespace and adapters
// and refuses only denials the stored object did not already get.
func (v *Validator) policyOnUpdate(ctx context.Context, oldServer, server *dittov1.DittoServer, r *review) {
	if v.opts.Evaluator == nil {
		return
	}
	adapters := networking.AdaptersFromStatus(oldServer)
	if v.sameInput(oldServer, server, adapters) {
		return // same input, same verdict: nothing this update could break
	}
	ns, err := v.namespaceInfo(ctx, server.Namespace)
	if err != nil {
		// Neither object can be evaluated: nothing shows the update is worse.
		r.warnings = append(r.warnings, fmt.Sprintf("the networking policy was not evaluated (%v); the update is accepted unchecked", err))
		return
	}
	oldVerdict, got := v.evaluateBoth(ctx, oldServer, server, ns, adapters)
	switch {
	case got.err != nil && oldVerdict.err != nil:
		r.warnings = append(r.warnings, fmt.Sprintf(
			"%v (accepted because the stored DittoServer cannot be evaluated either)", got.err))
		return
	case got.err != nil:
		r.failure = got.err
		return
	}
	for _, msg := range got.deny {
		if oldVerdict.err == nil && slices.Contains(oldVerdict.deny, msg) {
			r.warnings = append(r.warnings, fmt.Sprintf(
				"the networking policy denies this DittoServer (accepted because this update does not change that): %s", msg))
			continue
		}
		r.errs = append(r.errs, denials([]string{msg})...)
	}
	r.warnings = append(r.warnings, policyWarnings(got.warnings)...)
}

// sameInput says whether both objects give the policy the same input; the
// namespace is the same for both, so it is left out.
func (v *Validator) sameInput(oldServer, server *dittov1.DittoServer, adapters []networking.Adapter) bool {
	oldIn := networking.BuildInput(oldServer, networking.NamespaceInfo{}, v.opts.Operator, adapters)
	in := networking.BuildInput(server, networking.NamespaceInfo{}, v.opts.Operator, adapters)
	return reflect.DeepEqual(oldIn, in)
}

// evaluateBoth evaluates two objects at once, so that an update costs one
// evaluation's time of the webhook's short timeout.
func (v *Validator) evaluateBoth(ctx context.Context, oldServer, server *dittov1.DittoServer,
	ns networking.NamespaceInfo, adapters []networking.Adapter) (verdict, verdict) {
	oldDone := make(chan verdict, 1)
	go func() { oldDone <- v.evaluate(ctx, oldServer, ns, adapters) }()
	got := v.evaluate(ctx, server, ns, adapters)
	return <-oldDone, got
}

func (v *Validator) evaluate(ctx context.Context, server *dittov1.DittoServer,
	ns networking.NamespaceInfo, adapters []networking.Adapter) verdict {
	in := networking.BuildInput(server, ns, v.opts.Operator, adapters)
	d, err := v.opts.Evaluator.Evaluate(ctx, in)
	if errors.Is(err, networking.ErrGuardrail) {
		// The decision for this object is one the controller would refuse
		// whole: a problem of the object (with the platform's modules), not
		// of the engine, so it is reported, and ratchets, like a denial.
		return verdict{deny: []string{"the objects it decides break the operator's guardrails: " + err.Error()}}
	}
	if err != nil {
		return verdict{err: fmt.Errorf("the networking policy could not be evaluated, so the DittoServer is refused "+
			"until it can be (ask the owners of the operator's policy bundle): %w", err)}
	}
	return verdict{deny: d.Deny, warnings: d.Warnings}
}

// namespaceInfo reads the labels of the DittoServer's namespace.
func (v *Validator) namespaceInfo(ctx context.Context, name string) (networking.NamespaceInfo, error) {
	ns := &corev1.Namespace{}
	if err := v.opts.Namespaces.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		return networking.NamespaceInfo{}, fmt.Errorf("reading namespace %q for the networking policy: %w", name, err)
	}
	return networking.NamespaceInfo{Name: name, Labels: ns.Labels}, nil
}

func denials(msgs []string) field.ErrorList {
	errs := make(field.ErrorList, len(msgs))
	for i, msg := range msgs {
		errs[i] = field.Forbidden(field.NewPath("spec"), "denied by the networking policy: "+msg)
	}
	return errs
}

func policyWarnings(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, msg := range msgs {
		out[i] = "networking policy: " + msg
	}
	return out
}
