package webhooks_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
	"github.com/dittofs/dittofs-operator/operator/networking"
	"github.com/dittofs/dittofs-operator/webhooks"
)

// These specs run on a second control plane with the real CRD and, at
// first, no webhook at all.
var _ = Describe("The real CRD and the certificate rotation", Ordered, func() {
	var (
		ctx  context.Context
		real *kubetest.ControlPlane
		c    client.Client
	)

	BeforeAll(func() {
		ctx = context.Background()
		var err error
		real, err = kubetest.Start(kubetest.Options{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(real.Stop()).To(Succeed()) })
		c = newClient(real, nil)
	})

	DescribeTable("without the webhook, CEL rules still refuse newly set legacy fields and names that cannot work",
		func(mutate func(*dittov1.DittoServer), message string) {
			ns := newNamespace(ctx, c, nil)
			server := sampleServer(ns, "legacy")
			mutate(server)
			err := c.Create(ctx, server)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
			Expect(err.Error()).NotTo(ContainSubstring("admission webhook"))
		},
		Entry("spec.nfsPort", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](12049) },
			"spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable nfs --port 12049'"),
		Entry("another spec.nfsPort", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](2049) },
			"'dfsctl adapter enable nfs --port 2049'"),
		Entry("a name with a dot", func(s *dittov1.DittoServer) { s.Name = "fs.one" },
			`metadata.name "fs.one" contains a dot: the Services fs.one-api, fs.one-headless and those of the adapters are named after it, and a Service name may not contain dots. Choose a name without dots, such as "fs-one"`),
		Entry("a name starting with a digit", func(s *dittov1.DittoServer) { s.Name = "1fs" },
			`metadata.name "1fs" does not start with a letter`),
		Entry("an unknown placeholder", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
		}, `spec.adapterService.nameTemplate "{instance}-{namespace}-{adapter}" uses {namespace}, which is not a placeholder: only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in`),
		Entry("spec.smb", func(s *dittov1.DittoServer) { s.Spec.SMB = rawJSON(map[string]any{"port": 1445}) },
			"'dfsctl adapter enable smb --port <port>'"),
		Entry("spec.config.adapters", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"adapters": map[string]any{}})
		}, "spec.config.adapters is not supported"),
	)

	It("keeps objects stored before the name and placeholder rules updatable and deletable", func() {
		ns := newNamespace(ctx, c, nil)
		stored := sampleServer(ns, "stored")
		stored.Finalizers = []string{dittov1.Finalizer}
		Expect(c.Create(ctx, stored)).To(Succeed())
		storeLegacyIn(ctx, real, c, stored, func(spec map[string]any) {
			spec["adapterService"].(map[string]any)["nameTemplate"] = "{instance}-{namespace}-{adapter}"
			spec["nfsPort"] = 12049
		})
		dotted := storeCopyNamed(ctx, real, c, stored, "fs.one")

		for _, server := range []*dittov1.DittoServer{stored, dotted} {
			server.Labels = map[string]string{"team": "storage"}
			Expect(c.Update(ctx, server)).To(Succeed(), "an update keeping %s's stored values", server.Name)
			Expect(c.Delete(ctx, server)).To(Succeed())
			Expect(c.Get(ctx, key(ns, server.Name), server)).To(Succeed())
			server.Finalizers = nil
			Expect(c.Update(ctx, server)).To(Succeed(), "removing %s's finalizer", server.Name)
			Eventually(func() error {
				return c.Get(ctx, key(ns, server.Name), &dittov1.DittoServer{})
			}).Should(Satisfy(apierrors.IsNotFound))
		}
	})

	It("writes the certificate, injects its CA and then serves admission over TLS", func() {
		Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: webhooks.DefaultSecretName}}
		Expect(c.Create(ctx, secret)).To(Succeed())
		port := freePort()
		// The rotator issues DNS names only, so the API server calls the
		// local webhook server as "localhost".
		vwc := webhooks.ValidatingWebhookConfiguration(webhooks.DefaultConfigurationName, admissionregistrationv1.WebhookClientConfig{
			URL: ptr.To(fmt.Sprintf("https://localhost:%d%s", port, webhooks.Path)),
		})
		Expect(c.Create(ctx, vwc)).To(Succeed())

		certDir := GinkgoT().TempDir()
		mgr, err := ctrl.NewManager(real.Config, ctrl.Options{
			Scheme:        scheme,
			Metrics:       metricsserver.Options{BindAddress: "0"},
			WebhookServer: webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir}),
		})
		Expect(err).NotTo(HaveOccurred())
		ready, err := webhooks.SetupCertRotation(mgr, webhooks.CertOptions{
			Namespace:     operatorNamespace,
			CertDir:       certDir,
			ExtraDNSNames: []string{"localhost"},
		})
		Expect(err).NotTo(HaveOccurred())
		engine, err := networking.NewEngine(networking.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(webhooks.SetupWhenReady(mgr, ready, webhooks.Options{
			Evaluator: engine,
			Operator:  networking.OperatorInfo{Namespace: operatorNamespace},
		})).To(Succeed())
		readyz := webhooks.ReadyCheck(mgr, ready)
		Expect(readyz(nil)).To(MatchError(ContainSubstring("certificate is not ready")))

		mgrCtx, stop := context.WithCancel(ctx)
		mounted, stopped := make(chan struct{}), make(chan struct{})
		DeferCleanup(func() {
			stop()
			Eventually(mounted).Should(BeClosed())
			Eventually(stopped).WithTimeout(time.Minute).Should(BeClosed())
		})
		go func() {
			defer close(mounted)
			mountSecret(mgrCtx, c, client.ObjectKeyFromObject(secret), certDir)
		}()
		go func() {
			defer GinkgoRecover()
			defer close(stopped)
			Expect(mgr.Start(mgrCtx)).To(Succeed())
		}()

		Eventually(ready).WithTimeout(90 * time.Second).Should(BeClosed())
		Expect(c.Get(ctx, client.ObjectKeyFromObject(secret), secret)).To(Succeed())
		Expect(c.Get(ctx, client.ObjectKeyFromObject(vwc), vwc)).To(Succeed())
		Expect(vwc.Webhooks[0].ClientConfig.CABundle).To(Equal(secret.Data["ca.crt"]))
		Expect(certificateNames(secret.Data["tls.crt"])).To(ConsistOf(
			"dittofs-operator-webhook.dittofs-system.svc", "dittofs-operator-webhook.dittofs-system.svc.cluster.local", "localhost"))
		Eventually(func() error { return readyz(nil) }).Should(Succeed())

		ns := newNamespace(ctx, c, nil)
		Eventually(func(g Gomega) {
			bad := sampleServer(ns, "bad")
			bad.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"nfs": {Port: ptr.To[int32](2049)}, "smb": {Port: ptr.To[int32](2049)},
			}
			err := c.Create(ctx, bad)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(`admission webhook "vdittoserver.dittofs.dittofs.com" denied the request`))
			g.Expect(err.Error()).To(ContainSubstring("spec.adapterService.overrides[smb].port"))
		}).Should(Succeed())
		Expect(c.Create(ctx, sampleServer(ns, "good"))).To(Succeed())

		By("naming the fix with the real CRD and the webhook both installed, as a cluster has them")
		err = c.Create(ctx, sampleServer(ns, "fs.one"))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring(`Choose a name without dots, such as "fs-one"`))
		placeholder := sampleServer(ns, "fs3")
		placeholder.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
		err = c.Create(ctx, placeholder)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("uses {namespace}, which is not a placeholder"))
		legacy := sampleServer(ns, "legacy")
		legacy.Spec.NFSPort = ptr.To[int32](12049)
		err = c.Create(ctx, legacy)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("'dfsctl adapter enable nfs --port 12049'"))
	})
})

// mountSecret does what the kubelet does for a Secret volume: until ctx
// ends, it keeps the files of the Secret in dir, replacing each atomically.
func mountSecret(ctx context.Context, c client.Client, key client.ObjectKey, dir string) {
	written := map[string][]byte{}
	for {
		secret := &corev1.Secret{}
		if err := c.Get(ctx, key, secret); err == nil {
			for name, data := range secret.Data {
				if !bytes.Equal(written[name], data) && writeAtomically(filepath.Join(dir, name), data) == nil {
					written[name] = data
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func writeAtomically(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	Expect(l.Close()).To(Succeed())
	return port
}

func certificateNames(certPEM []byte) []string {
	block, _ := pem.Decode(certPEM)
	Expect(block).NotTo(BeNil())
	cert, err := x509.ParseCertificate(block.Bytes)
	Expect(err).NotTo(HaveOccurred())
	return cert.DNSNames
}
