package networking

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// goodDecision is what the default bundle decides for nfs and smb.
func goodDecision() *Decision {
	svc := func(name, adapter string, port int32) ServiceDecision {
		return ServiceDecision{
			Name: name, Adapter: adapter, Type: "LoadBalancer",
			Annotations: map[string]string{}, Labels: map[string]string{}, LoadBalancerSourceRanges: []string{},
			Ports: []ServicePortDecision{{Name: adapter, Port: port, TargetPort: port, Protocol: "TCP"}},
		}
	}
	np := func(name, adapter, role string, port int32) NetworkPolicyDecision {
		return NetworkPolicyDecision{Name: name, Adapter: adapter, Role: role, Ingress: []IngressRuleDecision{{
			Ports: []PolicyPortDecision{{Port: port, Protocol: "TCP"}},
			From:  []networkingv1.NetworkPolicyPeer{},
		}}}
	}
	return &Decision{
		Services:        []ServiceDecision{svc("fs1-nfs", "nfs", 12049), svc("fs1-smb", "smb", 1445)},
		NetworkPolicies: []NetworkPolicyDecision{np("fs1-api", "", RoleAPI, 8080), np("fs1-nfs", "nfs", RoleAdapter, 12049), np("fs1-smb", "smb", RoleAdapter, 1445)},
		ContainerPorts: []ContainerPortDecision{
			{Name: "nfs", ContainerPort: 12049, Protocol: "TCP"},
			{Name: "smb", ContainerPort: 1445, Protocol: "TCP"},
		},
		Deny: []string{}, Warnings: []string{},
	}
}

func TestGuardrailsAcceptTheDefaultDecision(t *testing.T) {
	if err := CheckDecision(testInput(nfs(), smb()), goodDecision()); err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, Options{})
	d := evaluate(t, e, testInput(nfs(), smb()))
	if err := CheckDecision(testInput(nfs(), smb()), d); err != nil {
		t.Fatal(err)
	}
}

