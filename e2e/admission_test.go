package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

var _ = Describe("Admission through the chart's CRD and webhook", func() {
	It("refuses spec.nfsPort with the dfsctl guidance from the CRD, before the webhook is asked", func(ctx SpecContext) {
		ns, err := framework.CreateNamespace(ctx, k8s, "e2e")
		Expect(err).NotTo(HaveOccurred())

		legacy := framework.DittoServerFor(ns, "legacy", "http://127.0.0.1:9")
		legacy.Spec.NFSPort = ptr.To[int32](2049)
		err = k8s.Create(ctx, legacy)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.nfsPort is no longer supported"))
		Expect(err.Error()).To(ContainSubstring("dfsctl adapter enable nfs"))
		Expect(err.Error()).NotTo(ContainSubstring("admission webhook"), "the CRD answers first")

		By("the webhook, reached through the chart's configuration, answers what the CRD cannot check")
		bad := framework.DittoServerFor(ns, "bad", "http://127.0.0.1:9")
		bad.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
			"nfs": {Port: ptr.To[int32](2049)}, "smb": {Port: ptr.To[int32](2049)},
		}
		err = k8s.Create(ctx, bad)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`admission webhook "vdittoserver.dittofs.dittofs.com" denied the request`))
		Expect(err.Error()).To(ContainSubstring("spec.adapterService.overrides[smb].port"))
	})
})
