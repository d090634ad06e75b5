package charttest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

const crdName = "dittoservers.dittofs.dittofs.com"

// cluster reaches the test API server as Helm and as an administrator.
type cluster struct {
	kubeconfig string
	kube       kubernetes.Interface
	dynamic    dynamic.Interface
	mapper     meta.RESTMapper
}

func newCluster(t *testing.T, cp *kubetest.ControlPlane) *cluster {
	t.Helper()
	kubeconfig, err := cp.KubeconfigFile("helm", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{kubeconfig: kubeconfig}
	if c.kube, err = kubernetes.NewForConfig(cp.Config); err != nil {
		t.Fatal(err)
	}
	if c.dynamic, err = dynamic.NewForConfig(cp.Config); err != nil {
		t.Fatal(err)
	}
	c.refreshMapper(t)
	return c
}

// refreshMapper re-reads discovery, after the chart installed its CRD.
func (c *cluster) refreshMapper(t *testing.T) {
	t.Helper()
	groups, err := restmapper.GetAPIGroupResources(c.kube.Discovery())
	if err != nil {
		t.Fatal(err)
	}
	c.mapper = restmapper.NewDiscoveryRESTMapper(groups)
}

// helm is a Helm action configuration for the release namespace, with the
// discovery cache in a temporary folder rather than ~/.kube.
func (c *cluster) helm(t *testing.T) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, namespace, cache := c.kubeconfig, releaseNamespace, t.TempDir()
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &namespace, &cache
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, releaseNamespace, "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	// The kube-apiserver built by `make tools` carries no version stamp
	// (it reports v0.0.0-master), which fails the chart's kubeVersion
	// constraint; tell Helm the version it was built from.
	dc, err := flags.ToDiscoveryClient()
	if err != nil {
		t.Fatal(err)
	}
	server, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(server.GitVersion, "v0.0.0") {
		apiVersions, err := action.GetVersionSet(dc)
		if err != nil {
			t.Fatal(err)
		}
		v := pinnedKubeVersion(t)
		cfg.Capabilities = &chartutil.Capabilities{
			APIVersions: apiVersions,
			KubeVersion: chartutil.KubeVersion{Version: "v" + v.String(), Major: fmt.Sprint(v.Major()), Minor: fmt.Sprint(v.Minor())},
			HelmVersion: chartutil.DefaultCapabilities.HelmVersion,
		}
	}
	return cfg
}

