package networking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
)

// TestDecisionOfTheContractExample evaluates the example of the policy
// contract (policies/README.md) and compares the whole decision.
func TestDecisionOfTheContractExample(t *testing.T) {
	e := newTestEngine(t, Options{})
	d := evaluate(t, e, testInput(nfs()))
	want := `{
  "services": [{"name": "fs1-nfs", "adapter": "nfs", "type": "LoadBalancer", "annotations": {}, "labels": {},
    "loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
    "ports": [{"name": "nfs", "port": 12049, "targetPort": 12049, "protocol": "TCP"}]}],
  "networkPolicies": [
    {"name": "fs1-api", "adapter": "", "role": "api", "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}],
      "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dittofs-system"}}}]}]},
    {"name": "fs1-nfs", "adapter": "nfs", "role": "adapter", "ingress": [{"ports": [{"port": 12049, "protocol": "TCP"}], "from": []}]}],
  "containerPorts": [{"name": "nfs", "containerPort": 12049, "protocol": "TCP"}],
  "deny": [], "warnings": []}`
	var wantDoc any
	if err := json.Unmarshal([]byte(want), &wantDoc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDoc, toJSON(t, d)); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if d.Revision == "" || d.Revision != e.Revision() {
		t.Errorf("decision revision %q, engine revision %q", d.Revision, e.Revision())
	}
}

// TestDecisionMatchesTheSchema checks the bundle's real output against
// policies/decision.schema.json.
func TestDecisionMatchesTheSchema(t *testing.T) {
	e := newTestEngine(t, Options{})
	cases := map[string][]Adapter{
		"no adapter":         nil,
		"one adapter":        {nfs()},
		"two adapters":       {nfs(), smb()},
		"32 adapters":        manyAdapters(32),
		"unknown types":      {{Type: "9P_fs", Port: 564, Enabled: true, Running: true}, {Type: "WebDAV", Port: 8443, Enabled: true, Running: true}},
		"port 0":             {nfs(), {Type: "ftp", Port: 0, Enabled: true, Running: true}},
		"defaulted port":     {{Type: "smb", Port: 445, Enabled: true, Running: true, PortDefaulted: true}},
		"stopped adapters":   {{Type: "nfs", Port: 12049, Enabled: true}, {Type: "smb", Port: 1445, Running: true}},
		"duplicate (denied)": {nfs(), nfs()},
	}
	for name, adapters := range cases {
		t.Run(name, func(t *testing.T) {
			d := evaluate(t, e, testInput(adapters...))
			if err := ValidateDecisionDocument(context.Background(), toJSON(t, d)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDecisionIsDeterministic evaluates for real every time (no decision
// cache), with the adapters listed in a different order each time, as the
// API may list them: the decision must be the same bytes.
func TestDecisionIsDeterministic(t *testing.T) {
	e := newTestEngine(t, Options{})
	in := testInput(manyAdapters(8)...)
	in.AdapterService.Overrides = map[string]ServiceOverride{"smb": {Type: "NodePort", Annotations: map[string]string{"b": "2", "a": "1"}}}
	first, err := json.Marshal(evaluate(t, e, in))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := in
		shuffled.Adapters = slices.Clone(in.Adapters)
		rng.Shuffle(len(shuffled.Adapters), func(a, b int) {
			shuffled.Adapters[a], shuffled.Adapters[b] = shuffled.Adapters[b], shuffled.Adapters[a]
		})
		again, _ := json.Marshal(evaluate(t, e, shuffled))
		if !bytes.Equal(first, again) {
			t.Fatalf("evaluation %d, adapters %v: decisions differ:\n%s\n%s", i, shuffled.Adapters, first, again)
		}
	}
}

func TestDeniedDecisionIsNotAnError(t *testing.T) {
	e := newTestEngine(t, Options{})
	in := testInput(nfs(), smb())
	in.AdapterService.NameTemplate = "my-share"
	d := evaluate(t, e, in)
	if !d.Denied() || len(d.Deny) != 1 {
		t.Fatalf("deny = %q", d.Deny)
	}
}

func TestCustomModulesAndSettings(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"internal.rego": `package dittofs.networking.custom.internal
service_annotations["smb"] := {"internal": "true"} if input.namespace.labels.tier == "internal"
`,
		"internal_test.rego": `package internal_test
test_never_loaded_at_run_time if false
`,
		"settings.yaml": "serviceLabels:\n  team: storage\n",
		"more.json":     `{"serviceAnnotations": {"from-json": "yes"}}`,
		"README.md":     "ignored",
		".hidden.rego":  "not rego at all",
	})
	e := newTestEngine(t, Options{PolicyDir: dir})
	in := testInput(nfs(), smb())
	in.Namespace.Labels["tier"] = "internal"
	d := evaluate(t, e, in)
	smbService := d.Services[1]
	if smbService.Annotations["internal"] != "true" || smbService.Annotations["from-json"] != "yes" {
		t.Errorf("smb annotations = %v", smbService.Annotations)
	}
	if d.Services[0].Annotations["internal"] != "" {
		t.Errorf("nfs annotations = %v", d.Services[0].Annotations)
	}
	if smbService.Labels["team"] != "storage" {
		t.Errorf("smb labels = %v", smbService.Labels)
	}
}

func TestDataFilesOption(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.json")
	writeFiles(t, dir, map[string]string{"settings.json": `{"allowedServiceTypes": ["ClusterIP"]}`})
	e := newTestEngine(t, Options{DataFiles: []string{file}})
	d := evaluate(t, e, testInput(nfs()))
	if !d.Denied() {
		t.Errorf("LoadBalancer not denied: %+v", d)
	}
}

func TestConflictingSettingsRefused(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.json": `{"serviceLabels": {"team": "a"}}`,
		"b.yaml": "serviceLabels:\n  team: b\n",
	})
	e, err := NewEngine(Options{PolicyDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.LastError(); err == nil || !strings.Contains(err.Error(), "serviceLabels.team is already set") {
		t.Errorf("LastError = %v", err)
	}
}

func TestReplaceDefaults(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"mine.rego": `package dittofs.networking
decision := {"services": [], "networkPolicies": [], "containerPorts": [], "deny": [], "warnings": ["mine"]}
`})
	e := newTestEngine(t, Options{PolicyDir: dir, ReplaceDefaults: true})
	d := evaluate(t, e, testInput(nfs()))
	if len(d.Warnings) != 1 || d.Warnings[0] != "mine" {
		t.Errorf("decision = %+v", d)
	}
}

func TestBundleWithoutDecision(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"x.rego": "package other\nx := 1\n"})
	e := newTestEngine(t, Options{PolicyDir: dir, ReplaceDefaults: true})
	if _, err := e.Evaluate(context.Background(), testInput(nfs())); !errors.Is(err, errNoDecision) {
		t.Errorf("err = %v", err)
	}
}

