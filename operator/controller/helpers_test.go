package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
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

// configOf turns settings into spec.config.
func configOf(settings map[string]any) *dittov1.ServerConfig {
	cfg := &dittov1.ServerConfig{}
	Expect(cfg.UnmarshalJSON(rawJSON(settings).Raw)).To(Succeed())
	return cfg
}

func key(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

// operatorWritesSince lists the writes the operator made in namespace
// since t.
func operatorWritesSince(namespace string, t time.Time) []kubetest.AuditEvent {
	events, err := plane.Writes(operatorUser, t)
	Expect(err).NotTo(HaveOccurred())
	var out []kubetest.AuditEvent
	for _, e := range events {
		if e.Namespace == namespace {
			out = append(out, e)
		}
	}
	return out
}

// decidedAnnotation is the value of an annotation of a DittoServer in the
// policy input of the operator's last decision for it: evidence that a
// reconcile of this very server ran since the annotation changed.
func decidedAnnotation(namespace, name, annotation string) string {
	in, ok := evaluated.lastInput(namespace, name)
	if !ok {
		return ""
	}
	return in.Server.Annotations[annotation]
}

// markPodReady plays the kubelet: the pod the StatefulSet controller created
// is reported running and ready.
//
// kube-scheduler writes the status of the pod too (it cannot place it: the
// pod does not tolerate the node's taint), so the write is retried on a
// conflict.
func markPodReady(ctx context.Context, namespace, name string) {
	Eventually(func() error { return kubetest.MarkPodReady(ctx, k8s, namespace, name) }).Should(Succeed())
}

// revisions counts the StatefulSet's ControllerRevisions: one per distinct
// pod template, created by the real StatefulSet controller.
func revisions(ctx context.Context, namespace string) int {
	var list appsv1.ControllerRevisionList
	Expect(k8s.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
	return len(list.Items)
}

// updateServer changes a DittoServer, retrying when the operator wrote it
// in between (it adds its finalizer and status).
func updateServer(ctx context.Context, namespace, name string, mutate func(*dittov1.DittoServer)) {
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		server := &dittov1.DittoServer{}
		if err := k8s.Get(ctx, key(namespace, name), server); err != nil {
			return err
		}
		mutate(server)
		return k8s.Update(ctx, server)
	})).To(Succeed())
}

// condition returns the server's condition of a type. A condition not set
// yet reads as one with no status, reason or message, so an assertion inside
// Eventually fails and retries where a nil would panic and end the spec.
func condition(server *dittov1.DittoServer, condType string) *metav1.Condition {
	for i := range server.Status.Conditions {
		if server.Status.Conditions[i].Type == condType {
			return &server.Status.Conditions[i]
		}
	}
	return &metav1.Condition{Type: condType}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const adminPassword = "adminpass123"

// dittoAPI is one simulated DittoFS control plane for one DittoServer.
type dittoAPI struct {
	*dittofstest.Server
	ns string
}

// newDittoAPI starts a simulator seeded with adminPassword.
func newDittoAPI(opts dittofstest.Options) *dittoAPI {
	if opts.AdminPassword == "" {
		opts.AdminPassword = adminPassword
	}
	sim, err := dittofstest.New(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return &dittoAPI{Server: sim}
}

// serverWithAPI is a DittoServer whose control plane is api: the operator
// reaches it through the dittofs.io/api-url override the suite allows, with
// the admin password of a Secret the test owns. It polls every 5s.
func serverWithAPI(ctx context.Context, namespace, name string, api *dittoAPI, password string) *dittov1.DittoServer {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-admin-password", Namespace: namespace},
		StringData: map[string]string{"password": password},
	}
	Expect(k8s.Create(ctx, secret)).To(Succeed())
	api.ns = namespace
	server := sampleServer(namespace, name)
	server.Annotations = map[string]string{dittov1.AnnotationAPIURL: api.URL()}
	server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: pollInterval}
	server.Spec.Identity.Admin.PasswordSecretRef = &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret.Name}, Key: "password",
	}
	return server
}

// createPolled creates fs1 in namespace, served by api and polled every
// interval, after the mutations a spec asks for.
func createPolled(ctx context.Context, namespace string, api *dittoAPI, interval time.Duration, mutate ...func(*dittov1.DittoServer)) {
	server := serverWithAPI(ctx, namespace, "fs1", api, adminPassword)
	server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: interval}
	for _, m := range mutate {
		m(server)
	}
	Expect(k8s.Create(ctx, server)).To(Succeed())
}

// pollInterval is the shortest interval the CRD allows.
const pollInterval = 5 * time.Second

func getServer(ctx context.Context, namespace, name string) *dittov1.DittoServer {
	server := &dittov1.DittoServer{}
	ExpectWithOffset(1, k8s.Get(ctx, key(namespace, name), server)).To(Succeed())
	return server
}

// eventsOf lists the notes of the events recorded on a DittoServer.
func eventsOf(ctx context.Context, namespace, name string) []string {
	var list eventsv1.EventList
	ExpectWithOffset(1, k8s.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Regarding.Kind == "DittoServer" {
			notes = append(notes, e.Reason+": "+e.Note)
		}
	}
	return notes
}

// waitForQuiet waits until the operator has made no write in namespace for
// five seconds: events, in particular, are written asynchronously, and a
// burst of them reaches the API server over a few seconds on a busy machine.
func waitForQuiet(namespace string) {
	EventuallyWithOffset(1, func() []string {
		return eventStrings(operatorWritesSince(namespace, time.Now().Add(-5*time.Second)))
	}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(BeEmpty())
}