// pinnedKubeVersion is the k8s.io/kubernetes version hack/tools/kube builds
// kube-apiserver from.
func pinnedKubeVersion(t *testing.T) *semver.Version {
	t.Helper()
	goMod, err := os.ReadFile(repoPath(t, "hack", "tools", "kube", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(goMod)) {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == "k8s.io/kubernetes" {
			v, err := semver.NewVersion(fields[1])
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("hack/tools/kube/go.mod does not require k8s.io/kubernetes")
	return nil
}

func (c *cluster) resource(t *testing.T, o *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("mapping %s: %v", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dynamic.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	return c.dynamic.Resource(m.Resource)
}

// get returns the live object, or nil when it does not exist.
func (c *cluster) get(t *testing.T, o *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	live, err := c.resource(t, o).Get(context.Background(), o.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("getting %s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return live
}

// applyStrict checks an object against the API server's schema with strict
// field validation: Helm creates objects with the server's default, which
// drops unknown fields with a mere warning.
func (c *cluster) applyStrict(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	data, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.resource(t, o).Patch(context.Background(), o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    "charttest",
		Force:           new(true),
		FieldValidation: "Strict",
	})
	if err != nil {
		t.Errorf("%s %s/%s is not valid for the API server: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
}

func TestInstallUpgradeUninstall(t *testing.T) {
	c := newCluster(t, controlPlane(t))
	chrt := loadChart(t)
	// Namespaces the ci values files watch; the chart grants Roles in them.
	for _, ns := range []string{"storage", "team-a"} {
		_, err := c.kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	// Each install after the first adopts the CRD the previous uninstall kept.
	for _, file := range ciValuesFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			lifecycle(t, c, chrt, readValues(t, file))
		})
	}
	t.Run("crds.keep=false", func(t *testing.T) {
		vals := parseValues(t, "crds: {keep: false}")
		install(t, c, chrt, vals)
		uninstall(t, c)
		crd := &unstructured.Unstructured{}
		crd.SetAPIVersion("apiextensions.k8s.io/v1")
		crd.SetKind("CustomResourceDefinition")
		crd.SetName(crdName)
		waitGone(t, c, crd)
	})
}

// lifecycle installs the chart with vals, acts as the operator would
// (certificates, CA bundle), upgrades with a changed value and checks that
// Helm kept what the operator wrote, then uninstalls and checks that only the
// CRD remains.
func lifecycle(t *testing.T, c *cluster, chrt *chart.Chart, vals map[string]any) {
	objs := install(t, c, chrt, vals)
	for _, o := range objs {
		c.applyStrict(t, o)
	}

	operatorMode := !strings.Contains(mustRender(t, chrt, vals), "cert-manager.io/inject-ca-from")
	ctx := context.Background()
	secrets := c.kube.CoreV1().Secrets(releaseNamespace)
	if operatorMode {
		// The operator's certificate rotator fills the Secret the chart created.
		patch := `{"data":{"ca.crt":"Y2E=","ca.key":"a2V5","tls.crt":"Y2VydA==","tls.key":"a2V5"}}`
		if _, err := secrets.Patch(ctx, "dittofs-operator-webhook-tls", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatalf("filling the webhook Secret: %v", err)
		}
	}
	// The rotator (or cert-manager's CA injector) writes the CA bundle.
	vwcs := c.kube.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	vwc, err := vwcs.Get(ctx, "dittofs-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vwc.Webhooks[0].ClientConfig.CABundle = []byte("injected CA")
	if _, err := vwcs.Update(ctx, vwc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("injecting the CA bundle: %v", err)
	}

	// Upgrade with a different log level.
	upgraded := maps.Clone(vals)
	level := "error"
	if vals["logLevel"] == "error" {
		level = "debug"
	}
	upgraded["logLevel"] = level
	up := action.NewUpgrade(c.helm(t))
	up.Namespace = releaseNamespace
	up.Timeout = time.Minute
	if _, err := up.Run(releaseName, chrt, upgraded); err != nil {
		t.Fatalf("helm upgrade: %v", err)
	}
	dep, err := c.kube.AppsV1().Deployments(releaseNamespace).Get(ctx, "dittofs-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if args := operatorArgs(dep); !slices.Contains(args, "--zap-log-level="+level) {
		t.Errorf("after the upgrade the operator runs with %v, want --zap-log-level=%s", args, level)
	}
	vwc, err = vwcs.Get(ctx, "dittofs-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(vwc.Webhooks[0].ClientConfig.CABundle); got != "injected CA" {
		t.Errorf("helm upgrade changed the injected CA bundle to %q", got)
	}
	if operatorMode {
		secret, err := secrets.Get(ctx, "dittofs-operator-webhook-tls", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(secret.Data) != 4 || string(secret.Data["tls.crt"]) != "cert" {
			t.Errorf("helm upgrade changed the operator's certificates: %v", slices.Sorted(maps.Keys(secret.Data)))
		}
	}

	uninstall(t, c)
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			if live := c.get(t, o); live == nil || live.GetDeletionTimestamp() != nil {
				t.Errorf("the CRD was deleted with the release despite crds.keep")
			}
			continue
		}
		waitGone(t, c, o)
	}
}

// install installs the chart and checks that every object it rendered exists.
func install(t *testing.T, c *cluster, chrt *chart.Chart, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	inst := action.NewInstall(c.helm(t))
	inst.ReleaseName = releaseName
	inst.Namespace = releaseNamespace
	inst.CreateNamespace = true
	inst.Timeout = time.Minute
	rel, err := inst.Run(chrt, vals)
	if err != nil {
		t.Fatalf("helm install: %v", err)
	}
	c.refreshMapper(t)
	objs := objects(t, rel.Manifest)
	if len(objs) < 10 {
		t.Fatalf("the release has %d objects, want at least 10", len(objs))
	}
	for _, o := range objs {
		if c.get(t, o) == nil {
			t.Errorf("%s %s/%s was not created", o.GetKind(), o.GetNamespace(), o.GetName())
		}
	}
	return objs
}

func uninstall(t *testing.T, c *cluster) {
	t.Helper()
	un := action.NewUninstall(c.helm(t))
	un.Timeout = time.Minute
	if _, err := un.Run(releaseName); err != nil {
		t.Fatalf("helm uninstall: %v", err)
	}
}

// waitGone waits until the object no longer exists. Without a garbage
// collector, objects with finalizers (a CRD) take a moment to go.
func waitGone(t *testing.T, c *cluster, o *unstructured.Unstructured) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.get(t, o) != nil {
		if time.Now().After(deadline) {
			t.Errorf("%s %s/%s still exists after uninstall", o.GetKind(), o.GetNamespace(), o.GetName())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func operatorArgs(dep *appsv1.Deployment) []string {
	for _, ctr := range dep.Spec.Template.Spec.Containers {
		if ctr.Name == "operator" {
			return ctr.Args
		}
	}
	return nil
}

// TestClusterScopedResourcesMatchDiscovery checks the list the chart's rule
// generator uses to keep rules cluster-wide under rbac.watchNamespaces.
func TestClusterScopedResourcesMatchDiscovery(t *testing.T) {
	c := newCluster(t, controlPlane(t))
	lists, err := c.kube.Discovery().ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		t.Fatal(err)
	}
	namespaced := map[string]bool{}
	for _, list := range lists {
		gv, err := schemaGroup(list.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list.APIResources {
			namespaced[gv+"/"+r.Name] = r.Namespaced
		}
	}
	// The DittoServer CRD is not installed here: its scope is in the CRD.
	namespaced["dittofs.dittofs.com/dittoservers"] = true
	for _, rule := range markerRules(t) {
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				base, _, _ := strings.Cut(res, "/")
				ns, known := namespaced[g+"/"+base]
				if !known {
					t.Errorf("role.yaml names %s/%s, which the API server does not serve", g, base)
					continue
				}
				if scoped := isClusterScoped(g, res); scoped == ns {
					t.Errorf("%s/%s: the rule generator says cluster-scoped=%t, the API server says namespaced=%t", g, base, scoped, ns)
				}
			}
		}
	}
}

func schemaGroup(groupVersion string) (string, error) {
	parts := strings.Split(groupVersion, "/")
	switch len(parts) {
	case 1:
		return "", nil
	case 2:
		return parts[0], nil
	}
	return "", fmt.Errorf("bad group version %q", groupVersion)
}
