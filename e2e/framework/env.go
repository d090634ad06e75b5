package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
	"github.com/dittofs/dittofs-operator/webhooks"
)

// Names of the release the framework installs.
const (
	ReleaseName      = "dittofs-operator"
	ReleaseNamespace = "dittofs-system"
	// UserName is who creates objects in the tests and the demo, as a
	// cluster administrator running kubectl would.
	UserName = "e2e-user"
	// operatorGroup holds the envtest users of the operator processes: it may
	// impersonate the chart's ServiceAccount and nothing else.
	operatorGroup = "e2e:operator-processes"
)

// BaselinePolicy is the platform policy module the chart is installed with,
// so that the operator runs with a policy folder from the start (the chart
// mounts one only when policies are set). It shapes nothing.
const BaselinePolicy = `# Platform rules of the local cluster: none yet.
package dittofs.networking.custom.platform

service_annotations := {}
`

// BaselinePolicyFile is the file name of BaselinePolicy in policies.custom.
const BaselinePolicyFile = "platform.rego"

// Options configure Start.
type Options struct {
	// OperatorBinary is a built operator; empty builds one into the work
	// folder.
	OperatorBinary string
	// Progress receives a line for each step of the start-up; nil discards.
	Progress io.Writer
	// Chart is the chart to install: a folder or a packaged archive (.tgz).
	// Empty installs the repository's charts/dittofs-operator.
	Chart string
}

// Env is a local cluster with the chart installed, ready to run operator
// processes.
type Env struct {
	// Plane is the local control plane, with kube-controller-manager (its
	// garbage collector and StatefulSet controller) and an audit log.
	Plane *kubetest.ControlPlane
	// Config, Client and Kube act as UserName, a cluster administrator.
	Config *rest.Config
	Client client.Client
	Kube   kubernetes.Interface
	Scheme *runtime.Scheme
	// UserKubeconfig is a kubeconfig file for UserName, for kubectl.
	UserKubeconfig string
	// Chart is the installed release.
	Chart *Chart
	// Proxy is the webhook Service the release's webhook.url points at.
	Proxy *ServiceProxy
	// Root is the repository root; Dir the work folder, removed by Stop.
	Root, Dir string

	operatorBinary string
	chartPath      string
	progress       io.Writer

	mu        sync.Mutex
	operators []*Operator
	seq       int
}

// NewScheme knows the built-in kinds and DittoServer.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := dittov1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the control plane, builds the operator unless given one, and
// installs the chart. On error, whatever was started is stopped.
func Start(ctx context.Context, opts Options) (env *Env, err error) {
	root, err := kubetest.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dittofs-e2e-")
	if err != nil {
		return nil, err
	}
	env = &Env{Root: root, Dir: dir, progress: opts.Progress, operatorBinary: opts.OperatorBinary, chartPath: opts.Chart}
	if env.chartPath == "" {
		env.chartPath = filepath.Join(root, "charts", "dittofs-operator")
	}
	if env.progress == nil {
		env.progress = io.Discard
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, env.Stop())
			env = nil
		}
	}()
	if env.Scheme, err = NewScheme(); err != nil {
		return env, err
	}

	// The binary builds while the control plane starts.
	built := make(chan error, 1)
	if env.operatorBinary == "" {
		env.operatorBinary = filepath.Join(dir, "bin", "dittofs-operator")
		go func() { built <- BuildOperator(ctx, root, env.operatorBinary) }()
	} else {
		built <- nil
	}

	setupErr := env.setUp(ctx)
	// Wait for the build even after a failed set-up: it writes into the work
	// folder that Stop removes.
	return env, errors.Join(setupErr, <-built)
}

