package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// backupPolicy annotates every adapter Service.
const backupPolicy = `# Platform rules: the file servers are backed up at night.
package dittofs.networking.custom.platform

service_annotations[adapter] := {"example.com/backup-window": "02:00-04:00"} if {
	some adapter in {"nfs", "smb"}
}
`

// brokenPolicy does not parse: line 5 misses a comma.
const brokenPolicy = `# Platform rules: the file servers are backed up at night.
package dittofs.networking.custom.platform

service_annotations[adapter] := {"example.com/backup-window": "never"} if {
	some adapter in {"nfs" "smb"}
}
`

// refusedBuiltinPolicy asks the network for its decision, which policies
// may not: http.send is refused.
const refusedBuiltinPolicy = `package dittofs.networking.custom.platform

service_annotations[adapter] := {"example.com/backup-window": window} if {
	some adapter in {"nfs", "smb"}
	window := http.send({"method": "GET", "url": "http://backup.example.com/window"}).body
}
`

// policyReload bounds how long a ConfigMap change takes to shape objects:
// the operator checks its policy folder every 10s (its default), then
// reconciles every DittoServer.
const policyReload = 10*time.Second + within

var _ = Describe("Platform policies delivered by the chart's ConfigMap", func() {
	It("change Service annotations without an operator restart; a broken policy is refused and the last good one keeps serving", func(ctx SpecContext) {
		// A stopped adapter's Service goes at once, so that the one created
		// again below is a new Service.
		s := newDittoServer(ctx, sim.Options{}, func(server *dittov1.DittoServer) {
			server.Spec.AdapterService.Retention = &metav1.Duration{}
		})
		s.published()
		pid := operator.Pid()
		annotations := func(g Gomega, name string) map[string]string {
			var svc corev1.Service
			g.Expect(k8s.Get(ctx, s.key(name), &svc)).To(Succeed())
			return svc.Annotations
		}
		Expect(annotations(Default, "fs1-nfs")).NotTo(HaveKey("example.com/backup-window"))

		By("upgrading the release with a policy that annotates adapter Services")
		DeferCleanup(func() { Expect(env.Chart.Upgrade(env.BaseValues())).To(Succeed()) })
		Expect(env.Chart.Upgrade(env.ValuesWithPolicies(map[string]string{framework.BaselinePolicyFile: backupPolicy}))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(annotations(g, "fs1-nfs")).To(HaveKeyWithValue("example.com/backup-window", "02:00-04:00"))
			g.Expect(annotations(g, "fs1-smb")).To(HaveKeyWithValue("example.com/backup-window", "02:00-04:00"))
		}).WithTimeout(policyReload).Should(Succeed())
		Expect(operator.Exited()).To(BeFalse())
		Expect(operator.Pid()).To(Equal(pid), "the same process")

		By("naming the revision serving on the ConfigMap and on the DittoServer's status")
		// The revision is a hash of the files, wherever they are read from.
		revision := bundleRevision(map[string]string{framework.BaselinePolicyFile: backupPolicy})
		Eventually(func() []string { return policyEvents(ctx) }).Should(ContainElement(
			"Normal PolicyLoaded: Policy bundle " + revision + " serves every DittoServer (status.policyRevision)"))
		Eventually(func() string { return s.get(Default).Status.PolicyRevision }).WithTimeout(within).Should(Equal(revision))

		By("refusing a policy that does not parse, naming its file and line in the log and on the ConfigMap")
		logged := len(operator.Log())
		Expect(env.Chart.Upgrade(env.ValuesWithPolicies(map[string]string{framework.BaselinePolicyFile: brokenPolicy}))).To(Succeed())
		Eventually(func() string { return operator.Log()[logged:] }).WithTimeout(policyReload).Should(And(
			ContainSubstring("policy bundle refused"),
			ContainSubstring(framework.BaselinePolicyFile+":5"),
		))
		Eventually(func() []string { return policyEvents(ctx) }).Should(ContainElement(And(
			HavePrefix("Warning PolicyRefused: Refused policy bundle "),
			ContainSubstring("(revision "+revision+" keeps serving): "+framework.BaselinePolicyFile+":5: rego_parse_error: "),
		)))

		By("refusing a policy that calls http.send, naming the refused built-in")
		Expect(env.Chart.Upgrade(env.ValuesWithPolicies(map[string]string{framework.BaselinePolicyFile: refusedBuiltinPolicy}))).To(Succeed())
		Eventually(func() []string { return policyEvents(ctx) }).WithTimeout(policyReload).Should(ContainElement(ContainSubstring(
			framework.BaselinePolicyFile + ":5: dittofs_refused_builtin: http.send is not allowed in policies")))
		Expect(s.get(Default).Status.PolicyRevision).To(Equal(revision), "the status names the revision still serving")

		By("keeping the last good policy: the annotations stay, and a Service created now still gets them")
		Consistently(func(g Gomega) {
			g.Expect(annotations(g, "fs1-nfs")).To(HaveKeyWithValue("example.com/backup-window", "02:00-04:00"))
		}).WithTimeout(framework.PollInterval).Should(Succeed())
		Expect(s.admin.Disable(ctx, "smb")).To(Succeed())
		Eventually(func(g Gomega) { s.gone(g, &corev1.Service{}, "fs1-smb") }).WithTimeout(within).Should(Succeed())
		Expect(s.admin.Enable(ctx, "smb", 0)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(annotations(g, "fs1-smb")).To(HaveKeyWithValue("example.com/backup-window", "02:00-04:00"))
		}).WithTimeout(within).Should(Succeed())
		Expect(operator.Pid()).To(Equal(pid), "the same process")

		By("keeping the CA the operator injected through every helm upgrade")
		vwcName, err := env.Chart.WebhookConfigurationName()
		Expect(err).NotTo(HaveOccurred())
		var vwc admissionregistrationv1.ValidatingWebhookConfiguration
		Expect(k8s.Get(ctx, client.ObjectKey{Name: vwcName}, &vwc)).To(Succeed())
		secretName, err := env.Chart.WebhookSecretName()
		Expect(err).NotTo(HaveOccurred())
		var certs corev1.Secret
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: framework.ReleaseNamespace, Name: secretName}, &certs)).To(Succeed())
		Expect(vwc.Webhooks[0].ClientConfig.CABundle).To(Equal(certs.Data["ca.crt"]))
	})
})

