package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Clients mount a share by its Service's address. Disabling and enabling an
// adapter again (a settings change, an upgrade) must not cost that address,
// so the Service of an adapter that stops is kept for
// spec.adapterService.retention and given back, updated in place, if the
// adapter returns on any port. Its NetworkPolicy goes at once: the port
// closes while nothing listens behind it.
//
// The stop time is an annotation on the Service itself, so that the period
// survives a restart of the operator. Only a successful listing starts the
// clock (there is no plan without one), and while the DittoFS API cannot be
// read nothing is deleted, whatever the clock says: the adapter may be back.

// retainedService is the Service of a stopped adapter, kept for it.
type retainedService struct {
	adapter     string
	name        string
	serviceType string
	port        int32 // the port the adapter listened on
	until       time.Time
}

// retainOrDelete keeps the Service of an adapter that no longer has one in
// the plan, or deletes it when its retention is over or when keeping it
// would route clients to something else. The latter holds even while the
// API cannot be read: a Service forwarding to the control-plane port, or to
// the port the plan publishes for another adapter, is never kept. A kept
// Service is added to plan.retained.
func (r *DittoServerReconciler) retainOrDelete(ctx context.Context, server *dittov1.DittoServer, st *serverState, svc *corev1.Service, plan *adapterPlan) error {
	adapter := svc.Labels[dittov1.LabelAdapter]
	retention := server.Spec.RetentionOrDefault()
	if reason := retentionConflict(server, svc, plan); reason != "" {
		return r.deleteStoppedService(ctx, server, svc, reason)
	}
	if retention == 0 {
		return r.deleteStoppedService(ctx, server, svc, "adapter stopped")
	}
	if st.poll.outage {
		// The listing is stale: the adapter may be back already. Nothing
		// starts, and nothing ends, until the API answers again.
		if since, ok := stoppedAt(svc); ok {
			plan.retained = append(plan.retained, retained(svc, adapter, since.Add(retention)))
		}
		return nil
	}
	now := r.clock().Now()
	since, marked := stoppedAt(svc)
	if !marked {
		// The annotation keeps whole seconds: the period is counted from
		// what it says, in this reconcile as in the next ones.
		since = now.UTC().Truncate(time.Second)
		if err := r.markStopped(ctx, svc, since); err != nil {
			return err
		}
		until := since.Add(retention)
		r.noteChange(server, svc, "Retained", "Retain",
			"Keeping %s Service %s until %s (spec.adapterService.retention %s): adapter stopped; "+
				"if it returns, on any port, it gets the same Service and address back. Its NetworkPolicy is removed: nothing serves port %d meanwhile",
			adapterWord(adapter), svc.Name, until.UTC().Format(time.RFC3339), retention, targetPortOf(svc))
		plan.retained = append(plan.retained, retained(svc, adapter, until))
		return nil
	}
	until := since.Add(retention)
	if now.Before(until) {
		plan.retained = append(plan.retained, retained(svc, adapter, until))
		return nil
	}
	return r.deleteStoppedService(ctx, server, svc, fmt.Sprintf(
		"adapter stopped at %s and did not return within spec.adapterService.retention (%s)", since.UTC().Format(time.RFC3339), retention))
}

func retained(svc *corev1.Service, adapter string, until time.Time) retainedService {
	return retainedService{
		adapter: adapter, name: svc.Name, serviceType: string(svc.Spec.Type), port: targetPortOf(svc), until: until,
	}
}

// retentionConflict says why a stopped adapter's Service may not be kept:
// it would forward to a port that now serves something else (another
// adapter, or the control-plane API after spec.controlPlane.port moved),
// or publish a port another adapter's Service publishes. "" when none.
func retentionConflict(server *dittov1.DittoServer, svc *corev1.Service, plan *adapterPlan) string {
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort.IntVal
		if target == server.Spec.APIPort() {
			return fmt.Sprintf("its target port %d is now the control-plane port", target)
		}
		for _, a := range plan.adapters {
			if a.Enabled && a.Running && a.Port == target && a.Type != svc.Labels[dittov1.LabelAdapter] {
				return fmt.Sprintf("its target port %d now serves adapter %s", target, adapterWord(a.Type))
			}
		}
		for _, s := range plan.decision.Services {
			for _, sp := range s.Ports {
				if sp.Port == p.Port && corev1.Protocol(sp.Protocol) == p.Protocol {
					return fmt.Sprintf("its port %d is now published by Service %s", p.Port, s.Name)
				}
			}
		}
	}
	return ""
}

