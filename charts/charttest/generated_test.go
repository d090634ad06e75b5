package charttest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dittofs/dittofs-operator/hack/chart/gen"
)

// The chart's CRD templates and RBAC rules match operator/config.
func TestGeneratedTemplatesAreCurrent(t *testing.T) {
	files, err := gen.Manifests(repoPath(t), "operator/config/crd", "operator/config/rbac/role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		path := filepath.Join(chartDir(t), filepath.FromSlash(f.Path))
		want[path] = true
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, f.Content) {
			t.Errorf("%s is stale: run `make chart-crds` (or `make manifests`)", f.Path)
		}
	}
	present, err := filepath.Glob(filepath.Join(chartDir(t), filepath.FromSlash(gen.CRDTemplateDir), "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range present {
		if !want[path] {
			t.Errorf("%s has no CRD in operator/config/crd: run `make chart-crds`", path)
		}
	}
}

// The README's values table describes values.yaml as it is, and every value
// is documented.
func TestReadmeValuesTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	values, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := gen.Readme(readme, values)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, want) {
		t.Error("the values table of charts/dittofs-operator/README.md is stale: run `make chart-docs`")
	}
}
