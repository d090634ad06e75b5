// Package controller reconciles DittoServers: their workload, the operator's
// DittoFS account, and the Services, NetworkPolicies and ports of the
// adapters the DittoFS API reports as running.
package controller

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-multierror"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

var fieldOwnerOption = client.FieldOwner(FieldOwner)

// DittoServerReconciler reconciles DittoServer objects.
type DittoServerReconciler struct {
	client.Client
	// APIReader reads past the cache: the cache holds only objects the
	// operator manages, and user Secrets or same-name objects are not in it.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder
	// MaxConcurrentReconciles bounds parallel reconciles (default 4).
	MaxConcurrentReconciles int

	// Policy decides the adapter Services and NetworkPolicies.
	Policy networking.Evaluator
	// Operator describes the operator's own pods for the policy (the
	// NetworkPolicy baseline admits the API port from them).
	Operator networking.OperatorInfo
	// AllowAPIURLOverride honours the dittofs.io/api-url annotation. Off in
	// a cluster: whoever may edit a DittoServer could otherwise send the
	// admin password to any address.
	AllowAPIURLOverride bool
	// APITimeout bounds each DittoFS API call (default 10s).
	APITimeout time.Duration
	// Clock tells the time; the real clock when nil.
	Clock clock.Clock
	// WatchNamespaces limits the watch of user Secrets to these namespaces,
	// like the manager's cache; every namespace when empty.
	WatchNamespaces []string

	states   serverStates
	requeues chan event.GenericEvent
	// recreates rate-limits recreating a Service, by server and name.
	recreates *flowcontrol.Backoff
	// secretMeta reads the metadata of the Secrets servers reference.
	secretMeta client.Reader
	// policyGen counts policy bundle changes; plans made under an older
	// bundle are made again.
	policyGen atomic.Int64
}

// +kubebuilder:rbac:groups=dittofs.dittofs.com,resources=dittoservers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=dittofs.dittofs.com,resources=dittoservers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dittofs.dittofs.com,resources=dittoservers/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps;secrets;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one DittoServer's cluster objects in line with its spec
// and with the adapters its DittoFS API reports.
func (r *DittoServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	server := &dittov1.DittoServer{}
	if err := r.Get(ctx, req.NamespacedName, server); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !server.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, server)
	}
	if err := r.ensureFinalizer(ctx, server); err != nil {
		return ctrl.Result{}, err
	}
	st := r.states.get(server.UID)
	st.mu.Lock()
	defer st.mu.Unlock()
	start := time.Now()
	st.apiWait = 0
	original := server.DeepCopy()
	result, stepErr := r.reconcileServer(ctx, server, st)
	summarize(server)
	err := r.patchStatus(ctx, original, server, st.poll.lastSuccess)
	reconcileWork.Observe((time.Since(start) - st.apiWait).Seconds())
	if err != nil {
		return ctrl.Result{}, errors.Join(stepErr, err)
	}
	return result, stepErr
}

