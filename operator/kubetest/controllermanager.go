package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// controllerManager is a kube-controller-manager process limited to the
// controllers whose behaviour the tests rely on.
type controllerManager struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File
}

func (cp *ControlPlane) startControllerManager(assets string) (*controllerManager, error) {
	bin := filepath.Join(assets, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS=%s has no kube-controller-manager (run `make tools`): %w", assets, err)
	}
	kubeconfig, err := cp.KubeconfigFile("kube-controller-manager", "system:masters")
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(cp.dir, "kube-controller-manager.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the kube-controller-manager log: %w", err)
	}
	cmd := exec.Command(bin,
		"--kubeconfig="+kubeconfig,
		"--controllers=garbagecollector,statefulset",
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	kcm := &controllerManager{cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		_ = cmd.Wait() // it exits with "signal: terminated" when stopped
		close(kcm.done)
	}()
	return kcm, nil
}

func (kcm *controllerManager) stop() error {
	defer kcm.log.Close()
	_ = kcm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-kcm.done:
		return nil
	case <-time.After(10 * time.Second):
		err := kcm.cmd.Process.Kill()
		<-kcm.done
		if err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("killing kube-controller-manager: %w", err)
		}
		return nil
	}
}
