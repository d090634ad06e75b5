package policycli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const examples = "../../../policies/examples"

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeInput writes testdata/input.json changed by edit.
func writeInput(t *testing.T, edit func(doc map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	raw, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEvalPrintsTheDecision(t *testing.T) {
	code, stdout, stderr := run(t, "eval", "--input", "testdata/input.json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile("testdata/decision.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), stdout); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, `warning: adapter "smb" is enabled but not running`) {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestEvalIsDeterministic(t *testing.T) {
	_, first, _ := run(t, "eval", "--input", "testdata/input.json")
	for range 5 {
		if _, again, _ := run(t, "eval", "--input", "testdata/input.json"); again != first {
			t.Fatal("two evaluations printed different decisions")
		}
	}
}

func TestEvalDenied(t *testing.T) {
	input := writeInput(t, func(doc map[string]any) {
		doc["namespace"].(map[string]any)["labels"] = map[string]any{"env": "production"}
		doc["adapters"].([]any)[1].(map[string]any)["running"] = true
	})
	code, stdout, stderr := run(t, "eval", "--input", input, "--policy-dir", examples)
	if code != ExitRefused {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, `denied: [production_no_nodeport] Service "fs1-smb" of adapter "smb" is a NodePort`) {
		t.Errorf("stderr = %s", stderr)
	}
	if !strings.Contains(stdout, `"deny": [`) {
		t.Errorf("the denied decision is not printed: %s", stdout)
	}
}

// TestEvalAdapterOnTheControlPlanePort: nfs moved onto the API's port is
// denied with both ports named, and nothing is decided on that port.
func TestEvalAdapterOnTheControlPlanePort(t *testing.T) {
	input := writeInput(t, func(doc map[string]any) {
		doc["adapters"].([]any)[0].(map[string]any)["port"] = 8080
	})
	code, stdout, stderr := run(t, "eval", "--input", input)
	if code != ExitRefused {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	want := `denied: adapter "nfs" reports port 8080, the control-plane port 8080 of the DittoFS API (spec.controlPlane.port)`
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %s\nwant %s", stderr, want)
	}
	var d struct {
		Services        []json.RawMessage `json:"services"`
		NetworkPolicies []struct {
			Role string `json:"role"`
		} `json:"networkPolicies"`
		ContainerPorts []json.RawMessage `json:"containerPorts"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("decision: %v\n%s", err, stdout)
	}
	if len(d.Services) != 0 || len(d.ContainerPorts) != 0 || len(d.NetworkPolicies) != 1 || d.NetworkPolicies[0].Role != "api" {
		t.Errorf("the decision publishes adapter objects beside the API's policy:\n%s", stdout)
	}
}

// TestEvalReadsAdaptersAsTheAPIListsThem: an input whose adapters are a
// recorded answer of GET /api/v1/adapters (ids, times, status objects, smb
// reporting port 0) decides as the operator does: the port of 0 becomes the
// type's default, with portDefaulted and its warning.
func TestEvalReadsAdaptersAsTheAPIListsThem(t *testing.T) {
	code, fromAPI, stderr := run(t, "eval", "--input", "testdata/input-api-adapters.json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := `warning: adapter "smb": the DittoFS API reported port 0, so the type's default port 12445 is assumed`; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %s\nwant %s", stderr, want)
	}
	derived := writeInput(t, func(doc map[string]any) {
		doc["adapters"] = []any{
			map[string]any{"type": "nfs", "port": 32049, "enabled": true, "running": true, "portDefaulted": false},
			map[string]any{"type": "smb", "port": 12445, "enabled": true, "running": true, "portDefaulted": true},
		}
	})
	code, fromOperatorForm, stderr := run(t, "eval", "--input", derived)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff(fromOperatorForm, fromAPI); diff != "" {
		t.Errorf("decision from the API's listing differs from the operator's form (-operator +api):\n%s", diff)
	}
}

func TestEvalWithSettings(t *testing.T) {
	dir := writeDir(t, map[string]string{"settings.yaml": "serviceLabels:\n  team: storage\n"})
	code, stdout, stderr := run(t, "eval", "--input", "testdata/input.json", "--data", filepath.Join(dir, "settings.yaml"))
	if code != ExitOK || !strings.Contains(stdout, `"team": "storage"`) {
		t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}

func TestEvalGuardrailViolation(t *testing.T) {
	dir := writeDir(t, map[string]string{"bad.rego": `package dittofs.networking.custom.bad
service_labels["nfs"] := {"not a key": "x"}
`})
	code, stdout, stderr := run(t, "eval", "--input", "testdata/input.json", "--policy-dir", dir)
	if code != ExitRefused || stdout != "" {
		t.Fatalf("exit %d, stdout %s", code, stdout)
	}
	if !strings.Contains(stderr, `guardrail "labels": services[0].labels: Invalid value: "not a key"`) {
		t.Errorf("stderr = %s", stderr)
	}
}

func TestEvalBrokenModule(t *testing.T) {
	dir := writeDir(t, map[string]string{"broken.rego": "package dittofs.networking.custom.broken\n\ndeny contains msg if {\n\tmsg := http.send({})\n}\n"})
	code, _, stderr := run(t, "eval", "--input", "testdata/input.json", "--policy-dir", dir)
	if code != ExitRefused {
		t.Fatalf("exit %d", code)
	}
	if want := filepath.Join(dir, "broken.rego") + ":4: dittofs_refused_builtin: http.send is not allowed in policies"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %s\nwant %s", stderr, want)
	}
}

func TestEvalReplaceDefaults(t *testing.T) {
	dir := writeDir(t, map[string]string{"mine.rego": `package dittofs.networking
decision := {"services": [], "networkPolicies": [], "containerPorts": [], "deny": [], "warnings": []}
`})
	code, stdout, stderr := run(t, "eval", "--input", "testdata/input.json", "--policy-dir", dir, "--replace-defaults")
	if code != ExitOK || !strings.Contains(stdout, `"services": []`) {
		t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}

func TestEvalInputErrors(t *testing.T) {
	notJSON := writeDir(t, map[string]string{"in.json": "{"})
	badSchema := writeInput(t, func(doc map[string]any) {
		doc["adapterService"].(map[string]any)["type"] = "ExternalName"
		delete(doc, "operator")
	})
	unknownField := writeInput(t, func(doc map[string]any) { doc["extra"] = 1 })
	mixed := writeInput(t, func(doc map[string]any) {
		delete(doc["adapters"].([]any)[1].(map[string]any), "portDefaulted")
	})
	noRunning := writeInput(t, func(doc map[string]any) {
		doc["adapters"] = []any{map[string]any{"type": "nfs", "port": 12049, "enabled": true}}
	})
	cases := map[string]struct {
		args []string
		want []string
	}{
		"no input":        {[]string{"eval"}, []string{"one of --input and --server is required", "Usage: dittofs-operator policy eval"}},
		"both inputs":     {[]string{"eval", "--input", "testdata/input.json", "--server", "fs1"}, []string{"one of --input and --server is required"}},
		"mixed adapters":  {[]string{"eval", "--input", mixed}, []string{"input.adapters mixes the operator's form (with portDefaulted) and the DittoFS API's (without)"}},
		"bad API adapter": {[]string{"eval", "--input", noRunning}, []string{"input.adapters, read as GET /api/v1/adapters returns them: adapter 0: malformed response: missing enabled or running"}},
		"missing file":    {[]string{"eval", "--input", "absent.json"}, []string{"read input: open absent.json"}},
		"not JSON":        {[]string{"eval", "--input", filepath.Join(notJSON, "in.json")}, []string{"is not JSON"}},
		"schema":          {[]string{"eval", "--input", badSchema}, []string{"does not match the policy input schema", "operator", "adapterService.type"}},
		"unknown field":   {[]string{"eval", "--input", unknownField}, []string{"extra"}},
		"bad flag":        {[]string{"eval", "--nope"}, []string{"flag provided but not defined: -nope", "Usage: dittofs-operator policy eval"}},
		"extra args":      {[]string{"eval", "--input", "testdata/input.json", "more"}, []string{"unexpected arguments: more"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d", code)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr = %s\nwant %s", stderr, want)
				}
			}
		})
	}
}

