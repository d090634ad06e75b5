package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/networking"
	"github.com/dittofs/dittofs-operator/operator/networking/policycli"
)

// recordingEvaluator remembers the last input the operator evaluated for
// each DittoServer.
type recordingEvaluator struct {
	networking.Evaluator
	mu   sync.Mutex
	last map[string]networking.Input
}

func (r *recordingEvaluator) Evaluate(ctx context.Context, in networking.Input) (*networking.Decision, error) {
	r.mu.Lock()
	if r.last == nil {
		r.last = map[string]networking.Input{}
	}
	r.last[in.Server.Namespace+"/"+in.Server.Name] = in
	r.mu.Unlock()
	return r.Evaluator.Evaluate(ctx, in)
}

func (r *recordingEvaluator) lastInput(namespace, name string) (networking.Input, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.last[namespace+"/"+name]
	return in, ok
}

// tableCells reads the DittoServers of a namespace as `kubectl get -o wide`
// does, from the API server's Table: column name to cell, by server name.
func tableCells(ctx context.Context, namespace string) map[string]map[string]any {
	cfg := rest.CopyConfig(plane.Config)
	cfg.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion()
	c, err := rest.UnversionedRESTClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	raw, err := c.Get().AbsPath(fmt.Sprintf("/apis/%s/namespaces/%s/dittoservers", dittov1.GroupVersion, namespace)).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Raw()
	Expect(err).NotTo(HaveOccurred())
	var table metav1.Table
	Expect(json.Unmarshal(raw, &table)).To(Succeed())
	rows := map[string]map[string]any{}
	for _, row := range table.Rows {
		cells := map[string]any{}
		for i, col := range table.ColumnDefinitions {
			cells[col.Name] = row.Cells[i]
		}
		rows[fmt.Sprint(cells["Name"])] = cells
	}
	return rows
}

// policyEval runs `dittofs-operator policy eval --server` against the test
// API server, with the operator's namespace and pod labels of the suite.
func policyEval(namespace, name string) (code int, input, stderr string) {
	kubeconfig, err := plane.KubeconfigFile("platform-engineer", "system:masters")
	Expect(err).NotTo(HaveOccurred())
	var out, errOut bytes.Buffer
	code = policycli.Run([]string{"eval", "--server", name, "-n", namespace, "--kubeconfig", kubeconfig,
		"--policy-dir", platformPolicyDir,
		"--operator-namespace", "dittofs-system", "--operator-pod-labels", "app.kubernetes.io/name=dittofs-operator"}, &out, &errOut)
	var printed struct {
		Input json.RawMessage `json:"input"`
	}
	Expect(json.Unmarshal(out.Bytes(), &printed)).To(Succeed(), "stdout %s, stderr %s", out.String(), errOut.String())
	return code, string(printed.Input), errOut.String()
}

func inputJSON(in networking.Input) string {
	raw, err := json.Marshal(in)
	Expect(err).NotTo(HaveOccurred())
	return string(raw)
}

