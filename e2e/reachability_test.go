package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// The NetworkPolicies the operator applies are proven by what they allow,
// not by their shape: they are read back from the API server and evaluated
// as a CNI would, with cyclonus' NetworkPolicy engine, for every source and
// port a user cares about. The operator pod carries the labels the chart
// gives it, in the chart's namespace.
var _ = Describe("What the NetworkPolicies allow", func() {
	It("admits each port from the peers the spec names and no others", func(ctx SpecContext) {
		s := newDittoAPI(ctx, sim.Options{})
		elsewhere := newLabelledNamespace(ctx, nil)
		admins := newLabelledNamespace(ctx, map[string]string{"team": "storage-admins"})
		s.create(ctx, func(server *dittov1.DittoServer) {
			server.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](2049)}}
			server.Spec.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{
				{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "nfs-client"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}},
			}
			server.Spec.NetworkPolicy.APIFrom = []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "storage-admins"}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "dfsctl"}},
			}}
		})
		Eventually(func(g Gomega) {
			g.Expect(policyNames(g, ctx, s.ns)).To(Equal([]string{"fs1-api", "fs1-nfs", "fs1-smb"}))
		}).Should(Succeed())

		By("stopping smb: its Service is kept, its port must close")
		Expect(s.admin.Disable(ctx, "smb")).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(policyNames(g, ctx, s.ns)).To(Equal([]string{"fs1-api", "fs1-nfs"}))
			g.Expect(s.adaptersReady(g).Status.RunningAdapters).To(Equal("nfs:12049"))
			g.Expect(k8s.Get(ctx, s.key("fs1-smb"), &corev1.Service{})).To(Succeed())
		}).WithTimeout(within).Should(Succeed())

		var applied networkingv1.NetworkPolicyList
		Expect(k8s.List(ctx, &applied, client.InNamespace(s.ns))).To(Succeed())
		policies := make([]*networkingv1.NetworkPolicy, len(applied.Items))
		for i := range applied.Items {
			policies[i] = &applied.Items[i]
		}
		engine := matcher.BuildNetworkPolicies(true, policies)

		sts := &appsv1.StatefulSet{}
		Expect(k8s.Get(ctx, s.key("fs1"), sts)).To(Succeed())
		operatorDeployment, err := env.Chart.Deployment()
		Expect(err).NotTo(HaveOccurred())
		pod := func(namespace, ip string, labels map[string]string) *matcher.TrafficPeer {
			return &matcher.TrafficPeer{IP: ip, Internal: &matcher.InternalPeer{
				PodLabels: labels, NamespaceLabels: namespaceLabels(ctx, namespace), Namespace: namespace,
			}}
		}
		dittofs := pod(s.ns, "10.244.0.10", sts.Spec.Template.Labels)
		sources := []reachSource{
			{"operator pod", pod(framework.ReleaseNamespace, "10.244.1.2", operatorDeployment.Spec.Template.Labels)},
			{"nfs client, same namespace", pod(s.ns, "10.244.2.2", map[string]string{"role": "nfs-client"})},
			{"other pod, same namespace", pod(s.ns, "10.244.2.3", map[string]string{"app": "web"})},
			{"nfs client, other namespace", pod(elsewhere, "10.244.3.2", map[string]string{"role": "nfs-client"})},
			{"dfsctl pod, admins namespace", pod(admins, "10.244.4.2", map[string]string{"app": "dfsctl"})},
			{"other pod, admins namespace", pod(admins, "10.244.4.3", map[string]string{"app": "web"})},
			{"external 203.0.113.7", &matcher.TrafficPeer{IP: "203.0.113.7"}},
			{"external 198.51.100.7", &matcher.TrafficPeer{IP: "198.51.100.7"}},
		}
		ports := []reachPort{
			{"nfs 12049 (running)", "nfs", 12049},
			{"2049 (nfs Service only)", "", 2049},
			{"smb 1445 (stopped)", "smb", 1445},
			{"api 8080", "api", 8080},
		}
		// What the spec says, cell by cell: nfs from its two peers, the
		// published port and the stopped adapter from nowhere (no pod port
		// listens there), the API from the operator and the apiFrom peer.
		want := map[string][]string{
			"nfs 12049 (running)":     {"nfs client, same namespace", "external 203.0.113.7"},
			"2049 (nfs Service only)": nil,
			"smb 1445 (stopped)":      nil,
			"api 8080":                {"operator pod", "dfsctl pod, admins namespace"},
		}

		table, mismatches := reachability(engine, dittofs, sources, ports, want)
		AddReportEntry("reachability of fs1's pod", table, ReportEntryVisibilityAlways)
		Expect(mismatches).To(BeEmpty(), "cells that differ from the spec:\n%s", table)
	})
})

type reachSource struct {
	name string
	peer *matcher.TrafficPeer
}

type reachPort struct {
	name     string
	portName string
	port     int
}

// reachability evaluates every source against every port of dst and lays
// the result out as a table: "yes" or "no" per cell, marked "!" where it
// differs from want (the sources each port must admit).
func reachability(engine *matcher.Policy, dst *matcher.TrafficPeer, sources []reachSource, ports []reachPort, want map[string][]string) (string, []string) {
	var out strings.Builder
	w := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	header := []string{"source \\ port"}
	for _, p := range ports {
		header = append(header, p.name)
	}
	fmt.Fprintln(w, strings.Join(header, "\t"))
	var mismatches []string
	for _, src := range sources {
		row := []string{src.name}
		for _, p := range ports {
			allowed := engine.IsTrafficAllowed(&matcher.Traffic{
				Source: src.peer, Destination: dst,
				ResolvedPort: p.port, ResolvedPortName: p.portName, Protocol: corev1.ProtocolTCP,
			}).IsAllowed()
			expected := slices.Contains(want[p.name], src.name)
			cell := map[bool]string{true: "yes", false: "no"}[allowed]
			if allowed != expected {
				cell += " !"
				mismatches = append(mismatches, fmt.Sprintf("%s → %s: allowed %v, want %v", src.name, p.name, allowed, expected))
			}
			row = append(row, cell)
		}
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	_ = w.Flush()
	return out.String(), mismatches
}

// policyNames lists the NetworkPolicies of a namespace, sorted.
func policyNames(g Gomega, ctx context.Context, ns string) []string {
	var list networkingv1.NetworkPolicyList
	g.Expect(k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	names := make([]string, 0, len(list.Items))
	for _, np := range list.Items {
		names = append(names, np.Name)
	}
	slices.Sort(names)
	return names
}

// namespaceLabels reads a namespace's labels as the API server keeps them
// (kubernetes.io/metadata.name included).
func namespaceLabels(ctx context.Context, name string) map[string]string {
	GinkgoHelper()
	var ns corev1.Namespace
	Expect(k8s.Get(ctx, client.ObjectKey{Name: name}, &ns)).To(Succeed())
	return ns.Labels
}

// newLabelledNamespace creates a namespace with the given labels.
func newLabelledNamespace(ctx context.Context, labels map[string]string) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-peer-", Labels: labels}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	return ns.Name
}
