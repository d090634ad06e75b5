package charttest

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// One local control plane serves every test that needs an API server; it
// starts with the first such test.
var (
	cpOnce sync.Once
	cp     *kubetest.ControlPlane
	cpErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if cp != nil {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}
	os.Exit(code)
}

// controlPlane is a kube-apiserver with etcd that knows cert-manager's
// Issuer and Certificate (testdata/crds) but not the DittoServer CRD: the
// chart installs that one.
func controlPlane(t *testing.T) *kubetest.ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a local kube-apiserver and etcd; skipped under -short (run `make test-chart`)")
	}
	cpOnce.Do(func() {
		cp, cpErr = kubetest.Start(kubetest.Options{CRDDirectoryPaths: []string{repoPath(t, "charts", "charttest", "testdata", "crds")}})
	})
	if cpErr != nil {
		t.Fatalf("starting the control plane: %v", cpErr)
	}
	return cp
}
