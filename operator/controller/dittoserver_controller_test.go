package controller

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/go-multierror"
)

func TestIsWaiting(t *testing.T) {
	terminating := &terminatingError{kind: "Service", name: "fs1-smb"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a Service terminating", terminating, true},
		{"wrapped", fmt.Errorf("applying: %w", terminating), true},
		{"only waits, aggregated", multierror.Append(nil, terminating, &terminatingError{kind: "Service", name: "fs1-nfs"}), true},
		{"a wait and a failure", multierror.Append(nil, terminating, errors.New("refused")), false},
		{"a failure", errors.New("refused"), false},
		{"an empty aggregate", &multierror.Error{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isWaiting(tc.err); got != tc.want {
				t.Errorf("isWaiting(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestReasonFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&nameConflictError{kind: "Service", name: "x"}, "NameConflict"},
		{multierror.Append(nil, &terminatingError{kind: "Service", name: "x"}), "WaitingForDeletion"},
		{&recreatePostponedError{name: "x"}, "RecreatePostponed"},
		{&invalidSpecError{reason: "SecretNotFound"}, "SecretNotFound"},
		{errors.New("boom"), "ApplyFailed"},
	} {
		if got := reasonFor(tc.err, "ApplyFailed"); got != tc.want {
			t.Errorf("reasonFor(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