// setUp starts the control plane and installs the chart.
func (e *Env) setUp(ctx context.Context) error {
	e.logf("starting kube-apiserver, etcd, kube-controller-manager and a load-balancer controller")
	// The chart installs the CRD: the control plane starts without it.
	noCRDs := filepath.Join(e.Dir, "no-crds")
	if err := os.MkdirAll(noCRDs, 0o755); err != nil {
		return err
	}
	var err error
	e.Plane, err = kubetest.Start(kubetest.Options{ControllerManager: true, Audit: true, Neighbours: true, CRDDirectoryPaths: []string{noCRDs}})
	if err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	e.logf("installing the chart %s (%s) into %s with the Helm SDK", ReleaseName, e.chartPath, ReleaseNamespace)
	if e.Proxy, err = NewServiceProxy("127.0.0.1:0"); err != nil {
		return err
	}
	helmConfig, err := e.Plane.KubeconfigFile("helm", "system:masters")
	if err != nil {
		return err
	}
	e.Chart, err = LoadChart(e.chartPath, ReleaseName, ReleaseNamespace,
		helmConfig, filepath.Join(e.Root, "hack", "tools", "kube"), filepath.Join(e.Dir, "helm-cache"))
	if err != nil {
		return err
	}
	if err := e.Chart.Install(e.BaseValues()); err != nil {
		return err
	}
	return e.allowImpersonation(ctx)
}

func (e *Env) connect() error {
	var err error
	if e.Config, err = e.Plane.UserConfig(UserName, "system:masters"); err != nil {
		return err
	}
	if e.UserKubeconfig, err = e.Plane.KubeconfigFile(UserName, "system:masters"); err != nil {
		return err
	}
	if e.Client, err = client.New(e.Config, client.Options{Scheme: e.Scheme}); err != nil {
		return err
	}
	e.Kube, err = kubernetes.NewForConfig(e.Config)
	return err
}

// WebhookURL is the address the API server calls for admission: the proxy
// standing in for the webhook Service.
func (e *Env) WebhookURL() string {
	return fmt.Sprintf("https://localhost:%d%s", e.Proxy.Port(), webhooks.Path)
}

// BaseValues are the chart values of a local run: no operator pod (the
// operator runs as local processes), the webhook reached through the proxy,
// certificates from the operator's rotator, and BaselinePolicy.
func (e *Env) BaseValues() map[string]any {
	return map[string]any{
		"replicaCount": 0,
		"webhook":      map[string]any{"url": e.WebhookURL(), "port": e.Proxy.Port()},
		"certs":        map[string]any{"mode": "operator"},
		"policies":     map[string]any{"custom": map[string]any{BaselinePolicyFile: BaselinePolicy}},
	}
}

// ValuesWithPolicies are BaseValues with other policies.custom modules.
func (e *Env) ValuesWithPolicies(modules map[string]string) map[string]any {
	values := e.BaseValues()
	custom := map[string]any{}
	for name, text := range modules {
		custom[name] = text
	}
	values["policies"] = map[string]any{"custom": custom}
	return values
}

// allowImpersonation lets the operator processes' users act as the chart's
// ServiceAccount, so that every request they make is authorized by the
// chart's RBAC alone.
func (e *Env) allowImpersonation(ctx context.Context) error {
	sa, err := e.Chart.ServiceAccountName()
	if err != nil {
		return err
	}
	name := "e2e-impersonate-" + sa
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"serviceaccounts"},
			Verbs: []string{"impersonate"}, ResourceNames: []string{sa},
		}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: operatorGroup}},
	}
	if err := e.Client.Create(ctx, role); err != nil {
		return fmt.Errorf("allowing impersonation: %w", err)
	}
	if err := e.Client.Create(ctx, binding); err != nil {
		return fmt.Errorf("allowing impersonation: %w", err)
	}
	return nil
}

// Operators are every operator process started so far, oldest first.
func (e *Env) Operators() []*Operator {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Operator(nil), e.operators...)
}

// Stop stops every operator process, the proxy and the control plane, and
// removes the work folder.
func (e *Env) Stop() error {
	var errs []error
	for _, op := range e.Operators() {
		errs = append(errs, op.Stop())
	}
	if e.Proxy != nil {
		errs = append(errs, e.Proxy.Close())
	}
	if e.Plane != nil {
		errs = append(errs, e.Plane.Stop())
	}
	errs = append(errs, os.RemoveAll(e.Dir))
	return errors.Join(errs...)
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.progress, format+"\n", args...)
}

// BuildOperator builds the operator binary from the repository at root.
func BuildOperator(ctx context.Context, root, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building the operator needs the go command: %w", err)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "./operator/cmd/dittofs-operator")
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./operator/cmd/dittofs-operator (%s): %w\n%s", time.Since(start).Round(time.Second), err, output)
	}
	return nil
}
