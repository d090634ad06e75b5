package e2e_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
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

// policyReload bounds how long a ConfigMap change takes to shape objects:
// the operator checks its policy folder every 10s (its default), then
// reconciles every DittoServer.
const policyReload = 10*time.Second + within

var _ = Describe("Platform policies delivered by the chart's ConfigMap", func() {
	It("change Service annotations without an operator restart; a broken policy is refused and the last good one keeps serving", func(ctx SpecContext) {
		s := newDittoServer(ctx, sim.Options{})
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

		By("refusing a policy that does not parse, naming its file and line")
		logged := len(operator.Log())
		Expect(env.Chart.Upgrade(env.ValuesWithPolicies(map[string]string{framework.BaselinePolicyFile: brokenPolicy}))).To(Succeed())
		Eventually(func() string { return operator.Log()[logged:] }).WithTimeout(policyReload).Should(And(
			ContainSubstring("policy bundle refused"),
			ContainSubstring(framework.BaselinePolicyFile+":5"),
		))

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
