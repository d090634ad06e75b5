package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

const (
	releaseName      = framework.ReleaseName
	releaseNamespace = framework.ReleaseNamespace
	crdName          = "dittoservers.dittofs.dittofs.com"
)

// chartRef is the chart in the registry.
func (r *release) chartRef() string { return "oci://" + r.registry + "/charts/dittofs-operator" }

// pinnedImage is the image reference the released chart must render.
func (r *release) pinnedImage() string { return r.imageRepo + "@" + r.digest.String() }

// helmCmd runs the helm command with its configuration and caches in a
// temporary folder, and returns what it printed.
func helmCmd(t *testing.T, r *release, args ...string) string {
	t.Helper()
	home := t.TempDir()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(v, filepath.Join(home, v))
	}
	out, err := run(context.Background(), home, nil, r.helm, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChartPulledFromTheRegistry(t *testing.T) {
	r := released(t)
	dir := t.TempDir()
	helmCmd(t, r, "pull", r.chartRef(), "--version", r.chartVersion, "--plain-http", "--destination", dir)
	pulled, err := loader.Load(filepath.Join(dir, "dittofs-operator-"+r.chartVersion+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	source, err := loader.Load(filepath.Join(r.root, "charts", "dittofs-operator"))
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Metadata.Version != source.Metadata.Version {
		t.Errorf("chart version %s, want %s from Chart.yaml", pulled.Metadata.Version, source.Metadata.Version)
	}
	if pulled.Metadata.AppVersion != r.tag {
		t.Errorf("appVersion %s, want the image tag %s", pulled.Metadata.AppVersion, r.tag)
	}
	image, _ := pulled.Values["image"].(map[string]any)
	if image["repository"] != r.imageRepo || image["digest"] != r.digest.String() {
		t.Errorf("values image = %v, want repository %s and digest %s", image, r.imageRepo, r.digest)
	}
}

func TestInstallFromTheRegistry(t *testing.T) {
	r := released(t)
	// No CRD: the chart installs it.
	cp, err := kubetest.Start(kubetest.Options{CRDDirectoryPaths: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	kubeconfig, err := cp.KubeconfigFile("helm-user", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	out := helmCmd(t, r, "install", releaseName, r.chartRef(), "--version", r.chartVersion, "--plain-http",
		"--namespace", releaseNamespace, "--create-namespace", "--kubeconfig", kubeconfig)
	if want := "It runs the image " + r.pinnedImage() + "."; !strings.Contains(out, want) {
		t.Errorf("the installation notes do not say %q:\n%s", want, out)
	}
	kube, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	dep, err := kube.AppsV1().Deployments(releaseNamespace).Get(context.Background(), releaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != r.pinnedImage() {
		t.Errorf("the Deployment runs %s, want %s", got, r.pinnedImage())
	}
}

// previousChart is the packaged chart of the previous release (testdata).
func previousChart(t *testing.T) (string, *chart.Chart) {
	t.Helper()
	archives, err := filepath.Glob(filepath.Join("testdata", "dittofs-operator-*.tgz"))
	if err != nil || len(archives) != 1 {
		t.Fatalf("testdata holds %v, want one packaged chart (%v)", archives, err)
	}
	path, err := filepath.Abs(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	chrt, err := loader.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, chrt
}

// survivors are the objects a chart upgrade must keep, by UID.
type survivors map[string]types.UID

func snapshot(t *testing.T, ctx context.Context, c client.Client, namespaces []string) survivors {
	t.Helper()
	s := survivors{}
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	if err := c.Get(ctx, client.ObjectKey{Name: crdName}, crd); err != nil {
		t.Fatalf("the CRD: %v", err)
	}
	s.add(t, "CustomResourceDefinition "+crdName, crd)
	for _, ns := range namespaces {
		var servers dittov1.DittoServerList
		if err := c.List(ctx, &servers, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for i := range servers.Items {
			s.add(t, "DittoServer "+ns+"/"+servers.Items[i].Name, &servers.Items[i])
		}
		var pvcs corev1.PersistentVolumeClaimList
		if err := c.List(ctx, &pvcs, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for i := range pvcs.Items {
			s.add(t, "PersistentVolumeClaim "+ns+"/"+pvcs.Items[i].Name, &pvcs.Items[i])
		}
	}
	return s
}

func (s survivors) add(t *testing.T, key string, o metav1.Object) {
	if o.GetDeletionTimestamp() != nil {
		t.Errorf("%s is being deleted", key)
		return
	}
	s[key] = o.GetUID()
}

func (s survivors) kinds() map[string]int {
	n := map[string]int{}
	for key := range s {
		kind, _, _ := strings.Cut(key, " ")
		n[kind]++
	}
	return n
}

func compareSurvivors(t *testing.T, when string, before, after survivors) {
	t.Helper()
	for key, uid := range before {
		switch got, ok := after[key]; {
		case !ok:
			t.Errorf("%s: %s is gone", when, key)
		case got != uid:
			t.Errorf("%s: %s was replaced (uid %s, was %s)", when, key, got, uid)
		}
	}
	for key := range after {
		if _, ok := before[key]; !ok {
			t.Logf("%s: %s is new", when, key)
		}
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func ready(ctx context.Context, c client.Client, ns, name string) (bool, error) {
	var server dittov1.DittoServer
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &server); err != nil {
		return false, err
	}
	for _, cond := range server.Status.Conditions {
		if cond.Type == dittov1.ConditionReady {
			return cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == server.Generation, nil
		}
	}
	return false, nil
}

// TestUpgradeFromThePreviousChart upgrades a cluster that runs the previous
// chart version, with DittoServers and their volumes, to the released chart
// from the registry; then the operator binary of the released image takes
// over.
func TestUpgradeFromThePreviousChart(t *testing.T) {
	r := released(t)
	previousPath, previous := previousChart(t)
	if previous.Metadata.Version == r.chartVersion {
		t.Fatalf("the previous chart has the released version %s: bump the chart version", r.chartVersion)
	}
	ctx := context.Background()
	env, err := framework.Start(ctx, framework.Options{Chart: previousPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	if got := env.Chart.Version(); got != previous.Metadata.Version {
		t.Fatalf("installed chart %s, want the previous version %s", got, previous.Metadata.Version)
	}
	op, err := env.StartOperator(framework.OperatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.WaitReady(ctx, 2*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, op.LogTail(40))
	}

	// Two DittoServers, each with its DittoFS API, StatefulSet and volumes.
	const password = "release-admin-pass"
	var namespaces []string
	apis := map[string]*dittofstest.Server{}
	kubelet, stopKubelet := context.WithCancel(ctx)
	t.Cleanup(stopKubelet)
	for range 2 {
		api, err := dittofstest.New(dittofstest.Options{AdminPassword: password})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(api.Close)
		ns, err := framework.CreateNamespace(ctx, env.Client, "release")
		if err != nil {
			t.Fatal(err)
		}
		if err := framework.CreateDittoServer(ctx, env.Client, framework.DittoServerFor(ns, "fs1", api.URL()), password); err != nil {
			t.Fatal(err)
		}
		go framework.KeepPodReady(kubelet, env.Client, ns, "fs1")
		namespaces, apis[ns] = append(namespaces, ns), api
	}
	for _, ns := range namespaces {
		eventually(t, time.Minute, "DittoServer "+ns+"/fs1 ready", func() (bool, error) { return ready(ctx, env.Client, ns, "fs1") })
		eventually(t, 30*time.Second, "the volumes of "+ns+"/fs1", func() (bool, error) {
			var pvcs corev1.PersistentVolumeClaimList
			err := env.Client.List(ctx, &pvcs, client.InNamespace(ns))
			return len(pvcs.Items) > 0, err
		})
	}
	before := snapshot(t, ctx, env.Client, namespaces)
	t.Logf("before the upgrade: %v", before.kinds())

	kubeconfig, err := env.Plane.KubeconfigFile("helm-user", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	// The values the release was installed with, over the new chart's
	// defaults (--reuse-values would keep the old chart's defaults, and so
	// the old image).
	helmCmd(t, r, "upgrade", releaseName, r.chartRef(), "--version", r.chartVersion, "--plain-http", "--reset-then-reuse-values",
		"--namespace", releaseNamespace, "--kubeconfig", kubeconfig)
	if err := env.Chart.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := env.Chart.Version(); got != r.chartVersion {
		t.Fatalf("after the upgrade the release runs chart %s, want %s", got, r.chartVersion)
	}
	ctr, err := env.Chart.OperatorContainer()
	if err != nil {
		t.Fatal(err)
	}
	if ctr.Image != r.pinnedImage() {
		t.Errorf("after the upgrade the Deployment runs %s, want %s", ctr.Image, r.pinnedImage())
	}
	compareSurvivors(t, "after helm upgrade", before, snapshot(t, ctx, env.Client, namespaces))

	// The Deployment's new pod: the released image's binary, with the new
	// chart's arguments, serves the servers the previous one created.
	if err := op.Stop(); err != nil {
		t.Fatal(err)
	}
	next, err := env.StartOperator(framework.OperatorOptions{Binary: imageBinary(t, r)})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.WaitReady(ctx, 2*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, next.LogTail(40))
	}
	ns := namespaces[0]
	admin := framework.NewAdminAPI(apis[ns].URL(), password)
	adapters, err := admin.Adapters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(adapters, func(a framework.Adapter) bool { return a.Enabled && a.Running })
	if i < 0 {
		t.Fatal("the simulated DittoFS runs no adapter")
	}
	service := fmt.Sprintf("fs1-%s", adapters[i].Type)
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: service}, &corev1.Service{}); err != nil {
		t.Fatalf("the Service of the running adapter %s: %v", adapters[i].Type, err)
	}
	if err := admin.Disable(ctx, adapters[i].Type); err != nil {
		t.Fatal(err)
	}
	// The stopped adapter's port closes at once; its Service is kept for
	// the retention period, marked with when the adapter stopped.
	eventually(t, framework.PollInterval+30*time.Second, "the new operator to close "+ns+"/"+service, func() (bool, error) {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: service}, &networkingv1.NetworkPolicy{})
		if !apierrors.IsNotFound(err) {
			return false, client.IgnoreNotFound(err)
		}
		svc := &corev1.Service{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: service}, svc); err != nil {
			return false, err
		}
		_, kept := svc.Annotations[dittov1.AnnotationStoppedAt]
		return kept, nil
	})
	for _, ns := range namespaces {
		eventually(t, time.Minute, "DittoServer "+ns+"/fs1 ready under the new operator", func() (bool, error) { return ready(ctx, env.Client, ns, "fs1") })
	}
	compareSurvivors(t, "after the new operator took over", before, snapshot(t, ctx, env.Client, namespaces))
}

// imageBinary is the operator binary of this machine's platform, taken
// from the image in the registry.
func imageBinary(t *testing.T, r *release) string {
	t.Helper()
	idx := pulled(t, r)
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil || desc.Platform.OS != runtime.GOOS || desc.Platform.Architecture != runtime.GOARCH {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		binary, ok := filesOf(t, img)["dittofs-operator"]
		if !ok {
			t.Fatal("the image has no /dittofs-operator")
		}
		path := filepath.Join(t.TempDir(), "dittofs-operator")
		if err := os.WriteFile(path, binary.data, 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Skipf("the image has no binary for %s/%s", runtime.GOOS, runtime.GOARCH)
	return ""
}
