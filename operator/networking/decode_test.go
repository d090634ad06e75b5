package networking

import (
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
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
