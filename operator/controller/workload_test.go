package controller_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

var _ = Describe("Workload", func() {
	var (
		ctx    context.Context
		ns     string
		server *dittov1.DittoServer
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
		server = serverWithAPI(ctx, ns, "fs1", newDittoAPI(sim.Options{}), adminPassword)
		Expect(k8s.Create(ctx, server)).To(Succeed())
	})

	It("applies the CRD's defaults", func() {
		server := sampleServer(ns, "plain")
		Expect(k8s.Create(ctx, server)).To(Succeed())
		Expect(k8s.Get(ctx, key(ns, "plain"), server)).To(Succeed())
		spec := server.Spec
		Expect(spec.Image).To(Equal("marmos91c/dittofs:v0.29.0"))
		Expect(spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
		Expect(spec.ControlPlane.Port).To(BeEquivalentTo(8080))
		Expect(spec.AdapterPolling.Interval.Duration).To(Equal(30 * time.Second))
		Expect(spec.AdapterService.Type).To(Equal(dittov1.ServiceTypeLoadBalancer))
		Expect(spec.AdapterService.NameTemplate).To(Equal("{instance}-{adapter}"))
		Expect(spec.AdapterPorts.Rollout).To(Equal(dittov1.PortRolloutDeferred))
		Expect(spec.NetworkPolicy.Enabled).To(HaveValue(BeTrue()))
		Expect(spec.Database.Type).To(Equal(dittov1.DatabaseSQLite))
		Expect(spec.Service.Type).To(Equal(dittov1.ServiceTypeClusterIP))
	})

	It("creates every workload object, owned by the DittoServer", func() {
		Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
		owned := map[string]client.Object{
			"fs1-config":   &corev1.ConfigMap{},
			"fs1-jwt":      &corev1.Secret{},
			"fs1-api":      &corev1.Service{},
			"fs1-headless": &corev1.Service{},
			"fs1":          &appsv1.StatefulSet{},
		}
		for name, obj := range owned {
			Eventually(func() error { return k8s.Get(ctx, key(ns, name), obj) }).Should(Succeed(), name)
			ref := metav1.GetControllerOf(obj)
			Expect(ref).NotTo(BeNil(), name)
			Expect(ref.UID).To(Equal(server.UID), name)
			Expect(obj.GetLabels()).To(HaveKeyWithValue(dittov1.LabelManagedBy, dittov1.ManagedBy), name)
			Expect(obj.GetLabels()).To(HaveKeyWithValue(dittov1.LabelInstance, "fs1"), name)
		}

		By("rendering a configuration without adapters, listening on every interface")
		cm := owned["fs1-config"].(*corev1.ConfigMap)
		var config map[string]any
		Expect(yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &config)).To(Succeed())
		Expect(config).NotTo(HaveKey("adapters"))
		Expect(config["controlplane"]).To(HaveKeyWithValue("host", "0.0.0.0"))
		Expect(config["controlplane"]).To(HaveKeyWithValue("port", BeNumerically("==", 8080)))

		By("passing the admin password to the pod from its Secret")
		sts := owned["fs1"].(*appsv1.StatefulSet)
		c := sts.Spec.Template.Spec.Containers[0]
		Expect(c.Env).To(ContainElement(HaveField("Name", "DITTOFS_ADMIN_INITIAL_PASSWORD")))
		for _, e := range c.Env {
			Expect(e.Value).To(BeEmpty(), "secrets reach the pod through secretKeyRef, never inline")
		}
		Expect(sts.Spec.Template.Annotations).To(HaveKey(dittov1.AnnotationConfigHash))
		Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/health"))
		Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/health/ready"))

		By("running the container with a restricted security context")
		Expect(c.SecurityContext.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
		Expect(c.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		Expect(c.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
		Expect(sts.Spec.Template.Spec.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))

		By("claiming the metadata volume")
		Expect(sts.Spec.VolumeClaimTemplates).To(HaveLen(1))
		Expect(sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String()).To(Equal("1Gi"))

		By("giving the headless Service the API port")
		headless := owned["fs1-headless"].(*corev1.Service)
		Expect(headless.Spec.ClusterIP).To(Equal(corev1.ClusterIPNone))
		Expect(headless.Spec.Ports).To(ContainElement(HaveField("Port", BeEquivalentTo(8080))))
	})

	It("rolls the pod template once for a config change, and writes nothing when nothing changes", func() {
		Eventually(func() int { return revisions(ctx, ns) }).Should(Equal(1))
		markPodReady(ctx, ns, "fs1")
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
			g.Expect(condition(server, dittov1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
		}).Should(Succeed())
		waitForQuiet(ns)

		By("reconciling again with nothing to change")
		settled := time.Now()
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
			s.Annotations["example.com/touch"] = "1"
		})
		// The annotations are policy input: this server was reconciled and
		// decided again, and the same decision writes nothing.
		Eventually(func() string { return decidedAnnotation(ns, "fs1", "example.com/touch") }).Should(Equal("1"))
		Consistently(func() []string { return eventStrings(operatorWritesSince(ns, settled)) }).Should(BeEmpty())

		By("changing the configuration")
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"logging": map[string]any{"level": "DEBUG"}})
		})
		Eventually(func() int { return revisions(ctx, ns) }).Should(Equal(2))
		Consistently(func() int { return revisions(ctx, ns) }).Should(Equal(2))
		var cm corev1.ConfigMap
		Expect(k8s.Get(ctx, key(ns, "fs1-config"), &cm)).To(Succeed())
		Expect(cm.Data["config.yaml"]).To(ContainSubstring("DEBUG"))
	})

	It("reports a configuration that sets what the operator owns", func() {
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"controlplane": map[string]any{"port": 9999}})
		})
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
			c := condition(server, dittov1.ConditionConfigReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal("InvalidConfig"))
			g.Expect(c.Message).To(ContainSubstring("controlplane.port"))
		}).Should(Succeed())
	})

	It("leaves a user's object of the same name alone and reports it", func() {
		other := sampleServer(ns, "fs2")
		userCM := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "fs2-config", Namespace: ns},
			Data:       map[string]string{"mine": "yes"},
		}
		Expect(k8s.Create(ctx, userCM)).To(Succeed())
		Expect(k8s.Create(ctx, other)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, key(ns, "fs2"), other)).To(Succeed())
			c := condition(other, dittov1.ConditionConfigReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal("NameConflict"))
		}).Should(Succeed())
		Expect(k8s.Get(ctx, key(ns, "fs2-config"), userCM)).To(Succeed())
		Expect(userCM.Data).To(Equal(map[string]string{"mine": "yes"}))
		Expect(userCM.OwnerReferences).To(BeEmpty())
	})

	It("cleans up everything it owned when the DittoServer is deleted", func() {
		Eventually(func() error { return k8s.Get(ctx, key(ns, "fs1"), &appsv1.StatefulSet{}) }).Should(Succeed())
		Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
		Expect(server.Finalizers).To(ContainElement(dittov1.Finalizer))
		Expect(k8s.Delete(ctx, server)).To(Succeed())
		Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key(ns, "fs1"), server)) }).Should(BeTrue())
		for name, obj := range map[string]client.Object{
			"fs1-config": &corev1.ConfigMap{}, "fs1-jwt": &corev1.Secret{}, "fs1-operator-credentials": &corev1.Secret{},
			"fs1-api": &corev1.Service{}, "fs1-headless": &corev1.Service{}, "fs1": &appsv1.StatefulSet{},
		} {
			Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key(ns, name), obj)) }).Should(BeTrue(), name)
		}
	})

	It("stops the pod with replicas 0", func() {
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) { s.Spec.Replicas = ptr.To[int32](0) })
		Eventually(func(g Gomega) {
			sts := &appsv1.StatefulSet{}
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), sts)).To(Succeed())
			g.Expect(sts.Spec.Replicas).To(HaveValue(BeEquivalentTo(0)))
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
			g.Expect(server.Status.Phase).To(Equal(dittov1.PhaseStopped))
		}).Should(Succeed())
	})
})

func eventStrings(events []kubetest.AuditEvent) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e.String())
	}
	return out
}
