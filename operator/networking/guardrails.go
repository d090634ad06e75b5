package networking

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/go-multierror"
	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Bounds on the objects of one decision: a DittoFS server has a handful of
// adapters, so more means a policy gone wrong.
const (
	MaxServices        = 64
	MaxNetworkPolicies = MaxServices + 1
	MaxContainerPorts  = MaxServices
)

// Guardrail rules, named in every Violation.
const (
	RuleObjectCount        = "object-count"
	RuleServiceName        = "service-name"
	RuleNetworkPolicyName  = "network-policy-name"
	RuleUniqueName         = "unique-name"
	RuleServiceType        = "service-type"
	RuleServiceFields      = "service-fields"
	RuleServiceAdapter     = "service-adapter"
	RuleServicePort        = "service-port"
	RulePort               = "port"
	RulePortName           = "port-name"
	RuleProtocol           = "protocol"
	RuleLabels             = "labels"
	RuleAnnotations        = "annotations"
	RuleAdapterLabel       = "adapter-label"
	RuleNetworkPolicyRole  = "network-policy-role"
	RuleNetworkPolicyPort  = "network-policy-port"
	RuleNetworkPolicyPeer  = "network-policy-peer"
	RuleNetworkPolicyOff   = "network-policies-disabled"
	RuleContainerPort      = "container-port"
	RuleInstanceLabelValue = "instance-label"
	RulePortCollision      = "port-collision"
)

// ErrGuardrail matches (errors.Is) every guardrail violation.
var ErrGuardrail = errors.New("policy decision refused by a guardrail")

// Violation is one broken invariant of a decision.
type Violation struct {
	// Rule is the guardrail, one of the Rule constants.
	Rule string
	// Field locates the offending value, e.g. services[1].name.
	Field string
	// Detail says what is wrong.
	Detail string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("guardrail %q: %s: %s", v.Rule, v.Field, v.Detail)
}

// Is makes errors.Is(err, ErrGuardrail) hold.
func (v *Violation) Is(target error) bool {
	return target == ErrGuardrail
}

var allowedServiceTypes = map[string]bool{"ClusterIP": true, "NodePort": true, "LoadBalancer": true}

var allowedProtocols = map[string]bool{"TCP": true, "UDP": true, "SCTP": true}

// CheckDecision enforces what a policy may never break, whatever modules it
// has: valid and unique names, valid ports, protocols, labels and
// annotations, allowed Service types, bounded object counts, no object that
// targets or admits a port no running adapter listens on, no two adapters on
// one pod port nor published on one Service port, and no adapter object
// that publishes, targets or admits the control-plane port. A Service may
// publish a port other than its adapter's (2049 for NFS on 12049); it must
// target the adapter's. It returns every violation at once (a
// *multierror.Error of *Violation).
func CheckDecision(in Input, d *Decision) error {
	c := newChecker(in)
	c.checkCounts(d)
	c.checkInstance()
	c.checkServices(d.Services)
	c.checkNetworkPolicies(d.NetworkPolicies)
	c.checkContainerPorts(d.ContainerPorts)
	return c.errs.ErrorOrNil()
}

type checker struct {
	in      Input
	running map[string]int32 // running adapters by type
	ports   map[int32]bool   // their ports
	// claims record, for each pod port an adapter object targets, the
	// first adapter and field that did, to find two adapters on one port;
	// published does the same for the ports adapter Services publish.
	claims    map[int32]portClaim
	published map[publishedPort]portClaim
	errs      *multierror.Error
}

// portClaim is an adapter object targeting a pod port, or publishing one.
type portClaim struct {
	adapter string
	field   string
}

// publishedPort is a port a Service publishes, with its protocol.
type publishedPort struct {
	port     int32
	protocol string
}

func newChecker(in Input) *checker {
	c := &checker{
		in: in, running: map[string]int32{}, ports: map[int32]bool{},
		claims: map[int32]portClaim{}, published: map[publishedPort]portClaim{},
	}
	for _, a := range in.Adapters {
		if a.Enabled && a.Running && a.Port > 0 {
			c.running[a.Type] = a.Port
			c.ports[a.Port] = true
		}
	}
	c.errs = &multierror.Error{ErrorFormat: formatViolations}
	return c
}

func formatViolations(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return fmt.Sprintf("%d guardrail violations: %s", len(msgs), strings.Join(msgs, "; "))
}

func (c *checker) fail(rule, field, format string, args ...any) {
	c.errs = multierror.Append(c.errs, &Violation{Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)})
}

// failAll reports Kubernetes validation messages under one rule.
func (c *checker) failAll(rule, field, value string, msgs []string) {
	for _, msg := range msgs {
		c.fail(rule, field, "%q: %s", value, msg)
	}
}

