package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// process is a control-plane binary run beside kube-apiserver and etcd,
// logging to a file in the control plane's folder.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File
}

// startProcess runs a binary of KUBEBUILDER_ASSETS as a system:masters user
// of its own name, with a kubeconfig for it appended as --kubeconfig.
func (cp *ControlPlane) startProcess(assets, name string, args ...string) (*process, error) {
	bin := filepath.Join(assets, name)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS=%s has no %s (run `make tools`): %w", assets, name, err)
	}
	kubeconfig, err := cp.KubeconfigFile(name, "system:masters")
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(cp.dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	cmd := exec.Command(bin, append(args, "--kubeconfig="+kubeconfig)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		_ = cmd.Wait() // it exits with "signal: terminated" when stopped
		close(p.done)
	}()
	return p, nil
}

// startControllerManager runs kube-controller-manager limited to the
// controllers whose behaviour the tests rely on: garbage collection and
// StatefulSets, and the volume binder when pods run.
func (cp *ControlPlane) startControllerManager(assets string, podsRun bool) (*process, error) {
	controllers := []string{"garbagecollector", "statefulset"}
	if podsRun {
		controllers = append(controllers, "persistentvolume-binder-controller")
	}
	return cp.startProcess(assets, "kube-controller-manager",
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
	)
}

// startScheduler runs kube-scheduler, which binds pods to NodeName.
func (cp *ControlPlane) startScheduler(assets string) (*process, error) {
	return cp.startProcess(assets, "kube-scheduler",
		"--leader-elect=false",
		"--secure-port=0",
	)
}

func (p *process) stop() error {
	defer p.log.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		err := p.cmd.Process.Kill()
		<-p.done
		if err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("killing %s: %w", p.name, err)
		}
		return nil
	}
}
