package networking

import (
	"context"
	"reflect"
	"testing"
)

func TestCachedDecisionsAreCopies(t *testing.T) {
	e := newTestEngine(t, Options{})
	in := testInput(nfs())
	first := evaluate(t, e, in)
	first.Services[0].Annotations["changed"] = "by the caller"
	first.Services[0].Ports[0].Port = 1
	second := evaluate(t, e, in)
	if _, ok := second.Services[0].Annotations["changed"]; ok || second.Services[0].Ports[0].Port != 12049 {
		t.Errorf("the cache returned the caller's changes: %+v", second.Services[0])
	}
}

func TestCacheFollowsTheBundle(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.rego": "package dittofs.networking.custom.p\nwarnings contains \"one\"\n"})
	e := newTestEngine(t, Options{PolicyDir: dir})
	in := testInput(nfs())
	if d := evaluate(t, e, in); d.Warnings[0] != "[p] one" {
		t.Fatalf("warnings = %q", d.Warnings)
	}
	writeFiles(t, dir, map[string]string{"p.rego": "package dittofs.networking.custom.p\nwarnings contains \"two\"\n"})
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := evaluate(t, e, in); d.Warnings[0] != "[p] two" || d.Revision != e.Revision() {
		t.Errorf("after reload: warnings %q, revision %s (engine %s)", d.Warnings, d.Revision, e.Revision())
	}
}

func TestCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := newDecisionCache(2)
	c.put("a", &Decision{Warnings: []string{"a"}})
	c.put("b", &Decision{Warnings: []string{"b"}})
	c.get("a")
	c.put("c", &Decision{Warnings: []string{"c"}})
	if _, ok := c.get("b"); ok {
		t.Error("b survived")
	}
	for _, key := range []string{"a", "c"} {
		if d, ok := c.get(key); !ok || d.Warnings[0] != key {
			t.Errorf("%s = %v, %v", key, d, ok)
		}
	}
	c.put("c", &Decision{Warnings: []string{"c2"}})
	if d, _ := c.get("c"); d.Warnings[0] != "c2" {
		t.Errorf("c not replaced: %v", d)
	}
}

func TestDisabledCache(t *testing.T) {
	if c := newDecisionCache(-1); c != nil {
		t.Fatal("negative size made a cache")
	}
	var c *decisionCache
	c.put("a", &Decision{})
	if _, ok := c.get("a"); ok {
		t.Error("a nil cache remembered")
	}
	e := newTestEngine(t, Options{CacheSize: -1})
	evaluate(t, e, testInput(nfs()))
	if e.current.Load().cache != nil {
		t.Error("engine made a cache")
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
