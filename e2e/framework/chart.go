package framework

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/yaml"
)

// Chart is the operator's Helm chart, installed into the local control plane
// with the Helm SDK, as `helm install` would.
type Chart struct {
	// Release and Namespace name the release.
	Release, Namespace string

	chart      *chart.Chart
	kubeconfig string
	cacheDir   string
	kubeDir    string
	values     map[string]any
	manifest   string
}

// LoadChart loads the chart at dir (a folder or an archive) for a release in namespace. kubeconfig
// reaches the cluster as the user Helm acts as; kubeToolsDir is the tool
// module (hack/tools/kube) the local kube-apiserver is built from.
func LoadChart(dir, release, namespace, kubeconfig, kubeToolsDir, cacheDir string) (*Chart, error) {
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	return &Chart{Release: release, Namespace: namespace, chart: chrt, kubeconfig: kubeconfig, cacheDir: cacheDir, kubeDir: kubeToolsDir}, nil
}

// helm is an action configuration for the release namespace.
func (c *Chart) helm() (*action.Configuration, error) {
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, namespace, cache := c.kubeconfig, c.Namespace, c.cacheDir
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &namespace, &cache
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, c.Namespace, "secret", func(string, ...any) {}); err != nil {
		return nil, fmt.Errorf("configuring helm: %w", err)
	}
	// The kube-apiserver built by `make tools` carries no version stamp (it
	// reports v0.0.0-master), which fails the chart's kubeVersion
	// constraint; tell Helm the version it was built from.
	dc, err := flags.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	server, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("reading the API server's version: %w", err)
	}
	if strings.HasPrefix(server.GitVersion, "v0.0.0") {
		apiVersions, err := action.GetVersionSet(dc)
		if err != nil {
			return nil, err
		}
		v, err := pinnedKubeVersion(c.kubeDir)
		if err != nil {
			return nil, err
		}
		cfg.Capabilities = &chartutil.Capabilities{
			APIVersions: apiVersions,
			KubeVersion: chartutil.KubeVersion{Version: "v" + v.String(), Major: fmt.Sprint(v.Major()), Minor: fmt.Sprint(v.Minor())},
			HelmVersion: chartutil.DefaultCapabilities.HelmVersion,
		}
	}
	return cfg, nil
}

// pinnedKubeVersion is the k8s.io/kubernetes version the tool module in dir
// builds kube-apiserver from.
func pinnedKubeVersion(dir string) (*semver.Version, error) {
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(goMod)) {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == "k8s.io/kubernetes" {
			return semver.NewVersion(fields[1])
		}
	}
	return nil, fmt.Errorf("%s/go.mod does not require k8s.io/kubernetes", dir)
}

// Install installs the release with values, creating its namespace.
func (c *Chart) Install(values map[string]any) error {
	cfg, err := c.helm()
	if err != nil {
		return err
	}
	inst := action.NewInstall(cfg)
	inst.ReleaseName = c.Release
	inst.Namespace = c.Namespace
	inst.CreateNamespace = true
	inst.Timeout = time.Minute
	rel, err := inst.Run(c.chart, values)
	if err != nil {
		return fmt.Errorf("helm install: %w", err)
	}
	c.remember(rel, values)
	return nil
}

// Upgrade upgrades the release to values, as `helm upgrade` with a full
// values file would.
func (c *Chart) Upgrade(values map[string]any) error {
	cfg, err := c.helm()
	if err != nil {
		return err
	}
	up := action.NewUpgrade(cfg)
	up.Namespace = c.Namespace
	up.Timeout = time.Minute
	rel, err := up.Run(c.Release, c.chart, values)
	if err != nil {
		return fmt.Errorf("helm upgrade: %w", err)
	}
	c.remember(rel, values)
	return nil
}

// Uninstall removes the release.
func (c *Chart) Uninstall() error {
	cfg, err := c.helm()
	if err != nil {
		return err
	}
	un := action.NewUninstall(cfg)
	un.Timeout = time.Minute
	if _, err := un.Run(c.Release); err != nil {
		return fmt.Errorf("helm uninstall: %w", err)
	}
	return nil
}

