package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// runMarker is set in the demo's environment; every process it starts
// inherits it, so processes left behind can be found by it, as pgrep would
// find them by name.
const runMarker = "DITTOFS_DEMO_TEST_RUN"

// ctrlCTestEnv enables the second run of the demo, interrupted with SIGINT:
// another half-minute of control plane that `make test` does without.
const ctrlCTestEnv = "DEMO_TEST_CTRL_C"

var (
	buildOnce sync.Once
	demoBin   string
	buildErr  error
)

// demoCommand builds the demo (once) and returns a command running it from
// the repository root with a fresh marker.
func demoCommand(t *testing.T, ctx context.Context, env ...string) (*exec.Cmd, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the demo against a local control plane; skipped under -short")
	}
	if _, err := kubetest.AssetsDir(); err != nil {
		t.Fatal(err)
	}
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dittofs-demo-test-")
		if err != nil {
			buildErr = err
			return
		}
		demoBin = filepath.Join(dir, "demo")
		build := exec.CommandContext(ctx, "go", "build", "-o", demoBin, "./demo")
		build.Dir = filepath.Join(root, "e2e") // a module of its own
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the demo: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	bin := demoBin
	marker := runMarker + "=" + randomHex()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), marker), env...)
	// A test that fails half way must not leave the demo running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Minute
	return cmd, marker
}

func TestDemoRunsToTheEndAndStopsEverything(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, marker := demoCommand(t, ctx, "DEMO_HOLD=0")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("the demo ran for %s:\n%s", time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("the demo failed: %v", err)
	}
	for _, want := range []string{
		"=== Step 1: Start a local Kubernetes API and install the Helm chart",
		"=== Step 3: Run the operator with the chart's arguments, as the chart's ServiceAccount",
		"service/fs1-smb",
		"=== Step 6: Disable smb through the DittoFS admin API",
		"=== Step 7: Enable smb again on port 2445",
		"2445/TCP",
		"nfs:12049,smb:2445",
		"the same Service, at the same cluster IP",
		"export KUBECONFIG=",
		"the operator removed its DittoFS account",
		"stopped the DittoFS simulator",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	expectNoProcesses(t, marker)
}

func TestDemoStopsEverythingOnCtrlC(t *testing.T) {
	if os.Getenv(ctrlCTestEnv) == "" {
		t.Skipf("set %s=1 to run the demo once more and stop it with SIGINT while it holds", ctrlCTestEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, marker := demoCommand(t, ctx, "DEMO_HOLD=forever")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	holding := false
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		out.WriteString(scanner.Text() + "\n")
		if strings.Contains(scanner.Text(), "Everything keeps running until Ctrl-C") {
			holding = true
			break
		}
	}
	if !holding {
		_ = cmd.Wait()
		t.Fatalf("the demo did not reach its hold:\n%s\n%s", out.String(), stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	out.Write(rest)
	err = cmd.Wait()
	t.Logf("the demo's output:\n%s\n%s", out.String(), stderr.String())
	if err != nil {
		t.Fatalf("the demo ended with %v after SIGINT while holding, want exit status 0", err)
	}
	if !strings.Contains(out.String(), "stopped the operator, the webhook proxy, kube-controller-manager, kube-apiserver and etcd") {
		t.Error("the demo did not report stopping the control plane")
	}
	expectNoProcesses(t, marker)
}

// expectNoProcesses fails the test for every process still carrying the
// marker in its environment.
func expectNoProcesses(t *testing.T, marker string) {
	t.Helper()
	left, err := processesWith(marker)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range left {
		t.Errorf("left running: %s", p)
	}
}

// processesWith lists "pid command" of the processes whose environment
// holds entry.
func processesWith(entry string) ([]string, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dir := range dirs {
		environ, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil {
			continue // gone, or not ours to read
		}
		if !bytes.Contains(append(append([]byte{0}, environ...), 0), []byte("\x00"+entry+"\x00")) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s %s", filepath.Base(dir), strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return out, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoBin != "" {
		_ = os.RemoveAll(filepath.Dir(demoBin))
	}
	os.Exit(code)
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
