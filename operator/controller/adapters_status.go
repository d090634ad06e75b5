package controller

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// setAdapterStatus records the adapters, how clients reach them, and the
// decision's warnings about each.
func setAdapterStatus(server *dittov1.DittoServer, plan *adapterPlan, services map[string]*corev1.Service) {
	decided := map[string]networking.ServiceDecision{}
	for _, s := range plan.decision.Services {
		decided[s.Adapter] = s
	}
	warnings, _ := adapterWarnings(plan.decision.Warnings, adapterTypes(plan.adapters))
	retained := plan.retainedByAdapter()
	statuses := make([]dittov1.AdapterStatus, 0, len(plan.adapters))
	var endpoints []string
	for _, a := range plan.adapters {
		st := dittov1.AdapterStatus{
			Type: a.Type, Port: a.Port, PortDefaulted: a.PortDefaulted, Enabled: a.Enabled, Running: a.Running,
			Message: strings.Join(warnings[a.Type], "; "),
		}
		// Only a Service that exists is reported: not one the API server
		// refused, nor one waiting for its predecessor to go.
		if s, ok := decided[a.Type]; ok && services[a.Type] != nil {
			st.ServiceName, st.ServiceType = s.Name, s.Type
			if len(s.Ports) > 0 {
				st.ServicePort = s.Ports[0].Port
			}
			st.Endpoints = serviceEndpoints(services[a.Type])
			if len(st.Endpoints) > 0 {
				endpoints = append(endpoints, a.Type+"="+st.Endpoints[0])
			}
		} else if k, ok := retained[a.Type]; ok {
			// Kept for its address; it serves nothing, so it has no endpoints.
			st.ServiceName, st.ServiceType = k.name, k.serviceType
			st.RetainedUntil = &metav1.Time{Time: k.until}
			st.Message = joinMessages(retainedMessage(k), st.Message)
		}
		statuses = append(statuses, st)
	}
	sort.Slice(statuses, func(i, j int) bool { return statuses[i].Type < statuses[j].Type })
	sort.Strings(endpoints)
	server.Status.Adapters = statuses
	server.Status.RunningAdapters = runningSummary(plan.adapters)
	server.Status.Endpoints = strings.Join(endpoints, ",")
}

func joinMessages(msgs ...string) string {
	var kept []string
	for _, m := range msgs {
		if m != "" {
			kept = append(kept, m)
		}
	}
	return strings.Join(kept, "; ")
}

// endpointPending stands for the address a load balancer has not assigned
// yet.
const endpointPending = "pending"

// noAdapterRunning is the running-adapter summary when the API reports none
// running: what kubectl writes in an empty column of the kinds it knows.
const noAdapterRunning = "<none>"

// runningSummary lists the running adapters, e.g. "nfs:12049,smb:1445".
func runningSummary(adapters []networking.Adapter) string {
	var running []string
	for _, a := range adapters {
		if a.Enabled && a.Running {
			running = append(running, fmt.Sprintf("%s:%d", a.Type, a.Port))
		}
	}
	if len(running) == 0 {
		return noAdapterRunning
	}
	sort.Strings(running)
	return strings.Join(running, ",")
}

// setListedAdapters records the adapters of a listing the policy did not
// let through: the status shows what the API reported, and, since nothing
// was applied, each adapter keeps the Service it had. A type listed twice
// (which the policy denies) is recorded once.
func setListedAdapters(server *dittov1.DittoServer, adapters []networking.Adapter) {
	had := map[string]dittov1.AdapterStatus{}
	for _, a := range server.Status.Adapters {
		had[a.Type] = a
	}
	statuses := make([]dittov1.AdapterStatus, 0, len(adapters))
	seen := map[string]bool{}
	for _, a := range adapters {
		if seen[a.Type] {
			continue
		}
		seen[a.Type] = true
		old := had[a.Type]
		statuses = append(statuses, dittov1.AdapterStatus{
			Type: a.Type, Port: a.Port, PortDefaulted: a.PortDefaulted, Enabled: a.Enabled, Running: a.Running,
			ServiceName: old.ServiceName, ServiceType: old.ServiceType, Endpoints: old.Endpoints,
		})
	}
	sort.Slice(statuses, func(i, j int) bool { return statuses[i].Type < statuses[j].Type })
	server.Status.Adapters = statuses
	server.Status.RunningAdapters = runningSummary(adapters)
}