// Reload reads the release as it is deployed now, for example after a
// `helm upgrade` run outside the framework: the operator processes started
// afterwards run the arguments of that revision.
func (c *Chart) Reload() error {
	cfg, err := c.helm()
	if err != nil {
		return err
	}
	rel, err := action.NewGet(cfg).Run(c.Release)
	if err != nil {
		return fmt.Errorf("helm get %s: %w", c.Release, err)
	}
	c.chart = rel.Chart
	c.remember(rel, rel.Config)
	return nil
}

// Version is the version of the chart of the installed revision.
func (c *Chart) Version() string { return c.chart.Metadata.Version }

func (c *Chart) remember(rel *release.Release, values map[string]any) {
	c.manifest, c.values = rel.Manifest, values
}

// Values are the values of the installed revision.
func (c *Chart) Values() map[string]any { return c.values }

// Manifest is the rendered manifest of the installed revision.
func (c *Chart) Manifest() string { return c.manifest }

// Deployment is the operator Deployment of the installed revision.
func (c *Chart) Deployment() (*appsv1.Deployment, error) {
	var dep appsv1.Deployment
	if err := c.object("Deployment", &dep); err != nil {
		return nil, err
	}
	return &dep, nil
}

// OperatorContainer is the operator container of the Deployment.
func (c *Chart) OperatorContainer() (*corev1.Container, error) {
	dep, err := c.Deployment()
	if err != nil {
		return nil, err
	}
	for i := range dep.Spec.Template.Spec.Containers {
		if ctr := &dep.Spec.Template.Spec.Containers[i]; ctr.Name == "operator" {
			return ctr, nil
		}
	}
	return nil, errors.New("the chart's Deployment has no container named operator")
}

// ServiceAccountName is the ServiceAccount the operator pods run as.
func (c *Chart) ServiceAccountName() (string, error) {
	dep, err := c.Deployment()
	if err != nil {
		return "", err
	}
	return dep.Spec.Template.Spec.ServiceAccountName, nil
}

// WebhookConfigurationName is the ValidatingWebhookConfiguration the chart
// installs.
func (c *Chart) WebhookConfigurationName() (string, error) {
	var obj struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := c.object("ValidatingWebhookConfiguration", &obj); err != nil {
		return "", err
	}
	return obj.Metadata.Name, nil
}

// PolicyConfigMapName is the ConfigMap of the platform policies (the only
// ConfigMap of the release), which the operator mounts as its policy folder.
func (c *Chart) PolicyConfigMapName() (string, error) {
	var obj struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := c.object("ConfigMap", &obj); err != nil {
		return "", err
	}
	return obj.Metadata.Name, nil
}

// object decodes the only object of kind in the manifest into out.
func (c *Chart) object(kind string, out any) error {
	var found []byte
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(c.manifest), 4096)
	for {
		var raw runtime.RawExtension
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("decoding the release manifest: %w", err)
		}
		if len(raw.Raw) == 0 {
			continue
		}
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(raw.Raw, &meta); err != nil {
			return err
		}
		if meta.Kind != kind {
			continue
		}
		if found != nil {
			return fmt.Errorf("the release has more than one %s", kind)
		}
		found = raw.Raw
	}
	if found == nil {
		return fmt.Errorf("the release has no %s", kind)
	}
	return yaml.Unmarshal(found, out)
}

// WebhookSecretName is the Secret holding the webhook's certificate: the one
// Secret the operator container mounts.
func (c *Chart) WebhookSecretName() (string, error) {
	dep, err := c.Deployment()
	if err != nil {
		return "", err
	}
	ctr, err := c.OperatorContainer()
	if err != nil {
		return "", err
	}
	volumes, err := Volumes(&dep.Spec.Template.Spec, ctr)
	if err != nil {
		return "", err
	}
	for _, v := range volumes {
		if v.Secret != "" {
			return v.Secret, nil
		}
	}
	return "", errors.New("the operator container mounts no Secret")
}
