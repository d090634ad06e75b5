package networking

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

func TestBuildInputAppliesDefaults(t *testing.T) {
	in := BuildInput(testServer(), NamespaceInfo{}, OperatorInfo{Namespace: "ops"}, nil)
	want := Input{
		APIVersion:   InputAPIVersion,
		Server:       ServerInfo{Name: "fs1", Namespace: "storage", Labels: map[string]string{}, Annotations: map[string]string{}},
		Namespace:    NamespaceInfo{Name: "storage", Labels: map[string]string{}},
		ControlPlane: ControlPlaneInfo{Port: 8080},
		Operator:     OperatorInfo{Namespace: "ops", PodLabels: map[string]string{}},
		AdapterService: AdapterServiceInput{
			Type: "LoadBalancer", Annotations: map[string]string{}, NameTemplate: "{instance}-{adapter}",
			LoadBalancerSourceRanges: []string{}, Overrides: map[string]ServiceOverride{},
		},
		NetworkPolicy: NetworkPolicyInput{Enabled: true, From: []networkingv1.NetworkPolicyPeer{}, APIFrom: []networkingv1.NetworkPolicyPeer{}},
		Adapters:      []Adapter{},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
}

func TestBuildInputCopiesTheSpec(t *testing.T) {
	server := testServer()
	server.Labels = map[string]string{"team": "a"}
	server.Annotations = map[string]string{"note": "x", lastAppliedAnnotation: "{...}"}
	server.Spec.ControlPlane.Port = 9090
	server.Spec.AdapterService = v1alpha1.AdapterServiceSpec{
		Type:                     v1alpha1.ServiceTypeNodePort,
		Annotations:              map[string]string{"a": "1"},
		NameTemplate:             "share-{adapter}",
		LoadBalancerClass:        ptr.To("example.com/lb"),
		ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyLocal,
		LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
		Overrides: map[string]v1alpha1.AdapterServiceOverride{
			"smb": {Type: v1alpha1.ServiceTypeClusterIP}, "nfs": {Port: ptr.To[int32](2049)},
		},
	}
	server.Spec.NetworkPolicy = v1alpha1.NetworkPolicySpec{
		Enabled: ptr.To(false),
		From:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}},
		APIFrom: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "storage"}}}},
	}
	in := BuildInput(server, NamespaceInfo{Name: "storage", Labels: map[string]string{"env": "prod"}},
		OperatorInfo{Namespace: "ops", PodLabels: map[string]string{"app": "op"}}, []Adapter{smb(), nfs()})

	if _, ok := in.Server.Annotations[lastAppliedAnnotation]; ok {
		t.Error("the last-applied annotation reached the input")
	}
	if in.ControlPlane.Port != 9090 || in.AdapterService.Type != "NodePort" || in.AdapterService.LoadBalancerClass != "example.com/lb" {
		t.Errorf("spec not copied: %+v", in)
	}
	if got := in.AdapterService.Overrides["smb"]; got.Type != "ClusterIP" || got.Port != 0 || got.Annotations == nil {
		t.Errorf("override = %+v, want ClusterIP on the adapter's own port (0)", got)
	}
	if got := in.AdapterService.Overrides["nfs"]; got.Type != "" || got.Port != 2049 {
		t.Errorf("override = %+v, want the common type, published on 2049", got)
	}
	if in.NetworkPolicy.Enabled || len(in.NetworkPolicy.From) != 1 || len(in.NetworkPolicy.APIFrom) != 1 {
		t.Errorf("networkPolicy = %+v", in.NetworkPolicy)
	}
	if in.Adapters[0].Type != "nfs" || in.Adapters[1].Type != "smb" {
		t.Errorf("adapters not sorted: %+v", in.Adapters)
	}
	server.Spec.AdapterService.Annotations["a"] = "changed"
	if in.AdapterService.Annotations["a"] != "1" {
		t.Error("input shares the spec's maps")
	}
}

// TestASTValueEqualsJSONConversion: the hand-built Rego value is what OPA
// would make of the input's JSON, which is what `policy eval` reads.
func TestASTValueEqualsJSONConversion(t *testing.T) {
	server := testServer()
	server.Spec.AdapterService.Overrides = map[string]v1alpha1.AdapterServiceOverride{
		"smb": {Type: "NodePort", Annotations: map[string]string{"k": "v"}}, "webdav": {Port: ptr.To[int32](80)},
	}
	server.Spec.NetworkPolicy.APIFrom = []networkingv1.NetworkPolicyPeer{
		{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "dfsctl"}}},
	}
	server.Spec.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	server.Spec.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{
		{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}},
	}
	in := BuildInput(server, NamespaceInfo{Labels: map[string]string{"x": "y"}}, OperatorInfo{Namespace: "ops"},
		[]Adapter{nfs(), {Type: "smb", Port: 1445, Enabled: true, PortDefaulted: true}})

	got, err := in.ASTValue()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Compare(want) != 0 {
		t.Errorf("ASTValue\n%v\nJSON conversion\n%v", got, want)
	}
}

func TestBuiltInputMatchesTheInputSchema(t *testing.T) {
	in := testInput(nfs(), smb(), Adapter{Type: "x", Enabled: true, Running: true})
	in.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	in.NetworkPolicy.APIFrom = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}
	in.AdapterService.Overrides = map[string]ServiceOverride{"nfs": {Port: 2049, Annotations: map[string]string{}}}
	if err := ValidateInputDocument(context.Background(), toJSON(t, in)); err != nil {
		t.Error(err)
	}
}

func TestInputSchemaRejectsBadInput(t *testing.T) {
	doc := toJSON(t, testInput(nfs())).(map[string]any)
	doc["adapterService"].(map[string]any)["type"] = "ExternalName"
	doc["adapterService"].(map[string]any)["overrides"] = map[string]any{"nfs": map[string]any{"type": "", "port": 70000, "annotations": map[string]any{}}}
	delete(doc, "controlPlane")
	err := ValidateInputDocument(context.Background(), doc)
	if err == nil {
		t.Fatal("bad input accepted")
	}
	for _, want := range []string{"controlPlane", "adapterService.type", "adapterService.overrides.nfs.port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
