package networking

import (
	"cmp"
	"maps"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// Network policy roles of a decision.
const (
	// RoleAdapter guards the port of one adapter.
	RoleAdapter = "adapter"
	// RoleAPI is the baseline policy of the control-plane port.
	RoleAPI = "api"
)

// Decision is data.dittofs.networking.decision (policies/decision.schema.json).
type Decision struct {
	Services        []ServiceDecision       `json:"services"`
	NetworkPolicies []NetworkPolicyDecision `json:"networkPolicies"`
	ContainerPorts  []ContainerPortDecision `json:"containerPorts"`
	Deny            []string                `json:"deny"`
	Warnings        []string                `json:"warnings"`

	// Revision of the bundle that decided, for logs and events.
	Revision string `json:"-"`
}

// ServiceDecision is one adapter Service.
type ServiceDecision struct {
	Name                     string                `json:"name"`
	Adapter                  string                `json:"adapter"`
	Type                     string                `json:"type"`
	Annotations              map[string]string     `json:"annotations"`
	Labels                   map[string]string     `json:"labels"`
	LoadBalancerClass        string                `json:"loadBalancerClass"`
	ExternalTrafficPolicy    string                `json:"externalTrafficPolicy"`
	LoadBalancerSourceRanges []string              `json:"loadBalancerSourceRanges"`
	Ports                    []ServicePortDecision `json:"ports"`
}

// ServicePortDecision is one port of an adapter Service.
type ServicePortDecision struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort int32  `json:"targetPort"`
	Protocol   string `json:"protocol"`
}

// NetworkPolicyDecision is one NetworkPolicy; Adapter is "" for RoleAPI.
type NetworkPolicyDecision struct {
	Name    string                `json:"name"`
	Adapter string                `json:"adapter"`
	Role    string                `json:"role"`
	Ingress []IngressRuleDecision `json:"ingress"`
}

// IngressRuleDecision admits Ports from From (any source when empty).
type IngressRuleDecision struct {
	Ports []PolicyPortDecision             `json:"ports"`
	From  []networkingv1.NetworkPolicyPeer `json:"from"`
}

// PolicyPortDecision is one port a NetworkPolicy admits.
type PolicyPortDecision struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// ContainerPortDecision is one port of the DittoFS container.
type ContainerPortDecision struct {
	Name          string `json:"name"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

// Denied says whether the policy refused the decision: nothing of it may be
// applied, and Deny says why.
func (d *Decision) Denied() bool {
	return len(d.Deny) > 0
}

// normalize orders lists by name and messages alphabetically, so that equal
// decisions are equal byte for byte whatever order a bundle emits them in.
func (d *Decision) normalize() {
	slices.SortStableFunc(d.Services, func(a, b ServiceDecision) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(d.NetworkPolicies, func(a, b NetworkPolicyDecision) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(d.ContainerPorts, func(a, b ContainerPortDecision) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(d.Deny)
	slices.Sort(d.Warnings)
	d.Deny = slices.Compact(d.Deny)
	d.Warnings = slices.Compact(d.Warnings)
}

// DeepCopy copies a decision, so that a caller may change it freely.
func (d *Decision) DeepCopy() *Decision {
	out := *d
	out.Services = make([]ServiceDecision, len(d.Services))
	for i, s := range d.Services {
		s.Annotations = maps.Clone(s.Annotations)
		s.Labels = maps.Clone(s.Labels)
		s.LoadBalancerSourceRanges = slices.Clone(s.LoadBalancerSourceRanges)
		s.Ports = slices.Clone(s.Ports)
		out.Services[i] = s
	}
	out.NetworkPolicies = make([]NetworkPolicyDecision, len(d.NetworkPolicies))
	for i, p := range d.NetworkPolicies {
		p.Ingress = make([]IngressRuleDecision, len(p.Ingress))
		for j, r := range d.NetworkPolicies[i].Ingress {
			r.Ports = slices.Clone(r.Ports)
			from := make([]networkingv1.NetworkPolicyPeer, len(r.From))
			for k := range r.From {
				r.From[k].DeepCopyInto(&from[k])
			}
			r.From = from
			p.Ingress[j] = r
		}
		out.NetworkPolicies[i] = p
	}
	out.ContainerPorts = slices.Clone(d.ContainerPorts)
	out.Deny = slices.Clone(d.Deny)
	out.Warnings = slices.Clone(d.Warnings)
	return &out
}