func (c *checker) failList(rule string, list field.ErrorList) {
	for _, err := range list {
		c.fail(rule, err.Field, "%s", err.ErrorBody())
	}
}

func (c *checker) checkCounts(d *Decision) {
	if n := len(d.Services); n > MaxServices {
		c.fail(RuleObjectCount, "services", "%d Services, at most %d", n, MaxServices)
	}
	if n := len(d.NetworkPolicies); n > MaxNetworkPolicies {
		c.fail(RuleObjectCount, "networkPolicies", "%d NetworkPolicies, at most %d", n, MaxNetworkPolicies)
	}
	if n := len(d.ContainerPorts); n > MaxContainerPorts {
		c.fail(RuleObjectCount, "containerPorts", "%d container ports, at most %d", n, MaxContainerPorts)
	}
}

// checkInstance: the DittoServer's name becomes a label value of every object.
func (c *checker) checkInstance() {
	c.failAll(RuleInstanceLabelValue, "input.server.name", c.in.Server.Name, validation.IsValidLabelValue(c.in.Server.Name))
}

func (c *checker) checkServices(services []ServiceDecision) {
	names := map[string]string{}
	for i := range services {
		s := &services[i]
		path := fmt.Sprintf("services[%d]", i)
		c.checkObjectName(RuleServiceName, path, s.Name, names)
		c.checkServiceAdapter(path, s.Adapter)
		c.checkServiceType(path, s)
		c.checkServicePorts(path, s)
		c.failList(RuleLabels, metav1validation.ValidateLabels(s.Labels, field.NewPath(path, "labels")))
		c.failList(RuleAnnotations, apivalidation.ValidateAnnotations(s.Annotations, field.NewPath(path, "annotations")))
	}
}

// checkObjectName validates a DNS-1035 name and records it in seen to find
// duplicates among objects of one kind.
func (c *checker) checkObjectName(rule, path, name string, seen map[string]string) {
	c.failAll(rule, path+".name", name, validation.IsDNS1035Label(name))
	if first, dup := seen[name]; dup {
		c.fail(RuleUniqueName, path+".name", "%q is also the name of %s", name, first)
		return
	}
	seen[name] = path
}

func (c *checker) checkServiceAdapter(path, adapter string) {
	if _, ok := c.running[adapter]; !ok {
		c.fail(RuleServiceAdapter, path+".adapter", "%q is not an adapter the DittoFS API reports as running", adapter)
	}
	c.failAll(RuleAdapterLabel, path+".adapter", adapter, validation.IsValidLabelValue(adapter))
}

func (c *checker) checkServiceType(path string, s *ServiceDecision) {
	if !allowedServiceTypes[s.Type] {
		c.fail(RuleServiceType, path+".type", "%q is not one of ClusterIP, NodePort, LoadBalancer", s.Type)
	}
	lb := s.Type == "LoadBalancer"
	if s.LoadBalancerClass != "" && !lb {
		c.fail(RuleServiceFields, path+".loadBalancerClass", "set on a %s Service; only LoadBalancer Services take it", s.Type)
	}
	if s.LoadBalancerClass != "" {
		c.failAll(RuleServiceFields, path+".loadBalancerClass", s.LoadBalancerClass, validation.IsQualifiedName(s.LoadBalancerClass))
	}
	if len(s.LoadBalancerSourceRanges) > 0 && !lb {
		c.fail(RuleServiceFields, path+".loadBalancerSourceRanges", "set on a %s Service; only LoadBalancer Services take them", s.Type)
	}
	for j, cidr := range s.LoadBalancerSourceRanges {
		if _, _, err := net.ParseCIDR(strings.TrimSpace(cidr)); err != nil {
			c.fail(RuleServiceFields, fmt.Sprintf("%s.loadBalancerSourceRanges[%d]", path, j), "%q is not a CIDR", cidr)
		}
	}
	c.checkExternalTrafficPolicy(path, s)
}

func (c *checker) checkExternalTrafficPolicy(path string, s *ServiceDecision) {
	switch {
	case s.ExternalTrafficPolicy == "":
	case s.ExternalTrafficPolicy != "Cluster" && s.ExternalTrafficPolicy != "Local":
		c.fail(RuleServiceFields, path+".externalTrafficPolicy", "%q is not Cluster or Local", s.ExternalTrafficPolicy)
	case s.Type == "ClusterIP":
		c.fail(RuleServiceFields, path+".externalTrafficPolicy", "set on a ClusterIP Service; only NodePort and LoadBalancer Services take it")
	}
}

