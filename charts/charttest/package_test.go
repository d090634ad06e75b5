package charttest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dittofs/dittofs-operator/hack/chart/gen"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestPackagePinsTheImageAndIsReproducible(t *testing.T) {
	opts := gen.PackageOptions{
		Image:   "127.0.0.1:5000/team/dittofs-operator:v9.8.7",
		Digest:  testDigest,
		Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
	}
	first, err := gen.Package(chartDir(t), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // Helm stamps its packaging time in whole seconds
	second, err := gen.Package(chartDir(t), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	a, b := readFile(t, first), readFile(t, second)
	if !bytes.Equal(a, b) {
		t.Errorf("two packagings of the same chart differ (%d and %d bytes)", len(a), len(b))
	}

	source := loadChart(t)
	packaged, err := loader.Load(first)
	if err != nil {
		t.Fatalf("loading the package: %v", err)
	}
	if want := source.Metadata.Name + "-" + source.Metadata.Version + ".tgz"; filepath.Base(first) != want {
		t.Errorf("archive %s, want %s (the version of Chart.yaml)", filepath.Base(first), want)
	}
	if packaged.Metadata.Version != source.Metadata.Version || packaged.Metadata.AppVersion != "v9.8.7" {
		t.Errorf("packaged version %s, appVersion %s; want %s and the image tag v9.8.7",
			packaged.Metadata.Version, packaged.Metadata.AppVersion, source.Metadata.Version)
	}
	if got := packaged.Metadata.Annotations["artifacthub.io/images"]; !strings.Contains(got, "image: 127.0.0.1:5000/team/dittofs-operator:v9.8.7") {
		t.Errorf("artifacthub.io/images = %q", got)
	}
	dep := find(t, objects(t, mustRender(t, packaged, nil)), "Deployment", releaseNamespace, releaseName)
	var deployment appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(dep.Object, &deployment); err != nil {
		t.Fatal(err)
	}
	image := deployment.Spec.Template.Spec.Containers[0].Image
	if want := "127.0.0.1:5000/team/dittofs-operator@" + testDigest; image != want {
		t.Errorf("the packaged chart's Deployment runs %q, want %q", image, want)
	}

	// Only the two image lines of values.yaml change; comments stay.
	var sourceValues, packagedValues []byte
	for _, f := range source.Raw {
		if f.Name == "values.yaml" {
			sourceValues = f.Data
		}
	}
	for _, f := range packaged.Raw {
		if f.Name == "values.yaml" {
			packagedValues = f.Data
		}
	}
	changed := changedLines(string(sourceValues), string(packagedValues))
	want := []string{`  repository: "127.0.0.1:5000/team/dittofs-operator"`, `  digest: "` + testDigest + `"`}
	if strings.Join(changed, "\n") != strings.Join(want, "\n") {
		t.Errorf("values.yaml lines changed by packaging:\n%s\nwant:\n%s", strings.Join(changed, "\n"), strings.Join(want, "\n"))
	}
}

func TestPackageRefusesBadImages(t *testing.T) {
	for _, opts := range []gen.PackageOptions{
		{Image: "ghcr.io/dittofs/dittofs-operator", Created: time.Unix(1, 0)},
		{Image: "127.0.0.1:5000/dittofs-operator", Created: time.Unix(1, 0)},
		{Image: "ghcr.io/dittofs/dittofs-operator@" + testDigest, Created: time.Unix(1, 0)},
		{Image: "ghcr.io/dittofs/dittofs-operator:v1", Digest: "latest", Created: time.Unix(1, 0)},
		{Image: "ghcr.io/dittofs/dittofs-operator:v1"},
	} {
		if path, err := gen.Package(chartDir(t), t.TempDir(), opts); err == nil {
			t.Errorf("Package(%+v) = %s, want an error", opts, path)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// changedLines lists the lines of b that differ from a's line at the same
// position (both have the same number of lines).
func changedLines(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(al) != len(bl) {
		return []string{"line count changed"}
	}
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, bl[i])
		}
	}
	return out
}
