package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("The chart's namespaced RBAC (rbac.watchNamespaces)", func() {
	It("is enough for provisioning and a full adapter reconcile in a watched namespace", func(ctx SpecContext) {
		s := newDittoAPI(ctx, sim.Options{})

		By("upgrading the release to watch one namespace, and restarting the operator with the new arguments")
		values := env.BaseValues()
		values["rbac"] = map[string]any{"watchNamespaces": []any{s.ns}}
		DeferCleanup(func(ctx SpecContext) {
			Expect(env.Chart.Upgrade(env.BaseValues())).To(Succeed())
			Expect(operator.Stop()).To(Succeed())
			operator = startOperator(ctx)
		})
		Expect(env.Chart.Upgrade(values)).To(Succeed())
		var role rbacv1.Role
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: framework.ReleaseName}, &role)).To(Succeed())
		Expect(operator.Stop()).To(Succeed())
		operator = startOperator(ctx)
		Expect(operator.Args).To(ContainElement("--watch-namespaces=" + s.ns))

		s.create(ctx)
		s.markPodReady(ctx)
		Eventually(func(g Gomega) {
			g.Expect(s.servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(s.servicePorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			c := s.condition(g, dittov1.ConditionReady)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).Should(Succeed())
		Expect(s.admin.Disable(ctx, "smb")).To(Succeed())
		Eventually(func(g Gomega) {
			s.gone(g, &networkingv1.NetworkPolicy{}, "fs1-smb")
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, s.key("fs1-smb"), svc)).To(Succeed())
			g.Expect(svc.Annotations).To(HaveKey(dittov1.AnnotationStoppedAt), "kept for its retention")
		}).WithTimeout(within).Should(Succeed())
		// The suite's AfterEach checks the audit log and the operator's log
		// for refusals.
	})
})
