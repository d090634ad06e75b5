package controller

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
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

// TestAdaptersOutcome: an object the API server refuses is reported once
// and retried with the next poll, not returned (which would log a stack
// trace and retry in a loop); a transient failure is returned.
func TestAdaptersOutcome(t *testing.T) {
	r := newTestReconciler(t)
	server, st := testServer(), &serverState{}
	refused := fmt.Errorf("applying StatefulSet fs1: %w", apierrors.NewInvalid(
		schema.GroupKind{Group: "apps", Kind: "StatefulSet"}, "fs1",
		field.ErrorList{field.Duplicate(field.NewPath("spec", "template", "spec", "containers").Index(0).Child("ports").Index(1), "8080/TCP")}))
	for range 3 {
		if err := r.adaptersOutcome(server, st, multierror.Append(nil, refused)); err != nil {
			t.Fatalf("a refused object: err = %v, want nil", err)
		}
	}
	events := r.recorded()
	if len(events) != 1 || !strings.Contains(events[0], "Refused") || !strings.Contains(events[0], "StatefulSet fs1") {
		t.Fatalf("events %q, want one Refused warning naming the object", events)
	}
	if reasonFor(refused, "ApplyFailed") != "Refused" {
		t.Errorf("reason = %q", reasonFor(refused, "ApplyFailed"))
	}
	transient := apierrors.NewServiceUnavailable("etcd is slow")
	if err := r.adaptersOutcome(server, st, transient); err == nil {
		t.Error("a transient failure was swallowed")
	}
	if err := r.adaptersOutcome(server, st, nil); err != nil || len(st.warned) != 0 {
		t.Errorf("success: err %v, warned %v", err, st.warned)
	}
}
