package networking

import (
	"errors"
	"fmt"
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
		errs = multierror.Append(errs, pe)
	}
	return errs.ErrorOrNil()
}
