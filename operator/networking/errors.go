package networking

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/open-policy-agent/opa/v1/ast"
)

// PolicyError is one problem of a policy module, located in its file, so
// that an operator can point a platform team at the line to fix.
type PolicyError struct {
	File    string
	Line    int
	Code    string
	Message string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Code, e.Message)
}

// newErrors starts an aggregate of errors printed on one line, which suits
// log lines, events and conditions.
func newErrors() *multierror.Error {
	return &multierror.Error{ErrorFormat: listFormat}
}

func listFormat(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d errors: %s", len(errs), strings.Join(msgs, "; "))
}

// CodeRefusedBuiltin is the code of a PolicyError calling one of
// RefusedBuiltins.
const CodeRefusedBuiltin = "dittofs_refused_builtin"

// regoErrors splits OPA's parse and compile errors into PolicyErrors, without
// the multi-line source excerpts OPA adds.
func regoErrors(err error) error {
	var astErrs ast.Errors
	if !errors.As(err, &astErrs) {
		return err
	}
	errs := newErrors()
	for _, e := range astErrs {
		pe := &PolicyError{Code: e.Code, Message: e.Message}
		if e.Location != nil {
			pe.File, pe.Line = e.Location.File, e.Location.Row
		}
		nameRefusedBuiltin(pe)
		errs = multierror.Append(errs, pe)
	}
	return errs.ErrorOrNil()
}

// nameRefusedBuiltin rewrites the error OPA gives for a call of a refused
// built-in. Its capabilities leave the built-in out, so OPA calls it an
// undefined function, which sends a reader looking for a typo or a missing
// import rather than at the rule the call breaks.
func nameRefusedBuiltin(pe *PolicyError) {
	name, ok := strings.CutPrefix(pe.Message, "undefined function ")
	if !ok || !slices.Contains(RefusedBuiltins, name) {
		return
	}
	pe.Code = CodeRefusedBuiltin
	pe.Message = fmt.Sprintf("%s is not allowed in policies: a decision depends on its input and data only "+
		"(refused built-ins: %s)", name, strings.Join(RefusedBuiltins, ", "))
}
