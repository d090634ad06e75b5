package webhooks

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// Options configure the admission webhook.
type Options struct {
	// Evaluator runs the networking policy bundle (the controller's Engine).
	// Its deny rules refuse a DittoServer and its warnings are returned to
	// the client. Nil leaves the policy out of admission.
	Evaluator networking.Evaluator
	// Namespaces reads the Namespace of a DittoServer, whose labels are part
	// of the policy input. SetupWithManager uses the manager's API reader
	// when nil; it must be set when Evaluator is.
	Namespaces client.Reader
	// Operator is the operator's namespace and pod labels, as the controller
	// gives them to the policy.
	Operator networking.OperatorInfo
}

// Validator validates DittoServer creates and updates. It implements
// admission.Validator for *DittoServer.
type Validator struct {
	opts Options
}

var _ admission.Validator[*dittov1.DittoServer] = (*Validator)(nil)

// NewValidator makes a Validator.
func NewValidator(opts Options) (*Validator, error) {
	if opts.Evaluator != nil && opts.Namespaces == nil {
		return nil, fmt.Errorf("webhook options: a namespace reader is needed to evaluate the networking policy")
	}
	return &Validator{opts: opts}, nil
}

// ValidateCreate refuses every problem of a new DittoServer.
func (v *Validator) ValidateCreate(ctx context.Context, server *dittov1.DittoServer) (admission.Warnings, error) {
	var r review
	r.errs, r.warnings = objectChecks(server)
	v.policyOnCreate(ctx, server, &r)
	return r.result(ctx, server)
}

// ValidateUpdate refuses the problems an update introduces or changes; the
// problems the stored object already has are returned as warnings.
func (v *Validator) ValidateUpdate(ctx context.Context, oldServer, server *dittov1.DittoServer) (admission.Warnings, error) {
	var r review
	errs, warnings := objectChecks(server)
	oldErrs, _ := objectChecks(oldServer)
	refused, kept := ratchet(errs, oldErrs)
	r.errs = append(refused, storageChecks(oldServer, server)...)
	r.warnings = append(warnings, keptWarnings(kept)...)
	v.policyOnUpdate(ctx, oldServer, server, &r)
	return r.result(ctx, server)
}

// ValidateDelete accepts every delete. The webhook is not registered for
// DELETE; this is here to satisfy admission.Validator.
func (v *Validator) ValidateDelete(context.Context, *dittov1.DittoServer) (admission.Warnings, error) {
	return nil, nil
}

// objectChecks are every check of one object on its own.
func objectChecks(server *dittov1.DittoServer) (field.ErrorList, []string) {
	config, errs := configSettings(server)
	errs = append(errs, serverNameChecks(server)...)
	errs = append(errs, legacyChecks(server, config)...)
	specErrs, warnings := specChecks(server, config)
	return append(errs, specErrs...), warnings
}

// review collects the outcome of one admission request.
type review struct {
	errs     field.ErrorList
	warnings []string
	// failure is why the policy could not be evaluated; it refuses the
	// request (fail closed) unless errs already does.
	failure error
}

func (r *review) result(ctx context.Context, server *dittov1.DittoServer) (admission.Warnings, error) {
	warnings := dedupe(r.warnings)
	if len(r.errs) > 0 {
		if r.failure != nil {
			logf.FromContext(ctx).Info("networking policy not evaluated", "reason", r.failure.Error())
			warnings = append(warnings, r.failure.Error())
		}
		return warnings, apierrors.NewInvalid(dittov1.GroupVersion.WithKind("DittoServer").GroupKind(), server.Name, r.errs)
	}
	if r.failure != nil {
		logf.FromContext(ctx).Error(r.failure, "refusing a DittoServer the networking policy could not evaluate")
		return warnings, apierrors.NewInternalError(r.failure)
	}
	return warnings, nil
}

func dedupe(msgs []string) admission.Warnings {
	seen := make(map[string]bool, len(msgs))
	var out admission.Warnings
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
