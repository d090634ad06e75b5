package controller

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// partConditions are the conditions Ready aggregates, in the order their
// failures are reported.
var partConditions = []string{
	dittov1.ConditionConfigReady,
	dittov1.ConditionAvailable,
	dittov1.ConditionAuthenticated,
	dittov1.ConditionAdaptersReady,
}

// setCondition records a condition; its transition time moves only when its
// status does, so repeating the same condition writes nothing.
func setCondition(server *dittov1.DittoServer, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&server.Status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: server.Generation,
	})
}

// summarize derives Ready, its reason and the phase from the other
// conditions.
func summarize(server *dittov1.DittoServer) {
	defer setReason(server)
	status := &server.Status
	status.ObservedGeneration = server.Generation
	if server.Spec.ReplicasOrDefault() == 0 {
		status.Phase = dittov1.PhaseStopped
		setCondition(server, dittov1.ConditionReady, metav1.ConditionFalse, "Stopped", "spec.replicas is 0")
		return
	}
	for _, t := range partConditions {
		c := meta.FindStatusCondition(status.Conditions, t)
		if c == nil || c.Status != metav1.ConditionTrue {
			reason, msg := "Pending", t+" is not reported yet"
			if c != nil {
				reason, msg = c.Reason, fmt.Sprintf("%s: %s", t, c.Message)
			}
			setCondition(server, dittov1.ConditionReady, metav1.ConditionFalse, reason, msg)
			status.Phase = phaseFor(server, t, c)
			return
		}
	}
	setCondition(server, dittov1.ConditionReady, metav1.ConditionTrue, "Ready", "the server is available and the cluster matches its adapters")
	status.Phase = dittov1.PhaseRunning
}

// setReason copies the reason of Ready while it is not True, for the
// REASON column of `kubectl get -o wide`.
func setReason(server *dittov1.DittoServer) {
	server.Status.Reason = ""
	if c := meta.FindStatusCondition(server.Status.Conditions, dittov1.ConditionReady); c != nil && c.Status != metav1.ConditionTrue {
		server.Status.Reason = c.Reason
	}
}

func phaseFor(server *dittov1.DittoServer, failing string, c *metav1.Condition) dittov1.Phase {
	switch {
	case failing == dittov1.ConditionConfigReady || failing == dittov1.ConditionAvailable:
		return dittov1.PhasePending
	case c != nil && c.Status == metav1.ConditionFalse && server.Status.Phase == dittov1.PhaseRunning:
		return dittov1.PhaseDegraded
	case server.Status.Phase == dittov1.PhaseDegraded && c != nil && c.Status == metav1.ConditionFalse:
		return dittov1.PhaseDegraded
	default:
		return dittov1.PhaseProvisioning
	}
}

// patchStatus writes the status only when it differs from original's.
// lastPollTime alone never causes a write, so a steady state costs none: it
// is refreshed whenever something else in the status changes. lock makes
// the write conditional on original's resourceVersion.
func (r *DittoServerReconciler) patchStatus(ctx context.Context, original, server *dittov1.DittoServer, lastSuccess time.Time, lock bool) error {
	server.Status.LastPollTime = original.Status.LastPollTime
	if equality.Semantic.DeepEqual(original.Status, server.Status) {
		return nil
	}
	if !lastSuccess.IsZero() {
		t := metav1.NewTime(lastSuccess.Truncate(time.Second))
		server.Status.LastPollTime = &t
	}
	var opts []client.MergeFromOption
	if lock {
		opts = append(opts, client.MergeFromWithOptimisticLock{})
	}
	if err := r.Status().Patch(ctx, server, client.MergeFromWithOptions(original, opts...)); err != nil {
		return fmt.Errorf("writing the status of DittoServer %s: %w", server.Name, err)
	}
	return nil
}
