package kubetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFailedStartLeavesNoProcess: a CRD the API server refuses fails Start
// after kube-apiserver and etcd are up; they must not outlive the failure.
func TestFailedStartLeavesNoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local control plane")
	}
	if _, err := AssetsDir(); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Options{CRDDirectoryPaths: []string{filepath.Join("testdata", "badcrd")}})
	if err == nil {
		t.Fatal("Start accepted a CRD with an invalid CEL rule")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		children := childProcesses(t, "kube-apiserver", "etcd")
		if len(children) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left running after a failed Start: %v", children)
		}
		time.Sleep(100 * time.Millisecond) // polling /proc for processes to exit
	}
}

// childProcesses lists this process's children with one of the names.
func childProcesses(t *testing.T, names ...string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	self := strconv.Itoa(os.Getpid())
	var found []string
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		end := strings.LastIndexByte(string(stat), ')')
		start := strings.IndexByte(string(stat), '(')
		if start < 0 || end < start {
			continue
		}
		fields := strings.Fields(string(stat[end+1:]))
		comm := string(stat[start+1 : end])
		if len(fields) > 1 && fields[1] == self {
			for _, n := range names {
				if comm == n {
					found = append(found, e.Name()+" "+comm)
				}
			}
		}
	}
	return found
}