// stoppedAt reads when the operator found the Service's adapter stopped.
func stoppedAt(svc *corev1.Service) (time.Time, bool) {
	value, ok := svc.Annotations[dittov1.AnnotationStoppedAt]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, value)
	return t, err == nil
}

// isRetained: the Service was kept for an adapter that had stopped.
func isRetained(svc *corev1.Service) bool {
	_, ok := svc.Annotations[dittov1.AnnotationStoppedAt]
	return ok
}

// markStopped records the stop time on the Service with the fields the
// operator already owns, so that its next apply of the Service, when the
// adapter returns, removes the annotation by leaving it out; nothing else
// of the Service changes.
func (r *DittoServerReconciler) markStopped(ctx context.Context, svc *corev1.Service, now time.Time) error {
	owned, err := corev1ac.ExtractService(svc, FieldOwner)
	if err != nil {
		return fmt.Errorf("reading the fields the operator owns on Service %s: %w", svc.Name, err)
	}
	owned.WithAnnotations(map[string]string{dittov1.AnnotationStoppedAt: now.UTC().Format(time.RFC3339)})
	if err := r.Apply(ctx, owned, fieldOwnerOption, client.ForceOwnership); err != nil {
		return fmt.Errorf("marking Service %s as kept for its stopped adapter: %w", svc.Name, err)
	}
	return nil
}

// deleteStoppedService deletes the Service of a stopped adapter.
func (r *DittoServerReconciler) deleteStoppedService(ctx context.Context, server *dittov1.DittoServer, svc *corev1.Service, why string) error {
	if err := r.Delete(ctx, svc, client.Preconditions{UID: &svc.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting Service %s: %w", svc.Name, err)
	}
	r.noteChange(server, svc, "Deleted", "Delete", "Deleted %s Service %s: %s",
		adapterWord(svc.Labels[dittov1.LabelAdapter]), svc.Name, why)
	return nil
}

// reportReturn notes, for the reconcile's event, that a kept Service serves
// its adapter again.
func (r *DittoServerReconciler) reportReturn(server *dittov1.DittoServer, live *corev1.Service, desired *corev1ac.ServiceApplyConfiguration) {
	kept := "since it stopped"
	if since, ok := stoppedAt(live); ok {
		kept = fmt.Sprintf("%s after it stopped", r.clock().Since(since).Round(time.Second))
	}
	address := strings.Join(ingressAddresses(live), ",")
	if address == "" {
		address = live.Spec.ClusterIP
	}
	r.noteChange(server, live, "Reused", "Reuse",
		"%s adapter is back %s: Service %s serves it again on port %s at the same address %s",
		adapterWord(live.Labels[dittov1.LabelAdapter]), kept, live.Name, desiredServicePorts(desired), address)
}

// targetPortOf is the port a Service forwards to (its first port's).
func targetPortOf(svc *corev1.Service) int32 {
	if len(svc.Spec.Ports) == 0 {
		return 0
	}
	if t := svc.Spec.Ports[0].TargetPort.IntVal; t != 0 {
		return t
	}
	return svc.Spec.Ports[0].Port
}

// retainedByAdapter indexes the kept Services by adapter type.
func (p *adapterPlan) retainedByAdapter() map[string]retainedService {
	out := make(map[string]retainedService, len(p.retained))
	for _, s := range p.retained {
		out[s.adapter] = s
	}
	return out
}

// retentionRecheck is how long until the first kept Service's period ends;
// zero when none is kept.
func (p *adapterPlan) retentionRecheck(now time.Time) time.Duration {
	var next time.Duration
	for _, s := range p.retained {
		wait := s.until.Sub(now)
		if wait <= 0 {
			continue // ended during an outage: the polls that retry decide
		}
		if next == 0 || wait < next {
			next = wait
		}
	}
	return next
}

// retainedText lists the kept Services for the AdaptersReady condition.
func retainedText(retained []retainedService) string {
	parts := make([]string, 0, len(retained))
	for _, s := range retained {
		parts = append(parts, fmt.Sprintf("%s (%s, until %s)", s.name, s.adapter, s.until.UTC().Format(time.RFC3339)))
	}
	sort.Strings(parts)
	return "Services kept for stopped adapters, serving nothing until they return: " + strings.Join(parts, ", ")
}

// retainedMessage explains a kept Service on its adapter's status entry.
func retainedMessage(s retainedService) string {
	return fmt.Sprintf("not running: Service %s is kept until %s (spec.adapterService.retention) so that the adapter gets its address back "+
		"if it returns; it still selects the pod, but nothing listens on port %d and its NetworkPolicy is removed",
		s.name, s.until.UTC().Format(time.RFC3339), s.port)
}