// serviceEndpoints lists how clients reach a Service, most external first:
// load-balancer addresses (or pending while a LoadBalancer has none), node
// ports, then the cluster IP.
func serviceEndpoints(svc *corev1.Service) []string {
	if svc == nil {
		return nil
	}
	var out []string
	if awaitsAddress(svc) {
		out = append(out, endpointPending)
	}
	for _, port := range svc.Spec.Ports {
		for _, host := range ingressAddresses(svc) {
			out = append(out, fmt.Sprintf("%s:%d", host, port.Port))
		}
	}
	for _, port := range svc.Spec.Ports {
		if port.NodePort != 0 {
			out = append(out, fmt.Sprintf("node:%d", port.NodePort))
		}
	}
	if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		for _, port := range svc.Spec.Ports {
			out = append(out, fmt.Sprintf("%s:%d", ip, port.Port))
		}
	}
	return out
}

// setAdaptersReady reports whether the cluster follows the adapters, and
// what the user must know when it does not. lb reports the load balancers.
func setAdaptersReady(server *dittov1.DittoServer, p *pollState, plan *adapterPlan, applyErr error, lb loadBalancerReport) {
	switch {
	case p.outage:
		setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, "PollFailed",
			fmt.Sprintf("cannot read adapters from the DittoFS API: %s; every adapter object stays as it is; %s",
				p.failure, lastSuccessText(p.lastSuccess)))
	case plan == nil:
		setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, "AwaitingFirstPoll",
			"the adapters have not been read from the DittoFS API yet")
	case applyErr != nil:
		setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, reasonFor(applyErr, "ApplyFailed"), applyErr.Error())
	case len(lb.overdue) > 0:
		setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, "LoadBalancerPending", fmt.Sprintf(
			"no load-balancer address for Service %s after %s: install a load-balancer controller (such as MetalLB) "+
				"or set spec.adapterService.type (or a per-adapter override) to NodePort",
			strings.Join(lb.overdue, ", "), loadBalancerGrace(server)))
	default:
		msg := "no adapter is running"
		if running := server.Status.RunningAdapters; running != "" && running != noAdapterRunning {
			msg = "running adapters: " + running
		}
		if pending := server.Status.PendingPorts; pending != nil {
			msg += "; container ports wait for the next pod rollout (spec.adapterPorts.rollout Deferred): " + pendingText(pending)
		}
		if len(plan.retained) > 0 {
			msg += "; " + retainedText(plan.retained)
		}
		if _, general := adapterWarnings(plan.decision.Warnings, adapterTypes(plan.adapters)); len(general) > 0 {
			msg += "; policy warnings: " + strings.Join(general, "; ")
		}
		setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionTrue, "Synced", msg)
	}
}

func adapterTypes(adapters []networking.Adapter) []string {
	types := make([]string, 0, len(adapters))
	for _, a := range adapters {
		types = append(types, a.Type)
	}
	return types
}

func lastSuccessText(t time.Time) string {
	if t.IsZero() {
		return "no poll has succeeded since the operator started"
	}
	return "last successful poll at " + t.UTC().Format(time.RFC3339)
}

// pendingText describes pending container ports: "+smb:1445/TCP -nfs:2049/TCP".
func pendingText(p *dittov1.PendingPortsStatus) string {
	parts := make([]string, 0, len(p.Add)+len(p.Remove))
	for _, a := range p.Add {
		parts = append(parts, "+"+a)
	}
	for _, r := range p.Remove {
		parts = append(parts, "-"+r)
	}
	return strings.Join(parts, " ")
}
