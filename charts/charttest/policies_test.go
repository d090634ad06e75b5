package charttest

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/dittofs/dittofs-operator/policies"
)

// policyInput is a DittoServer in a namespace with the given labels, running
// NFS and SMB.
func policyInput(namespaceLabels map[string]any) map[string]any {
	return map[string]any{
		"apiVersion":   "networking.dittofs.io/v1",
		"server":       map[string]any{"name": "fs1", "namespace": "storage", "labels": map[string]any{}, "annotations": map[string]any{}},
		"namespace":    map[string]any{"name": "storage", "labels": namespaceLabels},
		"controlPlane": map[string]any{"port": 8080},
		"operator": map[string]any{"namespace": releaseNamespace, "podLabels": map[string]any{
			"app.kubernetes.io/name": "dittofs-operator", "app.kubernetes.io/instance": releaseName,
		}},
		"adapterService": map[string]any{
			"type": "LoadBalancer", "annotations": map[string]any{}, "nameTemplate": "{instance}-{adapter}",
			"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": []any{},
			"overrides": map[string]any{},
		},
		"networkPolicy": map[string]any{"enabled": true, "from": []any{}},
		"adapters": []any{
			map[string]any{"type": "nfs", "port": 12049, "enabled": true, "running": true, "portDefaulted": false},
			map[string]any{"type": "smb", "port": 1445, "enabled": true, "running": true, "portDefaulted": false},
		},
	}
}

// decision is what the embedded default policy, extended by the chart's
// policies.custom modules and policies.data settings, decides for input.
type decision struct {
	Services []struct {
		Adapter string            `json:"adapter"`
		Type    string            `json:"type"`
		Labels  map[string]string `json:"labels"`
	} `json:"services"`
	Deny     []string `json:"deny"`
	Warnings []string `json:"warnings"`
}

func decide(t *testing.T, vals map[string]any, input map[string]any) decision {
	t.Helper()
	pol, _ := vals["policies"].(map[string]any)
	custom, _ := pol["custom"].(map[string]any)
	data, _ := pol["data"].(map[string]any)
	if len(custom) == 0 {
		t.Fatal("the values have no policies.custom")
	}
	opts := []func(*rego.Rego){
		rego.Query("data.dittofs.networking.decision"),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Input(input),
	}
	defaults, err := fs.Glob(policies.FS(), "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range defaults {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		src, err := fs.ReadFile(policies.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, rego.Module("policies/"+name, string(src)))
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range custom {
			if !yield(k) {
				return
			}
		}
	}) {
		src, _ := custom[name].(string)
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("policies.custom[%s]: %v", name, err)
		}
		// The operator accepts platform modules only in their own package.
		if path := m.Package.Path.String(); !strings.HasPrefix(path, "data.dittofs.networking.custom.") || len(m.Package.Path) != 5 {
			t.Fatalf("policies.custom[%s] is in package %s, want dittofs.networking.custom.<name>", name, strings.TrimPrefix(path, "data."))
		}
		opts = append(opts, rego.ParsedModule(m))
	}
	settings := map[string]any{}
	for _, doc := range data {
		obj, _ := doc.(map[string]any)
		for k, v := range obj {
			settings[k] = v
		}
	}
	// The store holds JSON values, as the operator reads them from files.
	raw, err := json.Marshal(map[string]any{"dittofs": map[string]any{"settings": settings}})
	if err != nil {
		t.Fatal(err)
	}
	var storeData map[string]any
	if err := json.Unmarshal(raw, &storeData); err != nil {
		t.Fatal(err)
	}
	opts = append(opts, rego.Store(inmem.NewFromObject(storeData)))
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatalf("evaluating the policy: %v", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("the policy made no decision: %v", rs)
	}
	out, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	var d decision
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func serviceTypes(d decision) map[string]string {
	out := map[string]string{}
	for _, s := range d.Services {
		out[s.Adapter] = s.Type
	}
	return out
}

// The ci custom policy is a working platform module: SMB stays a ClusterIP
// Service, settings label every Service, and the warning fires.
func TestCIPolicyExtendsTheDefaults(t *testing.T) {
	vals := readValues(t, filepath.Join(chartDir(t), "ci", "custom-policy-values.yaml"))
	d := decide(t, vals, policyInput(map[string]any{}))
	if got := serviceTypes(d); got["smb"] != "ClusterIP" || got["nfs"] != "LoadBalancer" {
		t.Errorf("Service types %v, want smb ClusterIP and nfs LoadBalancer", got)
	}
	for _, s := range d.Services {
		if s.Labels["example.com/team"] != "storage" {
			t.Errorf("the %s Service lacks the label of the serviceLabels setting: %v", s.Adapter, s.Labels)
		}
	}
	if len(d.Deny) != 0 {
		t.Errorf("denied: %v", d.Deny)
	}
	if !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, "has no owner label") }) {
		t.Errorf("warnings %v lack the custom one", d.Warnings)
	}
}

// The README's example policy turns every adapter Service of an internal
// namespace into a ClusterIP Service, and leaves other namespaces alone.
func TestReadmeExamplePolicy(t *testing.T) {
	vals := readmeExampleValues(t)
	internal := decide(t, vals, policyInput(map[string]any{"exposure": "internal"}))
	if got := serviceTypes(internal); got["nfs"] != "ClusterIP" || got["smb"] != "ClusterIP" {
		t.Errorf("in an internal namespace the Service types are %v, want ClusterIP", got)
	}
	if len(internal.Deny) != 0 {
		t.Errorf("denied: %v", internal.Deny)
	}
	public := decide(t, vals, policyInput(map[string]any{}))
	if got := serviceTypes(public); got["nfs"] != "LoadBalancer" || got["smb"] != "LoadBalancer" {
		t.Errorf("elsewhere the Service types are %v, want the DittoServer's LoadBalancer", got)
	}
}
