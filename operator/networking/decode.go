package networking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The decision is decoded straight from the Rego value: converting it to Go
// maps and through JSON first would cost more than evaluating the policy. As
// with a strict JSON decoder, a key the contract does not know is an error and
// a missing key leaves the zero value. Error paths are built only on error.

func decodeDecision(v ast.Value) (*Decision, error) {
	d := &Decision{}
	err := eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "services":
			return decodeList(value, &d.Services, decodeService)
		case "networkPolicies":
			return decodeList(value, &d.NetworkPolicies, decodeNetworkPolicy)
		case "containerPorts":
			return decodeList(value, &d.ContainerPorts, decodeContainerPort)
		case "deny":
			return decodeStrings(value, &d.Deny)
		case "warnings":
			return decodeStrings(value, &d.Warnings)
		}
		return errUnknownField
	})
	if err != nil {
		return nil, fmt.Errorf("decode decision%w", err)
	}
	return d, nil
}

func decodeService(v ast.Value, s *ServiceDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "name":
			return decodeString(value, &s.Name)
		case "adapter":
			return decodeString(value, &s.Adapter)
		case "type":
			return decodeString(value, &s.Type)
		case "annotations":
			return decodeStringMap(value, &s.Annotations)
		case "labels":
			return decodeStringMap(value, &s.Labels)
		case "loadBalancerClass":
			return decodeString(value, &s.LoadBalancerClass)
		case "externalTrafficPolicy":
			return decodeString(value, &s.ExternalTrafficPolicy)
		case "loadBalancerSourceRanges":
			return decodeStrings(value, &s.LoadBalancerSourceRanges)
		case "ports":
			return decodeList(value, &s.Ports, decodeServicePort)
		}
		return errUnknownField
	})
}

func decodeServicePort(v ast.Value, p *ServicePortDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "name":
			return decodeString(value, &p.Name)
		case "port":
			return decodeInt32(value, &p.Port)
		case "targetPort":
			return decodeInt32(value, &p.TargetPort)
		case "protocol":
			return decodeString(value, &p.Protocol)
		}
		return errUnknownField
	})
}

func decodeNetworkPolicy(v ast.Value, p *NetworkPolicyDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "name":
			return decodeString(value, &p.Name)
		case "adapter":
			return decodeString(value, &p.Adapter)
		case "role":
			return decodeString(value, &p.Role)
		case "ingress":
			return decodeList(value, &p.Ingress, decodeIngressRule)
		}
		return errUnknownField
	})
}

func decodeIngressRule(v ast.Value, r *IngressRuleDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "ports":
			return decodeList(value, &r.Ports, decodePolicyPort)
		case "from":
			return decodePeers(value, &r.From)
		}
		return errUnknownField
	})
}

func decodePolicyPort(v ast.Value, p *PolicyPortDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "port":
			return decodeInt32(value, &p.Port)
		case "protocol":
			return decodeString(value, &p.Protocol)
		}
		return errUnknownField
	})
}

func decodeContainerPort(v ast.Value, p *ContainerPortDecision) error {
	return eachField(v, func(key string, value ast.Value) error {
		switch key {
		case "name":
			return decodeString(value, &p.Name)
		case "containerPort":
			return decodeInt32(value, &p.ContainerPort)
		case "protocol":
			return decodeString(value, &p.Protocol)
		}
		return errUnknownField
	})
}

// errUnknownField is returned by field decoders for keys they do not know.
var errUnknownField = errors.New("unknown field")

// pathError locates a decoding error, e.g. .services[1].ports[0].port.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }

func (e *pathError) Unwrap() error { return e.err }

// atPath prefixes the path of err with segment.
func atPath(segment string, err error) error {
	var pe *pathError
	if errors.As(err, &pe) {
		return &pathError{path: segment + pe.path, err: pe.err}
	}
	return &pathError{path: segment, err: err}
}

// eachField calls decode for every key of an object.
func eachField(v ast.Value, decode func(key string, value ast.Value) error) error {
	obj, ok := v.(ast.Object)
	if !ok {
		return atPath("", fmt.Errorf("want an object, got %s", ast.ValueName(v)))
	}
	return obj.Iter(func(k, value *ast.Term) error {
		key, ok := k.Value.(ast.String)
		if !ok {
			return atPath("", fmt.Errorf("key %v is not a string", k))
		}
		if err := decode(string(key), value.Value); err != nil {
			return atPath("."+string(key), err)
		}
		return nil
	})
}

