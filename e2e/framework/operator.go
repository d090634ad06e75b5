package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OperatorOptions configure one operator process.
type OperatorOptions struct {
	// Args are added after the chart's arguments and LocalFlags, e.g.
	// --leader-elect for replicas that elect a leader.
	Args []string
	// Binary is the operator binary to run; empty runs the Env's.
	Binary string
}

// Operator is one operator process, standing for one pod of the chart's
// Deployment: it runs the chart's arguments, acts as the chart's
// ServiceAccount, and has its own webhook certificate and policy folders
// that a stand-in kubelet keeps in step with the chart's Secret and
// ConfigMap.
type Operator struct {
	// Name tells processes apart in logs, e.g. "operator-2".
	Name string
	// User is the envtest user the process authenticates as before
	// impersonating the ServiceAccount: the audit log's user.username of
	// its requests.
	User string
	// ServiceAccount is the impersonated identity.
	ServiceAccount string
	// Args is the command line after the binary.
	Args []string
	// LogPath receives the process's standard output and error.
	LogPath string
	// Kubeconfig is the process's kubeconfig: its user, impersonating
	// ServiceAccount.
	Kubeconfig string
	// WebhookAddr, ProbeAddr and MetricsAddr are its loopback addresses.
	WebhookAddr, ProbeAddr, MetricsAddr string

	env          *Env
	cmd          *exec.Cmd
	logFile      *os.File
	done         chan struct{}
	waitErr      error
	stopMounts   context.CancelFunc
	mounts       sync.WaitGroup
	stopOnce     sync.Once
	startedAt    time.Time
	exitedAtLock sync.Mutex
	exitedAt     time.Time
}

