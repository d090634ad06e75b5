package release

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// TestPreviousChartIsThatCommit checks the packaged previous chart against
// the commit testdata/README.md says it was packaged from, file by file.
// A shallow clone may not have that commit: the check is then skipped.
func TestPreviousChartIsThatCommit(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^commit: ([0-9a-f]{40})$`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("testdata/README.md names no commit")
	}
	commit := string(m[1])
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := run(ctx, root, nil, "git", "cat-file", "-e", commit+"^{commit}"); err != nil {
		t.Skipf("this clone does not have commit %s (shallow?): %v", commit, err)
	}
	_, previous := previousChart(t)
	files := append(append([]*chart.File(nil), previous.Raw...), previous.Templates...)
	files = append(files, previous.Files...)
	if len(files) < 10 {
		t.Fatalf("the previous chart has %d files", len(files))
	}
	for _, f := range files {
		if f.Name == "Chart.yaml" {
			continue // helm package writes it anew; compared below
		}
		want, err := run(ctx, root, nil, "git", "show", commit+":charts/dittofs-operator/"+f.Name)
		if err != nil {
			t.Errorf("%s is not in commit %s: %v", f.Name, commit, err)
			continue
		}
		if string(f.Data) != want {
			t.Errorf("%s differs from commit %s", f.Name, commit)
		}
	}
	chartYAML, err := run(ctx, root, nil, "git", "show", commit+":charts/dittofs-operator/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var meta chart.Metadata
	if err := yaml.Unmarshal([]byte(chartYAML), &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Version != previous.Metadata.Version || meta.AppVersion != previous.Metadata.AppVersion {
		t.Errorf("Chart.yaml at %s says %s/%s, the archive %s/%s", commit, meta.Version, meta.AppVersion,
			previous.Metadata.Version, previous.Metadata.AppVersion)
	}
}

// TestChartVersionIsNewer: the chart being released must be newer than the
// previous release, or `helm upgrade` would not be an upgrade.
func TestChartVersionIsNewer(t *testing.T) {
	_, previous := previousChart(t)
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	current, err := loader.Load(filepath.Join(root, "charts", "dittofs-operator"))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := semver.StrictNewVersion(previous.Metadata.Version)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := semver.StrictNewVersion(current.Metadata.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.GreaterThan(prev) {
		t.Errorf("chart version %s is not newer than the previous release %s", cur, prev)
	}
}
