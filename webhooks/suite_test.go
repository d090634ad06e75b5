package webhooks_test

import (
	"context"
	"crypto/tls"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
	"github.com/dittofs/dittofs-operator/operator/networking"
	"github.com/dittofs/dittofs-operator/policies"
	"github.com/dittofs/dittofs-operator/webhooks"
)

// platformPolicy is a platform team's module: the kind of rule admission
// must enforce at `kubectl apply`.
const platformPolicy = `package dittofs.networking.custom.platform

deny contains msg if {
	input.namespace.labels.env == "production"
	input.adapterService.type == "LoadBalancer"
	msg := "LoadBalancer adapter Services are not allowed in namespaces labelled env=production"
}

warnings contains msg if {
	input.namespace.labels.env == "staging"
	input.adapterService.type == "LoadBalancer"
	msg := "LoadBalancer adapter Services in staging are billed: prefer ClusterIP"
}
`

// operatorNamespace is where the operator would run.
const operatorNamespace = "dittofs-system"

var (
	// plane serves the webhook with a copy of the CRD that lacks the CEL
	// rules the webhook repeats, so that the webhook, not the schema, answers.
	plane     *kubetest.ControlPlane
	k8s       client.Client
	scheme    = runtime.NewScheme()
	cancelMgr context.CancelFunc
	mgrDone   = make(chan struct{})
)

func TestWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local control plane")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Webhooks Suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(dittov1.AddToScheme(scheme)).To(Succeed())

	vwc := webhooks.ValidatingWebhookConfiguration(webhooks.DefaultConfigurationName,
		webhooks.ServiceClientConfig(operatorNamespace, webhooks.DefaultServiceName, webhooks.DefaultServicePort))
	var err error
	plane, err = kubetest.Start(kubetest.Options{
		CRDDirectoryPaths: []string{crdWithoutRepeatedRules()},
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			ValidatingWebhooks: []*admissionregistrationv1.ValidatingWebhookConfiguration{vwc},
		},
	})
	Expect(err).NotTo(HaveOccurred())
	k8s = newClient(plane, nil)
	startWebhook(&plane.Env.WebhookInstallOptions)
})

var _ = AfterSuite(func() {
	if cancelMgr != nil {
		cancelMgr()
		// The webhook server reads its certificate from envtest's folder,
		// which stopping the control plane removes.
		Eventually(mgrDone).WithTimeout(time.Minute).Should(BeClosed())
	}
	if plane != nil {
		Expect(plane.Stop()).To(Succeed())
	}
})

// startWebhook runs a manager serving the webhook where envtest registered
// it, with the default bundle plus platformPolicy and an example module.
func startWebhook(install *envtest.WebhookInstallOptions) {
	engine, err := networking.NewEngine(networking.Options{PolicyDir: policyDir()})
	Expect(err).NotTo(HaveOccurred())
	Expect(engine.LastError()).NotTo(HaveOccurred())

	mgr, err := ctrl.NewManager(plane.Config, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host:    install.LocalServingHost,
			Port:    install.LocalServingPort,
			CertDir: install.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(webhooks.SetupWithManager(mgr, webhooks.Options{
		Evaluator: engine,
		Operator:  networking.OperatorInfo{Namespace: operatorNamespace},
	})).To(Succeed())

	var ctx context.Context
	ctx, cancelMgr = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		defer close(mgrDone)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	addr := net.JoinHostPort(install.LocalServingHost, strconv.Itoa(install.LocalServingPort))
	Eventually(func() error {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only probes that the server listens
		if err != nil {
			return err
		}
		return conn.Close()
	}).Should(Succeed())
}

// policyDir holds platformPolicy and the production_no_nodeport example,
// which reads the Services decided from the reported adapters.
func policyDir() string {
	dir := GinkgoT().TempDir()
	example, err := fs.ReadFile(policies.FS(), policies.ExamplesDir+"/production_no_nodeport.rego")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(dir, "production_no_nodeport.rego"), example, 0o600)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "platform.rego"), []byte(platformPolicy), 0o600)).To(Succeed())
	return dir
}