func TestGuardrails(t *testing.T) {
	peer := func(p networkingv1.NetworkPolicyPeer) func(d *Decision) {
		return func(d *Decision) { d.NetworkPolicies[1].Ingress[0].From = []networkingv1.NetworkPolicyPeer{p} }
	}
	cases := []struct {
		name   string
		change func(d *Decision, in *Input)
		want   string
	}{
		{"bad service name", func(d *Decision, _ *Input) { d.Services[1].Name = "Bad_Name" },
			`guardrail "service-name": services[1].name: "Bad_Name": a DNS-1035 label must consist of lower case`},
		{"long service name", func(d *Decision, _ *Input) { d.Services[0].Name = strings.Repeat("a", 64) },
			`guardrail "service-name": services[0].name`},
		{"duplicate service names", func(d *Decision, _ *Input) { d.Services[1].Name = "fs1-nfs" },
			`guardrail "unique-name": services[1].name: "fs1-nfs" is also the name of services[0]`},
		{"bad network policy name", func(d *Decision, _ *Input) { d.NetworkPolicies[0].Name = "x." },
			`guardrail "network-policy-name": networkPolicies[0].name`},
		{"duplicate network policy names", func(d *Decision, _ *Input) { d.NetworkPolicies[2].Name = "fs1-nfs" },
			`guardrail "unique-name": networkPolicies[2].name`},
		{"external name service", func(d *Decision, _ *Input) { d.Services[0].Type = "ExternalName" },
			`guardrail "service-type": services[0].type: "ExternalName" is not one of ClusterIP, NodePort, LoadBalancer`},
		{"class on a node port", func(d *Decision, _ *Input) {
			d.Services[0].Type, d.Services[0].LoadBalancerClass = "NodePort", "x.io/lb"
		},
			`guardrail "service-fields": services[0].loadBalancerClass: set on a NodePort Service`},
		{"bad class", func(d *Decision, _ *Input) { d.Services[0].LoadBalancerClass = "not a class" },
			`guardrail "service-fields": services[0].loadBalancerClass: "not a class"`},
		{"ranges on a cluster IP", func(d *Decision, _ *Input) {
			d.Services[0].Type, d.Services[0].LoadBalancerSourceRanges = "ClusterIP", []string{"10.0.0.0/8"}
		}, `guardrail "service-fields": services[0].loadBalancerSourceRanges: set on a ClusterIP Service`},
		{"bad range", func(d *Decision, _ *Input) { d.Services[0].LoadBalancerSourceRanges = []string{"10.0.0.0"} },
			`guardrail "service-fields": services[0].loadBalancerSourceRanges[0]: "10.0.0.0" is not a CIDR`},
		{"traffic policy on a cluster IP", func(d *Decision, _ *Input) {
			d.Services[0].Type, d.Services[0].ExternalTrafficPolicy = "ClusterIP", "Local"
		}, `guardrail "service-fields": services[0].externalTrafficPolicy: set on a ClusterIP Service`},
		{"bad traffic policy", func(d *Decision, _ *Input) { d.Services[0].ExternalTrafficPolicy = "Nearest" },
			`guardrail "service-fields": services[0].externalTrafficPolicy: "Nearest" is not Cluster or Local`},
		{"unknown adapter", func(d *Decision, _ *Input) { d.Services[0].Adapter = "ftp" },
			`guardrail "service-adapter": services[0].adapter: "ftp" is not an adapter the DittoFS API reports as running`},
		{"stopped adapter", func(_ *Decision, in *Input) { in.Adapters[1].Running = false },
			`guardrail "service-adapter": services[1].adapter: "smb"`},
		{"target port nobody listens on", func(d *Decision, _ *Input) {
			d.Services[0].Ports[0].Port, d.Services[0].Ports[0].TargetPort = 2049, 2049
		}, `guardrail "service-port": services[0].ports[0].targetPort: 2049 is not the port 12049 of adapter "nfs"`},
		{"two Services publishing one port", func(d *Decision, _ *Input) { d.Services[1].Ports[0].Port = 12049 },
			`guardrail "port-collision": services[1].ports[0].port: adapter "smb" publishes port 12049/TCP, as adapter "nfs" does (services[0].ports[0].port): a published port serves one adapter`},
		{"a published port forwarded to the control-plane port", func(d *Decision, _ *Input) {
			d.Services[0].Ports[0].Port, d.Services[0].Ports[0].TargetPort = 2049, 8080
		}, `guardrail "port-collision": services[0].ports[0].targetPort: adapter "nfs" port 8080 collides with the control-plane port 8080`},
		{"target port of another adapter", func(d *Decision, _ *Input) { d.Services[0].Ports[0].TargetPort = 1445 },
			`guardrail "service-port": services[0].ports[0].targetPort: 1445 is not the port 12049 of adapter "nfs"`},
		{"no port", func(d *Decision, _ *Input) { d.Services[0].Ports = nil },
			`guardrail "service-port": services[0].ports: a Service needs at least one port`},
		{"port out of range", func(d *Decision, _ *Input) { d.ContainerPorts[0].ContainerPort = 70000 },
			`guardrail "port": containerPorts[0].containerPort: 70000 is outside 1-65535`},
		{"bad port name", func(d *Decision, _ *Input) { d.Services[0].Ports[0].Name = "nfs--v4" },
			`guardrail "port-name": services[0].ports[0].name: "nfs--v4"`},
		{"bad protocol", func(d *Decision, _ *Input) { d.Services[0].Ports[0].Protocol = "QUIC" },
			`guardrail "protocol": services[0].ports[0].protocol: "QUIC" is not one of TCP, UDP, SCTP`},
		{"bad label", func(d *Decision, _ *Input) { d.Services[0].Labels = map[string]string{"team": "a b"} },
			`guardrail "labels": services[0].labels: Invalid value: "a b"`},
		{"bad annotation", func(d *Decision, _ *Input) { d.Services[0].Annotations = map[string]string{"bad key": "x"} },
			`guardrail "annotations": services[0].annotations: Invalid value: "bad key"`},
		{"bad adapter label", func(d *Decision, in *Input) {
			in.Adapters[0].Type, d.Services[0].Adapter, d.NetworkPolicies[1].Adapter = "nfs_", "nfs_", "nfs_"
		}, `guardrail "adapter-label": services[0].adapter: "nfs_"`},
		{"instance name too long for a label", func(_ *Decision, in *Input) { in.Server.Name = strings.Repeat("a", 64) },
			`guardrail "instance-label": input.server.name`},
		{"too many services", func(d *Decision, _ *Input) {
			d.Services = append(d.Services, make([]ServiceDecision, MaxServices)...)
		}, `guardrail "object-count": services: 66 Services, at most 64`},
		{"policies although disabled", func(_ *Decision, in *Input) { in.NetworkPolicy.Enabled = false },
			`guardrail "network-policies-disabled": networkPolicies: 3 NetworkPolicies although spec.networkPolicy.enabled is false`},
		{"unknown role", func(d *Decision, _ *Input) { d.NetworkPolicies[1].Role = "extra" },
			`guardrail "network-policy-role": networkPolicies[1].role: "extra" is not "adapter" or "api"`},
		{"two api policies", func(d *Decision, _ *Input) { d.NetworkPolicies[1].Role, d.NetworkPolicies[1].Adapter = RoleAPI, "" },
			`guardrail "network-policy-role": networkPolicies: 2 policies with role "api", at most one`},
		{"api policy with an adapter", func(d *Decision, _ *Input) { d.NetworkPolicies[0].Adapter = "nfs" },
			`guardrail "network-policy-role": networkPolicies[0].adapter: "nfs" on a policy with role "api"`},
		{"policy of a stopped adapter", func(d *Decision, _ *Input) { d.NetworkPolicies[1].Adapter = "ftp" },
			`guardrail "network-policy-role": networkPolicies[1].adapter: "ftp"`},
		{"api policy on another port", func(d *Decision, _ *Input) { d.NetworkPolicies[0].Ingress[0].Ports[0].Port = 12049 },
			`guardrail "network-policy-port": networkPolicies[0].ingress[0].ports[0].port: 12049 is not the control-plane port 8080`},
		{"adapter policy on another port", func(d *Decision, _ *Input) { d.NetworkPolicies[1].Ingress[0].Ports[0].Port = 2049 },
			`guardrail "network-policy-port": networkPolicies[1].ingress[0].ports[0].port: 2049 is not the port of a running adapter`},
		{"adapter Service on the control-plane port", func(d *Decision, in *Input) {
			in.Adapters[0].Port, d.Services[0].Ports[0].Port, d.Services[0].Ports[0].TargetPort = 8080, 8080, 8080
		}, `guardrail "port-collision": services[0].ports[0].targetPort: adapter "nfs" port 8080 collides with the control-plane port 8080 of the DittoFS API, which is never published by an adapter Service`},
		{"adapter Service port on the control-plane port", func(d *Decision, _ *Input) { d.Services[0].Ports[0].Port = 8080 },
			`guardrail "port-collision": services[0].ports[0].port: adapter "nfs" port 8080 collides with the control-plane port 8080`},
		{"adapter policy on the control-plane port", func(d *Decision, in *Input) {
			in.Adapters[0].Port, d.NetworkPolicies[1].Ingress[0].Ports[0].Port = 8080, 8080
		}, `guardrail "port-collision": networkPolicies[1].ingress[0].ports[0].port: adapter "nfs" port 8080 collides with the control-plane port 8080 of the DittoFS API, which is never opened by an adapter NetworkPolicy`},
		{"container port on the control-plane port", func(d *Decision, _ *Input) { d.ContainerPorts[0].ContainerPort = 8080 },
			`guardrail "port-collision": containerPorts[0].containerPort: adapter port 8080 ("nfs") collides with the control-plane port 8080, which the pod declares for the DittoFS API`},
		{"a moved control-plane port", func(_ *Decision, in *Input) { in.ControlPlane.Port = 1445 },
			`guardrail "port-collision": services[1].ports[0].port: adapter "smb" port 1445 collides with the control-plane port 1445`},
		{"two adapters on one port", func(d *Decision, in *Input) {
			in.Adapters[1].Port = 12049
			d.Services[1].Ports[0].Port, d.Services[1].Ports[0].TargetPort = 12049, 12049
		}, `guardrail "port-collision": services[1].ports[0].targetPort: adapter "smb" port 12049 collides with adapter "nfs" port 12049 (services[0].ports[0].targetPort): a port serves one adapter`},
		{"adapter policy admitting another adapter's port", func(d *Decision, _ *Input) { d.NetworkPolicies[1].Ingress[0].Ports[0].Port = 1445 },
			`guardrail "port-collision": networkPolicies[1].ingress[0].ports[0].port: adapter "nfs" port 1445 collides with adapter "smb" port 1445 (services[1].ports[0].targetPort): a port serves one adapter`},
		{"empty peer", func(d *Decision, _ *Input) { peer(networkingv1.NetworkPolicyPeer{})(d) },
			`guardrail "network-policy-peer": networkPolicies[1].ingress[0].from[0]: a peer needs a podSelector, a namespaceSelector or an ipBlock`},
		{"ip block with selector", func(d *Decision, _ *Input) {
			peer(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, PodSelector: &metav1.LabelSelector{}})(d)
		}, `guardrail "network-policy-peer": networkPolicies[1].ingress[0].from[0]: an ipBlock peer may not have selectors`},
		{"bad cidr", func(d *Decision, _ *Input) {
			peer(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0"}})(d)
		},
			`guardrail "network-policy-peer": networkPolicies[1].ingress[0].from[0].ipBlock.cidr: "10.0.0.0" is not a CIDR`},
		{"except outside the block", func(d *Decision, _ *Input) {
			peer(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16"}}})(d)
		}, `guardrail "network-policy-peer": networkPolicies[1].ingress[0].from[0].ipBlock.except[0]: "192.168.0.0/16" is not a CIDR within 10.0.0.0/8`},
		{"bad selector", func(d *Decision, _ *Input) {
			peer(networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}})(d)
		}, `guardrail "network-policy-peer": networkPolicies[1].ingress[0].from[0].podSelector.matchExpressions[0].operator`},
		{"container port nobody listens on", func(d *Decision, _ *Input) { d.ContainerPorts[1].ContainerPort = 2049 },
			`guardrail "container-port": containerPorts[1].containerPort: 2049 is not the port of a running adapter`},
		{"duplicate container port", func(d *Decision, _ *Input) { d.ContainerPorts[1].ContainerPort = 12049 },
			`guardrail "container-port": containerPorts[1].containerPort: 12049/TCP is also declared by containerPorts[0]`},
		{"duplicate container port name", func(d *Decision, _ *Input) { d.ContainerPorts[1].Name = "nfs" },
			`guardrail "unique-name": containerPorts[1].name: "nfs" is also the name of containerPorts[0]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, in := goodDecision(), testInput(nfs(), smb())
			tc.change(d, &in)
			err := CheckDecision(in, d)
			if !errors.Is(err, ErrGuardrail) {
				t.Fatalf("err = %v, want a guardrail violation", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
}

// A Service may publish a port other than its adapter's: NFS clients expect
// 2049 while DittoFS listens on 12049. Its targetPort, NetworkPolicy and
// container port stay on the adapter's port.
func TestGuardrailsAcceptAPublishedPortOtherThanTheAdapters(t *testing.T) {
	d := goodDecision()
	d.Services[0].Ports[0].Port = 2049
	d.Services[1].Ports[0].Port = 12049 // smb's Service may publish what is nfs's pod port
	if err := CheckDecision(testInput(nfs(), smb()), d); err != nil {
		t.Fatal(err)
	}
	in := testInput(nfs(), smb())
	in.AdapterService.Overrides = map[string]ServiceOverride{"nfs": {Port: 2049, Annotations: map[string]string{}}}
	e := newTestEngine(t, Options{})
	decided := evaluate(t, e, in)
	if got := decided.Services[0].Ports[0]; got.Port != 2049 || got.TargetPort != 12049 {
		t.Fatalf("the bundle decided %+v, want 2049 → 12049", got)
	}
	if err := CheckDecision(in, decided); err != nil {
		t.Fatal(err)
	}
}

func TestGuardrailsReportEveryViolation(t *testing.T) {
	d := goodDecision()
	d.Services[0].Name = "Bad_Name"
	d.Services[1].Type = "ExternalName"
	err := CheckDecision(testInput(nfs(), smb()), d)
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	var v *Violation
	if !errors.As(err, &v) || v.Rule != RuleServiceName || v.Field != "services[0].name" {
		t.Errorf("first violation = %+v", v)
	}
	if !strings.HasPrefix(err.Error(), "2 guardrail violations: ") {
		t.Errorf("err = %v", err)
	}
}