// policyEvents lists the events of the chart's policy ConfigMap as
// `kubectl describe configmap` finds them: by the involved object's name,
// namespace, kind and UID, as "Type Reason: Note".
func policyEvents(ctx context.Context) []string {
	GinkgoHelper()
	name, err := env.Chart.PolicyConfigMapName()
	Expect(err).NotTo(HaveOccurred())
	var cm corev1.ConfigMap
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: framework.ReleaseNamespace, Name: name}, &cm)).To(Succeed())
	events := env.Kube.CoreV1().Events(framework.ReleaseNamespace)
	kind, uid := "ConfigMap", string(cm.UID)
	selector := events.GetFieldSelector(&cm.Name, &cm.Namespace, &kind, &uid)
	list, err := events.List(ctx, metav1.ListOptions{FieldSelector: selector.String()})
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Type+" "+e.Reason+": "+e.Message)
	}
	return out
}

// bundleRevision is the revision of the default bundle with these platform
// modules, computed here as the operator does.
func bundleRevision(modules map[string]string) string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	for name, text := range modules {
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600)).To(Succeed())
	}
	engine, err := networking.NewEngine(networking.Options{PolicyDir: dir})
	Expect(err).NotTo(HaveOccurred())
	Expect(engine.LastError()).NotTo(HaveOccurred())
	return engine.Revision()
}
