package webhooks

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/dittofs/dittofs-operator/policies"
)

// TestServiceNameMatchesBundle renders names with the Go port and with
// lib.service_name of the embedded bundle: admission must name adapter
// Services exactly as the controller's policy does.
func TestServiceNameMatchesBundle(t *testing.T) {
	lib, err := fs.ReadFile(policies.FS(), "lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	query, err := rego.New(
		rego.Query(`name := data.dittofs.networking.lib.service_name(input.template, input.instance, input.adapter)`),
		rego.Module("lib.rego", string(lib)),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ template, instance string }{
		{"{instance}-{adapter}", "fs1"},
		{"{instance}-{adapter}", "fs.prod"},
		{"My_{adapter}_Share", "x"},
		{"123-{adapter}", "x"},
		{"---", "x"},
		{"{instance}", "fs1"},
		{"-{adapter}-", "fs1"},
		{"é{adapter}ü", "fs1"},
		{"{adapter}", ""},
		{"{instance}-{adapter}-" + strings.Repeat("x", 40), strings.Repeat("a", 45)},
		{strings.Repeat("a", 62) + "-{adapter}", "fs1"},
		{"{instance}.{adapter}", "UPPER.case"},
	}
	for _, c := range cases {
		for _, adapter := range AdapterTypes {
			rs, err := query.Eval(context.Background(), rego.EvalInput(map[string]any{
				"template": c.template, "instance": c.instance, "adapter": adapter,
			}))
			if err != nil || len(rs) != 1 {
				t.Fatalf("evaluating %q/%q/%q: %v (%d results)", c.template, c.instance, adapter, err, len(rs))
			}
			want := rs[0].Bindings["name"]
			if got := serviceName(c.template, c.instance, adapter); got != want {
				t.Errorf("serviceName(%q, %q, %q) = %q, the bundle gives %q", c.template, c.instance, adapter, got, want)
			}
		}
	}
}
