package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

var _ = Describe("Legacy static adapter fields", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx, k8s, nil)
	})

	DescribeTable("are refused on create with what to run instead",
		func(mutate func(*dittov1.DittoServer), field, guidance string) {
			server := sampleServer(ns, "legacy")
			mutate(server)
			err := k8s.Create(ctx, server)
			deniedByWebhook(err)
			Expect(causeFields(err)).To(ConsistOf(field))
			Expect(err.Error()).To(ContainSubstring(guidance))
		},
		Entry("spec.nfsPort", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](12049) }, "spec.nfsPort",
			"spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable nfs --port 12049'"),
		Entry("another spec.nfsPort", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](2049) }, "spec.nfsPort",
			"'dfsctl adapter enable nfs --port 2049'"),
		Entry("spec.smb with a port", func(s *dittov1.DittoServer) { s.Spec.SMB = rawJSON(map[string]any{"port": 1445}) }, "spec.smb",
			"spec.smb is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable smb --port 1445'"),
		Entry("spec.smb without a port", func(s *dittov1.DittoServer) { s.Spec.SMB = rawJSON(map[string]any{"enabled": true}) }, "spec.smb",
			"'dfsctl adapter enable smb --port 12445'"),
		Entry("an adapters section in spec.config", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"adapters": map[string]any{"nfs": map[string]any{"port": 2049}}})
		}, "spec.config.adapters",
			"spec.config.adapters is not supported: adapters are managed through the DittoFS API. Remove the section and run 'dfsctl adapter enable nfs --port 2049'"),
	)

	It("refuses adding a legacy field to a stored object", func() {
		server := sampleServer(ns, "modern")
		Expect(k8s.Create(ctx, server)).To(Succeed())
		server.Spec.NFSPort = ptr.To[int32](12049)
		err := k8s.Update(ctx, server)
		deniedByWebhook(err)
		Expect(err.Error()).To(ContainSubstring("'dfsctl adapter enable nfs --port 12049'"))
	})

	Context("on an object stored before they were refused", func() {
		var server *dittov1.DittoServer

		BeforeEach(func() {
			server = sampleServer(ns, "old")
			Expect(k8s.Create(ctx, server)).To(Succeed())
			storeLegacy(ctx, server, func(spec map[string]any) {
				spec["nfsPort"] = 2049
				spec["smb"] = map[string]any{"port": 1445}
				spec["config"] = map[string]any{"adapters": map[string]any{"nfs": map[string]any{"port": 2049}}}
			})
			Expect(server.Spec.NFSPort).To(Equal(ptr.To[int32](2049)))
		})

		It("accepts updates that keep the values, with a warning for each", func() {
			warnings, err := warned(func(c client.Client) error {
				server.Labels = map[string]string{"team": "storage"}
				server.Spec.Image = "marmos91c/dittofs:v0.30.0"
				return c.Update(ctx, server)
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(warnings).To(ContainElements(
				ContainSubstring("spec.nfsPort: Forbidden: spec.nfsPort is no longer supported"),
				ContainSubstring("spec.smb: Forbidden"),
				ContainSubstring("spec.config.adapters: Forbidden"),
			))
			Expect(warnings).To(HaveEach(ContainSubstring("does not change it")))
		})

		It("refuses changing a value", func() {
			server.Spec.NFSPort = ptr.To[int32](2050)
			server.Spec.SMB = rawJSON(map[string]any{"port": 1446})
			err := k8s.Update(ctx, server)
			deniedByWebhook(err)
			Expect(causeFields(err)).To(ConsistOf("spec.nfsPort", "spec.smb"))
			Expect(err.Error()).To(ContainSubstring("'dfsctl adapter enable nfs --port 2050'"))
		})

		It("accepts removing the values", func() {
			warnings, err := warned(func(c client.Client) error {
				server.Spec.NFSPort, server.Spec.SMB, server.Spec.Config = nil, nil, nil
				return c.Update(ctx, server)
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(warnings).To(BeEmpty())
		})
	})

	It("lets an old object with several problems lose its finalizer and be deleted", func() {
		server := sampleServer(ns, "doomed")
		server.Finalizers = []string{dittov1.Finalizer}
		Expect(k8s.Create(ctx, server)).To(Succeed())
		storeLegacy(ctx, server, func(spec map[string]any) {
			spec["nfsPort"] = 2049
			spec["config"] = map[string]any{"controlplane": map[string]any{"port": 9000}}
			spec["adapterService"].(map[string]any)["overrides"] = map[string]any{"iscsi": map[string]any{}}
		})

		Expect(k8s.Delete(ctx, server)).To(Succeed())
		Expect(k8s.Get(ctx, key(ns, "doomed"), server)).To(Succeed())
		Expect(server.DeletionTimestamp).NotTo(BeNil())
		server.Finalizers = nil
		Expect(k8s.Update(ctx, server)).To(Succeed())
		Eventually(func() error {
			return k8s.Get(ctx, key(ns, "doomed"), &dittov1.DittoServer{})
		}).Should(Satisfy(apierrors.IsNotFound))
	})
})
