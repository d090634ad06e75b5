// Package kubetest runs a real, local Kubernetes control plane for tests:
// kube-apiserver and etcd through controller-runtime's envtest, optionally
// kube-controller-manager (garbage collection and StatefulSet controllers),
// an audit log that lets a test count the writes each user made, the
// neighbours real clusters run next to an operator (see neighbours.go), and
// kube-scheduler with a node whose pods run.
//
// The binaries are built from source by `make tools` into the folder named by
// KUBEBUILDER_ASSETS; nothing is downloaded at test time.
package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Options select the parts of the control plane a test needs.
type Options struct {
	// ControllerManager also runs kube-controller-manager with the garbage
	// collector and the StatefulSet controller, so owned objects are deleted
	// with their owner and pod-template changes create ControllerRevisions.
	ControllerManager bool

	// Audit records every write request in an audit log (see Writes).
	Audit bool

	// Neighbours starts the in-process stand-ins for what real clusters run
	// next to the operator; each acts only in the namespaces a test switches
	// it on for (see neighbours.go).
	Neighbours bool

	// PodsRun, with ControllerManager and Neighbours, also runs
	// kube-scheduler, a node whose stand-in kubelet runs the pods bound to it
	// and a volume provisioner: pods that tolerate NodeTaint really run.
	PodsRun bool

	// CRDDirectoryPaths are installed before Start returns; defaults to the
	// operator's generated CRDs.
	CRDDirectoryPaths []string

	// WebhookInstallOptions registers admission webhooks served by the test.
	WebhookInstallOptions envtest.WebhookInstallOptions

	// APIServerFlags are more kube-apiserver flags, for example a wider
	// service-cluster-ip-range for a run with many Services.
	APIServerFlags map[string]string

	// StartTimeout bounds the start of each process (one minute when zero).
	StartTimeout time.Duration
}

// ControlPlane is a running local control plane.
type ControlPlane struct {
	// Env is the underlying envtest environment.
	Env *envtest.Environment
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config

	dir        string
	auditPath  string
	processes  []*process // stopped in reverse order
	neighbours *neighbours
	started    bool
}

// Start builds nothing: it runs the binaries found in KUBEBUILDER_ASSETS.
func Start(opts Options) (*ControlPlane, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, fmt.Errorf("creating the control plane's work folder: %w", err)
	}
	cp := &ControlPlane{dir: dir}
	cp.Env = newEnvironment(assets, root, opts)
	args := cp.Env.ControlPlane.GetAPIServer().Configure()
	for flag, value := range opts.APIServerFlags {
		args.Set(flag, value)
	}
	if opts.Audit {
		if err := cp.configureAudit(); err != nil {
			return nil, cp.cleanupAfter(err)
		}
	}
	cp.started = true
	cfg, err := cp.Env.Start()
	if err != nil {
		return nil, cp.cleanupAfter(fmt.Errorf("starting kube-apiserver and etcd: %w", err))
	}
	cp.Config = cfg
	if err := cp.startParts(assets, opts); err != nil {
		return nil, cp.cleanupAfter(err)
	}
	return cp, nil
}

// startParts starts what runs beside kube-apiserver and etcd.
func (cp *ControlPlane) startParts(assets string, opts Options) error {
	podsRun := opts.PodsRun && opts.ControllerManager && opts.Neighbours
	if opts.PodsRun && !podsRun {
		return errors.New("kubetest: PodsRun needs ControllerManager and Neighbours")
	}
	if opts.ControllerManager {
		kcm, err := cp.startControllerManager(assets, podsRun)
		if err != nil {
			return err
		}
		cp.processes = append(cp.processes, kcm)
	}
	if podsRun {
		scheduler, err := cp.startScheduler(assets)
		if err != nil {
			return err
		}
		cp.processes = append(cp.processes, scheduler)
	}
	if opts.Neighbours {
		n, err := cp.startNeighbours(podsRun)
		if err != nil {
			return err
		}
		cp.neighbours = n
	}
	return nil
}

func newEnvironment(assets, root string, opts Options) *envtest.Environment {
	crds := opts.CRDDirectoryPaths
	if len(crds) == 0 {
		crds = []string{filepath.Join(root, "operator", "config", "crd")}
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	return &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        crds,
		ErrorIfCRDPathMissing:    true,
		WebhookInstallOptions:    opts.WebhookInstallOptions,
		ControlPlaneStartTimeout: timeout,
		ControlPlaneStopTimeout:  time.Minute,
	}
}

func (cp *ControlPlane) cleanupAfter(err error) error {
	return errors.Join(err, cp.Stop())
}

// Stop stops every process of the control plane and removes its files.
func (cp *ControlPlane) Stop() error {
	var errs []error
	if cp.neighbours != nil {
		errs = append(errs, cp.neighbours.stop())
		cp.neighbours = nil
	}
	for i := len(cp.processes) - 1; i >= 0; i-- {
		errs = append(errs, cp.processes[i].stop())
	}
	cp.processes = nil
	// Stop even when Start failed half way (for example installing the
	// CRDs): kube-apiserver and etcd may be running already.
	if cp.started {
		errs = append(errs, cp.Env.Stop())
		cp.started, cp.Config = false, nil
	}
	errs = append(errs, os.RemoveAll(cp.dir))
	return errors.Join(errs...)
}

// UserConfig provisions a user in the given groups (for example
// "system:masters") and returns a configuration that acts as that user.
// Distinct users let the audit log tell whose writes it recorded.
func (cp *ControlPlane) UserConfig(name string, groups ...string) (*rest.Config, error) {
	user, err := cp.Env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("provisioning user %q: %w", name, err)
	}
	return user.Config(), nil
}

// Dir is the control plane's work folder, removed by Stop.
func (cp *ControlPlane) Dir() string { return cp.dir }

// KubeconfigFile writes a kubeconfig for the user to the control plane's
// folder and returns its path.
func (cp *ControlPlane) KubeconfigFile(name string, groups ...string) (string, error) {
	user, err := cp.Env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", fmt.Errorf("provisioning user %q: %w", name, err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("rendering the kubeconfig of %q: %w", name, err)
	}
	path := filepath.Join(cp.dir, name+".kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing the kubeconfig of %q: %w", name, err)
	}
	return path, nil
}

// AssetsDir is the folder holding kube-apiserver, etcd and
// kube-controller-manager.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		return "", errors.New("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, " +
			"which builds kube-apiserver, etcd and kube-controller-manager first")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("KUBEBUILDER_ASSETS=%s has no %s (run `make tools`): %w", dir, bin, err)
		}
	}
	return dir, nil
}

// RepoRoot is the folder holding the project's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isProjectModule(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no go.mod of github.com/dittofs/dittofs-operator above the working directory")
		}
		dir = parent
	}
}

func isProjectModule(goMod []byte) bool {
	const want = "module github.com/dittofs/dittofs-operator\n"
	return len(goMod) >= len(want) && string(goMod[:len(want)]) == want
}
