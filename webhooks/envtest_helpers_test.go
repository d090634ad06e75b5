package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

func sampleServer(namespace, name string) *dittov1.DittoServer {
	return &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: dittov1.DittoServerSpec{
			Storage: dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
		},
	}
}

func rawJSON(v any) *apiextensionsv1.JSON {
	data, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return &apiextensionsv1.JSON{Raw: data}
}

func configOf(settings map[string]any) *dittov1.ServerConfig {
	cfg := &dittov1.ServerConfig{}
	Expect(cfg.UnmarshalJSON(rawJSON(settings).Raw)).To(Succeed())
	return cfg
}

func key(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

// newNamespace creates a namespace with labels for one spec.
func newNamespace(ctx context.Context, c client.Client, labels map[string]string) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ditto-", Labels: labels}}
	Expect(c.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// warningRecorder keeps the warnings the API server returned.
type warningRecorder struct {
	mu       sync.Mutex
	messages []string
}

func (w *warningRecorder) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.messages = append(w.messages, text)
}

func (w *warningRecorder) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.messages...)
}

// newClient is a client of cp; warnings go to rec, or nowhere when nil.
func newClient(cp *kubetest.ControlPlane, rec *warningRecorder) client.Client {
	cfg := rest.CopyConfig(cp.Config)
	cfg.WarningHandler = nil
	cfg.WarningHandlerWithContext = rest.NoWarnings{}
	if rec != nil {
		cfg.WarningHandlerWithContext = rec
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// warned runs op with a client recording warnings and returns them.
func warned(op func(client.Client) error) ([]string, error) {
	rec := &warningRecorder{}
	err := op(newClient(plane, rec))
	return rec.list(), err
}

// causeFields are the field paths of an Invalid error.
func causeFields(err error) []string {
	var status apierrors.APIStatus
	ExpectWithOffset(1, errors.As(err, &status)).To(BeTrue(), "not an API error: %v", err)
	ExpectWithOffset(1, apierrors.IsInvalid(err)).To(BeTrue(), "not an Invalid error: %v", err)
	var fields []string
	for _, c := range status.Status().Details.Causes {
		fields = append(fields, c.Field)
	}
	return fields
}

// deniedByWebhook says the error is the webhook's answer, not the schema's.
func deniedByWebhook(err error) {
	ExpectWithOffset(1, err).To(HaveOccurred())
	ExpectWithOffset(1, err.Error()).To(ContainSubstring(`admission webhook "` + "vdittoserver.dittofs.dittofs.com" + `" denied the request`))
}

// crdWithoutRepeatedRules writes a copy of the DittoServer CRD without the
// CEL rules the webhook repeats (legacy fields, polling bounds, the name and
// the name template's placeholders). The API
// server runs CEL before validating webhooks, so with the real CRD those
// requests would never reach the webhook; the real CRD is tested on its own
// in cel_and_rotation_test.go.
func crdWithoutRepeatedRules() string {
	root, err := kubetest.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	data, err := os.ReadFile(filepath.Join(root, "operator", "config", "crd", "dittofs.dittofs.com_dittoservers.yaml"))
	Expect(err).NotTo(HaveOccurred())
	crd := &apiextensionsv1.CustomResourceDefinition{}
	Expect(yaml.UnmarshalStrict(data, crd)).To(Succeed())
	Expect(crd.Spec.Versions).To(HaveLen(1))
	root0 := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	spec := root0.Properties["spec"]
	for _, name := range []string{"config", "adapterPolling"} {
		child := spec.Properties[name]
		child.XValidations = withoutRules(child.XValidations)
		spec.Properties[name] = child
	}
	for _, legacy := range []string{"nfsPort", "smb"} {
		child := spec.Properties[legacy]
		Expect(child.XValidations).NotTo(BeEmpty(), "no rule on spec.%s to remove: the CRD changed", legacy)
		child.XValidations = nil
		spec.Properties[legacy] = child
	}
	adapterService := spec.Properties["adapterService"]
	template := adapterService.Properties["nameTemplate"]
	Expect(template.XValidations).To(HaveLen(1), "no placeholder rule on spec.adapterService.nameTemplate to remove: the CRD changed")
	template.XValidations = nil
	adapterService.Properties["nameTemplate"] = template
	spec.Properties["adapterService"] = adapterService
	Expect(root0.XValidations).NotTo(BeEmpty(), "no rule on metadata.name to remove: the CRD changed")
	root0.XValidations = nil // every root rule checks metadata.name, as the webhook does
	root0.Properties["spec"] = spec
	out, err := yaml.Marshal(crd)
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	Expect(os.WriteFile(filepath.Join(dir, "dittoservers.yaml"), out, 0o600)).To(Succeed())
	return dir
}

func withoutRules(rules apiextensionsv1.ValidationRules) apiextensionsv1.ValidationRules {
	var kept apiextensionsv1.ValidationRules
	for _, r := range rules {
		repeated := false
		for _, word := range []string{"adapters", "interval"} {
			repeated = repeated || strings.Contains(r.Rule, word)
		}
		if !repeated {
			kept = append(kept, r)
		}
	}
	Expect(len(kept)).To(BeNumerically("<", len(rules)), "no rule to remove: the CRD changed")
	return kept
}

// storeLegacy rewrites a stored DittoServer in etcd, under the API server,
// as if it had been written before the CRD's rules and the webhook
// existed: mutate changes its spec. This is the only way to get an object
// the API no longer accepts, which is what the ratchet must keep updatable.
func storeLegacy(ctx context.Context, server *dittov1.DittoServer, mutate func(spec map[string]any)) {
	storeLegacyIn(ctx, plane, k8s, server, mutate)
}

// storeLegacyIn is storeLegacy on the control plane cp, read through c.
func storeLegacyIn(ctx context.Context, cp *kubetest.ControlPlane, c client.Client, server *dittov1.DittoServer, mutate func(spec map[string]any)) {
	storageKey := etcdKey(ctx, cp, server)
	obj := storedObject(ctx, cp, storageKey)
	mutate(obj["spec"].(map[string]any))
	putObject(ctx, cp, storageKey, obj)

	// The API server sees the change through its etcd watch.
	Eventually(func(g Gomega) {
		got := &dittov1.DittoServer{}
		g.Expect(c.Get(ctx, key(server.Namespace, server.Name), got)).To(Succeed())
		g.Expect(got.ResourceVersion).NotTo(Equal(server.ResourceVersion))
		*server = *got
	}).Should(Succeed())
}

// storeCopyNamed stores in etcd a copy of server named name, as if it had
// been created before the API refused that name, and returns it as the API
// server serves it.
func storeCopyNamed(ctx context.Context, cp *kubetest.ControlPlane, c client.Client, server *dittov1.DittoServer, name string) *dittov1.DittoServer {
	storageKey := etcdKey(ctx, cp, server)
	obj := storedObject(ctx, cp, storageKey)
	meta := obj["metadata"].(map[string]any)
	meta["name"] = name
	meta["uid"] = string(uuid.NewUUID())
	putObject(ctx, cp, strings.TrimSuffix(storageKey, "/"+server.Name)+"/"+name, obj)
	got := &dittov1.DittoServer{}
	Eventually(func() error { return c.Get(ctx, key(server.Namespace, name), got) }).Should(Succeed())
	return got
}

func storedObject(ctx context.Context, cp *kubetest.ControlPlane, storageKey string) map[string]any {
	value, err := cp.EtcdGet(ctx, storageKey)
	Expect(err).NotTo(HaveOccurred())
	Expect(value).To(HavePrefix("{"), "the object is not stored as JSON")
	var obj map[string]any
	Expect(json.Unmarshal(value, &obj)).To(Succeed())
	return obj
}

func putObject(ctx context.Context, cp *kubetest.ControlPlane, storageKey string, obj map[string]any) {
	data, err := json.Marshal(obj)
	Expect(err).NotTo(HaveOccurred())
	Expect(cp.EtcdPut(ctx, storageKey, data)).To(Succeed())
}

// etcdKey finds where the API server stores the object, whatever its
// storage prefix.
func etcdKey(ctx context.Context, cp *kubetest.ControlPlane, server *dittov1.DittoServer) string {
	suffix := "/dittoservers/" + server.Namespace + "/" + server.Name
	kvs, err := cp.EtcdRange(ctx, "/", true)
	Expect(err).NotTo(HaveOccurred())
	for _, kv := range kvs {
		if strings.HasSuffix(string(kv.Key), suffix) {
			return string(kv.Key)
		}
	}
	Fail("no etcd key ends with " + suffix)
	return ""
}
