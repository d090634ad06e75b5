package e2e_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("Deleting a DittoServer", func() {
	It("removes what it owned, through the garbage collector, and its DittoFS operator account", func(ctx SpecContext) {
		s := newDittoServer(ctx, sim.Options{})
		s.published()
		Expect(s.operatorUsers()).To(HaveLen(1))
		server := s.get(Default)
		everything := inventory(ctx, s.ns)
		Expect(everything).To(ContainElements(
			"Service/fs1-nfs", "Service/fs1-smb", "NetworkPolicy/fs1-nfs", "NetworkPolicy/fs1-smb", "StatefulSet/fs1",
			"Secret/fs1-operator-credentials", "Secret/"+framework.AdminPasswordSecret("fs1"),
		))

		deleted := time.Now()
		Expect(k8s.Delete(ctx, server)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(inventory(ctx, s.ns)).To(Equal([]string{"Secret/" + framework.AdminPasswordSecret("fs1")}),
				"only the user's own Secret stays")
			var list dittov1.DittoServerList
			g.Expect(k8s.List(ctx, &list)).To(Succeed())
			for _, item := range list.Items {
				g.Expect(item.UID).NotTo(Equal(server.UID))
			}
		}).Should(Succeed())
		Expect(verbs(s.writes("kube-controller-manager", deleted), "delete")).To(ContainElements(
			ContainSubstring("services "+s.ns+"/fs1-nfs"),
			ContainSubstring("networkpolicies "+s.ns+"/fs1-smb"),
			ContainSubstring("statefulsets "+s.ns+"/fs1"),
		), "the garbage collector deleted the owned objects")
		Expect(s.operatorUsers()).To(BeEmpty())
		Expect(s.api.Count(sim.RouteDeleteUser, dittofs.RoleAdmin)).To(Equal(1))
	})
})
