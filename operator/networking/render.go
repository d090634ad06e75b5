package networking

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// ErrDenied is returned by Render for a decision the policy denied.
var ErrDenied = errors.New("policy decision denied")

// RenderOwner is the DittoServer that owns rendered objects.
type RenderOwner struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	UID        types.UID
}

// OwnerOf is the RenderOwner of a DittoServer.
func OwnerOf(server *v1alpha1.DittoServer) RenderOwner {
	return RenderOwner{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       "DittoServer",
		Name:       server.Name,
		Namespace:  server.Namespace,
		UID:        server.UID,
	}
}

func (o RenderOwner) validate() error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"apiVersion", o.APIVersion}, {"kind", o.Kind}, {"name", o.Name},
		{"namespace", o.Namespace}, {"uid", string(o.UID)},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("render: owner without %s", strings.Join(missing, ", "))
	}
	return nil
}

// Rendered are the objects of a decision, each sorted by name. Services and
// NetworkPolicies are server-side-apply configurations holding only what the
// operator decides, so that applying them never fights the values Kubernetes
// allocates (cluster IP, node ports).
type Rendered struct {
	Services        []*corev1ac.ServiceApplyConfiguration
	NetworkPolicies []*networkingv1ac.NetworkPolicyApplyConfiguration
	ContainerPorts  []corev1.ContainerPort
}

// Render turns a decision into objects of owner. Whatever the policy said,
// every object is in the owner's namespace, has the owner as controller, and
// carries the managed labels (which win over the policy's labels).
func Render(d *Decision, owner RenderOwner) (*Rendered, error) {
	if d == nil {
		return nil, errors.New("render: no decision")
	}
	if d.Denied() {
		return nil, fmt.Errorf("render: %w: %s", ErrDenied, strings.Join(d.Deny, "; "))
	}
	if err := owner.validate(); err != nil {
		return nil, err
	}
	r := &Rendered{
		Services:        make([]*corev1ac.ServiceApplyConfiguration, 0, len(d.Services)),
		NetworkPolicies: make([]*networkingv1ac.NetworkPolicyApplyConfiguration, 0, len(d.NetworkPolicies)),
		ContainerPorts:  make([]corev1.ContainerPort, 0, len(d.ContainerPorts)),
	}
	for i := range d.Services {
		r.Services = append(r.Services, renderService(&d.Services[i], owner))
	}
	for i := range d.NetworkPolicies {
		r.NetworkPolicies = append(r.NetworkPolicies, renderNetworkPolicy(&d.NetworkPolicies[i], owner))
	}
	for _, p := range d.ContainerPorts {
		r.ContainerPorts = append(r.ContainerPorts, corev1.ContainerPort{
			Name: p.Name, ContainerPort: p.ContainerPort, Protocol: corev1.Protocol(p.Protocol),
		})
	}
	r.sort()
	return r, nil
}

func (r *Rendered) sort() {
	slices.SortFunc(r.Services, func(a, b *corev1ac.ServiceApplyConfiguration) int { return cmp.Compare(*a.Name, *b.Name) })
	slices.SortFunc(r.NetworkPolicies, func(a, b *networkingv1ac.NetworkPolicyApplyConfiguration) int {
		return cmp.Compare(*a.Name, *b.Name)
	})
	slices.SortFunc(r.ContainerPorts, func(a, b corev1.ContainerPort) int { return cmp.Compare(a.Name, b.Name) })
}

