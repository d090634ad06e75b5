package e2e_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("An operator process killed mid-reconcile", func() {
	It("is replaced by one that duplicates nothing and deletes nothing before its first successful poll", func(ctx SpecContext) {
		settled := newDittoServer(ctx, sim.Options{})
		settled.published()

		By("killing the operator with SIGKILL while it waits on a new server's adapter listing")
		pending := newDittoAPI(ctx, sim.Options{})
		pending.api.Hang(sim.RouteListAdapters)
		pending.create(ctx)
		Eventually(pending.api.InFlight).Should(BeNumerically(">=", 1), "the operator is mid-reconcile")
		Expect(pending.operatorUsers()).To(HaveLen(1), "its account was provisioned before the kill")
		before := inventory(ctx, settled.ns)
		old := operator
		Expect(old.Kill()).To(Succeed())
		Expect(old.ExitError()).To(MatchError(ContainSubstring("killed")))

		By("starting a new process while every adapter listing fails or hangs")
		settled.api.FailWith(http.StatusServiceUnavailable, sim.RouteListAdapters)
		restart := time.Now()
		operator = startOperator(ctx)
		Eventually(func() int {
			return settled.api.CountSince(restart, sim.RouteListAdapters, sim.AnyRole)
		}).Should(BeNumerically(">=", 2), "the new process polls, and fails, twice")
		Eventually(pending.api.InFlight).Should(BeNumerically(">=", 1))
		Expect(verbs(settled.writes(operator.User, restart), "delete")).To(BeEmpty())
		Expect(verbs(pending.writes(operator.User, restart), "delete")).To(BeEmpty())
		Expect(inventory(ctx, settled.ns)).To(Equal(before), "the failed polls changed nothing")

		By("letting the APIs answer")
		answered := time.Now()
		settled.api.ClearFaults()
		pending.api.ClearFaults()
		pending.published()
		Eventually(func(g Gomega) { settled.adaptersReady(g) }).Should(Succeed())
		for _, w := range settled.writes(operator.User, restart) {
			if w.Verb == "delete" {
				Expect(w.Time).To(BeTemporally(">=", answered), "deleted before the first successful poll: %s", w)
			}
		}

		By("finding exactly what an uninterrupted run creates")
		Expect(inventory(ctx, settled.ns)).To(Equal(before))
		Expect(inventory(ctx, pending.ns)).To(Equal(before), "the interrupted server has the same objects as the settled one")
		var services corev1.ServiceList
		Expect(k8s.List(ctx, &services, client.InNamespace(pending.ns), client.HasLabels{dittov1.LabelAdapter})).To(Succeed())
		Expect(services.Items).To(ConsistOf(
			HaveField("ObjectMeta.Name", "fs1-nfs"),
			HaveField("ObjectMeta.Name", "fs1-smb"),
		))
		Expect(pending.operatorUsers()).To(HaveLen(1))
		var creds corev1.Secret
		Expect(k8s.Get(ctx, pending.key("fs1-operator-credentials"), &creds)).To(Succeed())
		Expect(pending.api.CheckPassword(controller.OperatorUsername, string(creds.Data["password"]))).To(BeTrue())
	})
})
