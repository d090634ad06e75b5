package controller_test

import (
	"context"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("Adapters", func() {
	var (
		ctx context.Context
		ns  string
		api *dittoAPI
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
		api = newDittoAPI(sim.Options{})
	})

	create := func(mutate ...func(*dittov1.DittoServer)) {
		server := serverWithAPI(ctx, ns, "fs1", api, adminPassword)
		for _, m := range mutate {
			m(server)
		}
		Expect(k8s.Create(ctx, server)).To(Succeed())
	}

	servicePorts := func(g Gomega, name string) []int32 {
		var svc corev1.Service
		g.Expect(k8s.Get(ctx, key(ns, name), &svc)).To(Succeed())
		var ports []int32
		for _, p := range svc.Spec.Ports {
			ports = append(ports, p.Port)
		}
		return ports
	}
	containerPorts := func(g Gomega) []int32 {
		var sts appsv1.StatefulSet
		g.Expect(k8s.Get(ctx, key(ns, "fs1"), &sts)).To(Succeed())
		var ports []int32
		for _, p := range sts.Spec.Template.Spec.Containers[0].Ports {
			ports = append(ports, p.ContainerPort)
		}
		return ports
	}
	policyPorts := func(g Gomega, name string) []int32 {
		var np networkingv1.NetworkPolicy
		g.Expect(k8s.Get(ctx, key(ns, name), &np)).To(Succeed())
		var ports []int32
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				ports = append(ports, p.Port.IntVal)
			}
		}
		return ports
	}
	gone := func(obj client.Object, name string) func() bool {
		return func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key(ns, name), obj)) }
	}
	adaptersReady := func(g Gomega) *dittov1.DittoServer {
		server := &dittov1.DittoServer{}
		g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
		c := condition(server, dittov1.ConditionAdaptersReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		return server
	}

	It("publishes the running adapters on the ports the API reports", func() {
		create()
		Eventually(func(g Gomega) {
			g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(policyPorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(policyPorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(policyPorts(g, "fs1-api")).To(Equal([]int32{8080}))
			g.Expect(containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			g.Expect(servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			server := adaptersReady(g)
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:1445"))
			g.Expect(server.Status.Adapters).To(ConsistOf(
				And(HaveField("Type", "nfs"), HaveField("ServiceName", "fs1-nfs"), HaveField("ServiceType", "LoadBalancer")),
				And(HaveField("Type", "smb"), HaveField("ServiceName", "fs1-smb"), HaveField("Endpoints", Not(BeEmpty()))),
			))
			g.Expect(server.Status.Endpoints).To(ContainSubstring("nfs="))
		}).Should(Succeed())
		var svc corev1.Service
		Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &svc)).To(Succeed())
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeLoadBalancer))
		Expect(svc.Labels).To(HaveKeyWithValue(dittov1.LabelAdapter, "nfs"))
		Expect(metav1.GetControllerOf(&svc).Name).To(Equal("fs1"))
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(And(
			HavePrefix("Created: Created NFS Service fs1-nfs on port 12049"),
			ContainSubstring("created SMB Service fs1-smb on port 1445"),
		)))
	})

	It("follows smb being disabled, enabled on another port, and nfs moving", func() {
		create(func(s *dittov1.DittoServer) {
			s.Spec.AdapterPorts.Rollout = dittov1.PortRolloutImmediate
			s.Spec.AdapterService.Retention = &metav1.Duration{} // a stopped adapter's Service goes at once
		})
		Eventually(func(g Gomega) { adaptersReady(g) }).Should(Succeed())
		Eventually(func() int { return revisions(ctx, ns) }).Should(BeNumerically(">=", 1))
		waitForQuiet(ns)

		By("disabling smb")
		disabled := time.Now()
		api.SetAdapter("smb", false, 1445)
		within := pollInterval + 3*time.Second
		Eventually(gone(&corev1.Service{}, "fs1-smb")).WithTimeout(within).Should(BeTrue())
		Eventually(func(g Gomega) {
			g.Expect(apierrors.IsNotFound(k8s.Get(ctx, key(ns, "fs1-smb"), &networkingv1.NetworkPolicy{}))).To(BeTrue())
			g.Expect(containerPorts(g)).To(ConsistOf(int32(8080), int32(12049)))
			g.Expect(servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049)))
			g.Expect(adaptersReady(g).Status.RunningAdapters).To(Equal("nfs:12049"))
		}).WithTimeout(within).Should(Succeed())
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(And(
			HavePrefix("Deleted: Deleted SMB Service fs1-smb: adapter stopped"),
			ContainSubstring("deleted NetworkPolicy fs1-smb"),
			ContainSubstring("updated Service fs1-headless"),
			ContainSubstring("updated StatefulSet fs1"),
		)), "one event names every object the change touched")
		waitForQuiet(ns)
		writes := operatorWritesSince(ns, disabled)
		Expect(countResource(writes, "events")).To(Equal(1), "one event: %v", eventStrings(writes))
		Expect(len(writes)).To(BeNumerically("<=", 6), "writes for one adapter change: %v", eventStrings(writes))

		By("enabling smb on another port")
		api.SetAdapter("smb", true, 2445)
		Eventually(func(g Gomega) {
			g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{2445}))
			g.Expect(policyPorts(g, "fs1-smb")).To(Equal([]int32{2445}))
			g.Expect(containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(2445)))
			g.Expect(servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049), int32(2445)))
		}).WithTimeout(within).Should(Succeed())

		By("moving nfs from 12049 to 22049")
		Eventually(func() int { return revisions(ctx, ns) }).Should(BeNumerically(">=", 3))
		Consistently(func() int { return revisions(ctx, ns) }).Should(BeNumerically("==", revisions(ctx, ns)))
		before := revisions(ctx, ns)
		api.SetAdapter("nfs", true, 22049)
		Eventually(func(g Gomega) {
			g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{22049}))
			g.Expect(policyPorts(g, "fs1-nfs")).To(Equal([]int32{22049}))
			g.Expect(containerPorts(g)).To(ConsistOf(int32(8080), int32(22049), int32(2445)))
			g.Expect(servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(22049), int32(2445)))
		}).WithTimeout(within).Should(Succeed())
		Eventually(func() int { return revisions(ctx, ns) }).Should(Equal(before + 1))
		Consistently(func() int { return revisions(ctx, ns) }).Should(Equal(before + 1))
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(HavePrefix("Updated: Updated NFS Service fs1-nfs: port 12049 → 22049")))
	})

	// The backoff's schedule is tested on a fake clock (poller_test.go);
	// this spec checks what an outage does to the cluster.
	It("keeps everything while the API is down, reports it once, then recovers", func() {
		create()
		Eventually(func(g Gomega) { adaptersReady(g) }).Should(Succeed())
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445})) }).Should(Succeed())

		down := time.Now()
		api.FailWith(http.StatusServiceUnavailable, sim.RouteListAdapters)
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			c := condition(server, dittov1.ConditionAdaptersReady)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal("PollFailed"))
			g.Expect(c.Message).To(ContainSubstring("last successful poll at"))
		}).WithTimeout(2 * pollInterval).Should(Succeed())

		By("deleting nothing while the outage lasts")
		Consistently(func(g Gomega) {
			g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
		}).WithTimeout(3 * pollInterval).Should(Succeed())
		for _, w := range operatorWritesSince(ns, down) {
			Expect(w.Verb).NotTo(Equal("delete"), w.String())
		}
		Expect(api.CountSince(down, sim.RouteListAdapters, dittofs.RoleOperator)).To(BeNumerically(">=", 3), "retried")
		warnings := 0
		for _, e := range eventsOf(ctx, ns, "fs1") {
			if strings.HasPrefix(e, "AdaptersUnavailable") {
				warnings++
			}
		}
		Expect(warnings).To(Equal(1), "one Warning event per outage")

		By("recovering within one interval of the API's return, and starting smb's retention only then")
		api.SetAdapter("smb", false, 1445)
		back := time.Now()
		api.ClearFaults()
		Eventually(gone(&networkingv1.NetworkPolicy{}, "fs1-smb")).WithTimeout(pollInterval + 2*time.Second).Should(BeTrue())
		Eventually(func(g Gomega) {
			var svc corev1.Service
			g.Expect(k8s.Get(ctx, key(ns, "fs1-smb"), &svc)).To(Succeed())
			stopped, err := time.Parse(time.RFC3339, svc.Annotations[dittov1.AnnotationStoppedAt])
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(stopped).To(BeTemporally(">=", back.Truncate(time.Second)))
		}).Should(Succeed())
		Eventually(func(g Gomega) { adaptersReady(g) }).Should(Succeed())
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(HavePrefix("AdaptersRecovered")))
	})

	It("keeps every object when connections are refused, polling on, and follows the API once it answers", func() {
		create()
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445})) }).Should(Succeed())
		down := time.Now()
		api.RefuseConnections()
		api.SetAdapter("smb", false, 1445) // stops meanwhile: only an answer may say so
		Eventually(func(g Gomega) {
			c := condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAdaptersReady)
			g.Expect(c.Reason).To(Equal("PollFailed"), "the operator polls, and the polls fail")
			g.Expect(c.Message).To(ContainSubstring("connection refused"))
		}).WithTimeout(2 * pollInterval).Should(Succeed())
		Consistently(func(g Gomega) { g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445})) }).
			WithTimeout(2 * pollInterval).WithPolling(time.Second).Should(Succeed())
		for _, w := range operatorWritesSince(ns, down) {
			Expect(w.Verb).NotTo(Equal("delete"), w.String())
		}

		Expect(api.AcceptConnections()).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(gone(&networkingv1.NetworkPolicy{}, "fs1-smb")()).To(BeTrue(), "smb's port closes")
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, key(ns, "fs1-smb"), svc)).To(Succeed())
			g.Expect(svc.Annotations).To(HaveKey(dittov1.AnnotationStoppedAt), "its Service is kept for the retention period")
		}).WithTimeout(2*pollInterval).Should(Succeed(), "the first answer is followed")
		Eventually(func(g Gomega) { adaptersReady(g) }).Should(Succeed())
	})

	It("removes every adapter object on a successful empty list", func() {
		create(func(s *dittov1.DittoServer) {
			s.Spec.AdapterPorts.Rollout = dittov1.PortRolloutImmediate
			s.Spec.AdapterService.Retention = &metav1.Duration{}
		})
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445})) }).Should(Succeed())
		api.RemoveAdapter("nfs")
		api.RemoveAdapter("smb")
		Eventually(gone(&corev1.Service{}, "fs1-nfs")).WithTimeout(2 * pollInterval).Should(BeTrue())
		Eventually(gone(&corev1.Service{}, "fs1-smb")).Should(BeTrue())
		Eventually(gone(&networkingv1.NetworkPolicy{}, "fs1-nfs")).Should(BeTrue())
		Eventually(func(g Gomega) { g.Expect(containerPorts(g)).To(Equal([]int32{8080})) }).Should(Succeed())
	})

	It("writes nothing and lists once per interval in steady state", func() {
		create()
		Eventually(func(g Gomega) { adaptersReady(g) }).Should(Succeed())
		markPodReady(ctx, ns, "fs1")
		Eventually(func(g Gomega) {
			g.Expect(condition(getServer(ctx, ns, "fs1"), dittov1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
		}).Should(Succeed())
		waitForQuiet(ns)

		start := time.Now()
		Consistently(func() []string { return eventStrings(operatorWritesSince(ns, start)) }).
			WithTimeout(4*pollInterval).WithPolling(pollInterval).Should(BeEmpty(), "steady over four intervals")
		lists := api.CountSince(start, sim.RouteListAdapters, dittofs.RoleOperator)
		Expect(lists).To(BeNumerically(">=", 3))
		Expect(lists).To(BeNumerically("<=", 5))
		Expect(api.CountSince(start, sim.RouteListAdapters, dittofs.RoleAdmin)).To(BeZero())
	})

	It("restores a deleted Service and corrected ports, keeping others' annotations", func() {
		create()
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049})) }).Should(Succeed())

		By("deleting the Service by hand")
		var svc corev1.Service
		Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &svc)).To(Succeed())
		Expect(k8s.Delete(ctx, &svc)).To(Succeed())
		Eventually(func(g Gomega) {
			var again corev1.Service
			g.Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &again)).To(Succeed())
			g.Expect(again.UID).NotTo(Equal(svc.UID))
		}).Should(Succeed())

		By("editing its ports and adding an annotation of someone else's")
		Eventually(func() error {
			var live corev1.Service
			if err := k8s.Get(ctx, key(ns, "fs1-nfs"), &live); err != nil {
				return err
			}
			live.Spec.Ports[0].Port = 9999
			live.Annotations = map[string]string{"example.com/owner": "someone-else"}
			return k8s.Update(ctx, &live)
		}).Should(Succeed())
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049})) }).Should(Succeed())

		for i := range 10 {
			updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
				s.Annotations["example.com/touch"] = strings.Repeat("x", i+1)
			})
		}
		// The annotations are policy input: this server was reconciled and
		// decided again after the last touch.
		Eventually(func() string { return decidedAnnotation(ns, "fs1", "example.com/touch") }).Should(Equal(strings.Repeat("x", 10)))
		Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &svc)).To(Succeed())
		Expect(svc.Annotations).To(HaveKeyWithValue("example.com/owner", "someone-else"))
		Expect(svc.Spec.Ports[0].Port).To(BeEquivalentTo(12049))
	})

	It("keeps the node ports Kubernetes allocated", func() {
		create()
		var svc corev1.Service
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &svc)).To(Succeed())
			g.Expect(svc.Spec.Ports[0].NodePort).NotTo(BeZero())
		}).Should(Succeed())
		nodePort, clusterIP := svc.Spec.Ports[0].NodePort, svc.Spec.ClusterIP
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Annotations = map[string]string{"example.com/lb": "internal"}
		})
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &svc)).To(Succeed())
			g.Expect(svc.Annotations).To(HaveKeyWithValue("example.com/lb", "internal"))
		}).Should(Succeed())
		Expect(svc.Spec.Ports[0].NodePort).To(Equal(nodePort))
		Expect(svc.Spec.ClusterIP).To(Equal(clusterIP))
	})

	It("never modifies a user's Service with the managed name", func() {
		userSvc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "fs1-smb", Namespace: ns, Labels: map[string]string{"mine": "yes"}},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "x", Port: 7}}},
		}
		Expect(k8s.Create(ctx, userSvc)).To(Succeed())
		create()
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			c := condition(server, dittov1.ConditionAdaptersReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal("NameConflict"))
			g.Expect(c.Message).To(ContainSubstring("fs1-smb"))
			g.Expect(servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
		}).Should(Succeed())
		Consistently(func(g Gomega) {
			var live corev1.Service
			g.Expect(k8s.Get(ctx, key(ns, "fs1-smb"), &live)).To(Succeed())
			g.Expect(live.ResourceVersion).To(Equal(userSvc.ResourceVersion))
		}).Should(Succeed())
	})

	It("gives no Service to an adapter enabled but not running, and a valid name to an unknown type", func() {
		api.SetAdapterRunning("smb", false)
		api.SetAdapter("Fancy_Proto", true, 4000)
		create()
		Eventually(func(g Gomega) {
			server := adaptersReady(g)
			g.Expect(server.Status.Adapters).To(ContainElement(And(HaveField("Type", "smb"), HaveField("Running", false), HaveField("ServiceName", ""))))
			var list corev1.ServiceList
			g.Expect(k8s.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{dittov1.LabelComponent: "adapter-service"})).To(Succeed())
			var names []string
			for _, s := range list.Items {
				names = append(names, s.Name)
				g.Expect(validation.IsDNS1035Label(s.Name)).To(BeEmpty(), s.Name)
			}
			g.Expect(names).To(HaveLen(2))
			g.Expect(names).To(ContainElement("fs1-nfs"))
		}).Should(Succeed())
		Expect(k8s.Get(ctx, key(ns, "fs1-smb"), &corev1.Service{})).NotTo(Succeed())
	})

	It("leaves the pod template alone with the default rollout, Deferred", func() {
		create()
		Eventually(func(g Gomega) { g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{1445})) }).Should(Succeed())
		Eventually(func() int { return revisions(ctx, ns) }).Should(Equal(1))
		Expect(containerPorts(Default)).To(ConsistOf(int32(8080), int32(12049), int32(1445)), "a new pod gets the ports at once")

		api.SetAdapter("smb", true, 2445)
		Eventually(func(g Gomega) {
			g.Expect(servicePorts(g, "fs1-smb")).To(Equal([]int32{2445}))
			g.Expect(servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049), int32(2445)))
		}).WithTimeout(2 * pollInterval).Should(Succeed())
		Consistently(func() int { return revisions(ctx, ns) }).Should(Equal(1))
		Expect(containerPorts(Default)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))

		By("applying the ports with the next rollout caused by something else")
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) { s.Spec.Image = "marmos91c/dittofs:v0.29.1" })
		Eventually(func(g Gomega) {
			g.Expect(containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(2445)))
		}).Should(Succeed())
		Eventually(func() int { return revisions(ctx, ns) }).Should(Equal(2))
	})

	It("recreates a Service whose loadBalancerClass changes", func() {
		create()
		var svc corev1.Service
		Eventually(func() error { return k8s.Get(ctx, key(ns, "fs1-nfs"), &svc) }).Should(Succeed())
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.LoadBalancerClass = ptr.To("example.com/internal")
		})
		Eventually(func(g Gomega) {
			var again corev1.Service
			g.Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), &again)).To(Succeed())
			g.Expect(again.UID).NotTo(Equal(svc.UID))
			g.Expect(again.Spec.LoadBalancerClass).To(HaveValue(Equal("example.com/internal")))
		}).Should(Succeed())
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(HavePrefix("Recreated: Recreated NFS Service fs1-nfs")))
	})

	It("creates the renamed Service before deleting the old one", func() {
		create()
		Eventually(func() error { return k8s.Get(ctx, key(ns, "fs1-nfs"), &corev1.Service{}) }).Should(Succeed())
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) { s.Spec.AdapterService.NameTemplate = "share-{adapter}" })
		Eventually(gone(&corev1.Service{}, "fs1-nfs")).Should(BeTrue())
		Expect(k8s.Get(ctx, key(ns, "share-nfs"), &corev1.Service{})).To(Succeed())
		var created, deleted time.Time
		for _, w := range operatorWritesSince(ns, time.Time{}) {
			switch {
			case w.Resource == "services" && w.Name == "share-nfs" && w.Verb == "patch" && created.IsZero():
				created = w.Time
			case w.Resource == "services" && w.Name == "fs1-nfs" && w.Verb == "delete":
				deleted = w.Time
			}
		}
		Expect(created).NotTo(BeZero())
		Expect(created.Before(deleted) || created.Equal(deleted)).To(BeTrue(), "created %s, deleted %s", created, deleted)
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(ContainSubstring("renamed to share-nfs")))
	})

	It("deletes the Service of the static design after the first successful poll", func() {
		api.FailWith(http.StatusServiceUnavailable, sim.RouteListAdapters)
		create()
		server := getServer(ctx, ns, "fs1")
		legacy := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "fs1-file", Namespace: ns, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: dittov1.GroupVersion.String(), Kind: "DittoServer", Name: "fs1", UID: server.UID, Controller: ptr.To(true),
			}}},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "nfs", Port: 2049}}},
		}
		Expect(k8s.Create(ctx, legacy)).To(Succeed())
		Consistently(func() error { return k8s.Get(ctx, key(ns, "fs1-file"), &corev1.Service{}) }).Should(Succeed(),
			"kept while no poll succeeded")
		api.ClearFaults()
		Eventually(gone(&corev1.Service{}, "fs1-file")).WithTimeout(2 * pollInterval).Should(BeTrue())
	})
})
