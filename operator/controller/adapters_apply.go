package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// applyAdapterObjects makes the adapter Services and NetworkPolicies match
// the plan: it creates and updates first, then deletes what the plan no
// longer has, so a renamed Service exists before the old one goes. It
// returns the adapter Services by adapter type, for the status.
func (r *DittoServerReconciler) applyAdapterObjects(ctx context.Context, server *dittov1.DittoServer, st *serverState, plan *adapterPlan) (map[string]*corev1.Service, error) {
	var errs *multierror.Error
	services := map[string]*corev1.Service{}
	keep := map[string]bool{}
	for _, desired := range plan.rendered.Services {
		svc, err := r.applyAdapterService(ctx, server, st, desired)
		keep[*desired.Name] = true
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		services[desired.Labels[dittov1.LabelAdapter]] = svc
	}
	errs = multierror.Append(errs, r.deleteStaleServices(ctx, server, st, keep, plan))
	errs = multierror.Append(errs, r.applyNetworkPolicies(ctx, server, plan))
	managedObjects.WithLabelValues(server.Namespace, server.Name, "Service").Set(float64(len(services)))
	return services, errs.ErrorOrNil()
}

// applyAdapterService creates or updates one adapter Service and returns it
// as it is now (nil when it was just created).
func (r *DittoServerReconciler) applyAdapterService(ctx context.Context, server *dittov1.DittoServer, st *serverState, desired *corev1ac.ServiceApplyConfiguration) (*corev1.Service, error) {
	key := types.NamespacedName{Namespace: server.Namespace, Name: *desired.Name}
	adapter := desired.Labels[dittov1.LabelAdapter]
	if isWorkloadServiceName(server, key.Name) {
		// One of the server's own workload Services, such as <name>-headless,
		// has the name the template gives this adapter.
		return nil, &nameConflictError{kind: "Service", name: key.Name}
	}
	live := &corev1.Service{}
	exists, err := r.lookupOwned(ctx, server, key, live)
	if err != nil {
		return nil, err
	}
	if exists {
		if err := r.prepareServiceUpdate(ctx, server, st, live, desired); err != nil {
			return nil, err
		}
	}
	changed, err := applyIfChanged(ctx, r.Client, st.applied, live, exists, desired, corev1ac.ExtractService)
	if err != nil {
		return nil, fmt.Errorf("applying Service %s: %w", key.Name, err)
	}
	switch {
	case changed && !exists:
		created := r.createdObject(ctx, key, &corev1.Service{})
		r.noteChange(server, created, "Created", "Create", "Created %s Service %s on port %s",
			adapterWord(adapter), key.Name, desiredServicePorts(desired))
		return created, nil
	case changed && isRetained(live):
		r.reportReturn(server, live, desired)
	case changed:
		r.noteChange(server, live, "Updated", "Update", "Updated %s Service %s: %s",
			adapterWord(adapter), key.Name, serviceChange(live, desired))
	}
	return live, nil
}

// prepareServiceUpdate handles what an apply cannot: a Service still being
// deleted, a field that only a new Service can change, and ports others
// added. It may leave the load-balancer class out of desired.
func (r *DittoServerReconciler) prepareServiceUpdate(ctx context.Context, server *dittov1.DittoServer, st *serverState, live *corev1.Service, desired *corev1ac.ServiceApplyConfiguration) error {
	if !live.DeletionTimestamp.IsZero() {
		// Applying now would write to the old object; its deletion starts
		// the reconcile that creates the new one.
		return &terminatingError{kind: "Service", name: live.Name}
	}
	classTopic := "loadBalancerClass/" + live.Name
	if ptr.Deref(live.Spec.LoadBalancerClass, "") == desiredLoadBalancerClass(desired) {
		st.forgetWarning(classTopic)
	} else {
		owned, err := corev1ac.ExtractService(live, FieldOwner)
		if err != nil {
			return fmt.Errorf("reading the fields the operator owns: %w", err)
		}
		switch loadBalancerClassAction(live, owned, desired) {
		case classRecreate:
			return r.recreateService(ctx, server, live, "its loadBalancerClass cannot change in place")
		case classForeign:
			withoutLoadBalancerClass(desired)
			r.warnOnce(server, st, classTopic, live, "LoadBalancerClassConflict", fmt.Sprintf(
				"Service %s has loadBalancerClass %q, set by another controller or a mutating webhook, not %q as the spec asks; "+
					"the operator does not recreate a Service over a value it did not set: delete the Service to have it created again",
				live.Name, ptr.Deref(live.Spec.LoadBalancerClass, ""), desiredLoadBalancerClass(desired)))
		}
	}
	return r.dropForeignPorts(ctx, live, desired)
}