func TestRefusedModules(t *testing.T) {
	cases := map[string]struct{ module, want string }{
		"syntax error": {
			module: "package dittofs.networking.custom.broken\n\ndeny contains msg if {\n\tmsg := \n}\n",
			want:   "broken.rego:5: rego_parse_error: unexpected } token",
		},
		"http.send": {
			module: "package dittofs.networking.custom.net\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"http://example.com\"})\n\tmsg := r.body\n}\n",
			want:   "broken.rego:4: dittofs_refused_builtin: http.send is not allowed in policies: a decision depends on its input and data only",
		},
		"net.lookup_ip_addr": {
			module: "package dittofs.networking.custom.net\n\nwarnings contains msg if {\n\tips := net.lookup_ip_addr(\"example.com\")\n\tmsg := sprintf(\"%v\", [ips])\n}\n",
			want:   "broken.rego:4: dittofs_refused_builtin: net.lookup_ip_addr is not allowed in policies",
		},
		"opa.runtime": {
			module: "package dittofs.networking.custom.env\n\nwarnings contains msg if {\n\tmsg := opa.runtime().env.HOME\n}\n",
			want:   "broken.rego:4: dittofs_refused_builtin: opa.runtime is not allowed in policies",
		},
		"decision redefined": {
			module: "package dittofs.networking\n\nservices := []\n",
			want:   "broken.rego:1: dittofs_package_error: package dittofs.networking is reserved",
		},
		"package too deep": {
			module: "package dittofs.networking.custom.a.b\n\ndeny contains \"x\"\n",
			want:   "package dittofs.networking.custom.a.b is reserved",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"broken.rego": tc.module})
			e, err := NewEngine(Options{PolicyDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.LastError(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LastError = %v, want %q", err, tc.want)
			}
			if _, err := e.Evaluate(context.Background(), testInput(nfs())); !errors.Is(err, ErrNoBundle) {
				t.Errorf("Evaluate without a bundle: %v", err)
			}
		})
	}
}

