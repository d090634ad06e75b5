package controller_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// operatorUser is the identity the operator acts as, so the audit log can
// tell its writes from the test's own.
const operatorUser = "dittofs-operator"

var (
	// operatorLogs captures every log line, to prove no secret reaches one.
	operatorLogs syncBuffer
	plane        *kubetest.ControlPlane
	k8s          client.Client
	// policyEngine serves the operator's policy; evaluated records the
	// inputs the operator gave it.
	policyEngine *networking.Engine
	evaluated    = &recordingEvaluator{}
	// platformPolicyDir holds the suite's platform module, as the policy
	// ConfigMap mounted in the operator's pod would.
	platformPolicyDir string
	scheme            = runtime.NewScheme()
	cancelMgr         context.CancelFunc
)

func TestController(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local control plane")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller Suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, &operatorLogs)), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	SetDefaultConsistentlyDuration(3 * time.Second)
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(dittov1.AddToScheme(scheme)).To(Succeed())

	var err error
	plane, err = kubetest.Start(kubetest.Options{ControllerManager: true, Audit: true, Neighbours: true, PodsRun: true})
	Expect(err).NotTo(HaveOccurred())
	k8s, err = client.New(plane.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	operatorConfig, err := plane.UserConfig(operatorUser, "system:masters")
	Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(operatorConfig, ctrl.Options{
		Scheme:  scheme,
		Cache:   controller.CacheOptions(),
		Metrics: metricsserver.Options{BindAddress: "0"},
	})
	Expect(err).NotTo(HaveOccurred())
	platformPolicyDir = platformPolicies()
	policyEngine, err = networking.NewEngine(networking.Options{PolicyDir: platformPolicyDir})
	Expect(err).NotTo(HaveOccurred())
	evaluated.Evaluator = policyEngine
	Expect((&controller.DittoServerReconciler{
		Client:              mgr.GetClient(),
		APIReader:           mgr.GetAPIReader(),
		Scheme:              mgr.GetScheme(),
		Recorder:            mgr.GetEventRecorder("dittofs-operator"),
		Policy:              evaluated,
		Operator:            networking.OperatorInfo{Namespace: "dittofs-system", PodLabels: map[string]string{"app.kubernetes.io/name": "dittofs-operator"}},
		AllowAPIURLOverride: true,
		APITimeout:          2 * time.Second,
	}).SetupWithManager(mgr)).To(Succeed())

	var ctx context.Context
	ctx, cancelMgr = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancelMgr != nil {
		cancelMgr()
	}
	if plane != nil {
		Expect(plane.Stop()).To(Succeed())
	}
})

// newNamespace creates a namespace for one spec, so specs do not see each
// other's objects. Its labels switch neighbours on (see kubetest); a
// cloud's load-balancer controller serves it unless they say otherwise.
func newNamespace(ctx context.Context, labels ...map[string]string) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ditto-", Labels: map[string]string{
		kubetest.LabelLoadBalancer: kubetest.LoadBalancerCloud,
	}}}
	for _, l := range labels {
		for k, v := range l {
			ns.Labels[k] = v
		}
	}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// tierLabel is the DittoServer label the suite's platform policy reads: it
// annotates the NFS Service with its value.
const (
	tierLabel      = "example.com/tier"
	tierAnnotation = "example.com/tier"
)

// platformPolicies writes the suite's platform module into a folder, as a
// mounted policy ConfigMap would hold it.
func platformPolicies() string {
	dir := GinkgoT().TempDir()
	module := `package dittofs.networking.custom.tier

service_annotations["nfs"] := {"` + tierAnnotation + `": input.server.labels["` + tierLabel + `"]} if {
	input.server.labels["` + tierLabel + `"]
}
`
	Expect(os.WriteFile(filepath.Join(dir, "tier.rego"), []byte(module), 0o600)).To(Succeed())
	return dir
}
