package e2e_test

import (
	"encoding/json"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("The operator installed by the chart", func() {
	It("runs with the chart's Deployment arguments, the local-run flags and the chart's ServiceAccount", func(ctx SpecContext) {
		ctr, err := env.Chart.OperatorContainer()
		Expect(err).NotTo(HaveOccurred())
		chartFlags, err := framework.ParseFlags(ctr.Args)
		Expect(err).NotTo(HaveOccurred())
		running, err := framework.ParseFlags(operator.Args)
		Expect(err).NotTo(HaveOccurred())
		names := func(flags []framework.Flag) []string {
			var out []string
			for _, f := range flags {
				out = append(out, f.Name)
			}
			return out
		}
		local, err := framework.ParseFlags(framework.LocalFlags)
		Expect(err).NotTo(HaveOccurred())
		Expect(names(running)).To(ConsistOf(append(names(chartFlags), names(local)...)),
			"the process runs every flag of the chart once, plus the local-run flags")
		value := func(flags []framework.Flag, name string) string {
			i := slices.IndexFunc(flags, func(f framework.Flag) bool { return f.Name == name })
			Expect(i).NotTo(BeNumerically("<", 0), "no --%s", name)
			return flags[i].Value
		}
		for _, f := range chartFlags {
			switch f.Name {
			case "metrics-bind-address", "health-probe-bind-address", "webhook-port", "webhook-cert-dir", "policy-dir":
				Expect(value(running, f.Name)).NotTo(Equal(f.Value), "--%s is local", f.Name)
			default:
				Expect(value(running, f.Name)).To(Equal(f.Value), "--%s comes from the chart", f.Name)
			}
		}
		Expect(operator.ServiceAccount).To(Equal("system:serviceaccount:dittofs-system:dittofs-operator"))

		By("granting the process nothing beyond the chart's RBAC")
		cfg, err := clientcmd.BuildConfigFromFlags("", operator.Kubeconfig)
		Expect(err).NotTo(HaveOccurred())
		asOperator, err := client.New(cfg, client.Options{Scheme: env.Scheme})
		Expect(err).NotTo(HaveOccurred())
		err = asOperator.List(ctx, &corev1.PodList{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing pods: %v", err)
		Expect(err.Error()).To(ContainSubstring(`"system:serviceaccount:dittofs-system:dittofs-operator"`))
		Expect(asOperator.List(ctx, &dittov1.DittoServerList{})).To(Succeed())
	})

	It("provisions its DittoFS account and publishes nfs and smb on the ports the API reports, with status, events and printer columns agreeing", func(ctx SpecContext) {
		s := newDittoServer(ctx, sim.Options{})
		s.markPodReady(ctx)

		By("provisioning the operator account")
		Eventually(func(g Gomega) {
			g.Expect(s.operatorUsers()).To(ConsistOf(HaveField("Role", dittofs.RoleOperator)))
			var creds corev1.Secret
			g.Expect(k8s.Get(ctx, s.key("fs1-operator-credentials"), &creds)).To(Succeed())
			g.Expect(string(creds.Data["username"])).To(Equal(controller.OperatorUsername))
			g.Expect(s.api.CheckPassword(controller.OperatorUsername, string(creds.Data["password"]))).To(BeTrue())
		}).Should(Succeed())

		By("publishing each running adapter on the port the API reports")
		Eventually(func(g Gomega) {
			g.Expect(s.servicePorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(s.servicePorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(s.policyPorts(g, "fs1-nfs")).To(Equal([]int32{12049}))
			g.Expect(s.policyPorts(g, "fs1-smb")).To(Equal([]int32{1445}))
			g.Expect(s.containerPorts(g)).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			g.Expect(s.servicePorts(g, "fs1-headless")).To(ConsistOf(int32(8080), int32(12049), int32(1445)))
			server := s.adaptersReady(g)
			ready := s.condition(g, dittov1.ConditionReady)
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:1445"))
			g.Expect(server.Status.Endpoints).To(And(ContainSubstring("nfs="), ContainSubstring("smb=")))
		}).Should(Succeed())
		var svc corev1.Service
		Expect(k8s.Get(ctx, s.key("fs1-smb"), &svc)).To(Succeed())
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeLoadBalancer))
		Expect(metav1.GetControllerOf(&svc).Name).To(Equal("fs1"))
		Expect(svc.Labels).To(HaveKeyWithValue(dittov1.LabelAdapter, "smb"))

		By("using the operator account, never the admin, to list adapters")
		for _, rec := range s.api.Requests() {
			if rec.Route == sim.RouteListAdapters {
				Expect(rec.Role).To(Equal(dittofs.RoleOperator), "listing at %s", rec.Time)
			}
		}

		By("recording events")
		Eventually(func() []string { return s.events(ctx) }).Should(ContainElement(And(
			HavePrefix("Created: Created NFS Service fs1-nfs on port 12049"),
			ContainSubstring("created SMB Service fs1-smb on port 1445"),
		)), "one event for the adapters' objects")

		By("printing the status in kubectl's columns")
		server := s.get(Default)
		table, err := framework.DittoServerTable(ctx, env.Config, s.ns)
		Expect(err).NotTo(HaveOccurred())
		priority := map[string]int32{}
		for _, col := range table.ColumnDefinitions {
			priority[col.Name] = col.Priority
		}
		Expect(priority).To(HaveKeyWithValue("Ready", int32(0)))
		Expect(priority).To(HaveKeyWithValue("Adapters", int32(0)))
		Expect(priority).To(HaveKeyWithValue("Endpoints", int32(1)), "Endpoints is a -o wide column")
		Expect(table.Rows).To(HaveLen(1))
		row := table.Rows[0]
		cell := func(column string) any {
			v, err := framework.Cell(table, row, column)
			Expect(err).NotTo(HaveOccurred())
			return v
		}
		Expect(cell("Name")).To(Equal("fs1"))
		Expect(cell("Ready")).To(Equal("True"))
		Expect(cell("Adapters")).To(Equal("nfs:12049,smb:1445"))
		Expect(cell("Endpoints")).To(Equal(server.Status.Endpoints))
		var object dittov1.DittoServer
		Expect(json.Unmarshal(row.Object.Raw, &object)).To(Succeed())
		Expect(object.Status.RunningAdapters).To(Equal(cell("Adapters")))
		Expect(object.Status.Endpoints).To(Equal(cell("Endpoints")))

		By("writing as its own user, never refused")
		writes := s.writes(operator.User, CurrentSpecReport().StartTime)
		Expect(writes).NotTo(BeEmpty())
		for _, w := range writes {
			Expect(w.Code).NotTo(BeElementOf(int32(401), int32(403)), w.String())
		}

		By("creating nothing but what it owns")
		var policies networkingv1.NetworkPolicyList
		Expect(k8s.List(ctx, &policies)).To(Succeed())
		for _, np := range policies.Items {
			if np.Namespace == s.ns {
				Expect(strings.HasPrefix(np.Name, "fs1-")).To(BeTrue(), np.Name)
			}
		}
	})
})
