package e2e_test

import (
	"context"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

const adminPassword = "adminpass123"

// within is how long a change the DittoFS API reports may take to reach the
// cluster: one polling interval, plus slack for a loaded machine.
const within = framework.PollInterval + 4*time.Second

// dittoServer is one DittoServer in a namespace of its own, with its own
// simulated DittoFS API.
type dittoServer struct {
	ns, name string
	api      *sim.Server
	admin    *framework.AdminAPI
}

// newDittoServer starts a simulated DittoFS API and creates a DittoServer
// for it in a new namespace. When the spec ends the DittoServer is deleted
// (so the operator removes its account while the API still answers), then
// the API stops.
func newDittoServer(ctx context.Context, opts sim.Options, mutate ...func(*dittov1.DittoServer)) *dittoServer {
	GinkgoHelper()
	s := newDittoAPI(ctx, opts)
	s.create(ctx, mutate...)
	return s
}

// newDittoAPI is newDittoServer without creating the DittoServer yet, for
// specs that prepare the API first.
func newDittoAPI(ctx context.Context, opts sim.Options) *dittoServer {
	GinkgoHelper()
	opts.AdminPassword = adminPassword
	api, err := sim.New(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(api.Close)
	ns, err := framework.CreateNamespace(ctx, k8s, "e2e")
	Expect(err).NotTo(HaveOccurred())
	return &dittoServer{ns: ns, name: "fs1", api: api, admin: framework.NewAdminAPI(api.URL(), adminPassword)}
}

// create creates the DittoServer and registers its deletion.
func (s *dittoServer) create(ctx context.Context, mutate ...func(*dittov1.DittoServer)) {
	GinkgoHelper()
	server := framework.DittoServerFor(s.ns, s.name, s.api.URL())
	for _, m := range mutate {
		m(server)
	}
	Expect(framework.CreateDittoServer(ctx, k8s, server, adminPassword)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { deleteServer(ctx, s.ns, s.name) })
}

// deleteServer deletes a DittoServer and waits until it is gone. If no
// operator releases it (a spec failed with its operator stopped), the
// finalizer is removed so the suite can go on.
func deleteServer(ctx context.Context, ns, name string) {
	server := &dittov1.DittoServer{}
	err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, server)
	if apierrors.IsNotFound(err) {
		return
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(client.IgnoreNotFound(k8s.Delete(ctx, server))).To(Succeed())
	gone := func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &dittov1.DittoServer{}))
	}
	deadline := time.Now().Add(30 * time.Second)
	for !gone() && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if !gone() {
		Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, server); err != nil {
				return client.IgnoreNotFound(err)
			}
			server.Finalizers = nil
			return k8s.Update(ctx, server)
		})).To(Succeed())
	}
}

func (s *dittoServer) key(name string) client.ObjectKey {
	return client.ObjectKey{Namespace: s.ns, Name: name}
}

func (s *dittoServer) get(g Gomega) *dittov1.DittoServer {
	server := &dittov1.DittoServer{}
	g.Expect(k8s.Get(context.Background(), s.key(s.name), server)).To(Succeed())
	return server
}

// markPodReady plays the kubelet: the pod the StatefulSet controller created
// runs and is ready.
func (s *dittoServer) markPodReady(ctx context.Context) {
	GinkgoHelper()
	Eventually(func() error { return kubetest.MarkPodReady(ctx, k8s, s.ns, s.name) }).Should(Succeed())
}

func (s *dittoServer) servicePorts(g Gomega, name string) []int32 {
	var svc corev1.Service
	g.Expect(k8s.Get(context.Background(), s.key(name), &svc)).To(Succeed())
	var ports []int32
	for _, p := range svc.Spec.Ports {
		ports = append(ports, p.Port)
	}
	return ports
}

func (s *dittoServer) policyPorts(g Gomega, name string) []int32 {
	var np networkingv1.NetworkPolicy
	g.Expect(k8s.Get(context.Background(), s.key(name), &np)).To(Succeed())
	var ports []int32
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			ports = append(ports, p.Port.IntVal)
		}
	}
	return ports
}

func (s *dittoServer) containerPorts(g Gomega) []int32 {
	var sts appsv1.StatefulSet
	g.Expect(k8s.Get(context.Background(), s.key(s.name), &sts)).To(Succeed())
	var ports []int32
	for _, p := range sts.Spec.Template.Spec.Containers[0].Ports {
		ports = append(ports, p.ContainerPort)
	}
	return ports
}

func (s *dittoServer) gone(g Gomega, obj client.Object, name string) {
	err := k8s.Get(context.Background(), s.key(name), obj)
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%T %s still exists (%v)", obj, name, err)
}

// condition returns the DittoServer's condition, failing g if it is absent.
func (s *dittoServer) condition(g Gomega, condType string) metav1.Condition {
	server := s.get(g)
	for _, c := range server.Status.Conditions {
		if c.Type == condType {
			return c
		}
	}
	g.Expect(server.Status.Conditions).To(ContainElement(HaveField("Type", condType)))
	return metav1.Condition{}
}

// adaptersReady fails g unless AdaptersReady is True.
func (s *dittoServer) adaptersReady(g Gomega) *dittov1.DittoServer {
	c := s.condition(g, dittov1.ConditionAdaptersReady)
	g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	return s.get(g)
}

// published waits until nfs and smb are published on their seeded ports.
func (s *dittoServer) published() {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		g.Expect(s.servicePorts(g, s.name+"-nfs")).To(Equal([]int32{12049}))
		g.Expect(s.servicePorts(g, s.name+"-smb")).To(Equal([]int32{1445}))
		s.adaptersReady(g)
	}).Should(Succeed())
}

// events lists "Reason: note" of the events about the DittoServer.
func (s *dittoServer) events(ctx context.Context) []string {
	var list eventsv1.EventList
	Expect(k8s.List(ctx, &list, client.InNamespace(s.ns))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "DittoServer" && e.Regarding.Name == s.name {
			notes = append(notes, e.Reason+": "+e.Note)
		}
	}
	return notes
}

// operatorUsers are the DittoFS users with the operator's name.
func (s *dittoServer) operatorUsers() []sim.UserState {
	var out []sim.UserState
	for _, u := range s.api.Users() {
		if u.Username == controller.OperatorUsername {
			out = append(out, u)
		}
	}
	return out
}

// writes lists the writes user made in the spec's namespace since t.
func (s *dittoServer) writes(user string, since time.Time) []kubetest.AuditEvent {
	GinkgoHelper()
	w, err := framework.Writes(env.Plane, user, s.ns, since)
	Expect(err).NotTo(HaveOccurred())
	return w
}

func verbs(events []kubetest.AuditEvent, verb string) []string {
	var out []string
	for _, e := range events {
		if e.Verb == verb {
			out = append(out, e.String())
		}
	}
	return out
}

// inventory names the objects of the kinds the operator writes in a
// namespace, as "Kind/name", sorted.
func inventory(ctx context.Context, ns string) []string {
	GinkgoHelper()
	var out []string
	lists := map[string]client.ObjectList{
		"Service":       &corev1.ServiceList{},
		"NetworkPolicy": &networkingv1.NetworkPolicyList{},
		"Secret":        &corev1.SecretList{},
		"ConfigMap":     &corev1.ConfigMapList{},
		"StatefulSet":   &appsv1.StatefulSetList{},
	}
	for kind, list := range lists {
		Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		Expect(meta.EachListItem(list, func(obj runtime.Object) error {
			out = append(out, kind+"/"+obj.(client.Object).GetName())
			return nil
		})).To(Succeed())
	}
	slices.Sort(out)
	return out
}
