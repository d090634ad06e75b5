package controller

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// What a user most wants to see is reported where they look: on the
// adapter's status entry, once as an event, and on AdaptersReady.

// Load balancers that never get an address are the most common surprise
// on a cluster without a load-balancer controller (bare metal, kind): the
// Service stays <pending> and nothing else says why.

// loadBalancerGraceIntervals and minLoadBalancerGrace give a load
// balancer time to get its address before the operator calls it pending:
// three poll intervals, and at least 30s, which cloud load balancers need.
const (
	loadBalancerGraceIntervals = 3
	minLoadBalancerGrace       = 30 * time.Second
)

// loadBalancerGrace is how long a new LoadBalancer Service of server may
// wait for its address.
func loadBalancerGrace(server *dittov1.DittoServer) time.Duration {
	return max(loadBalancerGraceIntervals*server.Spec.PollInterval(), minLoadBalancerGrace)
}

// awaitsAddress: a LoadBalancer Service without an address yet.
func awaitsAddress(svc *corev1.Service) bool {
	return svc != nil && svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) == 0
}

// loadBalancerReport is what the adapter Services' load balancers need
// reported after a reconcile.
type loadBalancerReport struct {
	// overdue are the Services, sorted, still without an address after
	// their grace period.
	overdue []string
	// recheckIn is when a Service within its grace period becomes overdue;
	// zero when none is waiting.
	recheckIn time.Duration
}

// reportLoadBalancers records one Warning event per Service whose load
// balancer has no address after the grace period, saying what to do, and
// one Normal event when an address this operator saw pending arrives.
func (r *DittoServerReconciler) reportLoadBalancers(server *dittov1.DittoServer, st *serverState, services map[string]*corev1.Service) loadBalancerReport {
	now := r.clock().Now()
	grace := loadBalancerGrace(server)
	var report loadBalancerReport
	seen := map[types.UID]bool{}
	for _, adapter := range sortedKeys(services) {
		svc := services[adapter]
		if svc == nil || svc.UID == "" {
			continue // just created: its status follows in the next reconcile
		}
		seen[svc.UID] = true
		topic := "loadBalancer/" + string(svc.UID)
		if !awaitsAddress(svc) {
			if st.pendingLoadBalancers[svc.UID] {
				r.event(server, svc, corev1.EventTypeNormal, "LoadBalancerAssigned", "Publish",
					"%s Service %s has its load-balancer address: %s", adapterWord(adapter), svc.Name, strings.Join(ingressAddresses(svc), ","))
				st.forgetWarning(topic)
			}
			delete(st.pendingLoadBalancers, svc.UID)
			continue
		}
		if st.pendingLoadBalancers == nil {
			st.pendingLoadBalancers = map[types.UID]bool{}
		}
		st.pendingLoadBalancers[svc.UID] = true
		if wait := svc.CreationTimestamp.Add(grace).Sub(now); wait > 0 {
			if report.recheckIn == 0 || wait < report.recheckIn {
				report.recheckIn = wait
			}
			continue
		}
		report.overdue = append(report.overdue, svc.Name)
		r.warnOnce(server, st, topic, svc, "LoadBalancerPending", pendingAdvice(server, adapter, svc, grace))
	}
	for uid := range st.pendingLoadBalancers {
		if !seen[uid] {
			delete(st.pendingLoadBalancers, uid) // the Service went
		}
	}
	return report
}

// pendingAdvice says what to do about a load balancer that gets no address.
func pendingAdvice(server *dittov1.DittoServer, adapter string, svc *corev1.Service, grace time.Duration) string {
	return fmt.Sprintf("%s Service %s has had no load-balancer address for more than %s: the cluster seems to run no "+
		"load-balancer controller for it (bare metal, kind, or a loadBalancerClass no controller serves). Install one, "+
		"such as MetalLB, or publish the adapter another way: spec.adapterService.type: NodePort for every adapter, or "+
		"spec.adapterService.overrides.%s.type: NodePort for this one; meanwhile clients can use %s",
		adapterWord(adapter), svc.Name, grace, adapter, strings.Join(fallbackEndpoints(svc), " or "))
}

// fallbackEndpoints are the endpoints that work without a load balancer.
func fallbackEndpoints(svc *corev1.Service) []string {
	var out []string
	for _, e := range serviceEndpoints(svc) {
		if e != endpointPending {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return []string{"no other endpoint"}
	}
	return out
}

func ingressAddresses(svc *corev1.Service) []string {
	var out []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			out = append(out, ing.IP)
		} else if ing.Hostname != "" {
			out = append(out, ing.Hostname)
		}
	}
	return out
}

// adapterWarnings sorts a decision's warnings by the adapter they name
// (`adapter "nfs"`, as the policies quote it); the others name no adapter.
func adapterWarnings(warnings []string, adapters []string) (byAdapter map[string][]string, general []string) {
	byAdapter = map[string][]string{}
	for _, w := range warnings {
		named := false
		for _, a := range adapters {
			if strings.Contains(w, fmt.Sprintf("adapter %q", a)) {
				byAdapter[a] = append(byAdapter[a], w)
				named = true
			}
		}
		if !named {
			general = append(general, w)
		}
	}
	return byAdapter, general
}

// reportWarnings records one Warning event per distinct decision warning,
// when it first appears; a warning that goes and comes back is reported
// again.
func (r *DittoServerReconciler) reportWarnings(server *dittov1.DittoServer, st *serverState, warnings []string) {
	current := make(map[string]bool, len(warnings))
	for _, w := range warnings {
		current[w] = true
		if !st.decisionWarnings[w] {
			r.event(server, nil, corev1.EventTypeWarning, "PolicyWarning", actionFor(w), "%s", w)
		}
	}
	st.decisionWarnings = current
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
