package webhooks

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestNamesThatCannotPrefixAService: each name the oldest supported
// Kubernetes would refuse in <name>-api is refused with what to choose.
func TestNamesThatCannotPrefixAService(t *testing.T) {
	cases := []struct {
		name string
		want []string // nil: accepted
	}{
		{"fs1", nil},
		{"a", nil},
		{"fs-one", nil},
		{strings.Repeat("a", 45), nil},
		{"fs.one", []string{`metadata.name "fs.one" contains a dot: the Services fs.one-api, fs.one-headless and those of the adapters are named after it, and a Service name may not contain dots. Choose a name without dots, such as "fs-one"`}},
		{"1fs", []string{`metadata.name "1fs" does not start with a letter: the Services 1fs-api, 1fs-headless and those of the adapters are named after it, and Kubernetes before 1.36 refuses Service names that do not start with a letter. Start the name with a letter, such as "fs-1fs"`}},
		{strings.Repeat("a", 46), []string{"metadata.name must be at most 45 characters"}},
		{"9.fs", []string{"contains a dot", "does not start with a letter"}},
	}
	v := newTestValidator(t, nil, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := testServer()
			server.Name = c.name
			_, err := v.ValidateCreate(context.Background(), server)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			got := causes(t, err)
			if !slices.Equal(got, slices.Repeat([]string{"metadata.name"}, len(c.want))) {
				t.Errorf("causes %v, want metadata.name %d times", got, len(c.want))
			}
			containsAll(t, "error", err.Error(), c.want...)
		})
	}
}

func TestUnknownPlaceholders(t *testing.T) {
	cases := map[string]string{
		"{instance}-{namespace}-{adapter}": "{namespace}",
		"{adapter}-{Instance}":             "{Instance}",
		"{adapter}-{instance":              "{instance",
		"{adapter}}-x":                     "}",
		"{instance}-{adapter}":             "",
		"{adapter}":                        "",
	}
	v := newTestValidator(t, nil, nil)
	for template, unknown := range cases {
		t.Run(template, func(t *testing.T) {
			if got := unknownPlaceholder(template); got != unknown {
				t.Errorf("unknownPlaceholder = %q, want %q", got, unknown)
			}
			server := testServer()
			server.Spec.AdapterService.NameTemplate = template
			_, err := v.ValidateCreate(context.Background(), server)
			if unknown == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := causes(t, err); !slices.Equal(got, []string{"spec.adapterService.nameTemplate"}) {
				t.Errorf("causes %v", got)
			}
			containsAll(t, "error", err.Error(), `spec.adapterService.nameTemplate "`+template+`" uses `+unknown+
				`, which is not a placeholder: only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in`)
		})
	}
}

// TestStoredNamesAndTemplatesRatchet: an object stored before these checks
// stays updatable, with a warning, as long as the update keeps the value.
func TestStoredNamesAndTemplatesRatchet(t *testing.T) {
	v := newTestValidator(t, nil, nil)
	old := testServer()
	old.Name = "fs.one"
	old.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
	kept := old.DeepCopy()
	kept.Labels = map[string]string{"team": "storage"}
	warnings, err := v.ValidateUpdate(context.Background(), old, kept)
	if err != nil {
		t.Fatalf("an update keeping the name and template was refused: %v", err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "contains a dot", "{namespace}", "does not change it")

	changed := old.DeepCopy()
	changed.Spec.AdapterService.NameTemplate = "{instance}-{ns}-{adapter}"
	_, err = v.ValidateUpdate(context.Background(), old, changed)
	if got := causes(t, err); !slices.Equal(got, []string{"spec.adapterService.nameTemplate"}) {
		t.Errorf("changing the template to another unknown placeholder: causes %v (%v)", got, err)
	}
}