func TestTestExamples(t *testing.T) {
	code, stdout, stderr := run(t, "test", "--policy-dir", examples, "-v")
	if code != ExitOK {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"PASS: data.production_no_nodeport_test.test_node_port_denied_in_production",
		"PASS: data.internal_smb_load_balancer_test.test_smb_is_internal_in_internal_namespaces",
		"PASS: 5/5",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestTestDefaultBundle(t *testing.T) {
	code, stdout, _ := run(t, "test")
	if code != ExitOK || !strings.Contains(stdout, "PASS: ") || strings.Contains(stdout, "FAIL") {
		t.Errorf("exit %d: %s", code, stdout)
	}
}

func TestTestFailures(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"p.rego": "package dittofs.networking.custom.p\n\nwarnings contains \"hello\"\n",
		"p_test.rego": `package p_test

import data.dittofs.networking

test_passes if "[p] hello" in networking.decision.warnings with input as {"apiVersion": "networking.dittofs.io/v1", "adapters": []}

test_fails if {
	print("about to fail")
	networking.decision.deny == ["never"] with input as {"apiVersion": "networking.dittofs.io/v1", "adapters": []}
}
`,
	})
	code, stdout, _ := run(t, "test", "--policy-dir", dir)
	if code != ExitRefused {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	for _, want := range []string{"FAIL: data.p_test.test_fails", "p_test.rego:7", "| about to fail", "FAIL: 1/2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "PASS: data.p_test.test_passes") {
		t.Errorf("passing test printed without -v:\n%s", stdout)
	}
}

func TestTestWithoutTests(t *testing.T) {
	dir := writeDir(t, map[string]string{"p.rego": "package dittofs.networking.custom.p\n"})
	if code, _, stderr := run(t, "test", "--policy-dir", dir); code != ExitRefused || !strings.Contains(stderr, "no tests found") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestTestRefusedBuiltin(t *testing.T) {
	dir := writeDir(t, map[string]string{"p_test.rego": "package p_test\n\ntest_net if net.lookup_ip_addr(\"example.com\")\n"})
	code, _, stderr := run(t, "test", "--policy-dir", dir)
	if code != ExitRefused || !strings.Contains(stderr, "p_test.rego:3: dittofs_refused_builtin: net.lookup_ip_addr is not allowed in policies") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"eval", "-h"}, {"test", "--help"}} {
		code, stdout, _ := run(t, args...)
		if code != ExitOK || !strings.Contains(stdout, "Usage: dittofs-operator policy") {
			t.Errorf("%v: exit %d, stdout %s", args, code, stdout)
		}
	}
	if code, _, stderr := run(t); code != ExitUsage || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, "lint"); code != ExitUsage || !strings.Contains(stderr, `unknown command "lint"`) {
		t.Errorf("unknown command: exit %d, %s", code, stderr)
	}
	_, stdout, _ := run(t, "eval", "-h")
	for _, flag := range []string{"-input", "-policy-dir", "-data", "-replace-defaults"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("eval usage lacks %s", flag)
		}
	}
}
