package charttest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

const (
	releaseName      = "dittofs-operator"
	releaseNamespace = "dittofs-system"
)

// repoPath is a path inside the repository.
func repoPath(t *testing.T, elem ...string) string {
	t.Helper()
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func chartDir(t *testing.T) string {
	return repoPath(t, "charts", "dittofs-operator")
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	return chrt
}

// ciValuesFiles lists the chart's ci/*-values.yaml, the configurations CI
// lints, renders and installs.
func ciValuesFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir(t), "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("want at least 4 ci values files, found %v", files)
	}
	slices.Sort(files)
	return files
}

func readValues(t *testing.T, file string) map[string]any {
	t.Helper()
	vals, err := chartutil.ReadValuesFile(file)
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	return vals.AsMap()
}

// parseValues reads values written as YAML in a test.
func parseValues(t *testing.T, text string) map[string]any {
	t.Helper()
	vals, err := chartutil.ReadValues([]byte(text))
	if err != nil {
		t.Fatalf("parsing values: %v", err)
	}
	return vals.AsMap()
}

// render runs `helm template`: the Helm SDK without a cluster, for the
// Kubernetes version the chart is tested against.
func render(chrt *chart.Chart, vals map[string]any) (string, error) {
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun = true
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = releaseName
	inst.Namespace = releaseNamespace
	inst.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	rel, err := inst.Run(chrt, vals)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

func mustRender(t *testing.T, chrt *chart.Chart, vals map[string]any) string {
	t.Helper()
	manifest, err := render(chrt, vals)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return manifest
}

// objects splits a rendered manifest into objects.
func objects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("decoding the rendered manifest: %v", err)
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
}

// find returns the rendered object of that kind, namespace and name.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s/%s in the rendered chart", kind, namespace, name)
	return nil
}

// into converts an unstructured object into a typed one.
func into(t *testing.T, o *unstructured.Unstructured, out any) {
	t.Helper()
	data, err := yaml.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, out); err != nil {
		t.Fatalf("decoding %s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	chrt := loadChart(t)
	for _, file := range ciValuesFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			vals := readValues(t, file)
			first := mustRender(t, chrt, vals)
			for range 3 {
				if again := mustRender(t, loadChart(t), readValues(t, file)); again != first {
					t.Fatalf("two renders differ:\n%s", diffLines(first, again))
				}
			}
			// No certificate, token or random name may be generated at render time.
			for _, marker := range []string{"BEGIN CERTIFICATE", "BEGIN RSA", "BEGIN EC", "PRIVATE KEY"} {
				if strings.Contains(first, marker) {
					t.Errorf("the rendered chart contains %q", marker)
				}
			}
		})
	}
}

// diffLines shows the first differing line of two texts.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(al), len(bl))
}

func TestValuesSchemaRejectsUnknownAndMistypedValues(t *testing.T) {
	chrt := loadChart(t)
	for name, values := range map[string]string{
		"unknown top-level key":     "replicas: 2",
		"unknown image key":         "image: {name: x}",
		"unknown crds key":          "crds: {install: true}",
		"unknown webhook key":       "webhook: {failurePolicy: Ignore}",
		"unknown certs key":         "certs: {certManager: {issuer: x}}",
		"unknown metrics key":       "metrics: {serviceMonitor: {port: 8080}}",
		"unknown rbac key":          "rbac: {clusterWide: true}",
		"unknown policies key":      "policies: {enabled: true}",
		"unknown securityContext":   "securityContext: {runAsRoot: true}",
		"extra args are not values": "extraArgs: [--allow-api-url-override]",
		"replicaCount as a string":  "replicaCount: two",
		"negative replicaCount":     "replicaCount: -1",
		"unknown log level":         "logLevel: warn",
		"unknown certs mode":        "certs: {mode: vault}",
		"crds.keep as a string":     "crds: {keep: \"yes\"}",
		"webhook port out of range": "webhook: {port: 70000}",
		"webhook url over http":     "webhook: {url: \"http://10.0.0.1:9443/x\"}",
		"policy module not .rego":   "policies: {custom: {policy.txt: \"package x\"}}",
		"settings not an object":    "policies: {data: {settings.json: \"x\"}}",
		"settings file not JSON":    "policies: {data: {settings.rego: {}}}",
		"invalid namespace name":    "rbac: {watchNamespaces: [Bad_Namespace]}",
		"digest without algorithm":  "image: {digest: latest}",
		"zero reconciles":           "maxConcurrentReconciles: 0",
		"unknown toleration key":    "tolerations: [{key: a, operator: Exists, effects: NoSchedule}]",
		"issuerRef without a name":  "certs: {mode: cert-manager, certManager: {issuerRef: {kind: ClusterIssuer}}}",
		"unknown seccomp profile":   "securityContext: {seccompProfile: {type: Disabled}}",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(chrt, parseValues(t, values))
			if err == nil {
				t.Fatalf("values %q were accepted", values)
			}
			if !strings.Contains(err.Error(), "schema") {
				t.Fatalf("values %q were refused, but not by the schema: %v", values, err)
			}
		})
	}
}

func TestValuesSchemaAcceptsTheDocumentedValues(t *testing.T) {
	chrt := loadChart(t)
	for _, file := range append(ciValuesFiles(t), filepath.Join(chartDir(t), "values.yaml")) {
		if _, err := render(chrt, readValues(t, file)); err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
		}
	}
	if _, err := render(chrt, readmeExampleValues(t)); err != nil {
		t.Errorf("the README's example values: %v", err)
	}
}

// readmeExampleValues are the values of the README's "my-values.yaml" example.
func readmeExampleValues(t *testing.T) map[string]any {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const start = "```yaml\n# my-values.yaml\n"
	_, rest, ok := strings.Cut(string(readme), start)
	if !ok {
		t.Fatalf("the README has no %q block", start)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the README's my-values.yaml block is not closed")
	}
	return parseValues(t, block)
}