// decodeList decodes an array into *out, each element with decode.
func decodeList[T any](v ast.Value, out *[]T, decode func(ast.Value, *T) error) error {
	arr, ok := v.(*ast.Array)
	if !ok {
		return fmt.Errorf("want an array, got %s", ast.ValueName(v))
	}
	list := make([]T, arr.Len())
	for i := range list {
		if err := decode(arr.Elem(i).Value, &list[i]); err != nil {
			return atPath("["+strconv.Itoa(i)+"]", err)
		}
	}
	*out = list
	return nil
}

func decodeString(v ast.Value, out *string) error {
	s, ok := v.(ast.String)
	if !ok {
		return fmt.Errorf("want a string, got %s", ast.ValueName(v))
	}
	*out = string(s)
	return nil
}

func decodeInt32(v ast.Value, out *int32) error {
	n, ok := v.(ast.Number)
	if !ok {
		return fmt.Errorf("want a number, got %s", ast.ValueName(v))
	}
	i, ok := n.Int64()
	if !ok || i < math.MinInt32 || i > math.MaxInt32 {
		return fmt.Errorf("%v is not a 32-bit integer", n)
	}
	*out = int32(i)
	return nil
}

// decodeStrings accepts an array or a set of strings (a set sorted, as OPA
// orders it), so that deny and warnings may be returned as sets.
func decodeStrings(v ast.Value, out *[]string) error {
	if set, ok := v.(ast.Set); ok {
		v = set.Sorted()
	}
	return decodeList(v, out, decodeString)
}

func decodeStringMap(v ast.Value, out *map[string]string) error {
	obj, ok := v.(ast.Object)
	if !ok {
		return fmt.Errorf("want an object, got %s", ast.ValueName(v))
	}
	m := make(map[string]string, obj.Len())
	err := eachField(obj, func(key string, value ast.Value) error {
		var s string
		if err := decodeString(value, &s); err != nil {
			return err
		}
		m[key] = s
		return nil
	})
	*out = m
	return err
}

// decodePeers decodes NetworkPolicyPeers. Peers made of label selectors
// with matchLabels only, like the one every API policy has, are decoded
// directly; any other goes through the JSON form, which the peers' JSON tags
// define, with unknown fields refused.
func decodePeers(v ast.Value, out *[]networkingv1.NetworkPolicyPeer) error {
	arr, ok := v.(*ast.Array)
	if !ok {
		return fmt.Errorf("want an array, got %s", ast.ValueName(v))
	}
	peers := make([]networkingv1.NetworkPolicyPeer, arr.Len())
	for i := range peers {
		if !decodeLabelsPeer(arr.Elem(i).Value, &peers[i]) {
			return decodePeersJSON(arr, out)
		}
	}
	*out = peers
	return nil
}

// decodeLabelsPeer decodes a peer whose only fields are namespaceSelector and
// podSelector, each holding matchLabels only (or nothing). It reports false,
// leaving the rest to decodePeersJSON, for any other peer.
func decodeLabelsPeer(v ast.Value, p *networkingv1.NetworkPolicyPeer) bool {
	obj, ok := v.(ast.Object)
	if !ok {
		return false
	}
	simple := true
	obj.Foreach(func(k, value *ast.Term) {
		var target **metav1.LabelSelector
		switch k.Value {
		case ast.String("namespaceSelector"):
			target = &p.NamespaceSelector
		case ast.String("podSelector"):
			target = &p.PodSelector
		default:
			simple = false
			return
		}
		selector, ok := decodeMatchLabelsSelector(value.Value)
		if !ok {
			simple = false
			return
		}
		*target = selector
	})
	return simple
}

// decodeMatchLabelsSelector decodes {} or {"matchLabels": {...}} as the JSON
// decoder would: an empty object gives nil matchLabels.
func decodeMatchLabelsSelector(v ast.Value) (*metav1.LabelSelector, bool) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, false
	}
	selector := &metav1.LabelSelector{}
	switch obj.Len() {
	case 0:
		return selector, true
	case 1:
		labels := obj.Get(ast.InternedTerm("matchLabels"))
		if labels == nil || decodeStringMap(labels.Value, &selector.MatchLabels) != nil {
			return nil, false
		}
		return selector, true
	}
	return nil, false
}

func decodePeersJSON(arr *ast.Array, out *[]networkingv1.NetworkPolicyPeer) error {
	doc, err := ast.JSON(arr)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}
