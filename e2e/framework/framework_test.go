package framework

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestProjectionSwapsDataAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policies")
	p, err := NewProjection(dir)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := p.Write(map[string][]byte{"a.rego": []byte("a1"), "b.json": []byte("{}")}); err != nil || !changed {
		t.Fatalf("first write: changed=%t err=%v", changed, err)
	}
	target, err := os.Readlink(filepath.Join(dir, "a.rego"))
	if err != nil || target != filepath.Join("..data", "a.rego") {
		t.Fatalf("a.rego links to %q (%v), want ..data/a.rego", target, err)
	}
	first, _ := os.Readlink(filepath.Join(dir, "..data"))

	if changed, err := p.Write(map[string][]byte{"a.rego": []byte("a1"), "b.json": []byte("{}")}); err != nil || changed {
		t.Fatalf("same content again: changed=%t err=%v", changed, err)
	}
	if _, err := p.Write(map[string][]byte{"a.rego": []byte("a2"), "c.yaml": []byte("x: 1")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.rego")); string(got) != "a2" {
		t.Errorf("a.rego reads %q after the swap, want a2", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "b.json")); !os.IsNotExist(err) {
		t.Errorf("b.json is still there after it left the set (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !os.IsNotExist(err) {
		t.Errorf("the previous data folder %s is still there (%v)", first, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var visible []string
	for _, e := range entries {
		if e.Name()[0] != '.' {
			visible = append(visible, e.Name())
		}
	}
	if want := []string{"a.rego", "c.yaml"}; !slices.Equal(visible, want) {
		t.Errorf("visible files %v, want %v", visible, want)
	}
	if _, err := p.Write(map[string][]byte{"../x": nil}); err == nil {
		t.Error("a path outside the folder was accepted")
	}
}

func TestLocalArgs(t *testing.T) {
	ctr := &corev1.Container{
		Args: []string{
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--leader-elect",
			"--webhook-port=9443", "--webhook-cert-dir=/tmp/certs", "--policy-dir=/etc/policies",
		},
		Env: []corev1.EnvVar{
			{Name: "MODE", Value: "x"},
			{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"}}},
		},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}},
	}
	args, err := LocalArgs(ctr,
		map[string]string{"metrics-bind-address": "127.0.0.1:1", "health-probe-bind-address": "127.0.0.1:2", "webhook-port": "3", "webhook-host": "127.0.0.1"},
		map[string]string{"/tmp/certs": "/local/certs", "/etc/policies": "/local/policies"},
		"--extra")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--metrics-bind-address=127.0.0.1:1", "--health-probe-bind-address=127.0.0.1:2", "--leader-elect",
		"--webhook-port=3", "--webhook-cert-dir=/local/certs", "--policy-dir=/local/policies",
		"--webhook-host=127.0.0.1", "--extra",
	}
	if !slices.Equal(args, want) {
		t.Errorf("LocalArgs =\n%v\nwant\n%v", args, want)
	}

	ctr.Args = ctr.Args[1:]
	if _, err := LocalArgs(ctr, map[string]string{"metrics-bind-address": "127.0.0.1:1"}, nil); err == nil {
		t.Error("a port flag missing from the chart was not reported")
	}

	env, err := LocalEnv(ctr, "dittofs-system", "operator-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"MODE=x", "POD_NAMESPACE=dittofs-system", "GOMEMLIMIT=268435456"}; !slices.Equal(env, want) {
		t.Errorf("LocalEnv = %v, want %v", env, want)
	}
}

func TestServiceProxyForwardsToAnAcceptingBackend(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = backend.Close() }()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			_, _ = io.Copy(c, c) // echo
			_ = c.Close()
		}
	}()
	gone, err := freePorts(1) // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewServiceProxy("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	p.AddBackend(net.JoinHostPort("127.0.0.1", strconv.Itoa(gone[0])))
	p.AddBackend(backend.Addr().String())
	for range 3 { // round robin starts at either backend
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port())))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("read %q, %v through the proxy, want the echo", buf, err)
		}
		_ = c.Close()
	}
}
