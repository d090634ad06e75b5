package networking

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func renderDefault(t *testing.T, in Input) *Rendered {
	t.Helper()
	e := newTestEngine(t, Options{})
	r, err := Render(evaluate(t, e, in), OwnerOf(testServer()))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jsonOf is the JSON an apply request would send.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

const ownerJSON = `"ownerReferences": [
      {
        "apiVersion": "dittofs.dittofs.com/v1alpha1",
        "kind": "DittoServer",
        "name": "fs1",
        "uid": "uid-1",
        "controller": true,
        "blockOwnerDeletion": true
      }
    ]`

func TestRenderService(t *testing.T) {
	in := testInput(nfs())
	in.AdapterService.Annotations = map[string]string{"example.com/lb": "internal"}
	in.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	r := renderDefault(t, in)
	want := `{
  "kind": "Service",
  "apiVersion": "v1",
  "metadata": {
    "name": "fs1-nfs",
    "namespace": "storage",
    "labels": {
      "app.kubernetes.io/component": "adapter-service",
      "app.kubernetes.io/instance": "fs1",
      "app.kubernetes.io/managed-by": "dittofs-operator",
      "app.kubernetes.io/name": "dittofs",
      "dittofs.io/adapter": "nfs"
    },
    "annotations": {
      "example.com/lb": "internal"
    },
    ` + ownerJSON + `
  },
  "spec": {
    "ports": [
      {
        "name": "nfs",
        "protocol": "TCP",
        "port": 12049,
        "targetPort": 12049
      }
    ],
    "selector": {
      "app.kubernetes.io/component": "server",
      "app.kubernetes.io/instance": "fs1",
      "app.kubernetes.io/name": "dittofs"
    },
    "type": "LoadBalancer",
    "loadBalancerSourceRanges": [
      "10.0.0.0/8"
    ]
  }
}`
	if len(r.Services) != 1 {
		t.Fatalf("%d services", len(r.Services))
	}
	if diff := cmp.Diff(want, jsonOf(t, r.Services[0])); diff != "" {
		t.Errorf("service (-want +got):\n%s", diff)
	}
}

func TestRenderNetworkPolicies(t *testing.T) {
	in := testInput(nfs())
	in.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{
		{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpExists}}}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}},
	}
	r := renderDefault(t, in)
	if len(r.NetworkPolicies) != 2 {
		t.Fatalf("%d policies", len(r.NetworkPolicies))
	}
	wantAPI := `{
  "kind": "NetworkPolicy",
  "apiVersion": "networking.k8s.io/v1",
  "metadata": {
    "name": "fs1-api",
    "namespace": "storage",
    "labels": {
      "app.kubernetes.io/component": "api-networkpolicy",
      "app.kubernetes.io/instance": "fs1",
      "app.kubernetes.io/managed-by": "dittofs-operator",
      "app.kubernetes.io/name": "dittofs"
    },
    ` + ownerJSON + `
  },
  "spec": {
    "podSelector": {
      "matchLabels": {
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/instance": "fs1",
        "app.kubernetes.io/name": "dittofs"
      }
    },
    "ingress": [
      {
        "ports": [
          {
            "protocol": "TCP",
            "port": 8080
          }
        ],
        "from": [
          {
            "namespaceSelector": {
              "matchLabels": {
                "kubernetes.io/metadata.name": "dittofs-system"
              }
            }
          }
        ]
      }
    ],
    "policyTypes": [
      "Ingress"
    ]
  }
}`
	if diff := cmp.Diff(wantAPI, jsonOf(t, r.NetworkPolicies[0])); diff != "" {
		t.Errorf("api policy (-want +got):\n%s", diff)
	}
	adapter := jsonOf(t, r.NetworkPolicies[1].Spec.Ingress[0].From)
	wantPeers := `[
  {
    "namespaceSelector": {
      "matchExpressions": [
        {
          "key": "team",
          "operator": "Exists"
        }
      ]
    }
  },
  {
    "ipBlock": {
      "cidr": "10.0.0.0/8",
      "except": [
        "10.1.0.0/16"
      ]
    }
  }
]`
	if diff := cmp.Diff(wantPeers, adapter); diff != "" {
		t.Errorf("adapter peers (-want +got):\n%s", diff)
	}
	labels := r.NetworkPolicies[1].Labels
	if labels[LabelComponent] != ComponentAdapterNetworkPolicy || labels[LabelAdapter] != "nfs" {
		t.Errorf("adapter policy labels = %v", labels)
	}
}