func desiredLoadBalancerClass(desired *corev1ac.ServiceApplyConfiguration) string {
	if desired.Spec == nil {
		return ""
	}
	return ptr.Deref(desired.Spec.LoadBalancerClass, "")
}

// isWorkloadServiceName: name belongs to one of the server's own Services.
func isWorkloadServiceName(server *dittov1.DittoServer, name string) bool {
	return name == apiServiceName(server) || name == headlessServiceName(server)
}

// createdObject reads an object just created, past the cache, so that its
// events name it with its UID: a Service deleted and created again is then
// a new object to the events API, not one more of the same.
func (r *DittoServerReconciler) createdObject(ctx context.Context, key types.NamespacedName, obj *corev1.Service) *corev1.Service {
	if err := r.APIReader.Get(ctx, key, obj); err != nil {
		obj.Name, obj.Namespace = key.Name, key.Namespace
	}
	return obj
}

// dropForeignPorts removes ports someone else added to or edited on an
// adapter Service. Server-side apply keeps list items other managers own,
// so an edited port would stay beside the right one (and clash with its
// name); a DittoFS adapter listens only on the ports the API reports.
func (r *DittoServerReconciler) dropForeignPorts(ctx context.Context, live *corev1.Service, desired *corev1ac.ServiceApplyConfiguration) error {
	keep := portSet(desired)
	if allPortsIn(live.Spec.Ports, keep) {
		return nil // the usual case, decided without reading the managed fields
	}
	owned, err := corev1ac.ExtractService(live, FieldOwner)
	if err != nil {
		return fmt.Errorf("reading the fields the operator owns: %w", err)
	}
	for k := range portSet(owned) {
		keep[k] = true // ours: the apply itself removes it if it goes
	}
	var kept []corev1.ServicePort
	for _, p := range live.Spec.Ports {
		if keep[portKey{p.Port, p.Protocol}] {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(live.Spec.Ports) {
		return nil
	}
	// A Service needs a port: the desired ones take the place of the
	// foreign ones at once, and the apply then takes ownership of them.
	patch := client.MergeFrom(live.DeepCopy())
	live.Spec.Ports = withDesiredPorts(kept, desired)
	if err := r.Patch(ctx, live, patch, fieldOwnerOption); err != nil {
		return fmt.Errorf("removing foreign ports from Service %s: %w", live.Name, err)
	}
	return nil
}

// withDesiredPorts adds the desired ports that kept lacks.
func withDesiredPorts(kept []corev1.ServicePort, desired *corev1ac.ServiceApplyConfiguration) []corev1.ServicePort {
	have := map[portKey]bool{}
	for _, p := range kept {
		have[portKey{p.Port, p.Protocol}] = true
	}
	for _, p := range desired.Spec.Ports {
		k := portKey{ptr.Deref(p.Port, 0), ptr.Deref(p.Protocol, corev1.ProtocolTCP)}
		if have[k] {
			continue
		}
		kept = append(kept, corev1.ServicePort{
			Name: ptr.Deref(p.Name, ""), Port: k.port, Protocol: k.protocol, TargetPort: ptr.Deref(p.TargetPort, intstr.IntOrString{}),
		})
	}
	return kept
}

func allPortsIn(ports []corev1.ServicePort, set map[portKey]bool) bool {
	for _, p := range ports {
		if !set[portKey{p.Port, p.Protocol}] {
			return false
		}
	}
	return true
}

// portKey identifies a Service port as server-side apply does.
type portKey struct {
	port     int32
	protocol corev1.Protocol
}

func portSet(s *corev1ac.ServiceApplyConfiguration) map[portKey]bool {
	set := map[portKey]bool{}
	if s == nil || s.Spec == nil {
		return set
	}
	for _, p := range s.Spec.Ports {
		set[portKey{ptr.Deref(p.Port, 0), ptr.Deref(p.Protocol, corev1.ProtocolTCP)}] = true
	}
	return set
}

// deleteStaleServices deletes the adapter Services of server the plan no
// longer has: a renamed Service at once, that of a stopped adapter when its
// retention allows (see retainOrDelete).
func (r *DittoServerReconciler) deleteStaleServices(ctx context.Context, server *dittov1.DittoServer, st *serverState, keep map[string]bool, plan *adapterPlan) error {
	var list corev1.ServiceList
	if err := r.List(ctx, &list, ownedListOptions(server)...); err != nil {
		return fmt.Errorf("listing adapter Services: %w", err)
	}
	var errs *multierror.Error
	for i := range list.Items {
		svc := &list.Items[i]
		if keep[svc.Name] || !ownedBy(svc, server) || svc.Labels[dittov1.LabelComponent] != networking.ComponentAdapterService ||
			!svc.DeletionTimestamp.IsZero() {
			continue
		}
		adapter := svc.Labels[dittov1.LabelAdapter]
		if !published(adapter, plan) {
			errs = multierror.Append(errs, r.retainOrDelete(ctx, server, st, svc, plan))
			continue
		}
		if err := r.Delete(ctx, svc, client.Preconditions{UID: &svc.UID}); client.IgnoreNotFound(err) != nil {
			errs = multierror.Append(errs, fmt.Errorf("deleting Service %s: %w", svc.Name, err))
			continue
		}
		r.noteChange(server, svc, "Deleted", "Delete", "Deleted %s Service %s: %s",
			adapterWord(adapter), svc.Name, whyStale(adapter, plan))
	}
	return errs.ErrorOrNil()
}

func whyStale(adapter string, plan *adapterPlan) string {
	for _, s := range plan.decision.Services {
		if s.Adapter == adapter {
			return fmt.Sprintf("renamed to %s; clients must use the new Service's address", s.Name)
		}
	}
	return "adapter stopped"
}

// published says whether the plan has a Service for the adapter.
func published(adapter string, plan *adapterPlan) bool {
	for _, s := range plan.decision.Services {
		if s.Adapter == adapter {
			return true
		}
	}
	return false
}

// applyNetworkPolicies makes the NetworkPolicies match the plan: it applies
// the decided ones, then deletes those the plan no longer has.
func (r *DittoServerReconciler) applyNetworkPolicies(ctx context.Context, server *dittov1.DittoServer, plan *adapterPlan) error {
	var errs *multierror.Error
	keep := map[string]bool{}
	for _, desired := range plan.rendered.NetworkPolicies {
		keep[*desired.Name] = true
		key := types.NamespacedName{Namespace: server.Namespace, Name: *desired.Name}
		op, err := applyOwned(ctx, r, server, key, &networkingv1.NetworkPolicy{}, desired, networkingv1ac.ExtractNetworkPolicy)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		r.eventForChange(server, op, named[networkingv1.NetworkPolicy](server.Namespace, key.Name), "admitted ports or peers changed")
	}
	managedObjects.WithLabelValues(server.Namespace, server.Name, "NetworkPolicy").Set(float64(len(keep)))
	errs = multierror.Append(errs, r.deleteStaleNetworkPolicies(ctx, server, keep))
	return errs.ErrorOrNil()
}

// deleteStaleNetworkPolicies deletes the NetworkPolicies of server whose
// names are not in keep.
func (r *DittoServerReconciler) deleteStaleNetworkPolicies(ctx context.Context, server *dittov1.DittoServer, keep map[string]bool) error {
	var list networkingv1.NetworkPolicyList
	if err := r.List(ctx, &list, ownedListOptions(server)...); err != nil {
		return fmt.Errorf("listing NetworkPolicies: %w", err)
	}
	var errs *multierror.Error
	for i := range list.Items {
		np := &list.Items[i]
		if keep[np.Name] || !ownedBy(np, server) || !np.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Delete(ctx, np, client.Preconditions{UID: &np.UID}); client.IgnoreNotFound(err) != nil {
			errs = multierror.Append(errs, fmt.Errorf("deleting NetworkPolicy %s: %w", np.Name, err))
			continue
		}
		r.noteChange(server, np, "Deleted", "Delete", "Deleted NetworkPolicy %s: %s", np.Name, whyPolicyStale(np, server))
	}
	return errs.ErrorOrNil()
}

func whyPolicyStale(np *networkingv1.NetworkPolicy, server *dittov1.DittoServer) string {
	if !server.Spec.NetworkPoliciesEnabled() {
		return "spec.networkPolicy.enabled is false"
	}
	if adapter := np.Labels[dittov1.LabelAdapter]; adapter != "" {
		return adapterWord(adapter) + " adapter stopped"
	}
	return "no longer decided by the policy"
}

// deleteLegacyFileService removes the Service of the static-adapter design
// once the adapters the API reports have been published.
func (r *DittoServerReconciler) deleteLegacyFileService(ctx context.Context, server *dittov1.DittoServer) error {
	var svc corev1.Service
	key := types.NamespacedName{Namespace: server.Namespace, Name: legacyFileServiceName(server)}
	if err := r.APIReader.Get(ctx, key, &svc); err != nil {
		return client.IgnoreNotFound(err)
	}
	ref := metav1.GetControllerOfNoCopy(&svc)
	if ref == nil || ref.UID != server.UID {
		return nil // not ours: a user's Service of that name stays
	}
	if err := r.Delete(ctx, &svc, client.Preconditions{UID: &svc.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the legacy Service %s: %w", svc.Name, err)
	}
	r.noteChange(server, &svc, "Deleted", "Delete",
		"Deleted legacy Service %s: adapters now each have their own Service", svc.Name)
	return nil
}

// desiredServicePorts describes the ports of a Service for events: "12049",
// or "2049→12049" for a port forwarded to another.
func desiredServicePorts(s *corev1ac.ServiceApplyConfiguration) string {
	var ports []string
	if s.Spec != nil {
		for _, p := range s.Spec.Ports {
			ports = append(ports, portText(ptr.Deref(p.Port, 0), ptr.Deref(p.TargetPort, intstr.IntOrString{})))
		}
	}
	sort.Strings(ports)
	return strings.Join(ports, ",")
}

func portText(port int32, target intstr.IntOrString) string {
	if target.IntVal == 0 || target.IntVal == port {
		return fmt.Sprint(port)
	}
	return fmt.Sprintf("%d→%d", port, target.IntVal)
}

// serviceChange describes an update of an adapter Service for its event.
func serviceChange(live *corev1.Service, desired *corev1ac.ServiceApplyConfiguration) string {
	before, after := liveServicePorts(live), desiredServicePorts(desired)
	if before != after {
		return fmt.Sprintf("port %s → %s", before, after)
	}
	return "type, annotations or load-balancer settings changed"
}

func liveServicePorts(s *corev1.Service) string {
	var ports []string
	for _, p := range s.Spec.Ports {
		ports = append(ports, portText(p.Port, p.TargetPort))
	}
	sort.Strings(ports)
	return strings.Join(ports, ",")
}
