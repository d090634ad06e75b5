package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

func TestSummarize(t *testing.T) {
	allTrue := func(s *dittov1.DittoServer) {
		for _, c := range partConditions {
			setCondition(s, c, metav1.ConditionTrue, "OK", "ok")
		}
	}
	for _, tc := range []struct {
		name              string
		was               dittov1.Phase
		setup             func(*dittov1.DittoServer)
		wantReady         metav1.ConditionStatus
		wantReason        string
		wantPhase         dittov1.Phase
		wantColumnReason  string
		wantMessagePrefix string
	}{
		{"nothing reported yet", "", func(*dittov1.DittoServer) {}, metav1.ConditionFalse, "Pending", dittov1.PhasePending, "Pending", "ConfigReady is not reported yet"},
		{"every part true", "", allTrue, metav1.ConditionTrue, "Ready", dittov1.PhaseRunning, "", "the server is available"},
		{"the pod not ready", dittov1.PhaseRunning, func(s *dittov1.DittoServer) {
			allTrue(s)
			setCondition(s, dittov1.ConditionAvailable, metav1.ConditionFalse, "PodNotReady", "the DittoFS pod is not ready")
		}, metav1.ConditionFalse, "PodNotReady", dittov1.PhasePending, "PodNotReady", "Available: the DittoFS pod"},
		{"first poll pending", "", func(s *dittov1.DittoServer) {
			allTrue(s)
			setCondition(s, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, "AwaitingFirstPoll", "not yet")
		}, metav1.ConditionFalse, "AwaitingFirstPoll", dittov1.PhaseProvisioning, "AwaitingFirstPoll", "AdaptersReady: not yet"},
		{"running, then a load balancer pending", dittov1.PhaseRunning, func(s *dittov1.DittoServer) {
			allTrue(s)
			setCondition(s, dittov1.ConditionAdaptersReady, metav1.ConditionFalse, "LoadBalancerPending", "no address")
		}, metav1.ConditionFalse, "LoadBalancerPending", dittov1.PhaseDegraded, "LoadBalancerPending", "AdaptersReady: no address"},
		{"degraded stays degraded", dittov1.PhaseDegraded, func(s *dittov1.DittoServer) {
			allTrue(s)
			setCondition(s, dittov1.ConditionAuthenticated, metav1.ConditionFalse, "Unauthorized", "401")
		}, metav1.ConditionFalse, "Unauthorized", dittov1.PhaseDegraded, "Unauthorized", "Authenticated: 401"},
		{"scaled to zero", dittov1.PhaseRunning, func(s *dittov1.DittoServer) {
			allTrue(s)
			s.Spec.Replicas = ptr.To[int32](0)
		}, metav1.ConditionFalse, "Stopped", dittov1.PhaseStopped, "Stopped", "spec.replicas is 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := testServer()
			server.Status.Phase = tc.was
			tc.setup(server)
			summarize(server)
			ready := findCondition(server, dittov1.ConditionReady)
			switch {
			case ready == nil:
				t.Fatal("no Ready condition")
			case ready.Status != tc.wantReady || ready.Reason != tc.wantReason:
				t.Errorf("Ready = %s/%s, want %s/%s", ready.Status, ready.Reason, tc.wantReady, tc.wantReason)
			case len(ready.Message) < len(tc.wantMessagePrefix) || ready.Message[:len(tc.wantMessagePrefix)] != tc.wantMessagePrefix:
				t.Errorf("Ready message %q, want it to start with %q", ready.Message, tc.wantMessagePrefix)
			}
			if server.Status.Phase != tc.wantPhase {
				t.Errorf("phase = %s, want %s", server.Status.Phase, tc.wantPhase)
			}
			if server.Status.Reason != tc.wantColumnReason {
				t.Errorf("status.reason = %q, want %q", server.Status.Reason, tc.wantColumnReason)
			}
			if server.Status.ObservedGeneration != server.Generation {
				t.Errorf("observedGeneration = %d", server.Status.ObservedGeneration)
			}
		})
	}
}

func findCondition(server *dittov1.DittoServer, condType string) *metav1.Condition {
	for i := range server.Status.Conditions {
		if server.Status.Conditions[i].Type == condType {
			return &server.Status.Conditions[i]
		}
	}
	return nil
}

func TestSetConditionKeepsItsTransitionTime(t *testing.T) {
	server := testServer()
	setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, "PodNotReady", "a")
	first := findCondition(server, dittov1.ConditionAvailable).LastTransitionTime
	first.Time = first.Add(-1e9) // as if set a second ago
	findCondition(server, dittov1.ConditionAvailable).LastTransitionTime = first
	setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, "RollingOut", "b")
	if got := findCondition(server, dittov1.ConditionAvailable); !got.LastTransitionTime.Equal(&first) || got.Reason != "RollingOut" {
		t.Errorf("same status: transition %s (want %s), reason %s", got.LastTransitionTime, first, got.Reason)
	}
	setCondition(server, dittov1.ConditionAvailable, metav1.ConditionTrue, "PodReady", "c")
	if got := findCondition(server, dittov1.ConditionAvailable); got.LastTransitionTime.Equal(&first) {
		t.Error("a new status kept the old transition time")
	}
}