// StartOperator starts an operator process. It does not wait for it to be
// ready (see WaitReady).
func (e *Env) StartOperator(opts OperatorOptions) (*Operator, error) {
	e.mu.Lock()
	e.seq++
	name := fmt.Sprintf("operator-%d", e.seq)
	e.mu.Unlock()

	ctr, err := e.Chart.OperatorContainer()
	if err != nil {
		return nil, err
	}
	dep, err := e.Chart.Deployment()
	if err != nil {
		return nil, err
	}
	sa, err := e.Chart.ServiceAccountName()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(e.Dir, name)
	op := &Operator{
		Name: name, User: "e2e-" + name,
		ServiceAccount: "system:serviceaccount:" + e.Chart.Namespace + ":" + sa,
		LogPath:        filepath.Join(dir, "operator.log"),
		env:            e, done: make(chan struct{}),
	}
	kubeconfig, err := op.writeKubeconfig(dir)
	if err != nil {
		return nil, err
	}
	op.Kubeconfig = kubeconfig

	volumes, err := Volumes(&dep.Spec.Template.Spec, ctr)
	if err != nil {
		return nil, err
	}
	mountCtx, stopMounts := context.WithCancel(context.Background())
	op.stopMounts = stopMounts
	mounts := map[string]string{}
	for _, v := range volumes {
		p, err := NewProjection(filepath.Join(dir, "volumes", v.Name))
		if err != nil {
			stopMounts()
			return nil, err
		}
		mounts[v.MountPath] = p.Dir()
		key := client.ObjectKey{Namespace: e.Chart.Namespace, Name: v.Secret + v.ConfigMap}
		op.mounts.Add(1)
		go func() {
			defer op.mounts.Done()
			if v.Secret != "" {
				MountSecret(mountCtx, e.Client, key, p)
			} else {
				MountConfigMap(mountCtx, e.Client, key, p)
			}
		}()
	}

	ports, err := freePorts(3)
	if err != nil {
		op.stopVolumes()
		return nil, err
	}
	op.MetricsAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	op.ProbeAddr = "127.0.0.1:" + strconv.Itoa(ports[1])
	op.WebhookAddr = "127.0.0.1:" + strconv.Itoa(ports[2])
	set := map[string]string{
		"metrics-bind-address":      op.MetricsAddr,
		"health-probe-bind-address": op.ProbeAddr,
		"webhook-port":              strconv.Itoa(ports[2]),
	}
	local, err := ParseFlags(LocalFlags)
	if err != nil {
		op.stopVolumes()
		return nil, err
	}
	for _, f := range local {
		set[f.Name] = f.Value
		if f.Bool {
			set[f.Name] = "true"
		}
	}
	if op.Args, err = LocalArgs(ctr, set, mounts, opts.Args...); err != nil {
		op.stopVolumes()
		return nil, err
	}
	podEnv, err := LocalEnv(ctr, e.Chart.Namespace, name)
	if err != nil {
		op.stopVolumes()
		return nil, err
	}

	if op.logFile, err = os.Create(op.LogPath); err != nil {
		op.stopVolumes()
		return nil, err
	}
	binary := e.operatorBinary
	if opts.Binary != "" {
		binary = opts.Binary
	}
	op.cmd = exec.Command(binary, op.Args...)
	op.cmd.Env = append(append(environWithout("KUBECONFIG"), podEnv...), "KUBECONFIG="+kubeconfig)
	op.cmd.Stdout, op.cmd.Stderr = op.logFile, op.logFile
	// The process dies with the test or demo that started it, even if that
	// one is killed and cannot clean up; in a group of its own, it does not
	// get a terminal's Ctrl-C, so the demo decides when it stops (after the
	// DittoServer it serves is deleted).
	op.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := op.cmd.Start(); err != nil {
		_ = op.logFile.Close()
		op.stopVolumes()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	op.startedAt = time.Now()
	e.mu.Lock()
	e.operators = append(e.operators, op)
	e.mu.Unlock()
	e.Proxy.AddBackend(op.WebhookAddr)
	go func() {
		op.waitErr = op.cmd.Wait()
		op.exitedAtLock.Lock()
		op.exitedAt = time.Now()
		op.exitedAtLock.Unlock()
		e.Proxy.RemoveBackend(op.WebhookAddr)
		_ = op.logFile.Close()
		close(op.done)
	}()
	return op, nil
}

// writeKubeconfig writes a kubeconfig for the process's own envtest user
// that impersonates the ServiceAccount (kubeconfig `as:`).
func (op *Operator) writeKubeconfig(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src, err := op.env.Plane.KubeconfigFile(op.User, operatorGroup)
	if err != nil {
		return "", err
	}
	cfg, err := clientcmd.LoadFromFile(src)
	if err != nil {
		return "", fmt.Errorf("reading the kubeconfig of %s: %w", op.User, err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = op.ServiceAccount
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing the kubeconfig of %s: %w", op.Name, err)
	}
	return path, nil
}

func environWithout(name string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Pid is the process id.
func (op *Operator) Pid() int { return op.cmd.Process.Pid }

// StartedAt is when the process was started.
func (op *Operator) StartedAt() time.Time { return op.startedAt }

// Done is closed when the process has exited.
func (op *Operator) Done() <-chan struct{} { return op.done }

// Exited reports whether the process has exited.
func (op *Operator) Exited() bool {
	select {
	case <-op.done:
		return true
	default:
		return false
	}
}

// ExitError is how the process ended (nil for exit status 0); only
// meaningful once Done is closed.
func (op *Operator) ExitError() error { return op.waitErr }

// Log is everything the process has written so far.
func (op *Operator) Log() string {
	data, err := os.ReadFile(op.LogPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", op.LogPath, err)
	}
	return string(data)
}

// LogTail is the last n bytes of the log.
func (op *Operator) LogTail(n int) string {
	log := op.Log()
	if len(log) > n {
		return "…" + log[len(log)-n:]
	}
	return log
}

// Ready reports whether /readyz answers 200: the manager runs, the webhook
// certificate is mounted and its server accepts TLS.
func (op *Operator) Ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+op.ProbeAddr+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// WaitReady waits until the process is ready, failing early if it exits.
func (op *Operator) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for !op.Ready(ctx) {
		select {
		case <-op.done:
			return fmt.Errorf("%s exited before it was ready (%v); its log:\n%s", op.Name, op.waitErr, op.LogTail(4000))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s; its log:\n%s", op.Name, timeout, op.LogTail(4000))
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// Signal sends sig to the process.
func (op *Operator) Signal(sig syscall.Signal) error {
	if op.Exited() {
		return nil
	}
	if err := op.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", op.Name, err)
	}
	return nil
}

// Kill ends the process with SIGKILL, as a crashed or evicted pod, and waits
// for it.
func (op *Operator) Kill() error {
	if err := op.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-op.done
	op.stopVolumes()
	return nil
}

// Stop ends the process with SIGTERM, as the kubelet stops a pod, and waits
// for it; after 30 seconds it is killed. A process that was already gone
// (killed) is not an error.
func (op *Operator) Stop() error {
	if err := op.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	var err error
	select {
	case <-op.done:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("%s did not stop within 30s of SIGTERM; killed", op.Name)
		_ = op.Signal(syscall.SIGKILL)
		<-op.done
	}
	op.stopVolumes()
	return err
}

func (op *Operator) stopVolumes() {
	op.stopOnce.Do(func() {
		op.stopMounts()
		op.mounts.Wait()
	})
}

// ExitedAt is when the process exited; zero while it runs.
func (op *Operator) ExitedAt() time.Time {
	op.exitedAtLock.Lock()
	defer op.exitedAtLock.Unlock()
	return op.exitedAt
}
