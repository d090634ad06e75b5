package controller_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// These specs run the operator among what real clusters run next to it:
// a mutating webhook that sets loadBalancerClass (as on EKS), a load-balancer
// controller with its cleanup finalizer, a controller that writes its own
// fields on the operator's objects, and pods that really run.
var _ = Describe("Among the controllers of a real cluster", func() {
	const interval = time.Second

	var (
		ctx context.Context
		api *dittoAPI
	)

	BeforeEach(func() {
		ctx = context.Background()
		api = newDittoAPI(sim.Options{})
	})

	// create makes fs1 in ns, polled every second.
	create := func(ns string, mutate ...func(*dittov1.DittoServer)) {
		createPolled(ctx, ns, api, interval, mutate...)
	}
	service := func(g Gomega, ns, name string) *corev1.Service {
		svc := &corev1.Service{}
		g.Expect(k8s.Get(ctx, key(ns, name), svc)).To(Succeed())
		return svc
	}
	synced := func(g Gomega, ns string) *dittov1.DittoServer {
		server := getServer(ctx, ns, "fs1")
		c := condition(server, dittov1.ConditionAdaptersReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		return server
	}

	It("creates each adapter Service once under a webhook that sets loadBalancerClass, and never recreates it", func() {
		ns := newNamespace(ctx, map[string]string{
			kubetest.LabelClassWebhook: "on", kubetest.LabelLoadBalancer: kubetest.LoadBalancerCloud,
		})
		create(ns)
		Eventually(func(g Gomega) {
			synced(g, ns)
			for _, name := range []string{"fs1-nfs", "fs1-smb"} {
				svc := service(g, ns, name)
				g.Expect(svc.Spec.LoadBalancerClass).To(HaveValue(Equal(kubetest.AWSLoadBalancerClass)), "the webhook set the class")
				g.Expect(svc.Annotations).To(HaveKey(kubetest.ClassWebhookAnnotation))
				g.Expect(svc.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
			}
		}).Should(Succeed())
		waitForQuiet(ns)

		start := time.Now()
		Consistently(func(g Gomega) { synced(g, ns) }).WithTimeout(10 * interval).WithPolling(interval / 2).Should(Succeed())
		Expect(eventStrings(operatorWritesSince(ns, start))).To(BeEmpty(), "ten intervals among the webhook's Services")

		writes := operatorWritesSince(ns, time.Time{})
		for _, name := range []string{"fs1-nfs", "fs1-smb"} {
			Expect(creations(writes, "services", name)).To(Equal(1), "Service %s created once", name)
			Expect(count(writes, "delete", "services", name)).To(BeZero(), "Service %s never deleted", name)
		}
		Expect(eventsOf(ctx, ns, "fs1")).NotTo(ContainElement(HavePrefix("Recreated")))
	})

	It("waits for a Service a load balancer's finalizer holds, then creates it again within an interval", func() {
		ns := newNamespace(ctx, map[string]string{kubetest.LabelLoadBalancer: kubetest.LoadBalancerCloud})
		annotateNamespace(ctx, ns, kubetest.AnnotationReleaseDelay, "10s")
		create(ns, func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Retention = &metav1.Duration{} // deleted at once, so the finalizer holds it
		})
		var old *corev1.Service
		Eventually(func(g Gomega) {
			synced(g, ns)
			old = service(g, ns, "fs1-smb")
			g.Expect(old.Finalizers).To(ContainElement(kubetest.LoadBalancerCleanupFinalizer))
			g.Expect(old.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
		}).Should(Succeed())
		waitForQuiet(ns)

		start := time.Now()
		api.SetAdapter("smb", false, 1445)
		Eventually(func(g Gomega) {
			g.Expect(service(g, ns, "fs1-smb").DeletionTimestamp).NotTo(BeNil())
		}).Should(Succeed())
		api.SetAdapter("smb", true, 1445) // back within two seconds, while the old Service terminates
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second+interval), "re-enabled while the finalizer holds the Service")
		Eventually(func(g Gomega) {
			c := condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAdaptersReady)
			g.Expect(c.Reason).To(Equal("WaitingForDeletion"), "the status tells the wait, not a state the cluster lacks")
			g.Expect(c.Message).To(ContainSubstring("fs1-smb"))
		}).Should(Succeed())

		By("creating the new Service once the finalizer is gone")
		var fresh *corev1.Service
		Eventually(func(g Gomega) {
			fresh = service(g, ns, "fs1-smb")
			g.Expect(fresh.UID).NotTo(Equal(old.UID))
			g.Expect(fresh.Status.LoadBalancer.Ingress).NotTo(BeEmpty())
			synced(g, ns)
		}).WithTimeout(30 * time.Second).Should(Succeed())
		waitForQuiet(ns)
		created := firstCreation(operatorWritesSince(ns, start), "services", "fs1-smb")
		released := lastWriteBefore(kubetest.NeighboursUser, ns, "services", "fs1-smb", start, created)
		Expect(created.Sub(released)).To(BeNumerically("<=", interval+time.Second),
			"finalizer removed at %s, Service created at %s", released.Format(time.StampMilli), created.Format(time.StampMilli))

		By("reporting the wait without alarm, and writing a bounded amount")
		Expect(len(warningsOf(ctx, ns, "fs1"))).To(BeNumerically("<=", 1), "%v", warningsOf(ctx, ns, "fs1"))
		writes := operatorWritesSince(ns, start)
		GinkgoWriter.Printf("operator writes from the disable to quiet (%d):\n%s\n", len(writes), strings.Join(eventStrings(writes), "\n"))
		Expect(len(writes)).To(BeNumerically("<=", 20))
		Expect(count(writes, "delete", "services", "fs1-smb")).To(Equal(1), "one delete, not a loop")
		// The status follows each step: smb gone, waiting for the old
		// Service, smb back, its endpoints, its address assigned. A loop
		// would write one object again and again.
		for object, n := range writesPerObject(writes) {
			Expect(n).To(BeNumerically("<=", 6), "writes to %s", object)
		}
	})

	It("writes nothing among controllers that annotate, label and normalise its objects", func() {
		ns := newNamespace(ctx, map[string]string{
			kubetest.LabelFieldWriter: "on", kubetest.LabelLoadBalancer: kubetest.LoadBalancerCloud,
		})
		create(ns)
		Eventually(func(g Gomega) {
			synced(g, ns)
			for _, name := range []string{"fs1-nfs", "fs1-smb", "fs1-headless", "fs1-api"} {
				svc := service(g, ns, name)
				g.Expect(svc.Annotations).To(HaveKey(kubetest.FieldWriterAnnotation), name)
				g.Expect(svc.Spec.Ports[0].AppProtocol).NotTo(BeNil(), name)
			}
			var policies networkingv1.NetworkPolicyList
			g.Expect(k8s.List(ctx, &policies, client.InNamespace(ns))).To(Succeed())
			g.Expect(policies.Items).To(HaveLen(3))
			for _, np := range policies.Items {
				g.Expect(np.Labels).To(HaveKey(kubetest.FieldWriterLabel), np.Name)
			}
		}).Should(Succeed())
		waitForQuiet(ns)

		start := time.Now()
		Consistently(func(g Gomega) { synced(g, ns) }).WithTimeout(10 * interval).WithPolling(interval / 2).Should(Succeed())
		Expect(eventStrings(operatorWritesSince(ns, start))).To(BeEmpty())
		Expect(eventsOf(ctx, ns, "fs1")).NotTo(ContainElement(Or(HavePrefix("Updated"), ContainSubstring("; updated "))))
		Expect(service(Default, ns, "fs1-nfs").Annotations).To(HaveKey(kubetest.FieldWriterAnnotation), "the other controller's fields stay")
	})

	It("picks up a rotated control-plane certificate and CA from the user's Secret, without a restart", func() {
		ns := newNamespace(ctx)
		first, err := kubetest.NewLoopbackCertificate("dittofs first")
		Expect(err).NotTo(HaveOccurred())
		var serving atomic.Pointer[tls.Certificate]
		serving.Store(&first.TLS)
		api = newDittoAPI(sim.Options{TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return serving.Load(), nil },
		}})
		Expect(k8s.Create(ctx, tlsSecret(ns, "fs1-tls", first))).To(Succeed())
		create(ns, func(s *dittov1.DittoServer) {
			s.Spec.ControlPlane.TLS = &dittov1.ControlPlaneTLS{SecretName: "fs1-tls"}
		})
		Eventually(func(g Gomega) { synced(g, ns) }).Should(Succeed())

		By("serving a certificate of a new CA: polls fail")
		second, err := kubetest.NewLoopbackCertificate("dittofs second")
		Expect(err).NotTo(HaveOccurred())
		serving.Store(&second.TLS)
		api.RefuseConnections() // drops the connections the client keeps alive
		Expect(api.AcceptConnections()).To(Succeed())
		Eventually(func(g Gomega) {
			c := condition(getServer(ctx, ns, "fs1"), dittov1.ConditionAdaptersReady)
			g.Expect(c.Reason).To(Equal("PollFailed"))
			g.Expect(c.Message).To(ContainSubstring("certificate"))
		}).Should(Succeed())

		By("rotating the Secret: polls succeed again")
		rotated := time.Now()
		var secret corev1.Secret
		Expect(k8s.Get(ctx, key(ns, "fs1-tls"), &secret)).To(Succeed())
		secret.Data = tlsSecret(ns, "fs1-tls", second).Data
		Expect(k8s.Update(ctx, &secret)).To(Succeed())
		Eventually(func(g Gomega) { synced(g, ns) }).WithTimeout(interval+3*time.Second).Should(Succeed(),
			"one interval plus the backoff")
		GinkgoWriter.Printf("polls succeeded again %s after the rotation\n", time.Since(rotated).Round(time.Millisecond))
	})

	It("re-decides at once when a label a platform policy reads changes", func() {
		ns := newNamespace(ctx)
		create(ns, func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: time.Hour} // no poll will help
			s.Labels = map[string]string{tierLabel: "gold"}
		})
		Eventually(func(g Gomega) {
			g.Expect(service(g, ns, "fs1-nfs").Annotations).To(HaveKeyWithValue(tierAnnotation, "gold"))
		}).Should(Succeed())
		// Once the creation has settled nothing else reconciles the server:
		// only the label change itself can.
		waitForQuiet(ns)
		updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) { s.Labels[tierLabel] = "silver" })
		changed := time.Now()
		Eventually(func(g Gomega) {
			g.Expect(service(g, ns, "fs1-nfs").Annotations).To(HaveKeyWithValue(tierAnnotation, "silver"))
		}).WithTimeout(2 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
		GinkgoWriter.Printf("the decision followed the label in %s\n", time.Since(changed).Round(time.Millisecond))
	})

	It("puts back its managed-by label, and never calls its own Service a name conflict", func() {
		ns := newNamespace(ctx)
		create(ns)
		var svc *corev1.Service
		Eventually(func(g Gomega) {
			synced(g, ns)
			svc = service(g, ns, "fs1-nfs")
		}).Should(Succeed())
		delete(svc.Labels, dittov1.LabelManagedBy)
		Expect(k8s.Update(ctx, svc)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(service(g, ns, "fs1-nfs").Labels).To(HaveKeyWithValue(dittov1.LabelManagedBy, dittov1.ManagedBy))
			synced(g, ns)
		}).Should(Succeed())
		Expect(service(Default, ns, "fs1-nfs").UID).To(Equal(svc.UID))
		Expect(eventsOf(ctx, ns, "fs1")).NotTo(ContainElement(ContainSubstring("NameConflict")))
		Expect(warningsOf(ctx, ns, "fs1")).To(BeEmpty())
	})

	Describe("pods that run", func() {
		running := func(ns string, mutate ...func(*dittov1.DittoServer)) {
			create(ns, append([]func(*dittov1.DittoServer){func(s *dittov1.DittoServer) {
				s.Spec.Tolerations = []corev1.Toleration{kubetest.NodeToleration}
				s.Spec.AdapterService.Retention = &metav1.Duration{} // toggles delete and create the Service
			}}, mutate...)...)
			Eventually(func(g Gomega) {
				server := synced(g, ns)
				g.Expect(condition(server, dittov1.ConditionAvailable)).To(HaveField("Status", metav1.ConditionTrue))
			}).WithTimeout(time.Minute).Should(Succeed())
		}
		// toggle flips smb and waits until its Service follows.
		toggle := func(ns string, enabled bool, port int32) {
			api.SetAdapter("smb", enabled, port)
			running := "nfs:12049"
			if enabled {
				running += fmt.Sprintf(",smb:%d", port)
			}
			Eventually(func(g Gomega) {
				err := k8s.Get(ctx, key(ns, "fs1-smb"), &corev1.Service{})
				g.Expect(apierrors.IsNotFound(err)).To(Equal(!enabled), "Service fs1-smb: %v", err)
				g.Expect(synced(g, ns).Status.RunningAdapters).To(Equal(running))
			}).Should(Succeed())
		}

		It("never restarts the serving pod for an adapter toggle by default, and rolls the ports out with the next change", func() {
			ns := newNamespace(ctx)
			running(ns)
			pod := readyPod(ctx, ns)
			baseline := revisions(ctx, ns)

			for i := range 10 {
				enabled := i%2 == 1
				toggle(ns, enabled, 1445)
				server := getServer(ctx, ns, "fs1")
				if enabled {
					Expect(server.Status.PendingPorts).To(BeNil())
				} else {
					Expect(server.Status.PendingPorts).To(Equal(&dittov1.PendingPortsStatus{Remove: []string{"smb:1445/TCP"}}))
					Expect(condition(server, dittov1.ConditionAdaptersReady).Message).To(ContainSubstring("-smb:1445/TCP"))
				}
			}
			toggle(ns, true, 2445)
			Expect(getServer(ctx, ns, "fs1").Status.PendingPorts).To(Equal(&dittov1.PendingPortsStatus{
				Add: []string{"smb:2445/TCP"}, Remove: []string{"smb:1445/TCP"},
			}))
			Consistently(func() types.UID { return readyPod(ctx, ns).UID }).WithTimeout(2*interval).Should(Equal(pod.UID),
				"eleven adapter changes, the same pod")
			Expect(revisions(ctx, ns)).To(Equal(baseline))

			By("rolling the pending ports out with a configuration change, in one replacement")
			updateServer(ctx, ns, "fs1", func(s *dittov1.DittoServer) {
				s.Spec.Config = configOf(map[string]any{"logging": map[string]any{"level": "DEBUG"}})
			})
			Eventually(func(g Gomega) {
				g.Expect(readyPod(ctx, ns).UID).NotTo(Equal(pod.UID))
				server := synced(g, ns)
				g.Expect(server.Status.PendingPorts).To(BeNil())
				g.Expect(condition(server, dittov1.ConditionAvailable)).To(HaveField("Status", metav1.ConditionTrue))
			}).WithTimeout(time.Minute).Should(Succeed())
			Consistently(func() int { return revisions(ctx, ns) }).WithTimeout(2*interval).Should(Equal(baseline+1), "exactly one replacement")
		})

		It("replaces the pod once per adapter change with the Immediate rollout", func() {
			ns := newNamespace(ctx)
			running(ns, func(s *dittov1.DittoServer) { s.Spec.AdapterPorts.Rollout = dittov1.PortRolloutImmediate })
			seen := map[types.UID]bool{readyPod(ctx, ns).UID: true}
			for i := range 10 {
				before := readyPod(ctx, ns).UID
				toggle(ns, i%2 == 1, 1445)
				Eventually(func(g Gomega) {
					pod := readyPod(ctx, ns)
					g.Expect(pod.UID).NotTo(Equal(before))
					seen[pod.UID] = true
				}).WithTimeout(time.Minute).Should(Succeed())
			}
			replacements := func() int {
				seen[readyPod(ctx, ns).UID] = true
				return len(seen) - 1
			}
			Consistently(replacements).WithTimeout(2*interval).Should(Equal(10), "exactly ten replacements")
		})
	})
})

