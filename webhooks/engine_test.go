package webhooks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// brokenAnnotations makes the decision break a guardrail (an invalid
// annotation key) once the DittoServer is labelled broken=true.
const brokenAnnotations = `package dittofs.networking.custom.broken

service_annotations[t] := {"not a key": "x"} if {
	some t in {"nfs", "smb"}
	input.server.labels.broken == "true"
}
`

// TestGuardrailRefusalIsADenial runs the real engine: a decision the
// controller would refuse is reported with the other problems of the
// object, and ratchets like a denial.
func TestGuardrailRefusalIsADenial(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte(brokenAnnotations), 0o600); err != nil {
		t.Fatal(err)
	}
	engine, err := networking.NewEngine(networking.Options{PolicyDir: dir})
	if err != nil || engine.LastError() != nil {
		t.Fatalf("engine: %v, %v", err, engine.LastError())
	}
	v := newTestValidator(t, engine, nil)
	old := testServer()
	old.Status.Adapters = []dittov1.AdapterStatus{{Type: "nfs", Port: 12049, Enabled: true, Running: true}}
	broken := old.DeepCopy()
	broken.Labels = map[string]string{"broken": "true"}

	_, err = v.ValidateUpdate(context.Background(), old, broken)
	if got := causes(t, err); !slices.Equal(got, []string{"spec"}) {
		t.Fatalf("causes %v", got)
	}
	containsAll(t, "error", err.Error(), "break the operator's guardrails", "not a key")

	again := broken.DeepCopy()
	again.Annotations = map[string]string{"note": "still broken"}
	warnings, err := v.ValidateUpdate(context.Background(), broken, again)
	if err != nil {
		t.Fatalf("an update keeping the refused decision must pass: %v", err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "guardrails")
}
