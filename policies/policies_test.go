package policies_test

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/dittofs/dittofs-operator/operator/networking"
	"github.com/dittofs/dittofs-operator/policies"
)

// TestDefaultBundle runs the default bundle's own Rego tests.
func TestDefaultBundle(t *testing.T) {
	results, err := networking.RunPolicyTests(context.Background(), networking.Options{})
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, results, 80)
}

// TestExamples runs the example modules' tests with the default bundle, as
// `dittofs-operator policy test --policy-dir policies/examples` does.
func TestExamples(t *testing.T) {
	results, err := networking.RunPolicyTests(context.Background(), networking.Options{PolicyDir: policies.ExamplesDir})
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, results, 5)
}

func requirePass(t *testing.T, results []*tester.Result, atLeast int) {
	t.Helper()
	if len(results) < atLeast {
		t.Fatalf("ran %d Rego tests, expected at least %d", len(results), atLeast)
	}
	for _, r := range results {
		if !r.Pass() {
			t.Errorf("%s.%s (%s): failed at %v, error %v\n%s", r.Package, r.Name, r.Location, r.FailedAt, r.Error, r.Output)
		}
	}
}