// readyPod is the DittoFS pod of fs1 once it runs and is ready.
func readyPod(ctx context.Context, ns string) *corev1.Pod {
	pod := &corev1.Pod{}
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8s.Get(ctx, key(ns, "fs1-0"), pod)).To(Succeed())
		g.Expect(pod.DeletionTimestamp).To(BeNil())
		g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning))
	}).WithTimeout(time.Minute).Should(Succeed())
	return pod
}

func annotateNamespace(ctx context.Context, ns, annotation, value string) {
	var namespace corev1.Namespace
	Expect(k8s.Get(ctx, key("", ns), &namespace)).To(Succeed())
	namespace.Annotations = map[string]string{annotation: value}
	Expect(k8s.Update(ctx, &namespace)).To(Succeed())
}

func tlsSecret(ns, name string, cert *kubetest.Certificate) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"ca.crt": cert.CAPEM, "tls.crt": cert.CertPEM, "tls.key": cert.KeyPEM},
	}
}

// warningsOf lists the Warning events recorded on a DittoServer.
func warningsOf(ctx context.Context, ns, name string) []string {
	var list eventsv1.EventList
	ExpectWithOffset(1, k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Regarding.Kind == "DittoServer" && e.Type == corev1.EventTypeWarning {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out
}

// count counts the writes of one verb to one object.
func count(writes []kubetest.AuditEvent, verb, resource, name string) int {
	n := 0
	for _, w := range writes {
		if w.Verb == verb && w.Resource == resource && w.Name == name && w.Subresource == "" {
			n++
		}
	}
	return n
}

// creations counts the writes that created an object: server-side apply
// creates with a patch answered 201.
func creations(writes []kubetest.AuditEvent, resource, name string) int {
	n := 0
	for _, w := range writes {
		if w.Resource == resource && w.Name == name && w.Subresource == "" && w.Code == 201 {
			n++
		}
	}
	return n
}

func firstCreation(writes []kubetest.AuditEvent, resource, name string) time.Time {
	for _, w := range writes {
		if w.Resource == resource && w.Name == name && w.Subresource == "" && w.Code == 201 {
			return w.Time
		}
	}
	Fail(fmt.Sprintf("no creation of %s %s among %v", resource, name, eventStrings(writes)))
	return time.Time{}
}

// lastWriteBefore is the time of user's last write to an object between
// since and before.
func lastWriteBefore(user, ns, resource, name string, since, before time.Time) time.Time {
	writes, err := plane.Writes(user, since)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	var last time.Time
	for _, w := range writes {
		if w.Namespace == ns && w.Resource == resource && w.Name == name && w.Time.After(last) && w.Time.Before(before) {
			last = w.Time
		}
	}
	ExpectWithOffset(1, last).NotTo(BeZero(), "no write by %s to %s %s", user, resource, name)
	return last
}

// countResource counts the writes to a resource.
func countResource(writes []kubetest.AuditEvent, resource string) int {
	n := 0
	for _, w := range writes {
		if w.Resource == resource {
			n++
		}
	}
	return n
}

// writesPerObject counts writes by object, events excluded.
func writesPerObject(writes []kubetest.AuditEvent) map[string]int {
	per := map[string]int{}
	for _, w := range writes {
		if w.Resource == "events" {
			continue
		}
		object := w.Resource + "/" + w.Name
		if w.Subresource != "" {
			object += "/" + w.Subresource
		}
		per[object]++
	}
	return per
}
