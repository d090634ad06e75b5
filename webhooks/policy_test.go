package webhooks_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

var _ = Describe("Networking policy at admission", func() {
	var ctx context.Context

	BeforeEach(func() {
		ctx = context.Background()
	})

	It("refuses what a platform module denies", func() {
		ns := newNamespace(ctx, k8s, map[string]string{"env": "production"})
		err := k8s.Create(ctx, sampleServer(ns, "lb"))
		deniedByWebhook(err)
		Expect(causeFields(err)).To(ConsistOf("spec"))
		Expect(err.Error()).To(ContainSubstring(
			"denied by the networking policy: [platform] LoadBalancer adapter Services are not allowed in namespaces labelled env=production"))

		internal := sampleServer(ns, "internal")
		internal.Spec.AdapterService.Type = dittov1.ServiceTypeClusterIP
		Expect(k8s.Create(ctx, internal)).To(Succeed())
	})

	It("returns the policy's warnings to the client", func() {
		ns := newNamespace(ctx, k8s, map[string]string{"env": "staging"})
		warnings, err := warned(func(c client.Client) error {
			return c.Create(ctx, sampleServer(ns, "lb"))
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(warnings).To(ContainElement(
			"networking policy: [platform] LoadBalancer adapter Services in staging are billed: prefer ClusterIP"))
	})

	It("decides with the adapters the server last reported", func() {
		ns := newNamespace(ctx, k8s, map[string]string{"env": "production"})
		quiet := sampleServer(ns, "quiet")
		quiet.Spec.AdapterService.Type = dittov1.ServiceTypeClusterIP
		Expect(k8s.Create(ctx, quiet)).To(Succeed())
		serving := sampleServer(ns, "serving")
		serving.Spec.AdapterService.Type = dittov1.ServiceTypeClusterIP
		Expect(k8s.Create(ctx, serving)).To(Succeed())
		serving.Status.Adapters = []dittov1.AdapterStatus{{Type: "nfs", Port: 12049, Enabled: true, Running: true}}
		Expect(k8s.Status().Update(ctx, serving)).To(Succeed())

		// No adapter reported: no Service would be a NodePort yet.
		quiet.Spec.AdapterService.Type = dittov1.ServiceTypeNodePort
		Expect(k8s.Update(ctx, quiet)).To(Succeed())

		serving.Spec.AdapterService.Type = dittov1.ServiceTypeNodePort
		err := k8s.Update(ctx, serving)
		deniedByWebhook(err)
		Expect(err.Error()).To(ContainSubstring(`[production_no_nodeport] Service "serving-nfs" of adapter "nfs" is a NodePort`))
	})

	It("accepts updates that do not change an existing denial, with a warning", func() {
		ns := newNamespace(ctx, k8s, nil)
		server := sampleServer(ns, "lb")
		Expect(k8s.Create(ctx, server)).To(Succeed())
		namespace := &corev1.Namespace{}
		Expect(k8s.Get(ctx, client.ObjectKey{Name: ns}, namespace)).To(Succeed())
		namespace.Labels["env"] = "production"
		Expect(k8s.Update(ctx, namespace)).To(Succeed())

		warnings, err := warned(func(c client.Client) error {
			server.Annotations = map[string]string{"owner": "storage-team"}
			server.Finalizers = []string{dittov1.Finalizer}
			return c.Update(ctx, server)
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(warnings).To(ContainElement(ContainSubstring(
			"the networking policy denies this DittoServer (accepted because this update does not change that)")))

		server.Finalizers = nil
		Expect(k8s.Update(ctx, server)).To(Succeed())
		Expect(k8s.Delete(ctx, server)).To(Succeed())
	})
})