// reconcileServer runs the steps in dependency order and records each one's
// outcome as a condition. A failing step does not stop independent later
// ones, but nothing that depends on it runs.
func (r *DittoServerReconciler) reconcileServer(ctx context.Context, server *dittov1.DittoServer, st *serverState) (ctrl.Result, error) {
	r.followSecretChanges(ctx, server, st)
	hash, err := r.reconcileConfig(ctx, server, st)
	if err != nil {
		return r.stepFailed(server, st, dittov1.ConditionConfigReady, "ConfigFailed", err)
	}
	setCondition(server, dittov1.ConditionConfigReady, metav1.ConditionTrue, "Reconciled", "configuration and Secrets are in place")
	st.forgetWarning(dittov1.ConditionConfigReady)

	poll := r.pollAdapters(ctx, server, st)
	setAuthenticated(server, &st.identity)
	plan, planErr := r.planAdapters(ctx, server, st, poll.adapters)
	if planErr != nil {
		r.reportPolicyRefusal(server, st, planErr)
	}
	portsErr := r.reconcilePorts(ctx, server, st, hash, plan)
	result := ctrl.Result{RequeueAfter: poll.next}
	if plan == nil {
		if planErr == nil {
			setAdaptersReady(server, &st.poll, nil, nil, loadBalancerReport{})
		}
		return result, ignoreUserErrors(portsErr)
	}
	services, applyErr := r.applyAdapterObjects(ctx, server, st, plan)
	if applyErr == nil && poll.polled && !st.poll.legacyChecked {
		applyErr = r.deleteLegacyFileService(ctx, server)
		st.poll.legacyChecked = applyErr == nil
	}
	if portsErr != nil {
		// The pod template or the headless Service lacks the adapters' ports.
		applyErr = multierror.Append(applyErr, portsErr)
	}
	r.reportWarnings(server, st, plan.decision.Warnings)
	setAdapterStatus(server, plan, services)
	lb := r.reportLoadBalancers(server, st, services)
	if lb.recheckIn > 0 && lb.recheckIn < result.RequeueAfter {
		result.RequeueAfter = lb.recheckIn
	}
	if end := plan.retentionRecheck(r.clock().Now()); end > 0 && end < result.RequeueAfter {
		result.RequeueAfter = end // a kept Service goes when its period ends
	}
	setAdaptersReady(server, &st.poll, plan, applyErr, lb)
	return result, r.adaptersOutcome(server, st, applyErr)
}

// reconcilePorts puts the StatefulSet and the headless Service in place,
// with the adapter ports of plan (nil: those they have stay), and reports
// the outcome on Available. A failure here does not keep the adapter
// Services and NetworkPolicies, which do not depend on it, from following
// the adapters.
func (r *DittoServerReconciler) reconcilePorts(ctx context.Context, server *dittov1.DittoServer, st *serverState, hash string, plan *adapterPlan) error {
	sts, declared, err := r.reconcileStatefulSet(ctx, server, st, hash, plan.containerPorts(), plan != nil)
	if err != nil {
		r.workloadFailed(server, st, "StatefulSetFailed", err)
		return err
	}
	if plan != nil {
		server.Status.PendingPorts = pendingPorts(plan.containerPorts(), declared)
	}
	headlessPorts := plan.containerPorts()
	if plan == nil {
		headlessPorts = liveAdapterPorts(sts)
	}
	if err := r.reconcileHeadlessService(ctx, server, headlessPorts); err != nil {
		r.workloadFailed(server, st, "ServiceFailed", err)
		return err
	}
	setAvailable(server, sts)
	st.forgetWarning(dittov1.ConditionAvailable)
	return nil
}

// workloadFailed reports a failed workload step on Available, with one
// event for errors only the user can fix.
func (r *DittoServerReconciler) workloadFailed(server *dittov1.DittoServer, st *serverState, reason string, err error) {
	reason = reasonFor(err, reason)
	setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, reason, err.Error())
	if isUserError(err) {
		r.warnOnce(server, st, dittov1.ConditionAvailable, nil, reason, err.Error())
	}
}

// adaptersOutcome turns the adapter step's error into the reconcile's:
// errors only the user can fix are reported once and retried with the next
// poll, not in a loop; a deletion in progress ends with an event that starts
// the next reconcile.
func (r *DittoServerReconciler) adaptersOutcome(server *dittov1.DittoServer, st *serverState, applyErr error) error {
	switch {
	case applyErr == nil:
		st.forgetWarning(dittov1.ConditionAdaptersReady)
		return nil
	case isUserError(applyErr):
		r.warnOnce(server, st, dittov1.ConditionAdaptersReady, nil, reasonFor(applyErr, "ApplyFailed"), applyErr.Error())
		return nil
	case isWaiting(applyErr):
		return nil
	default:
		return applyErr
	}
}

// ignoreUserErrors drops an error that only the user can fix: it is on a
// condition already, and retrying at once does not help.
func ignoreUserErrors(err error) error {
	if err == nil || isUserError(err) {
		return nil
	}
	return err
}

// clock is the reconciler's clock.
func (r *DittoServerReconciler) clock() clock.Clock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}

