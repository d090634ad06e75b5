package networking

import (
	"bytes"
	"encoding/json"
	"fmt"

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

// decodeDecision reads a decision strictly: a field the contract does not
// know is an error rather than something silently dropped.
func decodeDecision(raw []byte) (*Decision, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d Decision
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode decision: %w", err)
	}
	return &d, nil
}

// decisionFromValue decodes the decision document OPA returned.
func decisionFromValue(value any) (*Decision, error) {
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("encode decision: %w", err)
	}
	return decodeDecision(raw)
}
