package e2e_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("Adapters changed through the DittoFS API", func() {
	It("closes smb's port within one interval of `dfsctl adapter disable smb`, keeps its Service for its address, and brings it back on the new port", func(ctx SpecContext) {
		s := newDittoServer(ctx, sim.Options{})
		s.published()
		kept := &corev1.Service{}
		Expect(k8s.Get(ctx, s.key("fs1-smb"), kept)).To(Succeed())

		By("disabling smb through the admin API")
		Expect(s.admin.Disable(ctx, "smb")).To(Succeed())
		Eventually(func(g Gomega) {
			s.gone(g, &networkingv1.NetworkPolicy{}, "fs1-smb")
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, s.key("fs1-smb"), svc)).To(Succeed())
			g.Expect(svc.Annotations).To(HaveKey(dittov1.AnnotationStoppedAt), "kept for spec.adapterService.retention")
			g.Expect(s.servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049)))
			server := s.adaptersReady(g)
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049"))
			// The default rollout leaves the serving pod alone: the port
			// waits for the next rollout.
			g.Expect(s.containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			g.Expect(server.Status.PendingPorts).To(Equal(&dittov1.PendingPortsStatus{Remove: []string{"smb:1445/TCP"}}))
		}).WithTimeout(within).Should(Succeed())
		Expect(s.servicePorts(Default, "fs1-nfs")).To(Equal([]int32{12049}))
		Eventually(func() []string { return s.events(ctx) }).Should(ContainElement(HavePrefix("Retained: Keeping SMB Service fs1-smb until")))

		By("enabling smb on port 2445")
		Expect(s.admin.Enable(ctx, "smb", 2445)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(s.servicePorts(g, "fs1-smb")).To(Equal([]int32{2445}))
			g.Expect(s.policyPorts(g, "fs1-smb")).To(Equal([]int32{2445}))
			g.Expect(s.servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049), int32(2445)))
			server := s.adaptersReady(g)
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:2445"))
			g.Expect(s.containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			g.Expect(server.Status.PendingPorts).To(Equal(&dittov1.PendingPortsStatus{
				Add: []string{"smb:2445/TCP"}, Remove: []string{"smb:1445/TCP"},
			}))
		}).WithTimeout(within).Should(Succeed())
		back := &corev1.Service{}
		Expect(k8s.Get(ctx, s.key("fs1-smb"), back)).To(Succeed())
		Expect(back.UID).To(Equal(kept.UID), "the same Service")
		Expect(back.Spec.ClusterIP).To(Equal(kept.Spec.ClusterIP))
	})

	It("deletes nothing while the DittoFS API refuses connections for five intervals, and recovers", func(ctx SpecContext) {
		s := newDittoServer(ctx, sim.Options{})
		s.published()

		down := time.Now()
		s.api.RefuseConnections()
		Eventually(func(g Gomega) {
			c := s.condition(g, dittov1.ConditionAdaptersReady)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal("PollFailed"))
		}).WithTimeout(2 * framework.PollInterval).Should(Succeed())

		By("keeping every adapter object for the rest of the outage, even though smb stops meanwhile")
		s.api.SetAdapter("smb", false, 1445)
		Consistently(func(g Gomega) {
			g.Expect(s.servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(s.servicePorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(s.policyPorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(s.containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
		}).WithTimeout(time.Until(down.Add(5 * framework.PollInterval))).WithPolling(500 * time.Millisecond).Should(Succeed())
		Expect(verbs(s.writes(operator.User, down), "delete")).To(BeEmpty())

		By("following the API again once it answers")
		back := time.Now()
		Expect(s.api.AcceptConnections()).To(Succeed())
		Eventually(func(g Gomega) {
			s.gone(g, &networkingv1.NetworkPolicy{}, "fs1-smb")
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, s.key("fs1-smb"), svc)).To(Succeed())
			stopped, err := time.Parse(time.RFC3339, svc.Annotations[dittov1.AnnotationStoppedAt])
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(stopped).To(BeTemporally(">=", back.Truncate(time.Second)), "the retention starts with the first listing after the outage")
			g.Expect(s.adaptersReady(g).Status.RunningAdapters).To(Equal("nfs:12049"))
		}).WithTimeout(within).Should(Succeed())
		Expect(s.api.CountSince(back, sim.RouteListAdapters, dittofs.RoleOperator)).To(BeNumerically(">=", 1))
	})
})
