package controller_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// Clients mount shares by address: an adapter disabled and enabled again
// within spec.adapterService.retention gets its Service back, with its
// cluster IP and the address the load-balancer controller gave it.
var _ = Describe("A stopped adapter's Service", func() {
	const (
		interval  = time.Second
		retention = 12 * time.Second
	)

	var (
		ctx context.Context
		api *dittoAPI
	)

	BeforeEach(func() {
		ctx = context.Background()
		api = newDittoAPI(sim.Options{})
	})

	smbService := func(g Gomega, ns string) *corev1.Service {
		svc := &corev1.Service{}
		g.Expect(k8s.Get(ctx, key(ns, "fs1-smb"), svc)).To(Succeed())
		return svc
	}
	smbPolicy := func(ns string) error {
		return k8s.Get(ctx, key(ns, "fs1-smb"), &networkingv1.NetworkPolicy{})
	}

	It("is kept through a short stop and serves again as the same object, and goes when the period ends", func() {
		ns := newNamespace(ctx) // with a cloud's load-balancer controller
		server := serverWithAPI(ctx, ns, "fs1", api, adminPassword)
		server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: interval}
		server.Spec.AdapterService.Retention = &metav1.Duration{Duration: retention}
		Expect(k8s.Create(ctx, server)).To(Succeed())
		var before *corev1.Service
		Eventually(func(g Gomega) {
			before = smbService(g, ns)
			g.Expect(before.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
			g.Expect(smbPolicy(ns)).To(Succeed())
			g.Expect(condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAdaptersReady)).To(HaveField("Status", metav1.ConditionTrue))
		}).Should(Succeed())
		address := before.Status.LoadBalancer.Ingress[0].IP
		GinkgoWriter.Printf("fs1-smb: UID %s, cluster IP %s, load-balancer address %s\n", before.UID, before.Spec.ClusterIP, address)

		By("disabling smb: the NetworkPolicy goes at once, the Service stays and says so")
		stopped := time.Now()
		api.SetAdapter("smb", false, 1445)
		Eventually(func(g Gomega) {
			g.Expect(apierrors.IsNotFound(smbPolicy(ns))).To(BeTrue(), "the port closes")
			svc := smbService(g, ns)
			g.Expect(svc.UID).To(Equal(before.UID))
			g.Expect(svc.Annotations).To(HaveKey(dittov1.AnnotationStoppedAt))
			server := getServer(ctx, ns, "fs1")
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049"))
			smb := entryOf(g, server, "smb")
			g.Expect(smb.ServiceName).To(Equal("fs1-smb"))
			g.Expect(smb.RetainedUntil).NotTo(BeNil())
			g.Expect(smb.Endpoints).To(BeEmpty(), "a kept Service serves nothing")
			g.Expect(smb.Message).To(ContainSubstring("nothing listens on port 1445"))
			g.Expect(condition(server, dittov1.ConditionAdaptersReady).Message).To(ContainSubstring("fs1-smb (smb, until"))
		}).Should(Succeed())
		Consistently(func() bool { return apierrors.IsNotFound(smbPolicy(ns)) }).
			WithTimeout(3*interval).WithPolling(interval/4).Should(BeTrue(), "no NetworkPolicy while smb is stopped")

		By("enabling smb again within the period: the same Service, address and cluster IP")
		Expect(time.Since(stopped)).To(BeNumerically("<", retention/2))
		api.SetAdapter("smb", true, 1445)
		Eventually(func(g Gomega) {
			g.Expect(smbPolicy(ns)).To(Succeed())
			svc := smbService(g, ns)
			g.Expect(svc.Annotations).NotTo(HaveKey(dittov1.AnnotationStoppedAt))
			server := getServer(ctx, ns, "fs1")
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:1445"))
			g.Expect(entryOf(g, server, "smb").RetainedUntil).To(BeNil())
			g.Expect(entryOf(g, server, "smb").Endpoints).To(ContainElement(address + ":1445"))
		}).Should(Succeed())
		after := smbService(Default, ns)
		Expect(after.UID).To(Equal(before.UID))
		Expect(after.Spec.ClusterIP).To(Equal(before.Spec.ClusterIP))
		Expect(after.Status.LoadBalancer.Ingress).To(Equal(before.Status.LoadBalancer.Ingress))
		writes := operatorWritesSince(ns, stopped)
		Expect(count(writes, "delete", "services", "fs1-smb")).To(BeZero())
		Expect(creations(writes, "services", "fs1-smb")).To(BeZero())
		Eventually(func(g Gomega) {
			notes := eventsOf(ctx, ns, "fs1")
			g.Expect(notes).To(ContainElement(HavePrefix("Retained: Keeping SMB Service fs1-smb until")))
			g.Expect(notes).To(ContainElement(HavePrefix("Reused: SMB adapter is back")))
		}).Should(Succeed())

		By("disabling smb for longer than the period: the Service goes when it ends")
		stopped = time.Now()
		api.SetAdapter("smb", false, 1445)
		Eventually(func(g Gomega) { g.Expect(smbService(g, ns).Annotations).To(HaveKey(dittov1.AnnotationStoppedAt)) }).Should(Succeed())
		Consistently(func(g Gomega) { smbService(g, ns) }).WithTimeout(retention / 2).WithPolling(interval).Should(Succeed())
		Eventually(func(g Gomega) {
			svc := &corev1.Service{}
			err := k8s.Get(ctx, key(ns, "fs1-smb"), svc)
			// The load balancer's finalizer may hold it a moment.
			g.Expect(apierrors.IsNotFound(err) || svc.DeletionTimestamp != nil).To(BeTrue(), "Service fs1-smb: %v", err)
		}).WithTimeout(retention + 5*time.Second).Should(Succeed())
		gone := time.Since(stopped)
		GinkgoWriter.Printf("fs1-smb was deleted %s after smb stopped (retention %s, polls every %s)\n", gone.Round(100*time.Millisecond), retention, interval)
		Expect(gone).To(BeNumerically(">=", retention-2*interval), "not before the period ends")
		Eventually(func() []string { return eventsOf(ctx, ns, "fs1") }).Should(ContainElement(And(
			HavePrefix("Deleted: Deleted SMB Service fs1-smb: adapter stopped at"), ContainSubstring("retention (12s)"))))
		notes := eventsOf(ctx, ns, "fs1")
		retained := 0
		for _, n := range notes {
			if strings.HasPrefix(n, "Retained:") {
				retained++
			}
		}
		Expect(retained).To(Equal(2), "one Retained event per stop: %v", notes)
	})
})
