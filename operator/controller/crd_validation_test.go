package controller_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// These specs run with no admission webhook: the CRD's schema and CEL rules
// alone must refuse them.
var _ = Describe("DittoServer schema", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
	})

	DescribeTable("refuses out-of-range and legacy values",
		func(mutate func(*dittov1.DittoServer), want string) {
			server := sampleServer(ns, "bad")
			mutate(server)
			err := k8s.Create(ctx, server)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("a 1ms polling interval", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: time.Millisecond}
		}, "between 1s and 1h"),
		Entry("a 999ms polling interval", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 999 * time.Millisecond}
		}, "between 1s and 1h"),
		Entry("a 2h polling interval", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 2 * time.Hour}
		}, "between 1s and 1h"),
		Entry("two replicas", func(s *dittov1.DittoServer) {
			s.Spec.Replicas = ptr.To[int32](2)
		}, "spec.replicas"),
		Entry("an unknown adapter Service type", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Type = "ExternalName"
		}, "spec.adapterService.type"),
		Entry("an unknown API Service type", func(s *dittov1.DittoServer) {
			s.Spec.Service.Type = "Bogus"
		}, "spec.service.type"),
		Entry("a newly set spec.nfsPort", func(s *dittov1.DittoServer) {
			s.Spec.NFSPort = ptr.To[int32](12049)
		}, "spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable nfs --port 12049'"),
		Entry("a spec.nfsPort out of range", func(s *dittov1.DittoServer) {
			s.Spec.NFSPort = ptr.To[int32](0)
		}, "'dfsctl adapter enable nfs --port 12049'"),
		Entry("a name with a dot", func(s *dittov1.DittoServer) {
			s.Name = "fs.one"
		}, `metadata.name "fs.one" contains a dot: the Services fs.one-api, fs.one-headless and those of the adapters are named after it, and a Service name may not contain dots. Choose a name without dots, such as "fs-one"`),
		Entry("a name starting with a digit", func(s *dittov1.DittoServer) {
			s.Name = "1fs"
		}, `metadata.name "1fs" does not start with a letter: the Services 1fs-api, 1fs-headless and those of the adapters are named after it, and Kubernetes before 1.36 refuses Service names that do not start with a letter. Start the name with a letter, such as "fs-1fs"`),
		Entry("an unknown name template placeholder", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
		}, `spec.adapterService.nameTemplate "{instance}-{namespace}-{adapter}" uses {namespace}, which is not a placeholder: only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in`),
		Entry("a stray brace in the name template", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{adapter}}"
		}, `spec.adapterService.nameTemplate "{adapter}}" uses }, which is not a placeholder`),
		Entry("a newly set spec.smb", func(s *dittov1.DittoServer) {
			s.Spec.SMB = rawJSON(map[string]any{"port": 12445})
		}, "dfsctl adapter enable smb"),
		Entry("an adapters section in spec.config", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"adapters": map[string]any{"nfs": map[string]any{"port": 2049}}})
		}, "spec.config.adapters is not supported"),
		Entry("a name too long for the objects derived from it", func(s *dittov1.DittoServer) {
			s.Name = "a-very-long-dittoserver-name-that-does-not-fit-in-dns"
		}, "at most 45 characters"),
		Entry("an override for something that is no adapter type", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {}, "nfs v4": {}}
		}, `spec.adapterService.overrides key "nfs v4" is not an adapter type: adapter types are named as 'dfsctl adapter list' shows them (nfs, smb, webdav, ...)`),
		Entry("an override published on port 0", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](0)}}
		}, "spec.adapterService.overrides.nfs.port"),
		Entry("a retention longer than a day", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Retention = &metav1.Duration{Duration: 25 * time.Hour}
		}, "adapterService.retention must be between 0s and 24h"),
		Entry("a negative retention", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Retention = &metav1.Duration{Duration: -time.Second}
		}, "adapterService.retention must be between 0s and 24h"),
	)

	It("accepts overrides for any adapter type, published ports and retentions", func() {
		server := sampleServer(ns, "any")
		server.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
			"nfs": {Port: ptr.To[int32](2049)}, "webdav": {Type: dittov1.ServiceTypeNodePort, Port: ptr.To[int32](80)},
			"SMB_3": {}, "nfs.v4": {},
		}
		server.Spec.AdapterService.Retention = &metav1.Duration{}
		Expect(k8s.Create(ctx, server)).To(Succeed())
		defaulted := sampleServer(ns, "defaulted")
		Expect(k8s.Create(ctx, defaulted)).To(Succeed())
		Expect(k8s.Get(ctx, key(ns, "defaulted"), defaulted)).To(Succeed())
		Expect(defaulted.Spec.AdapterService.Retention).To(Equal(&metav1.Duration{Duration: dittov1.DefaultRetention}),
			"the documented default")
		// A client that writes the object back as Go prints it changes no
		// default, so the spec's generation stays.
		updateServer(ctx, ns, "defaulted", func(*dittov1.DittoServer) {})
		Expect(getServer(ctx, ns, "defaulted").Generation).To(BeEquivalentTo(1), "a defaulted field written back as Go prints it")
	})

	It("accepts the names and templates it must", func() {
		for _, name := range []string{"fs1", "a", "fs-one-2"} {
			Expect(k8s.Create(ctx, sampleServer(ns, name))).To(Succeed(), name)
		}
		server := sampleServer(ns, "templated")
		server.Spec.AdapterService.NameTemplate = "{adapter}-of-{instance}"
		Expect(k8s.Create(ctx, server)).To(Succeed())
	})

	It("refuses adding spec.nfsPort to an existing server", func() {
		server := sampleServer(ns, "good")
		Expect(k8s.Create(ctx, server)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "good"), server)).To(Succeed())
			server.Spec.NFSPort = ptr.To[int32](12049)
			err := k8s.Update(ctx, server)
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			g.Expect(err.Error()).To(ContainSubstring("dfsctl adapter enable nfs"))
		}).Should(Succeed())
	})
})
