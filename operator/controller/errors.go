package controller

import (
	"errors"
	"fmt"
)

// nameConflictError: an object the operator would create already exists and
// belongs to someone else. The operator leaves it alone and reports it.
type nameConflictError struct {
	kind, name string
}

func (e *nameConflictError) Error() string {
	return fmt.Sprintf("%s %q already exists and is not managed by this DittoServer; "+
		"rename or delete it, or change the DittoServer so it needs another name", e.kind, e.name)
}

// invalidSpecError: the spec asks for something that cannot work. Retrying
// does not help; the user has to change the spec or what it references.
type invalidSpecError struct {
	reason, msg string
}

func (e *invalidSpecError) Error() string { return e.msg }

// reasonFor is the condition reason for an error of a reconcile step.
func reasonFor(err error, fallback string) string {
	var conflict *nameConflictError
	var invalid *invalidSpecError
	var terminating *terminatingError
	var postponed *recreatePostponedError
	switch {
	case errors.As(err, &conflict):
		return "NameConflict"
	case errors.As(err, &postponed):
		return "RecreatePostponed"
	case errors.As(err, &terminating):
		return "WaitingForDeletion"
	case errors.As(err, &invalid):
		return invalid.reason
	case refusedByAPIServer(err):
		return "Refused"
	default:
		return fallback
	}
}
