package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Recreating a LoadBalancer Service changes its external address and drops
// every client, so the same Service is recreated at most once per window,
// the window doubling up to recreateBackoffMax while recreates repeat.
const (
	recreateBackoffInitial = time.Minute
	recreateBackoffMax     = 30 * time.Minute
)

// classAction is what a difference in spec.loadBalancerClass calls for.
type classAction int

const (
	// classKeep: nothing to do, the apply leaves the class as it is.
	classKeep classAction = iota
	// classRecreate: the class the operator set must change, which
	// Kubernetes allows only by recreating the Service.
	classRecreate
	// classForeign: the class was set by someone else (a mutating webhook
	// such as the AWS Load Balancer Controller's, or a user) and differs
	// from the spec; the operator does not destroy a Service over a value it
	// did not set, and leaves the class out of its apply.
	classForeign
)

// loadBalancerClassAction decides from the fields the operator owns, never
// from a live value others set. owned is what the operator applied last
// (corev1ac.ExtractService); a class set by a mutating webhook at creation
// belongs to no field manager.
func loadBalancerClassAction(live *corev1.Service, owned, desired *corev1ac.ServiceApplyConfiguration) classAction {
	have := ptr.Deref(live.Spec.LoadBalancerClass, "")
	want := ""
	wantType := corev1.ServiceTypeClusterIP
	if desired.Spec != nil {
		want = ptr.Deref(desired.Spec.LoadBalancerClass, "")
		wantType = ptr.Deref(desired.Spec.Type, corev1.ServiceTypeClusterIP)
	}
	if have == want {
		return classKeep
	}
	ownedClass := ""
	if owned != nil && owned.Spec != nil {
		ownedClass = ptr.Deref(owned.Spec.LoadBalancerClass, "")
	}
	operatorSetIt := have != "" && ownedClass == have
	switch {
	case have == "":
		// Kubernetes sets a class in place only with a change of type to
		// LoadBalancer; an existing LoadBalancer must be created again.
		if live.Spec.Type == corev1.ServiceTypeLoadBalancer {
			return classRecreate
		}
		return classKeep
	case operatorSetIt && wantType != corev1.ServiceTypeLoadBalancer:
		return classKeep // the apply drops the class with the type change
	case operatorSetIt:
		return classRecreate
	case wantType != corev1.ServiceTypeLoadBalancer:
		// Kubernetes refuses a non-LoadBalancer type while a class is set,
		// and the operator cannot clear a field another manager owns: the
		// type change the spec asks for needs a new Service.
		return classRecreate
	case want == "":
		return classKeep // the EKS case: no opinion of ours, theirs stays
	default:
		return classForeign
	}
}

// withoutLoadBalancerClass leaves the class out of an apply, so that the
// operator neither fights a class others set nor fails on an immutable field.
func withoutLoadBalancerClass(desired *corev1ac.ServiceApplyConfiguration) {
	if desired.Spec != nil {
		desired.Spec.LoadBalancerClass = nil
	}
}

// recreateService deletes a Service that can only reach its desired state
// by being created again; the next reconcile, started by the deletion,
// creates it. It is the only place the operator recreates anything: it
// logs, records one event, and refuses to recreate the same Service again
// within the backoff window, so that nothing can turn it into a loop.
func (r *DittoServerReconciler) recreateService(ctx context.Context, server *dittov1.DittoServer, live *corev1.Service, why string) error {
	id := string(server.UID) + "/" + live.Name
	now := r.clock().Now()
	if r.recreates.IsInBackOffSinceUpdate(id, now) {
		return &recreatePostponedError{name: live.Name, why: why, retryIn: r.recreates.Get(id)}
	}
	if err := r.Delete(ctx, live, client.Preconditions{UID: &live.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("recreating Service %s: %w", live.Name, err)
	}
	r.recreates.Next(id, now)
	log.FromContext(ctx).Info("recreating an adapter Service", "service", live.Name, "reason", why)
	r.event(server, live, corev1.EventTypeWarning, "Recreated", "Recreate",
		"Recreated %s Service %s: %s; its external address changes", adapterWord(live.Labels[dittov1.LabelAdapter]), live.Name, why)
	return &terminatingError{kind: "Service", name: live.Name}
}

// recreatePostponedError: a Service needs recreating again too soon after
// the last time.
type recreatePostponedError struct {
	name, why string
	retryIn   time.Duration
}

func (e *recreatePostponedError) Error() string {
	return fmt.Sprintf("Service %s must be recreated (%s) but was recreated less than %s ago; "+
		"something recreates it as fast as the operator does, check mutating webhooks", e.name, e.why, e.retryIn)
}

// terminatingError: an object the operator needs is still being deleted
// (a load-balancer controller's finalizer holds it). Its deletion starts
// the next reconcile; until then there is nothing to retry.
type terminatingError struct{ kind, name string }

func (e *terminatingError) Error() string {
	return fmt.Sprintf("waiting for %s %s to finish terminating before creating it again", e.kind, e.name)
}
