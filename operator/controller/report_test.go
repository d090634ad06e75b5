package controller_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// These specs read what a user reads: kubectl get -o wide, kubectl describe
// and kubectl get events must tell everything the operator knows, and
// nothing that is false.
var _ = Describe("What users are told", func() {
	const interval = time.Second

	var (
		ctx context.Context
		api *dittoAPI
	)

	BeforeEach(func() {
		ctx = context.Background()
		api = newDittoAPI(sim.Options{})
	})

	create := func(ns string, mutate ...func(*dittov1.DittoServer)) {
		createPolled(ctx, ns, api, interval, mutate...)
	}
	adaptersReady := func(g Gomega, ns string) *metav1.Condition {
		c := condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAdaptersReady)
		g.Expect(c).NotTo(BeNil())
		return c
	}
	entry := func(g Gomega, server *dittov1.DittoServer, adapter string) dittov1.AdapterStatus {
		for _, a := range server.Status.Adapters {
			if a.Type == adapter {
				return a
			}
		}
		g.Expect(server.Status.Adapters).To(ContainElement(HaveField("Type", adapter)))
		return dittov1.AdapterStatus{}
	}
	countOf := func(notes []string, prefix string) int {
		n := 0
		for _, note := range notes {
			if strings.HasPrefix(note, prefix) {
				n++
			}
		}
		return n
	}

	It("says a load balancer is pending, once per Service and what to do, and when its address arrives", func() {
		ns := newNamespace(ctx, map[string]string{kubetest.LabelLoadBalancer: kubetest.LoadBalancerBareMetal})
		create(ns)
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			g.Expect(entry(g, server, "nfs").Endpoints).To(HaveExactElements(Equal("pending"), HavePrefix("node:"), HaveSuffix(":12049")))
			g.Expect(server.Status.Endpoints).To(Equal("nfs=pending,smb=pending"))
		}).Should(Succeed())

		By("calling it pending after the grace period of three intervals, at least 30s")
		Eventually(func(g Gomega) {
			c := adaptersReady(g, ns)
			g.Expect(c.Reason).To(Equal("LoadBalancerPending"))
			g.Expect(c.Message).To(And(ContainSubstring("fs1-nfs"), ContainSubstring("fs1-smb"), ContainSubstring("NodePort")))
		}).WithTimeout(45 * time.Second).Should(Succeed())
		pendingWarnings := func() int { return countOf(warningsOf(ctx, ns, "fs1"), "LoadBalancerPending") }
		Eventually(pendingWarnings).Should(Equal(2))
		Consistently(pendingWarnings).WithTimeout(5*interval).Should(Equal(2), "one Warning per Service")
		Expect(warningsOf(ctx, ns, "fs1")).To(ContainElement(And(
			ContainSubstring("fs1-nfs"), ContainSubstring("MetalLB"), ContainSubstring("spec.adapterService.overrides.nfs.type: NodePort"),
		)))

		By("showing the address once a load-balancer controller assigns one")
		var namespace corev1.Namespace
		Expect(k8s.Get(ctx, key("", ns), &namespace)).To(Succeed())
		namespace.Labels[kubetest.LabelLoadBalancer] = kubetest.LoadBalancerCloud
		Expect(k8s.Update(ctx, &namespace)).To(Succeed())
		var assigned time.Time
		Eventually(func(g Gomega) {
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, key(ns, "fs1-nfs"), svc)).To(Succeed())
			g.Expect(svc.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
			assigned = time.Now()
		}).Should(Succeed())
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			g.Expect(entry(g, server, "nfs").Endpoints[0]).To(MatchRegexp(`^198\.51\.\d+\.\d+:12049$`))
			g.Expect(server.Status.Endpoints).NotTo(ContainSubstring("pending"))
			g.Expect(adaptersReady(g, ns).Reason).To(Equal("Synced"))
		}).WithTimeout(interval + 2*time.Second).Should(Succeed())
		GinkgoWriter.Printf("the endpoint showed the address %s after it was assigned\n", time.Since(assigned).Round(time.Millisecond))
		Eventually(func() int { return countOf(eventsOf(ctx, ns, "fs1"), "LoadBalancerAssigned") }).Should(Equal(2))
	})

	It("puts the policy's warnings on the adapters they concern, once as events, and takes them away with their cause", func() {
		ns := newNamespace(ctx)
		api.SetAdapterRunning("smb", false)
		api.SetAdapter("nfs", true, 0)
		create(ns)
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			g.Expect(entry(g, server, "smb").Message).To(ContainSubstring("enabled but not running"))
			g.Expect(entry(g, server, "nfs").Message).To(ContainSubstring("port 0"))
			g.Expect(entry(g, server, "nfs")).To(And(HaveField("Port", BeEquivalentTo(12049)), HaveField("PortDefaulted", true)))
		}).Should(Succeed())
		oneEach := func(g Gomega) {
			warnings := warningsOf(ctx, ns, "fs1")
			g.Expect(countOf(warnings, `PolicyWarning: adapter "smb"`)).To(Equal(1), "%v", warnings)
			g.Expect(countOf(warnings, `PolicyWarning: adapter "nfs"`)).To(Equal(1), "%v", warnings)
		}
		Eventually(oneEach).Should(Succeed())
		Consistently(oneEach).WithTimeout(10 * interval).WithPolling(interval).Should(Succeed())

		api.SetAdapterRunning("smb", true)
		api.SetAdapter("nfs", true, 12049)
		Eventually(func(g Gomega) {
			server := getServer(ctx, ns, "fs1")
			g.Expect(entry(g, server, "smb").Message).To(BeEmpty())
			g.Expect(entry(g, server, "nfs").Message).To(BeEmpty())
			g.Expect(adaptersReady(g, ns).Message).NotTo(ContainSubstring("warning"))
		}).Should(Succeed())
	})

	It("names the way out when an admin reset blocks the admin account", func() {
		ns := newNamespace(ctx)
		client, err := dittofs.New(dittofs.Config{BaseURL: api.URL()})
		Expect(err).NotTo(HaveOccurred())
		tokens, err := client.Login(ctx, "admin", adminPassword)
		Expect(err).NotTo(HaveOccurred())
		// `dfsctl user password admin`: the admin must change its password.
		Expect(client.ResetPassword(ctx, tokens.AccessToken, "admin", "reset-password-1")).To(Succeed())

		server := serverWithAPI(ctx, ns, "fs1", api, "reset-password-1")
		server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: interval}
		Expect(k8s.Create(ctx, server)).To(Succeed())
		Eventually(func(g Gomega) {
			c := condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAuthenticated)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal("AdminPasswordChangeRequired"))
			g.Expect(c.Message).To(And(ContainSubstring("dfsctl user change-password"), ContainSubstring("fs1-admin-password")))
		}).Should(Succeed())
		blocked := func() int { return countOf(warningsOf(ctx, ns, "fs1"), "AdminPasswordChangeRequired") }
		Eventually(blocked).Should(Equal(1))
		Consistently(blocked).WithTimeout(5 * interval).Should(Equal(1))
		Expect(api.Count(sim.RouteCreateUser, sim.AnyRole)).To(BeZero(), "no call the admin may not make")
	})
})