func (c *checker) checkServicePorts(path string, s *ServiceDecision) {
	if len(s.Ports) == 0 {
		c.fail(RuleServicePort, path+".ports", "a Service needs at least one port")
	}
	names := map[string]string{}
	for j, p := range s.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", path, j)
		c.checkPortName(pp, p.Name, names)
		c.checkPort(pp+".port", p.Port)
		c.checkPort(pp+".targetPort", p.TargetPort)
		c.checkProtocol(pp+".protocol", p.Protocol)
		c.checkNotControlPlane(pp+".port", s.Adapter, p.Port, "published by an adapter Service")
		c.checkNotControlPlane(pp+".targetPort", s.Adapter, p.TargetPort, "published by an adapter Service")
		c.claim(pp+".targetPort", s.Adapter, p.TargetPort)
		c.claimPublished(pp+".port", s.Adapter, publishedPort{p.Port, p.Protocol})
		if want, ok := c.running[s.Adapter]; ok && p.TargetPort != want {
			c.fail(RuleServicePort, pp+".targetPort", "%d is not the port %d of adapter %q", p.TargetPort, want, s.Adapter)
		}
	}
}

// checkNotControlPlane refuses an adapter object on the control-plane port:
// whatever DittoFS reports, the API and its admin endpoints are never
// published through an adapter's Service or opened by its NetworkPolicy.
func (c *checker) checkNotControlPlane(path, adapter string, port int32, how string) {
	if cp := c.in.ControlPlane.Port; port == cp {
		c.fail(RulePortCollision, path, "adapter %q port %d collides with the control-plane port %d of the DittoFS API, which is never %s",
			adapter, port, cp, how)
	}
}

// claim records that an object of adapter targets a pod port, and refuses
// the second adapter to target the same one: a port serves one adapter.
func (c *checker) claim(path, adapter string, port int32) {
	first, claimed := c.claims[port]
	switch {
	case !claimed:
		c.claims[port] = portClaim{adapter: adapter, field: path}
	case first.adapter != adapter:
		c.fail(RulePortCollision, path, "adapter %q port %d collides with adapter %q port %d (%s): a port serves one adapter",
			adapter, port, first.adapter, port, first.field)
	}
}

// claimPublished records that an adapter's Service publishes a port, and
// refuses a second adapter's Service publishing the same one: clients tell
// adapters apart by the port of their address, and addresses may be shared
// (a load balancer IP shared between Services, node ports).
func (c *checker) claimPublished(path, adapter string, port publishedPort) {
	first, claimed := c.published[port]
	switch {
	case !claimed:
		c.published[port] = portClaim{adapter: adapter, field: path}
	case first.adapter != adapter:
		c.fail(RulePortCollision, path, "adapter %q publishes port %d/%s, as adapter %q does (%s): a published port serves one adapter",
			adapter, port.port, port.protocol, first.adapter, first.field)
	}
}

func (c *checker) checkPortName(path, name string, seen map[string]string) {
	c.failAll(RulePortName, path+".name", name, validation.IsValidPortName(name))
	if first, dup := seen[name]; dup {
		c.fail(RuleUniqueName, path+".name", "%q is also the name of %s", name, first)
		return
	}
	seen[name] = path
}

func (c *checker) checkPort(path string, port int32) {
	if len(validation.IsValidPortNum(int(port))) > 0 {
		c.fail(RulePort, path, "%d is outside 1-65535", port)
	}
}

func (c *checker) checkProtocol(path, protocol string) {
	if !allowedProtocols[protocol] {
		c.fail(RuleProtocol, path, "%q is not one of TCP, UDP, SCTP", protocol)
	}
}

func (c *checker) checkNetworkPolicies(policies []NetworkPolicyDecision) {
	if !c.in.NetworkPolicy.Enabled && len(policies) > 0 {
		c.fail(RuleNetworkPolicyOff, "networkPolicies", "%d NetworkPolicies although spec.networkPolicy.enabled is false", len(policies))
	}
	names := map[string]string{}
	apiPolicies := 0
	for i := range policies {
		p := &policies[i]
		path := fmt.Sprintf("networkPolicies[%d]", i)
		c.checkObjectName(RuleNetworkPolicyName, path, p.Name, names)
		if p.Role == RoleAPI {
			apiPolicies++
		}
		c.checkRole(path, p)
		c.checkIngress(path, p)
	}
	if apiPolicies > 1 {
		c.fail(RuleNetworkPolicyRole, "networkPolicies", "%d policies with role %q, at most one", apiPolicies, RoleAPI)
	}
}

func (c *checker) checkRole(path string, p *NetworkPolicyDecision) {
	switch p.Role {
	case RoleAPI:
		if p.Adapter != "" {
			c.fail(RuleNetworkPolicyRole, path+".adapter", "%q on a policy with role %q, which belongs to no adapter", p.Adapter, RoleAPI)
		}
	case RoleAdapter:
		if _, ok := c.running[p.Adapter]; !ok {
			c.fail(RuleNetworkPolicyRole, path+".adapter", "%q is not an adapter the DittoFS API reports as running", p.Adapter)
		}
		c.failAll(RuleAdapterLabel, path+".adapter", p.Adapter, validation.IsValidLabelValue(p.Adapter))
	default:
		c.fail(RuleNetworkPolicyRole, path+".role", "%q is not %q or %q", p.Role, RoleAdapter, RoleAPI)
	}
}