func ownerReference(o RenderOwner) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(o.APIVersion).
		WithKind(o.Kind).
		WithName(o.Name).
		WithUID(o.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// withManaged merges the policy's labels under the managed ones.
func withManaged(policy map[string]string, managed map[string]string) map[string]string {
	labels := make(map[string]string, len(policy)+len(managed))
	for k, v := range policy {
		labels[k] = v
	}
	for k, v := range managed {
		labels[k] = v
	}
	return labels
}

func renderService(s *ServiceDecision, o RenderOwner) *corev1ac.ServiceApplyConfiguration {
	svc := corev1ac.Service(s.Name, o.Namespace).
		WithLabels(withManaged(s.Labels, ManagedLabels(o.Name, ComponentAdapterService, s.Adapter))).
		WithOwnerReferences(ownerReference(o))
	if len(s.Annotations) > 0 {
		svc.WithAnnotations(s.Annotations)
	}
	return svc.WithSpec(serviceSpec(s, o.Name))
}

func serviceSpec(s *ServiceDecision, instance string) *corev1ac.ServiceSpecApplyConfiguration {
	spec := corev1ac.ServiceSpec().
		WithType(corev1.ServiceType(s.Type)).
		WithSelector(PodSelector(instance))
	for _, p := range s.Ports {
		spec.WithPorts(corev1ac.ServicePort().
			WithName(p.Name).
			WithProtocol(corev1.Protocol(p.Protocol)).
			WithPort(p.Port).
			WithTargetPort(intstr.FromInt32(p.TargetPort)))
	}
	if s.LoadBalancerClass != "" {
		spec.WithLoadBalancerClass(s.LoadBalancerClass)
	}
	if s.ExternalTrafficPolicy != "" {
		spec.WithExternalTrafficPolicy(corev1.ServiceExternalTrafficPolicy(s.ExternalTrafficPolicy))
	}
	if len(s.LoadBalancerSourceRanges) > 0 {
		spec.WithLoadBalancerSourceRanges(s.LoadBalancerSourceRanges...)
	}
	return spec
}

func renderNetworkPolicy(p *NetworkPolicyDecision, o RenderOwner) *networkingv1ac.NetworkPolicyApplyConfiguration {
	component, adapter := ComponentAdapterNetworkPolicy, p.Adapter
	if p.Role == RoleAPI {
		component, adapter = ComponentAPINetworkPolicy, ""
	}
	spec := networkingv1ac.NetworkPolicySpec().
		WithPodSelector(metav1ac.LabelSelector().WithMatchLabels(PodSelector(o.Name))).
		WithPolicyTypes(networkingv1.PolicyTypeIngress)
	for i := range p.Ingress {
		spec.WithIngress(ingressRule(&p.Ingress[i]))
	}
	return networkingv1ac.NetworkPolicy(p.Name, o.Namespace).
		WithLabels(ManagedLabels(o.Name, component, adapter)).
		WithOwnerReferences(ownerReference(o)).
		WithSpec(spec)
}

// ingressRule leaves From unset when empty: Kubernetes then admits any source.
func ingressRule(r *IngressRuleDecision) *networkingv1ac.NetworkPolicyIngressRuleApplyConfiguration {
	rule := networkingv1ac.NetworkPolicyIngressRule()
	for _, p := range r.Ports {
		rule.WithPorts(networkingv1ac.NetworkPolicyPort().
			WithProtocol(corev1.Protocol(p.Protocol)).
			WithPort(intstr.FromInt32(p.Port)))
	}
	for i := range r.From {
		rule.WithFrom(peer(&r.From[i]))
	}
	return rule
}

func peer(p *networkingv1.NetworkPolicyPeer) *networkingv1ac.NetworkPolicyPeerApplyConfiguration {
	out := networkingv1ac.NetworkPolicyPeer()
	if p.PodSelector != nil {
		out.WithPodSelector(labelSelector(p.PodSelector))
	}
	if p.NamespaceSelector != nil {
		out.WithNamespaceSelector(labelSelector(p.NamespaceSelector))
	}
	if p.IPBlock != nil {
		block := networkingv1ac.IPBlock().WithCIDR(p.IPBlock.CIDR)
		if len(p.IPBlock.Except) > 0 {
			block.WithExcept(p.IPBlock.Except...)
		}
		out.WithIPBlock(block)
	}
	return out
}

// labelSelector keeps an empty selector empty ({}: every pod or namespace).
func labelSelector(s *metav1.LabelSelector) *metav1ac.LabelSelectorApplyConfiguration {
	out := metav1ac.LabelSelector()
	if len(s.MatchLabels) > 0 {
		out.WithMatchLabels(s.MatchLabels)
	}
	for _, e := range s.MatchExpressions {
		req := metav1ac.LabelSelectorRequirement().WithKey(e.Key).WithOperator(e.Operator)
		if len(e.Values) > 0 {
			req.WithValues(e.Values...)
		}
		out.WithMatchExpressions(req)
	}
	return out
}
