package networking

import (
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
	networkingv1 "k8s.io/api/networking/v1"
)

// ASTValue is the input as a Rego value. Building it directly, rather than
// letting OPA convert a Go map, saves a JSON round trip on every evaluation;
// the result equals the conversion of the input's JSON form.
func (in *Input) ASTValue() (ast.Value, error) {
	from, err := peersTerm(in.NetworkPolicy.From)
	if err != nil {
		return nil, fmt.Errorf("networkPolicy.from: %w", err)
	}
	apiFrom, err := peersTerm(in.NetworkPolicy.APIFrom)
	if err != nil {
		return nil, fmt.Errorf("networkPolicy.apiFrom: %w", err)
	}
	return ast.NewObject(
		item("apiVersion", ast.InternedTerm(in.APIVersion)),
		item("server", ast.ObjectTerm(
			item("name", ast.InternedTerm(in.Server.Name)),
			item("namespace", ast.InternedTerm(in.Server.Namespace)),
			item("labels", stringMapTerm(in.Server.Labels)),
			item("annotations", stringMapTerm(in.Server.Annotations)),
		)),
		item("namespace", ast.ObjectTerm(
			item("name", ast.InternedTerm(in.Namespace.Name)),
			item("labels", stringMapTerm(in.Namespace.Labels)),
		)),
		item("controlPlane", ast.ObjectTerm(item("port", ast.InternedTerm(in.ControlPlane.Port)))),
		item("operator", ast.ObjectTerm(
			item("namespace", ast.InternedTerm(in.Operator.Namespace)),
			item("podLabels", stringMapTerm(in.Operator.PodLabels)),
		)),
		item("adapterService", adapterServiceTerm(&in.AdapterService)),
		item("networkPolicy", ast.ObjectTerm(
			item("enabled", ast.InternedTerm(in.NetworkPolicy.Enabled)),
			item("from", from),
			item("apiFrom", apiFrom),
		)),
		item("adapters", adaptersTerm(in.Adapters)),
	), nil
}

func adapterServiceTerm(as *AdapterServiceInput) *ast.Term {
	overrides := make([][2]*ast.Term, 0, len(as.Overrides))
	for adapter, o := range as.Overrides {
		overrides = append(overrides, item(adapter, ast.ObjectTerm(
			item("type", ast.InternedTerm(o.Type)),
			item("port", ast.InternedTerm(o.Port)),
			item("annotations", stringMapTerm(o.Annotations)),
		)))
	}
	return ast.ObjectTerm(
		item("type", ast.InternedTerm(as.Type)),
		item("annotations", stringMapTerm(as.Annotations)),
		item("nameTemplate", ast.InternedTerm(as.NameTemplate)),
		item("loadBalancerClass", ast.InternedTerm(as.LoadBalancerClass)),
		item("externalTrafficPolicy", ast.InternedTerm(as.ExternalTrafficPolicy)),
		item("loadBalancerSourceRanges", stringsTerm(as.LoadBalancerSourceRanges)),
		item("overrides", ast.ObjectTerm(overrides...)),
	)
}

func adaptersTerm(adapters []Adapter) *ast.Term {
	terms := make([]*ast.Term, len(adapters))
	for i, a := range adapters {
		terms[i] = ast.ObjectTerm(
			item("type", ast.InternedTerm(a.Type)),
			item("port", ast.InternedTerm(a.Port)),
			item("enabled", ast.InternedTerm(a.Enabled)),
			item("running", ast.InternedTerm(a.Running)),
			item("portDefaulted", ast.InternedTerm(a.PortDefaulted)),
		)
	}
	return ast.ArrayTerm(terms...)
}

// peersTerm converts NetworkPolicyPeers through their JSON form: they are
// rare and nested, and their JSON tags define the shape policies see.
func peersTerm(peers []networkingv1.NetworkPolicyPeer) (*ast.Term, error) {
	if len(peers) == 0 {
		return ast.ArrayTerm(), nil
	}
	raw, err := json.Marshal(peers)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var doc any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	value, err := ast.InterfaceToValue(doc)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return ast.NewTerm(value), nil
}

func item(key string, value *ast.Term) [2]*ast.Term {
	return [2]*ast.Term{ast.InternedTerm(key), value}
}

func stringMapTerm(m map[string]string) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for k, v := range m {
		items = append(items, item(k, ast.InternedTerm(v)))
	}
	return ast.ObjectTerm(items...)
}

func stringsTerm(values []string) *ast.Term {
	terms := make([]*ast.Term, len(values))
	for i, v := range values {
		terms[i] = ast.InternedTerm(v)
	}
	return ast.ArrayTerm(terms...)
}
