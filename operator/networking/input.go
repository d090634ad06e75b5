package networking

import (
	"maps"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
)

// InputAPIVersion versions the policy input; the bundle denies others.
const InputAPIVersion = "networking.dittofs.io/v1"

// lastAppliedAnnotation is left out of the input: it repeats the whole object
// and no policy needs it.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Input is what the policy knows about one DittoServer
// (policies/input.schema.json).
type Input struct {
	APIVersion     string              `json:"apiVersion"`
	Server         ServerInfo          `json:"server"`
	Namespace      NamespaceInfo       `json:"namespace"`
	ControlPlane   ControlPlaneInfo    `json:"controlPlane"`
	Operator       OperatorInfo        `json:"operator"`
	AdapterService AdapterServiceInput `json:"adapterService"`
	NetworkPolicy  NetworkPolicyInput  `json:"networkPolicy"`
	Adapters       []Adapter           `json:"adapters"`
}

// ServerInfo identifies the DittoServer.
type ServerInfo struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// NamespaceInfo describes the DittoServer's namespace.
type NamespaceInfo struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

// ControlPlaneInfo describes the DittoFS REST API.
type ControlPlaneInfo struct {
	Port int32 `json:"port"`
}

// OperatorInfo says where the operator runs. PodLabels, when known, narrow
// the control-plane NetworkPolicy to the operator's pods.
type OperatorInfo struct {
	Namespace string            `json:"namespace"`
	PodLabels map[string]string `json:"podLabels"`
}

// AdapterServiceInput is spec.adapterService with its defaults applied.
type AdapterServiceInput struct {
	Type                     string                     `json:"type"`
	Annotations              map[string]string          `json:"annotations"`
	NameTemplate             string                     `json:"nameTemplate"`
	LoadBalancerClass        string                     `json:"loadBalancerClass"`
	ExternalTrafficPolicy    string                     `json:"externalTrafficPolicy"`
	LoadBalancerSourceRanges []string                   `json:"loadBalancerSourceRanges"`
	Overrides                map[string]ServiceOverride `json:"overrides"`
}

// ServiceOverride changes the Service of one adapter type. Port is the port
// its Service publishes, 0 for the adapter's own port.
type ServiceOverride struct {
	Type        string            `json:"type"`
	Port        int32             `json:"port"`
	Annotations map[string]string `json:"annotations"`
}

// NetworkPolicyInput is spec.networkPolicy with its defaults applied: From
// are the peers admitted to the adapters, APIFrom those admitted to the
// control-plane port besides the operator.
type NetworkPolicyInput struct {
	Enabled bool                             `json:"enabled"`
	From    []networkingv1.NetworkPolicyPeer `json:"from"`
	APIFrom []networkingv1.NetworkPolicyPeer `json:"apiFrom"`
}

// Adapter is one adapter as the DittoFS API reports it. Port 0 means the API
// reported 0 for a type without a known default; PortDefaulted means the API
// reported 0 and Port is the type's default.
type Adapter struct {
	Type          string `json:"type"`
	Port          int32  `json:"port"`
	Enabled       bool   `json:"enabled"`
	Running       bool   `json:"running"`
	PortDefaulted bool   `json:"portDefaulted"`
}

// AdaptersFromAPI are the adapters a listing of the DittoFS API gives the
// policy. The listing has already made ports of 0 the type's default
// (dittofs.DecodeAdapters), and says so in PortDefaulted.
func AdaptersFromAPI(list []dittofs.Adapter) []Adapter {
	out := make([]Adapter, 0, len(list))
	for _, a := range list {
		out = append(out, Adapter{Type: a.Type, Port: a.Port, Enabled: a.Enabled, Running: a.Running, PortDefaulted: a.PortDefaulted})
	}
	return out
}

// AdaptersFromStatus are the adapters the operator last recorded in a
// DittoServer's status: those of the last listing it evaluated.
func AdaptersFromStatus(server *v1alpha1.DittoServer) []Adapter {
	out := make([]Adapter, 0, len(server.Status.Adapters))
	for _, a := range server.Status.Adapters {
		out = append(out, Adapter{Type: a.Type, Port: a.Port, Enabled: a.Enabled, Running: a.Running, PortDefaulted: a.PortDefaulted})
	}
	return out
}

// BuildInput gathers the policy input of a DittoServer. The spec's defaults
// are applied through its accessors, maps and lists are never nil and
// adapters are sorted by type, so that equal states give equal inputs.
func BuildInput(server *v1alpha1.DittoServer, ns NamespaceInfo, op OperatorInfo, adapters []Adapter) Input {
	spec := &server.Spec
	if ns.Name == "" {
		ns.Name = server.Namespace
	}
	return Input{
		APIVersion: InputAPIVersion,
		Server: ServerInfo{
			Name:        server.Name,
			Namespace:   server.Namespace,
			Labels:      copyMap(server.Labels),
			Annotations: withoutKey(server.Annotations, lastAppliedAnnotation),
		},
		Namespace:      NamespaceInfo{Name: ns.Name, Labels: copyMap(ns.Labels)},
		ControlPlane:   ControlPlaneInfo{Port: spec.APIPort()},
		Operator:       OperatorInfo{Namespace: op.Namespace, PodLabels: copyMap(op.PodLabels)},
		AdapterService: adapterServiceInput(spec),
		NetworkPolicy:  networkPolicyInput(spec),
		Adapters:       sortedAdapters(adapters),
	}
}

func adapterServiceInput(spec *v1alpha1.DittoServerSpec) AdapterServiceInput {
	as := spec.AdapterService
	in := AdapterServiceInput{
		Type:                     string(spec.AdapterServiceTypeOrDefault()),
		Annotations:              copyMap(as.Annotations),
		NameTemplate:             spec.NameTemplateOrDefault(),
		ExternalTrafficPolicy:    string(as.ExternalTrafficPolicy),
		LoadBalancerSourceRanges: append([]string{}, as.LoadBalancerSourceRanges...),
		Overrides:                make(map[string]ServiceOverride, len(as.Overrides)),
	}
	if as.LoadBalancerClass != nil {
		in.LoadBalancerClass = *as.LoadBalancerClass
	}
	for adapter, o := range as.Overrides {
		in.Overrides[adapter] = ServiceOverride{Type: string(o.Type), Port: ptr.Deref(o.Port, 0), Annotations: copyMap(o.Annotations)}
	}
	return in
}

func networkPolicyInput(spec *v1alpha1.DittoServerSpec) NetworkPolicyInput {
	return NetworkPolicyInput{
		Enabled: spec.NetworkPoliciesEnabled(),
		From:    copyPeers(spec.NetworkPolicy.From),
		APIFrom: copyPeers(spec.NetworkPolicy.APIFrom),
	}
}

func copyPeers(peers []networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, 0, len(peers))
	for i := range peers {
		out = append(out, *peers[i].DeepCopy())
	}
	return out
}

func sortedAdapters(adapters []Adapter) []Adapter {
	sorted := append([]Adapter{}, adapters...)
	slices.SortStableFunc(sorted, func(a, b Adapter) int { return strings.Compare(a.Type, b.Type) })
	return sorted
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	maps.Copy(out, m)
	return out
}

func withoutKey(m map[string]string, key string) map[string]string {
	out := copyMap(m)
	delete(out, key)
	return out
}