func TestRenderOpenPolicyLeavesFromUnset(t *testing.T) {
	r := renderDefault(t, testInput(nfs()))
	rule := r.NetworkPolicies[1].Spec.Ingress[0]
	if rule.From != nil {
		t.Errorf("from = %v, want unset (any source)", rule.From)
	}
	if strings.Contains(jsonOf(t, rule), "from") {
		t.Errorf("rule = %s", jsonOf(t, rule))
	}
}

func TestRenderSetsOnlyDecidedFields(t *testing.T) {
	r := renderDefault(t, testInput(nfs()))
	spec := r.Services[0].Spec
	if spec.ClusterIP != nil || spec.Ports[0].NodePort != nil || spec.ExternalTrafficPolicy != nil ||
		spec.LoadBalancerClass != nil || spec.SessionAffinity != nil || r.Services[0].Annotations != nil {
		t.Errorf("fields the policy did not decide are set: %s", jsonOf(t, r.Services[0]))
	}
}

func TestManagedLabelsWinOverPolicyLabels(t *testing.T) {
	d := goodDecision()
	d.Services[0].Labels = map[string]string{
		LabelInstance:  "someone-else",
		LabelManagedBy: "helm",
		LabelAdapter:   "smb",
		"team":         "storage",
	}
	r, err := Render(d, OwnerOf(testServer()))
	if err != nil {
		t.Fatal(err)
	}
	want := ManagedLabels("fs1", ComponentAdapterService, "nfs")
	want["team"] = "storage"
	if diff := cmp.Diff(want, r.Services[0].Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestRenderSortsByName(t *testing.T) {
	d := goodDecision()
	d.Services[0], d.Services[1] = d.Services[1], d.Services[0]
	d.NetworkPolicies[0], d.NetworkPolicies[2] = d.NetworkPolicies[2], d.NetworkPolicies[0]
	d.ContainerPorts[0], d.ContainerPorts[1] = d.ContainerPorts[1], d.ContainerPorts[0]
	r, err := Render(d, OwnerOf(testServer()))
	if err != nil {
		t.Fatal(err)
	}
	if *r.Services[0].Name != "fs1-nfs" || *r.NetworkPolicies[0].Name != "fs1-api" || r.ContainerPorts[0].Name != "nfs" {
		t.Errorf("not sorted: %s %s %s", *r.Services[0].Name, *r.NetworkPolicies[0].Name, r.ContainerPorts[0].Name)
	}
	if r.ContainerPorts[1].ContainerPort != 1445 || r.ContainerPorts[1].Protocol != "TCP" {
		t.Errorf("container port = %+v", r.ContainerPorts[1])
	}
}

func TestRenderRefusesDeniedDecisions(t *testing.T) {
	d := goodDecision()
	d.Deny = []string{"no"}
	if _, err := Render(d, OwnerOf(testServer())); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "no") {
		t.Errorf("err = %v", err)
	}
	if _, err := Render(nil, OwnerOf(testServer())); err == nil {
		t.Error("nil decision rendered")
	}
}

func TestRenderNeedsACompleteOwner(t *testing.T) {
	owner := OwnerOf(testServer())
	owner.UID = ""
	if _, err := Render(goodDecision(), owner); err == nil || !strings.Contains(err.Error(), "uid") {
		t.Errorf("err = %v", err)
	}
}

func TestPodSelectorAndManagedLabels(t *testing.T) {
	want := map[string]string{LabelName: "dittofs", LabelInstance: "fs1", LabelComponent: "server"}
	if diff := cmp.Diff(want, PodSelector("fs1")); diff != "" {
		t.Error(diff)
	}
	if _, ok := ManagedLabels("fs1", ComponentAPINetworkPolicy, "")[LabelAdapter]; ok {
		t.Error("adapter label on an object of no adapter")
	}
}
