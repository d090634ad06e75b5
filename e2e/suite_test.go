package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/dittofs/dittofs-operator/e2e/framework"
)

var (
	env *framework.Env
	k8s client.Client
	// operator is the shared operator process most specs run against; the
	// specs that kill or replace it start its successor and set it here.
	operator *framework.Operator
)

func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end suite: needs a local kube-apiserver, etcd and kube-controller-manager (KUBEBUILDER_ASSETS) and runs for minutes; skipped under -short")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end Suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	SetDefaultEventuallyTimeout(45 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	SetDefaultConsistentlyDuration(3 * time.Second)
	SetDefaultConsistentlyPollingInterval(200 * time.Millisecond)

	// The specs' own controller-runtime clients log through Ginkgo.
	ctrllog.SetLogger(GinkgoLogr)
	var err error
	env, err = framework.Start(ctx, framework.Options{Progress: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	k8s = env.Client
	operator = startOperator(ctx)
}, NodeTimeout(5*time.Minute))

// logDirEnv names a folder that receives every operator process's log when
// the suite ends; the work folder holding them is removed.
const logDirEnv = "E2E_LOG_DIR"

var _ = AfterSuite(func() {
	if env == nil {
		return
	}
	if dir := os.Getenv(logDirEnv); dir != "" {
		Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		for _, op := range env.Operators() {
			Expect(os.WriteFile(filepath.Join(dir, op.Name+".log"), []byte(op.Log()), 0o644)).To(Succeed())
		}
	}
	Expect(env.Stop()).To(Succeed())
})

// startOperator starts an operator process with the chart's arguments and
// waits until it is ready (its webhook serves).
func startOperator(ctx context.Context, args ...string) *framework.Operator {
	GinkgoHelper()
	op, err := env.StartOperator(framework.OperatorOptions{Args: args})
	Expect(err).NotTo(HaveOccurred())
	Expect(op.WaitReady(ctx, 90*time.Second)).To(Succeed())
	return op
}

// A spec that failed while it had the shared operator stopped leaves the
// next one a new process rather than a cascade of failures.
var _ = BeforeEach(func(ctx SpecContext) {
	if operator.Exited() {
		operator = startOperator(ctx)
	}
})

// Every spec proves the chart's RBAC: no operator process that ran during it
// was refused anything, and a failed spec carries the processes' logs.
var _ = AfterEach(func() {
	report := CurrentSpecReport()
	since := report.StartTime
	for _, op := range env.Operators() {
		if !op.ExitedAt().IsZero() && op.ExitedAt().Before(since) {
			continue
		}
		if report.Failed() {
			AddReportEntry(op.Name+" log ("+op.LogPath+")", op.LogTail(20000))
		}
		writes, err := framework.Writes(env.Plane, op.User, "", since)
		Expect(err).NotTo(HaveOccurred())
		for _, w := range writes {
			Expect(w.Code).NotTo(Equal(int32(403)), "%s was refused a write: %s", op.Name, w)
		}
		for line := range strings.Lines(op.Log()) {
			Expect(strings.ToLower(line)).NotTo(ContainSubstring("forbidden"), "%s logged a refusal", op.Name)
		}
	}
})