// TestBrokenUpdateKeepsServing: a bad module in an update is refused with its
// file and line, reported once through the hook, and the previous bundle
// keeps serving; a fix is picked up by polling.
func TestBrokenUpdateKeepsServing(t *testing.T) {
	dir := t.TempDir()
	good := map[string]string{"p.rego": "package dittofs.networking.custom.p\n\nwarnings contains \"v1\"\n"}
	configMapDir(t, dir, "1", good)
	var mu sync.Mutex
	var results []ReloadResult
	e := newTestEngine(t, Options{PolicyDir: dir, PollInterval: 10 * time.Millisecond, OnReload: func(r ReloadResult) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
	}})
	goodRevision := e.Revision()

	configMapDir(t, dir, "2", map[string]string{"p.rego": "package dittofs.networking.custom.p\n\nwarnings contains x if {\n\tx := y\n}\n"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Start(ctx) }()
	waitFor(t, func() bool { return e.LastError() != nil })

	if err := e.LastError(); !strings.Contains(err.Error(), filepath.Join(dir, "p.rego")+":4") {
		t.Errorf("LastError = %v, want the file and line", err)
	}
	if e.Revision() != goodRevision {
		t.Errorf("serving %s, want %s", e.Revision(), goodRevision)
	}
	if d := evaluate(t, e, testInput(nfs())); len(d.Warnings) != 1 || d.Warnings[0] != "[p] v1" {
		t.Errorf("warnings = %q", d.Warnings)
	}
	// The folder poller runs on the wall clock (every 10ms here): let it
	// poll the same broken content a few more times, which must not count
	// as more refusals.
	time.Sleep(50 * time.Millisecond)

	configMapDir(t, dir, "3", map[string]string{"p.rego": "package dittofs.networking.custom.p\n\nwarnings contains \"v3\"\n"})
	waitFor(t, func() bool { return e.LastError() == nil && e.Revision() != goodRevision })
	if d := evaluate(t, e, testInput(nfs())); d.Warnings[0] != "[p] v3" {
		t.Errorf("warnings = %q", d.Warnings)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(results) != 3 || results[1].Err == nil || results[1].Serving != goodRevision || results[2].Err != nil {
		t.Errorf("reload results = %+v, want loaded, refused once, loaded", results)
	}
}

func TestReloadWithoutChangeKeepsTheRevision(t *testing.T) {
	e := newTestEngine(t, Options{})
	before := e.Revision()
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Revision() != before || len(before) != 16 {
		t.Errorf("revision %q then %q", before, e.Revision())
	}
}

func TestMissingPolicyDirectory(t *testing.T) {
	e, err := NewEngine(Options{PolicyDir: filepath.Join(t.TempDir(), "absent")})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(e.LastError(), os.ErrNotExist) {
		t.Errorf("LastError = %v", e.LastError())
	}
}

func TestGuardrailsRefuseABadName(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.rego": `package dittofs.networking
decision := {
	"services": [{"name": "Bad_Name", "adapter": "nfs", "type": "LoadBalancer", "annotations": {}, "labels": {},
		"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"ports": [{"name": "nfs", "port": 12049, "targetPort": 12049, "protocol": "TCP"}]}],
	"networkPolicies": [], "containerPorts": [], "deny": [], "warnings": [],
}
`})
	e := newTestEngine(t, Options{PolicyDir: dir, ReplaceDefaults: true})
	_, err := e.Evaluate(context.Background(), testInput(nfs()))
	if !errors.Is(err, ErrGuardrail) {
		t.Fatalf("err = %v", err)
	}
	if want := `guardrail "service-name": services[0].name: "Bad_Name"`; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestCustomModuleEmittingABadNameIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"labels.rego": `package dittofs.networking.custom.labels
service_labels["nfs"] := {"bad key!": "x"}
`})
	e := newTestEngine(t, Options{PolicyDir: dir})
	_, err := e.Evaluate(context.Background(), testInput(nfs()))
	var merr *multierror.Error
	if !errors.As(err, &merr) || !strings.Contains(err.Error(), `guardrail "labels": services[0].labels`) {
		t.Errorf("err = %v", err)
	}
}

func TestEvaluationDeadline(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"slow.rego": `package dittofs.networking.custom.slow
warnings contains "slow" if {
	count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b]) > 0
}
`})
	e := newTestEngine(t, Options{PolicyDir: dir, EvalTimeout: 20 * time.Millisecond})
	start := time.Now()
	_, err := e.Evaluate(context.Background(), testInput(nfs()))
	if err == nil || !strings.Contains(err.Error(), "exceeded 20ms") {
		t.Errorf("err = %v", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("evaluation took %s", elapsed)
	}
}

// TestConcurrentEvaluationsDuringReloads runs under -race in CI.
func TestConcurrentEvaluationsDuringReloads(t *testing.T) {
	dir := t.TempDir()
	e := newTestEngine(t, Options{PolicyDir: dir})
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, err := e.Evaluate(context.Background(), testInput(nfs(), smb())); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	for i := range 5 {
		writeFiles(t, dir, map[string]string{"p.rego": "package dittofs.networking.custom.p\nwarnings contains \"" + string(rune('a'+i)) + "\"\n"})
		_ = e.Reload(context.Background())
	}
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d evaluations failed", failures.Load())
	}
}

func TestNewEngineRejectsNegativeDurations(t *testing.T) {
	if _, err := NewEngine(Options{EvalTimeout: -1}); err == nil {
		t.Error("negative timeout accepted")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond) // polling for a condition, as Eventually does
	}
}

// TestReloadHookMayCallTheEngine: the hook runs outside the engine's lock.
func TestReloadHookMayCallTheEngine(t *testing.T) {
	var e *Engine
	calls := 0
	hook := func(r ReloadResult) {
		calls++
		if e != nil && (e.LastError() != nil || e.Revision() != r.Serving) {
			t.Errorf("engine state %v %q, result %+v", e.LastError(), e.Revision(), r)
		}
	}
	e = newTestEngine(t, Options{OnReload: hook})
	done := make(chan error)
	go func() { done <- e.Reload(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Reload deadlocked")
	}
	if calls != 1 {
		t.Errorf("hook called %d times, want once (the first load)", calls)
	}
}

// TestUnreadableDirectoryReportedOnce: polling a directory that keeps
// failing reports it once, not at every poll.
func TestUnreadableDirectoryReportedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policies")
	var mu sync.Mutex
	reports := 0
	e, err := NewEngine(Options{PolicyDir: dir, PollInterval: 5 * time.Millisecond, OnReload: func(ReloadResult) {
		mu.Lock()
		defer mu.Unlock()
		reports++
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Start(ctx) }()
	// The folder poller runs on the wall clock: let it find the folder
	// missing a few times before it appears.
	time.Sleep(60 * time.Millisecond)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.Revision() != "" })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start returned %v after cancel", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if reports != 2 {
		t.Errorf("%d reports, want 2 (the failure once, then the bundle)", reports)
	}
}

// naivePolicy publishes every running adapter as reported, with nothing of
// the defaults' checks: only the guardrails stand between it and the API.
const naivePolicy = `package dittofs.networking
decision := {
	"services": [{"name": concat("-", [input.server.name, a.type]), "adapter": a.type, "type": "LoadBalancer",
		"annotations": {}, "labels": {}, "loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": [],
		"ports": [{"name": a.type, "port": a.port, "targetPort": a.port, "protocol": "TCP"}]} | some a in input.adapters; a.running],
	"networkPolicies": [{"name": concat("-", [input.server.name, a.type]), "adapter": a.type, "role": "adapter",
		"ingress": [{"ports": [{"port": a.port, "protocol": "TCP"}], "from": []}]} | some a in input.adapters; a.running],
	"containerPorts": [{"name": a.type, "containerPort": a.port, "protocol": "TCP"} | some a in input.adapters; a.running],
	"deny": [], "warnings": [],
}
`

// TestAdapterOnTheControlPlanePort: nfs moved onto the API's port is denied
// by the defaults, and refused by the guardrails under any other policy,
// each message naming both ports.
func TestAdapterOnTheControlPlanePort(t *testing.T) {
	moved := nfs()
	moved.Port = 8080
	in := testInput(moved, smb())

	d := evaluate(t, newTestEngine(t, Options{}), in)
	want := `adapter "nfs" reports port 8080, the control-plane port 8080 of the DittoFS API`
	if !d.Denied() || len(d.Deny) != 1 || !strings.Contains(d.Deny[0], want) {
		t.Errorf("deny = %q, want %s", d.Deny, want)
	}
	for _, s := range d.Services {
		if s.Ports[0].Port == 8080 {
			t.Errorf("the default bundle decides a Service on the control-plane port: %+v", s)
		}
	}

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"naive.rego": naivePolicy})
	naive := newTestEngine(t, Options{PolicyDir: dir, ReplaceDefaults: true})
	if _, err := naive.Evaluate(context.Background(), testInput(nfs(), smb())); err != nil {
		t.Fatalf("the naive policy is refused for adapters on their own ports: %v", err)
	}
	_, err := naive.Evaluate(context.Background(), in)
	if !errors.Is(err, ErrGuardrail) {
		t.Fatalf("err = %v, want a guardrail violation", err)
	}
	for _, want := range []string{
		`services[0].ports[0].targetPort: adapter "nfs" port 8080 collides with the control-plane port 8080 of the DittoFS API, which is never published by an adapter Service`,
		`networkPolicies[0].ingress[0].ports[0].port: adapter "nfs" port 8080 collides with the control-plane port 8080 of the DittoFS API, which is never opened by an adapter NetworkPolicy`,
		`containerPorts[0].containerPort: adapter port 8080 ("nfs") collides with the control-plane port 8080`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	}
}

// TestRevisionIsTheContent: the same files give the same revision wherever
// they are read from, so that `policy eval` and the operator agree; any
// change of a module, a settings file or a file name gives another one.
func TestRevisionIsTheContent(t *testing.T) {
	files := map[string]string{
		"p.rego":        "package dittofs.networking.custom.p\n\nwarnings contains \"x\"\n",
		"settings.yaml": "warnDefaultedPorts: false\n",
	}
	revision := func(files map[string]string) string {
		dir := t.TempDir()
		configMapDir(t, dir, "1", files)
		return newTestEngine(t, Options{PolicyDir: dir}).Revision()
	}
	first := revision(files)
	if again := revision(files); again != first {
		t.Errorf("the same files in two folders: revisions %s and %s", first, again)
	}
	if defaults := newTestEngine(t, Options{}).Revision(); defaults == first {
		t.Errorf("the defaults alone have the revision %s of the defaults with a module", defaults)
	}
	changes := map[string]map[string]string{
		"module":   {"p.rego": files["p.rego"] + "warnings contains \"y\"\n", "settings.yaml": files["settings.yaml"]},
		"settings": {"p.rego": files["p.rego"], "settings.yaml": "warnDefaultedPorts: true\n"},
		"name":     {"q.rego": files["p.rego"], "settings.yaml": files["settings.yaml"]},
	}
	for what, changed := range changes {
		if got := revision(changed); got == first {
			t.Errorf("a changed %s keeps the revision %s", what, got)
		}
	}
}

func TestRevisionOfADecisionOrARefusal(t *testing.T) {
	e := newTestEngine(t, Options{})
	d := evaluate(t, e, testInput(nfs()))
	if got := RevisionOf(d, nil); got != e.Revision() || got == "" {
		t.Errorf("revision of a decision = %q, want %q", got, e.Revision())
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"naive.rego": naivePolicy})
	naive := newTestEngine(t, Options{PolicyDir: dir, ReplaceDefaults: true})
	moved := nfs()
	moved.Port = 8080
	_, err := naive.Evaluate(context.Background(), testInput(moved))
	if got := RevisionOf(nil, err); got != naive.Revision() || got == e.Revision() {
		t.Errorf("revision of a refusal = %q, want %q (err %v)", got, naive.Revision(), err)
	}
	broken := t.TempDir()
	writeFiles(t, broken, map[string]string{"x.rego": "package dittofs.networking.custom.x\nx := \n"})
	none, err := NewEngine(Options{PolicyDir: broken})
	if err != nil {
		t.Fatal(err)
	}
	_, err = none.Evaluate(context.Background(), testInput(nfs()))
	if got := RevisionOf(nil, err); got != "" || !errors.Is(err, ErrNoBundle) {
		t.Errorf("revision without a bundle = %q (err %v)", got, err)
	}
}

// TestListsAreSortedByName: the engine orders lists by name whatever order
// the bundle emits them in.
func TestListsAreSortedByName(t *testing.T) {
	e := newTestEngine(t, Options{})
	// "Zed" sorts before "a-b" as a type, but its names sort after.
	d := evaluate(t, e, testInput(Adapter{Type: "Zed", Port: 1, Enabled: true, Running: true}, Adapter{Type: "a-b", Port: 2, Enabled: true, Running: true}))
	names := func(get func(i int) string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = get(i)
		}
		return out
	}
	got := [][]string{
		names(func(i int) string { return d.Services[i].Name }, len(d.Services)),
		names(func(i int) string { return d.NetworkPolicies[i].Name }, len(d.NetworkPolicies)),
		names(func(i int) string { return d.ContainerPorts[i].Name }, len(d.ContainerPorts)),
	}
	want := [][]string{{"fs1-a-b", "fs1-zed"}, {"fs1-a-b", "fs1-api", "fs1-zed"}, {"a-b", "zed"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}
