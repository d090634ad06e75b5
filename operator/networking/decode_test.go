package networking

import (
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestDecodeDecisionErrors(t *testing.T) {
	cases := map[string]string{
		`[]`:                          "decode decision: want an object, got array",
		`{"extra": 1}`:                `decode decision.extra: unknown field`,
		`{"services": [{"name": 1}]}`: "decode decision.services[0].name: want a string, got number",
		`{"services": [{"ports": [{"port": 1.5}]}]}`:                            "decode decision.services[0].ports[0].port: 1.5 is not a 32-bit integer",
		`{"services": [{"labels": {"a": true}}]}`:                               "decode decision.services[0].labels.a: want a string, got boolean",
		`{"networkPolicies": [{"ingress": [{"from": [{"podSelecter": {}}]}]}]}`: `decode decision.networkPolicies[0].ingress[0].from: json: unknown field "podSelecter"`,
		`{"deny": "no"}`: "decode decision.deny: want an array, got string",
	}
	for doc, want := range cases {
		_, err := decodeDecision(ast.MustParseTerm(doc).Value)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %s", doc, err, want)
		}
	}
}

func TestDecodeDecisionAcceptsMessageSets(t *testing.T) {
	d, err := decodeDecision(ast.MustParseTerm(`{"deny": {"b", "a"}, "warnings": ["w"]}`).Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Deny) != 2 || d.Deny[0] != "a" || d.Warnings[0] != "w" {
		t.Errorf("decision = %+v", d)
	}
}

// TestDecodePeersMatchesJSON checks the direct decoding of label-selector
// peers against the JSON path, which decodes every other peer.
func TestDecodePeersMatchesJSON(t *testing.T) {
	docs := []string{
		`[]`,
		`[{}]`,
		`[{"namespaceSelector": {}}]`,
		`[{"namespaceSelector": {"matchLabels": {}}}]`,
		`[{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}}, "podSelector": {"matchLabels": {"app": "x"}}}]`,
		`[{"podSelector": {"matchLabels": {"a": "b"}}}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]`,
		`[{"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}]`,
		`[{"podSelector": {"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}}]`,
	}
	for _, doc := range docs {
		arr := ast.MustParseTerm(doc).Value.(*ast.Array)
		var direct, viaJSON []networkingv1.NetworkPolicyPeer
		if err := decodePeers(arr, &direct); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if err := decodePeersJSON(arr, &viaJSON); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if doc == `[]` {
			if direct == nil || len(direct) != 0 {
				t.Errorf("[]: decoded %#v, want an empty list", direct)
			}
			continue
		}
		if !reflect.DeepEqual(direct, viaJSON) {
			t.Errorf("%s: decoded %+v, the JSON path gives %+v", doc, direct, viaJSON)
		}
	}
	var peers []networkingv1.NetworkPolicyPeer
	for _, doc := range []string{`[{"podSelector": {"matchLabels": {"a": 1}}}]`, `[{"podSelecter": {}}]`, `[{"podSelector": {"matchLabel": {}}}]`} {
		if err := decodePeers(ast.MustParseTerm(doc).Value, &peers); err == nil {
			t.Errorf("%s: decoded without error", doc)
		}
	}
}