// reconcileConfig puts the Secrets, the configuration file and the API
// Service in place, and returns the configuration's hash.
func (r *DittoServerReconciler) reconcileConfig(ctx context.Context, server *dittov1.DittoServer, st *serverState) (string, error) {
	if err := r.reconcileSecrets(ctx, server, st); err != nil {
		return "", err
	}
	hash, err := r.reconcileConfigMap(ctx, server)
	if err != nil {
		return "", err
	}
	return hash, r.reconcileAPIService(ctx, server)
}

// stepFailed records a failed step on its condition. Errors the user must
// fix are reported by one event and not retried in a loop: the next spec
// change or poll retries them.
func (r *DittoServerReconciler) stepFailed(server *dittov1.DittoServer, st *serverState, condType, reason string, err error) (ctrl.Result, error) {
	reason = reasonFor(err, reason)
	setCondition(server, condType, metav1.ConditionFalse, reason, err.Error())
	if isUserError(err) {
		r.warnOnce(server, st, condType, nil, reason, err.Error())
		return ctrl.Result{RequeueAfter: server.Spec.PollInterval()}, nil
	}
	return ctrl.Result{}, err
}

// warnOnce records a Warning event unless the same message was the last one
// reported on this topic (a condition type, or an object): a problem that
// persists is reported once, not on every reconcile. related is the object
// the problem concerns, nil for the server itself.
func (r *DittoServerReconciler) warnOnce(server *dittov1.DittoServer, st *serverState, topic string, related client.Object, reason, msg string) {
	if st.warned[topic] == msg {
		return
	}
	if st.warned == nil {
		st.warned = map[string]string{}
	}
	st.warned[topic] = msg
	r.event(server, related, corev1.EventTypeWarning, reason, actionFor(msg), "%s", msg)
}

// actionFor is the action of a Warning event: "Report-" and a short hash of
// its message. The events API folds events of the same reason, action and
// objects into one series that keeps the first note, so two different
// problems reported under one reason would show as one: a distinct action
// keeps them apart.
func actionFor(msg string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(msg))
	return fmt.Sprintf("Report-%08x", h.Sum32())
}

// isUserError: only the user can fix this; retrying at once does not help.
func isUserError(err error) bool {
	var conflict *nameConflictError
	var invalid *invalidSpecError
	var postponed *recreatePostponedError
	return errors.As(err, &conflict) || errors.As(err, &invalid) || errors.As(err, &postponed) || refusedByAPIServer(err)
}

// refusedByAPIServer: the API server refused an object as invalid; the same
// object is refused again until the spec, the policy or DittoFS changes.
func refusedByAPIServer(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err)
}

// isWaiting: only waiting for something in progress is wrong; every error
// aggregated in err is of that kind.
func isWaiting(err error) bool {
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			if !isWaiting(e) {
				return false
			}
		}
		return len(merr.Errors) > 0
	}
	var terminating *terminatingError
	return errors.As(err, &terminating)
}

// setAvailable reports whether the DittoFS pod is ready.
func setAvailable(server *dittov1.DittoServer, sts *appsv1.StatefulSet) {
	switch {
	case server.Spec.ReplicasOrDefault() == 0:
		setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, "Stopped", "spec.replicas is 0")
	case sts.Status.ObservedGeneration < sts.Generation:
		setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, "RollingOut", "the StatefulSet has not observed its latest spec yet")
	case sts.Status.ReadyReplicas < 1:
		setCondition(server, dittov1.ConditionAvailable, metav1.ConditionFalse, "PodNotReady", "the DittoFS pod is not ready")
	default:
		setCondition(server, dittov1.ConditionAvailable, metav1.ConditionTrue, "PodReady", "the DittoFS pod is ready")
	}
}

