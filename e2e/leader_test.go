package e2e_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// leaseKey is the leader-election Lease: the operator's election id in the
// namespace the chart passes as --leader-election-namespace.
var leaseKey = client.ObjectKey{Namespace: framework.ReleaseNamespace, Name: "dittofs-operator.dittofs.com"}

func leaseHolder(ctx context.Context) string {
	var lease coordinationv1.Lease
	if err := k8s.Get(ctx, leaseKey, &lease); err != nil || lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

var _ = Describe("Two operator replicas electing a leader", func() {
	It("let only the leader write, and the other takes over when the leader stops", func(ctx SpecContext) {
		By("replacing the single operator by two replicas with --leader-elect")
		Expect(operator.Stop()).To(Succeed())
		leader := startOperator(ctx, "--leader-elect")
		Eventually(func() string { return leaseHolder(ctx) }).ShouldNot(BeEmpty())
		holder := leaseHolder(ctx)
		follower := startOperator(ctx, "--leader-elect")
		DeferCleanup(func(ctx SpecContext) {
			Expect(leader.Stop()).To(Succeed())
			Expect(follower.Stop()).To(Succeed())
			operator = startOperator(ctx)
		})

		s := newDittoServer(ctx, sim.Options{})
		s.published()
		Expect(leaseHolder(ctx)).To(Equal(holder))
		Expect(s.writes(leader.User, follower.StartedAt())).NotTo(BeEmpty())
		// Every replica's certificate rotator injects the webhook's CA (it
		// needs no lease); everything else is the leader's.
		vwc, err := env.Chart.WebhookConfigurationName()
		Expect(err).NotTo(HaveOccurred())
		followerWrites, err := framework.Writes(env.Plane, follower.User, "", follower.StartedAt())
		Expect(err).NotTo(HaveOccurred())
		for _, w := range followerWrites {
			Expect(w.Resource+"/"+w.Name).To(Equal("validatingwebhookconfigurations/"+vwc), "only the leader writes: %s", w)
		}

		By("stopping the leader with SIGTERM, which releases the lease")
		stopped := time.Now()
		Expect(leader.Stop()).To(Succeed())
		Expect(leader.ExitError()).NotTo(HaveOccurred(), "a clean exit")
		Eventually(func() string { return leaseHolder(ctx) }).WithTimeout(15 * time.Second).ShouldNot(Or(BeEmpty(), Equal(holder)))

		By("reconciling a change with the new leader")
		Expect(s.admin.Disable(ctx, "smb")).To(Succeed())
		Eventually(func(g Gomega) {
			s.gone(g, &networkingv1.NetworkPolicy{}, "fs1-smb")
			g.Expect(s.adaptersReady(g).Status.RunningAdapters).To(Equal("nfs:12049"))
		}).WithTimeout(within).Should(Succeed())
		Expect(verbs(s.writes(follower.User, stopped), "delete")).To(ContainElement(ContainSubstring("networkpolicies " + s.ns + "/fs1-smb")))
		Expect(s.writes(leader.User, leader.ExitedAt())).To(BeEmpty())
	})
})
