package networking

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

func testServer() *v1alpha1.DittoServer {
	return &v1alpha1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{Name: "fs1", Namespace: "storage", UID: "uid-1"},
	}
}

func nfs() Adapter { return Adapter{Type: "nfs", Port: 12049, Enabled: true, Running: true} }
func smb() Adapter { return Adapter{Type: "smb", Port: 1445, Enabled: true, Running: true} }

// manyAdapters are n running adapters with distinct types and ports.
func manyAdapters(n int) []Adapter {
	adapters := make([]Adapter, n)
	for i := range adapters {
		adapters[i] = Adapter{Type: fmt.Sprintf("proto%02d", i), Port: int32(20000 + i), Enabled: true, Running: true}
	}
	return adapters
}

func testInput(adapters ...Adapter) Input {
	return BuildInput(testServer(), NamespaceInfo{Labels: map[string]string{}}, OperatorInfo{Namespace: "dittofs-system"}, adapters)
}

func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.LastError(); err != nil {
		t.Fatalf("bundle refused: %v", err)
	}
	return e
}

func evaluate(t testing.TB, e *Engine, in Input) *Decision {
	t.Helper()
	d, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeFiles writes name → content into dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// configMapDir lays files out the way the kubelet mounts a ConfigMap: the
// files live in a timestamped directory, "..data" links to it, and each
// visible name links through "..data". Calling it again swaps "..data"
// atomically, as an update of the ConfigMap does.
func configMapDir(t testing.TB, dir, version string, files map[string]string) {
	t.Helper()
	target := filepath.Join(dir, "..2026_"+version)
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, target, files)
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(target), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
}

func toJSON(t testing.TB, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