// ensureFinalizer adds the cleanup finalizer, so that the operator can remove
// its DittoFS account before the server goes away.
func (r *DittoServerReconciler) ensureFinalizer(ctx context.Context, server *dittov1.DittoServer) error {
	if controllerutil.ContainsFinalizer(server, dittov1.Finalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(server.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.AddFinalizer(server, dittov1.Finalizer)
	if err := r.Patch(ctx, server, patch); err != nil {
		return fmt.Errorf("adding the finalizer: %w", err)
	}
	return nil
}

// finalize runs the cleanup and releases the DittoServer. Owned objects are
// removed by the garbage collector through their owner references.
func (r *DittoServerReconciler) finalize(ctx context.Context, server *dittov1.DittoServer) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(server, dittov1.Finalizer) {
		return ctrl.Result{}, nil
	}
	r.removeOperatorAccount(ctx, server)
	r.states.forget(server.UID)
	forgetMetrics(server.Namespace, server.Name)
	patch := client.MergeFromWithOptions(server.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(server, dittov1.Finalizer)
	if err := r.Patch(ctx, server, patch); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("removing the finalizer: %w", err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the reconciler and its watches.
func (r *DittoServerReconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.MaxConcurrentReconciles
	if workers == 0 {
		workers = 4
	}
	r.requeues = make(chan event.GenericEvent, 1024)
	if r.recreates == nil {
		r.recreates = flowcontrol.NewFakeBackOff(recreateBackoffInitial, recreateBackoffMax, r.clock())
	}
	if err := indexByController(mgr); err != nil {
		return err
	}
	secrets, err := r.watchReferencedSecrets(mgr)
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Labels and annotations are policy input: a change re-decides at once.
		For(&dittov1.DittoServer{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.LabelChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			deletionPredicate,
		))).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Secret{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&networkingv1.NetworkPolicy{}).
		// Policies may decide on namespace labels.
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.serversInNamespace),
			builder.WithPredicates(predicate.LabelChangedPredicate{})).
		WatchesRawSource(source.Channel(r.requeues, &handler.EnqueueRequestForObject{})).
		WatchesRawSource(secrets).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("dittoserver").
		Complete(r)
}

// serversInNamespace lists the DittoServers of a namespace.
func (r *DittoServerReconciler) serversInNamespace(ctx context.Context, ns client.Object) []reconcile.Request {
	var list dittov1.DittoServerList
	if err := r.List(ctx, &list, client.InNamespace(ns.GetName())); err != nil {
		log.FromContext(ctx).Error(err, "listing DittoServers", "namespace", ns.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return requests
}

// PolicyChanged makes every DittoServer follow a new policy bundle soon.
// It does not block.
func (r *DittoServerReconciler) PolicyChanged(ctx context.Context) {
	r.policyGen.Add(1)
	r.RequeueAll(ctx)
}

// RequeueAll reconciles every DittoServer soon. It does not block.
func (r *DittoServerReconciler) RequeueAll(ctx context.Context) {
	if r.requeues == nil {
		return
	}
	var list dittov1.DittoServerList
	if err := r.List(ctx, &list); err != nil {
		log.FromContext(ctx).Error(err, "listing DittoServers to requeue")
		return
	}
	go func() {
		for i := range list.Items {
			select {
			case r.requeues <- event.GenericEvent{Object: &list.Items[i]}:
			case <-ctx.Done():
				return
			}
		}
	}()
}

// deletionPredicate passes the update that marks an object for deletion.
var deletionPredicate = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
	},
}

// CacheOptions limits the manager's cache to the objects the operator
// manages: watching every Secret, Service and StatefulSet of the cluster
// would cost memory in proportion to the whole cluster, and would put every
// Secret's content in the operator's memory. Cached objects keep only the
// operator's own managedFields entries, the only ones it reads.
func CacheOptions() cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{dittov1.LabelManagedBy: dittov1.ManagedBy})}
	return cache.Options{
		DefaultTransform: keepOwnManagedFields,
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:           managed,
			&corev1.Secret{}:              managed,
			&corev1.Service{}:             managed,
			&appsv1.StatefulSet{}:         managed,
			&networkingv1.NetworkPolicy{}: managed,
		},
	}
}

// keepOwnManagedFields drops the managedFields entries of other field
// managers from an object entering the cache. The operator compares only its
// own fields (see applyIfChanged); the others' entries, such as the
// StatefulSet controller's status updates, would be kept for nothing.
func keepOwnManagedFields(obj any) (any, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	fields := o.GetManagedFields()
	kept := fields[:0]
	for _, f := range fields {
		if f.Manager == FieldOwner {
			kept = append(kept, f)
		}
	}
	o.SetManagedFields(kept)
	return obj, nil
}
