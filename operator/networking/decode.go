package networking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/open-policy-agent/opa/v1/ast"
	networkingv1 "k8s.io/api/networking/v1"
)

// The decision is decoded straight from the Rego value: converting it to Go
// maps and through JSON first would cost more than evaluating the policy. As
// with a strict JSON decoder, a key the contract does not know is an error and
// a missing key leaves the zero value.

// fieldDecoder decodes the value of one key of an object at path.
type fieldDecoder func(value ast.Value, path string) error

func decodeDecision(v ast.Value) (*Decision, error) {
	d := &Decision{}
	err := decodeObject(v, "decision", func(key string) fieldDecoder {
		switch key {
		case "services":
			return listOf(&d.Services, decodeService)
		case "networkPolicies":
			return listOf(&d.NetworkPolicies, decodeNetworkPolicy)
		case "containerPorts":
			return listOf(&d.ContainerPorts, decodeContainerPort)
		case "deny":
			return stringsInto(&d.Deny)
		case "warnings":
			return stringsInto(&d.Warnings)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode decision: %w", err)
	}
	return d, nil
}

func decodeService(v ast.Value, path string, s *ServiceDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "name":
			return stringInto(&s.Name)
		case "adapter":
			return stringInto(&s.Adapter)
		case "type":
			return stringInto(&s.Type)
		case "annotations":
			return stringMapInto(&s.Annotations)
		case "labels":
			return stringMapInto(&s.Labels)
		case "loadBalancerClass":
			return stringInto(&s.LoadBalancerClass)
		case "externalTrafficPolicy":
			return stringInto(&s.ExternalTrafficPolicy)
		case "loadBalancerSourceRanges":
			return stringsInto(&s.LoadBalancerSourceRanges)
		case "ports":
			return listOf(&s.Ports, decodeServicePort)
		}
		return nil
	})
}

func decodeServicePort(v ast.Value, path string, p *ServicePortDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "name":
			return stringInto(&p.Name)
		case "port":
			return int32Into(&p.Port)
		case "targetPort":
			return int32Into(&p.TargetPort)
		case "protocol":
			return stringInto(&p.Protocol)
		}
		return nil
	})
}

func decodeNetworkPolicy(v ast.Value, path string, p *NetworkPolicyDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "name":
			return stringInto(&p.Name)
		case "adapter":
			return stringInto(&p.Adapter)
		case "role":
			return stringInto(&p.Role)
		case "ingress":
			return listOf(&p.Ingress, decodeIngressRule)
		}
		return nil
	})
}

func decodeIngressRule(v ast.Value, path string, r *IngressRuleDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "ports":
			return listOf(&r.Ports, decodePolicyPort)
		case "from":
			return peersInto(&r.From)
		}
		return nil
	})
}

func decodePolicyPort(v ast.Value, path string, p *PolicyPortDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "port":
			return int32Into(&p.Port)
		case "protocol":
			return stringInto(&p.Protocol)
		}
		return nil
	})
}

func decodeContainerPort(v ast.Value, path string, p *ContainerPortDecision) error {
	return decodeObject(v, path, func(key string) fieldDecoder {
		switch key {
		case "name":
			return stringInto(&p.Name)
		case "containerPort":
			return int32Into(&p.ContainerPort)
		case "protocol":
			return stringInto(&p.Protocol)
		}
		return nil
	})
}

// decodeObject calls the fieldDecoder decoder of every key; fields returns nil for
// unknown keys.
func decodeObject(v ast.Value, path string, fields func(key string) fieldDecoder) error {
	obj, ok := v.(ast.Object)
	if !ok {
		return fmt.Errorf("%s: want an object, got %s", path, ast.ValueName(v))
	}
	return obj.Iter(func(k, value *ast.Term) error {
		key, ok := k.Value.(ast.String)
		if !ok {
			return fmt.Errorf("%s: key %v is not a string", path, k)
		}
		decode := fields(string(key))
		if decode == nil {
			return fmt.Errorf("%s: unknown fieldDecoder %q", path, string(key))
		}
		return decode(value.Value, path+"."+string(key))
	})
}

// listOf decodes an array into *out, one element with decode.
func listOf[T any](out *[]T, decode func(ast.Value, string, *T) error) fieldDecoder {
	return func(v ast.Value, path string) error {
		arr, ok := v.(*ast.Array)
		if !ok {
			return fmt.Errorf("%s: want an array, got %s", path, ast.ValueName(v))
		}
		list := make([]T, arr.Len())
		for i := range list {
			if err := decode(arr.Elem(i).Value, fmt.Sprintf("%s[%d]", path, i), &list[i]); err != nil {
				return err
			}
		}
		*out = list
		return nil
	}
}

func stringInto(out *string) fieldDecoder {
	return func(v ast.Value, path string) error {
		s, ok := v.(ast.String)
		if !ok {
			return fmt.Errorf("%s: want a string, got %s", path, ast.ValueName(v))
		}
		*out = string(s)
		return nil
	}
}

func int32Into(out *int32) fieldDecoder {
	return func(v ast.Value, path string) error {
		n, ok := v.(ast.Number)
		if !ok {
			return fmt.Errorf("%s: want a number, got %s", path, ast.ValueName(v))
		}
		i, ok := n.Int64()
		if !ok || i < math.MinInt32 || i > math.MaxInt32 {
			return fmt.Errorf("%s: %v is not a 32-bit integer", path, n)
		}
		*out = int32(i)
		return nil
	}
}

// stringsInto accepts an array or a set of strings (sets sorted, as OPA
// orders them), so that deny and warnings may be returned as sets.
func stringsInto(out *[]string) fieldDecoder {
	return func(v ast.Value, path string) error {
		arr, ok := v.(*ast.Array)
		if set, isSet := v.(ast.Set); isSet {
			arr, ok = set.Sorted(), true
		}
		if !ok {
			return fmt.Errorf("%s: want an array of strings, got %s", path, ast.ValueName(v))
		}
		list := make([]string, arr.Len())
		for i := range list {
			if err := stringInto(&list[i])(arr.Elem(i).Value, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		*out = list
		return nil
	}
}

func stringMapInto(out *map[string]string) fieldDecoder {
	return func(v ast.Value, path string) error {
		m := map[string]string{}
		err := decodeObject(v, path, func(key string) fieldDecoder {
			return func(value ast.Value, path string) error {
				var s string
				if err := stringInto(&s)(value, path); err != nil {
					return err
				}
				m[key] = s
				return nil
			}
		})
		*out = m
		return err
	}
}

// peersInto decodes NetworkPolicyPeers through their JSON form, which their
// JSON tags define; they are rare and nested.
func peersInto(out *[]networkingv1.NetworkPolicyPeer) fieldDecoder {
	return func(v ast.Value, path string) error {
		arr, ok := v.(*ast.Array)
		if !ok {
			return fmt.Errorf("%s: want an array, got %s", path, ast.ValueName(v))
		}
		if arr.Len() == 0 {
			*out = []networkingv1.NetworkPolicyPeer{}
			return nil
		}
		doc, err := ast.JSON(arr)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
}