var _ = Describe("Policy state", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ditto-", Labels: map[string]string{"tier": "internal"}}}
		Expect(k8s.Create(ctx, namespace)).To(Succeed())
		ns = namespace.Name
	})

	It("is on every server's status, and policy eval --server rebuilds the input the operator evaluated, allowed or denied", func() {
		apis := map[string]*dittoAPI{"fs1": newDittoAPI(sim.Options{}), "fs2": newDittoAPI(sim.Options{})}
		for name, api := range apis {
			server := serverWithAPI(ctx, ns, name, api, adminPassword)
			server.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"smb": {Type: dittov1.ServiceTypeNodePort}}
			Expect(k8s.Create(ctx, server)).To(Succeed())
		}
		markPodReady(ctx, ns, "fs1")

		By("recording the revision of the bundle that decided on every server")
		Eventually(func(g Gomega) {
			for name := range apis {
				server := &dittov1.DittoServer{}
				g.Expect(k8s.Get(ctx, key(ns, name), server)).To(Succeed())
				g.Expect(condition(server, dittov1.ConditionAdaptersReady)).To(HaveField("Status", metav1.ConditionTrue))
				g.Expect(server.Status.PolicyRevision).To(Equal(policyEngine.Revision()), name)
			}
		}).Should(Succeed())
		Expect(policyEngine.Revision()).NotTo(BeEmpty())

		By("printing the input the operator evaluated, and its decision")
		Eventually(func(g Gomega) {
			code, input, stderr := policyEval(ns, "fs1")
			g.Expect(code).To(Equal(policycli.ExitOK), stderr)
			last, ok := evaluated.lastInput(ns, "fs1")
			g.Expect(ok).To(BeTrue())
			g.Expect(input).To(MatchJSON(inputJSON(last)))
			var printed networking.Input
			g.Expect(json.Unmarshal([]byte(input), &printed)).To(Succeed())
			g.Expect(printed.Namespace.Labels).To(HaveKeyWithValue("tier", "internal"))
			g.Expect(stderr).To(ContainSubstring("that of the operator's last decision for " + ns + "/fs1"))
		}).Should(Succeed())

		By("moving nfs onto the control-plane port")
		apis["fs1"].SetAdapter("nfs", true, 8080)
		Eventually(func(g Gomega) {
			server := &dittov1.DittoServer{}
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
			c := condition(server, dittov1.ConditionAdaptersReady)
			g.Expect(c).To(HaveField("Reason", "PolicyDenied"))
			g.Expect(c.Message).To(ContainSubstring(`adapter "nfs" reports port 8080, the control-plane port 8080 of the DittoFS API`))
			g.Expect(server.Status.Reason).To(Equal("PolicyDenied"))
			g.Expect(server.Status.Adapters).To(ContainElement(And(HaveField("Type", "nfs"), HaveField("Port", int32(8080)))))
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:8080,smb:1445"))
			g.Expect(server.Status.PolicyRevision).To(Equal(policyEngine.Revision()))
		}).WithTimeout(pollInterval + 10*time.Second).Should(Succeed())
		row := tableCells(ctx, ns)["fs1"]
		Expect(row).To(HaveKeyWithValue("Ready", "False"))
		Expect(row).To(HaveKeyWithValue("Reason", "PolicyDenied"))

		code, input, stderr := policyEval(ns, "fs1")
		Expect(code).To(Equal(policycli.ExitRefused))
		Expect(stderr).To(ContainSubstring(`denied: adapter "nfs" reports port 8080, the control-plane port 8080 of the DittoFS API`))
		last, _ := evaluated.lastInput(ns, "fs1")
		Expect(input).To(MatchJSON(inputJSON(last)))
		var printed networking.Input
		Expect(json.Unmarshal([]byte(input), &printed)).To(Succeed())
		Expect(printed.Adapters).To(ContainElement(networking.Adapter{Type: "nfs", Port: 8080, Enabled: true, Running: true}))
	})

	It("shows <none> in ADAPTERS when no adapter runs, and no reason while ready", func() {
		api := newDittoAPI(sim.Options{})
		idle := serverWithAPI(ctx, ns, "idle", api, adminPassword)
		// The pod stays as it is (and ready) when the adapters stop.
		idle.Spec.AdapterPorts.Rollout = dittov1.PortRolloutDeferred
		Expect(k8s.Create(ctx, idle)).To(Succeed())
		markPodReady(ctx, ns, "idle")
		Eventually(func(g Gomega) {
			server := &dittov1.DittoServer{}
			g.Expect(k8s.Get(ctx, key(ns, "idle"), server)).To(Succeed())
			g.Expect(server.Status.RunningAdapters).To(Equal("nfs:12049,smb:1445"))
		}).Should(Succeed())
		api.SetAdapter("nfs", false, 12049)
		api.SetAdapter("smb", false, 1445)
		Eventually(func(g Gomega) {
			server := &dittov1.DittoServer{}
			g.Expect(k8s.Get(ctx, key(ns, "idle"), server)).To(Succeed())
			ready := condition(server, dittov1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
			g.Expect(server.Status.Reason).To(BeEmpty())
			g.Expect(server.Status.RunningAdapters).To(Equal("<none>"))
		}).WithTimeout(pollInterval + 10*time.Second).Should(Succeed())
		row := tableCells(ctx, ns)["idle"]
		Expect(row).To(HaveKeyWithValue("Adapters", "<none>"))
		Expect(row).To(HaveKeyWithValue("Ready", "True"))
		Expect(row["Reason"]).To(BeNil(), "an empty REASON column")
	})
})