// checkIngress: an adapter policy admits running adapters' ports only, the
// API policy the control-plane port only.
func (c *checker) checkIngress(path string, p *NetworkPolicyDecision) {
	for j, rule := range p.Ingress {
		rp := fmt.Sprintf("%s.ingress[%d]", path, j)
		for k, port := range rule.Ports {
			pp := fmt.Sprintf("%s.ports[%d]", rp, k)
			c.checkPort(pp+".port", port.Port)
			c.checkProtocol(pp+".protocol", port.Protocol)
			c.checkPolicyPort(pp+".port", p.Role, port.Port)
			if p.Role == RoleAdapter {
				c.checkNotControlPlane(pp+".port", p.Adapter, port.Port, "opened by an adapter NetworkPolicy")
				c.claim(pp+".port", p.Adapter, port.Port)
			}
		}
		for k := range rule.From {
			c.checkPeer(fmt.Sprintf("%s.from[%d]", rp, k), &rule.From[k])
		}
	}
}

func (c *checker) checkPolicyPort(path, role string, port int32) {
	switch {
	case role == RoleAPI && port != c.in.ControlPlane.Port:
		c.fail(RuleNetworkPolicyPort, path, "%d is not the control-plane port %d", port, c.in.ControlPlane.Port)
	case role == RoleAdapter && !c.ports[port] && port != c.in.ControlPlane.Port:
		c.fail(RuleNetworkPolicyPort, path, "%d is not the port of a running adapter", port)
	}
}

// checkPeer repeats the checks Kubernetes makes of a NetworkPolicyPeer, so
// that a bad peer refuses the decision before anything is applied.
func (c *checker) checkPeer(path string, peer *networkingv1.NetworkPolicyPeer) {
	selectors := peer.PodSelector != nil || peer.NamespaceSelector != nil
	switch {
	case peer.IPBlock == nil && !selectors:
		c.fail(RuleNetworkPolicyPeer, path, "a peer needs a podSelector, a namespaceSelector or an ipBlock")
	case peer.IPBlock != nil && selectors:
		c.fail(RuleNetworkPolicyPeer, path, "an ipBlock peer may not have selectors")
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	if peer.PodSelector != nil {
		c.failList(RuleNetworkPolicyPeer, metav1validation.ValidateLabelSelector(peer.PodSelector, opts, field.NewPath(path, "podSelector")))
	}
	if peer.NamespaceSelector != nil {
		c.failList(RuleNetworkPolicyPeer, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, opts, field.NewPath(path, "namespaceSelector")))
	}
	if peer.IPBlock != nil {
		c.checkIPBlock(path+".ipBlock", peer.IPBlock)
	}
}

func (c *checker) checkIPBlock(path string, block *networkingv1.IPBlock) {
	_, network, err := net.ParseCIDR(block.CIDR)
	if err != nil {
		c.fail(RuleNetworkPolicyPeer, path+".cidr", "%q is not a CIDR", block.CIDR)
		return
	}
	for i, except := range block.Except {
		ip, _, err := net.ParseCIDR(except)
		if err != nil || !network.Contains(ip) {
			c.fail(RuleNetworkPolicyPeer, fmt.Sprintf("%s.except[%d]", path, i), "%q is not a CIDR within %s", except, block.CIDR)
		}
	}
}

func (c *checker) checkContainerPorts(ports []ContainerPortDecision) {
	names := map[string]string{}
	numbers := map[string]string{}
	for i, p := range ports {
		path := fmt.Sprintf("containerPorts[%d]", i)
		c.checkPortName(path, p.Name, names)
		c.checkPort(path+".containerPort", p.ContainerPort)
		c.checkProtocol(path+".protocol", p.Protocol)
		if cp := c.in.ControlPlane.Port; p.ContainerPort == cp {
			c.fail(RulePortCollision, path+".containerPort", "adapter port %d (%q) collides with the control-plane port %d, which the pod declares for the DittoFS API",
				p.ContainerPort, p.Name, cp)
		} else if !c.ports[p.ContainerPort] {
			c.fail(RuleContainerPort, path+".containerPort", "%d is not the port of a running adapter", p.ContainerPort)
		}
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		if first, dup := numbers[key]; dup {
			c.fail(RuleContainerPort, path+".containerPort", "%s is also declared by %s", key, first)
			continue
		}
		numbers[key] = path
	}
}
