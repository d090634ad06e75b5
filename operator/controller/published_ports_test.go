package controller_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// These specs publish adapters the way their clients expect: NFS on 2049
// while DittoFS listens on 12049, and any adapter type DittoFS reports.
var _ = Describe("Published ports and adapter types", func() {
	const interval = time.Second

	var (
		ctx context.Context
		api *dittoAPI
	)

	BeforeEach(func() {
		ctx = context.Background()
		api = newDittoAPI(sim.Options{})
	})

	create := func(ns string, mutate func(*dittov1.DittoServer)) {
		immediate := func(s *dittov1.DittoServer) { s.Spec.AdapterPorts.Rollout = dittov1.PortRolloutImmediate } // container ports follow at once
		createPolled(ctx, ns, api, interval, immediate, mutate)
	}

	It("publishes NFS on 2049 to the adapter's port, and follows the adapter's moves with the target port only", func() {
		ns := newNamespace(ctx)
		create(ns, func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](2049)}}
		})
		var first *corev1.Service
		Eventually(func(g Gomega) {
			first = published(g, ctx, ns, "nfs", 2049, 12049)
			g.Expect(first.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
			server := getServer(ctx, ns, "fs1")
			g.Expect(entryOf(g, server, "nfs")).To(And(
				HaveField("Port", BeEquivalentTo(12049)), HaveField("ServicePort", BeEquivalentTo(2049)),
				HaveField("Endpoints", HaveExactElements(
					MatchRegexp(`^198\.51\.\d+\.\d+:2049$`), HavePrefix("node:"), Equal(first.Spec.ClusterIP+":2049"))),
			))
			g.Expect(server.Status.Endpoints).To(MatchRegexp(`nfs=198\.51\.\d+\.\d+:2049`))
		}).Should(Succeed())
		nodePort := first.Spec.Ports[0].NodePort
		Expect(nodePort).NotTo(BeZero())
		GinkgoWriter.Printf("fs1-nfs publishes %s:2049 (node port %d) to the pod's 12049\n", first.Spec.ClusterIP, nodePort)
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(HavePrefix("Created: Created NFS Service fs1-nfs on port 2049→12049;")),
			"the reconcile's one event, headed by the first adapter Service")

		By("moving the adapter in DittoFS: only targetPort changes")
		api.SetAdapter("nfs", true, 22049)
		Eventually(func(g Gomega) {
			moved := published(g, ctx, ns, "nfs", 2049, 22049)
			g.Expect(moved.UID).To(Equal(first.UID))
			g.Expect(moved.Spec.ClusterIP).To(Equal(first.Spec.ClusterIP))
			g.Expect(moved.Spec.Ports[0].NodePort).To(Equal(nodePort))
			g.Expect(moved.Status.LoadBalancer.Ingress).To(Equal(first.Status.LoadBalancer.Ingress))
			g.Expect(entryOf(g, getServer(ctx, ns, "fs1"), "nfs")).To(And(
				HaveField("Port", BeEquivalentTo(22049)), HaveField("ServicePort", BeEquivalentTo(2049))))
		}).Should(Succeed())
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(
			ContainElement(HavePrefix("Updated: Updated NFS Service fs1-nfs: port 2049→12049 → 2049→22049")))
	})

	It("publishes a webdav adapter with an override as it does nfs", func() {
		api.SetAdapter("webdav", true, 18080)
		ns := newNamespace(ctx)
		create(ns, func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"webdav": {Type: dittov1.ServiceTypeNodePort, Port: ptr.To[int32](80), Annotations: map[string]string{"example.com/proto": "webdav"}},
			}
		})
		Eventually(func(g Gomega) {
			svc := published(g, ctx, ns, "webdav", 80, 18080)
			g.Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort))
			g.Expect(svc.Annotations).To(HaveKeyWithValue("example.com/proto", "webdav"))
			g.Expect(svc.Labels).To(HaveKeyWithValue(dittov1.LabelAdapter, "webdav"))
			server := getServer(ctx, ns, "fs1")
			g.Expect(condition(server, dittov1.ConditionAdaptersReady)).To(HaveField("Status", metav1.ConditionTrue))
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:1445,webdav:18080"))
			g.Expect(entryOf(g, server, "webdav")).To(And(
				HaveField("ServiceName", "fs1-webdav"), HaveField("ServiceType", "NodePort"),
				HaveField("Port", BeEquivalentTo(18080)), HaveField("ServicePort", BeEquivalentTo(80)),
				HaveField("Endpoints", HaveExactElements(HavePrefix("node:"), Equal(svc.Spec.ClusterIP+":80"))),
			))
		}).Should(Succeed())
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(And(
			HavePrefix("Created: "), ContainSubstring("; created WebDAV Service fs1-webdav on port 80→18080;"))),
			"the reconcile's one event names the webdav Service")
	})
})

// published checks an adapter's Service, NetworkPolicy and ports: the
// Service publishes port and forwards it to target, the adapter's port,
// where the NetworkPolicy, the container port and the headless Service are.
func published(g Gomega, ctx context.Context, ns, adapter string, port, target int32) *corev1.Service {
	name := "fs1-" + adapter
	svc := &corev1.Service{}
	g.Expect(k8s.Get(ctx, key(ns, name), svc)).To(Succeed())
	g.Expect(svc.Spec.Ports).To(HaveLen(1))
	g.Expect(svc.Spec.Ports[0]).To(And(
		HaveField("Name", adapter), HaveField("Port", port), HaveField("TargetPort.IntVal", target)))

	np := &networkingv1.NetworkPolicy{}
	g.Expect(k8s.Get(ctx, key(ns, name), np)).To(Succeed())
	g.Expect(np.Spec.Ingress).To(HaveLen(1))
	g.Expect(np.Spec.Ingress[0].Ports).To(HaveExactElements(HaveField("Port.IntVal", target)))

	sts := &appsv1.StatefulSet{}
	g.Expect(k8s.Get(ctx, key(ns, "fs1"), sts)).To(Succeed())
	g.Expect(sts.Spec.Template.Spec.Containers[0].Ports).To(ContainElement(And(
		HaveField("Name", adapter), HaveField("ContainerPort", target))))
	g.Expect(sts.Spec.Template.Spec.Containers[0].Ports).NotTo(ContainElement(HaveField("ContainerPort", port)),
		"the published port is the Service's, not the pod's")

	headless := &corev1.Service{}
	g.Expect(k8s.Get(ctx, key(ns, "fs1-headless"), headless)).To(Succeed())
	g.Expect(headless.Spec.Ports).To(ContainElement(And(HaveField("Name", adapter), HaveField("Port", target))))
	return svc
}

// entryOf is an adapter's entry in status.adapters.
func entryOf(g Gomega, server *dittov1.DittoServer, adapter string) dittov1.AdapterStatus {
	for _, a := range server.Status.Adapters {
		if a.Type == adapter {
			return a
		}
	}
	g.Expect(server.Status.Adapters).To(ContainElement(HaveField("Type", adapter)), fmt.Sprintf("no status of adapter %s", adapter))
	return dittov1.AdapterStatus{}
}
