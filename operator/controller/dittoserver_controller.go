// Package controller reconciles DittoServers: their workload, the operator's
// DittoFS account, and the Services, NetworkPolicies and ports of the
// adapters the DittoFS API reports as running.
package controller

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-multierror"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/client-go/util/workqueue"
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
	// ReconcileTimeout bounds one reconcile (default 1m). A reconcile only
	// talks to the Kubernetes API: the poller makes the DittoFS calls.
	ReconcileTimeout time.Duration
	// Clock tells the time and runs the poller's timers and deadlines; the
	// real clock when nil.
	Clock clock.WithDelayedExecution
	// WatchNamespaces limits the watch of user Secrets to these namespaces,
	// like the manager's cache; every namespace when empty.
	WatchNamespaces []string

	states serverStates
	// poller makes every DittoFS call; created on first use.
	poller     *poller
	pollerOnce sync.Once
	// policyChanged signals a new policy bundle to the source that
	// requeues every server; it holds at most one signal.
	policyChanged chan struct{}
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
		if apierrors.IsNotFound(err) {
			r.polls().forgetName(req.NamespacedName)
		}
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
	original := server.DeepCopy()
	result, stepErr := r.reconcileServer(ctx, server, st)
	r.recordChanges(server, st)
	summarize(server)
	err := r.writeStatus(ctx, st, original, server)
	reconcileWork.Observe(time.Since(start).Seconds())
	if err != nil {
		return ctrl.Result{}, errors.Join(stepErr, err)
	}
	return result, stepErr
}

// writeStatus writes the status unless the write would change nothing.
//
// Every change to an owned object starts a reconcile, and these often read
// the server from a cache that has not received the status their own
// reconcile wrote. Such a reconcile computes its patch against the status
// this operator last wrote, which the server holds, not against the stale
// copy: a field the last write set and this one clears (the reason of a
// Ready condition that turned True) is cleared, and a status equal to the
// last one written is not written again. When the cache holds a version
// that is neither the one the last write started from nor the one it made,
// whether it saw that write is unknown, and the patch is conditional on the
// version read: a stale read conflicts and the reconcile runs again.
func (r *DittoServerReconciler) writeStatus(ctx context.Context, st *serverState, original, server *dittov1.DittoServer) error {
	w := st.statusWritten
	base, lock := original, false
	switch {
	case w.status == nil || original.ResourceVersion == w.to:
	case original.ResourceVersion == w.from:
		computed := server.Status.DeepCopy()
		computed.LastPollTime = w.status.LastPollTime
		if equality.Semantic.DeepEqual(computed, w.status) {
			return nil
		}
		base = original.DeepCopy()
		base.Status = *w.status.DeepCopy()
	default:
		lock = true
	}
	before := server.ResourceVersion
	if err := r.patchStatus(ctx, base, server, st.poll.lastSuccess, lock); err != nil {
		return err
	}
	if server.ResourceVersion != before {
		st.statusWritten = statusWrite{from: before, to: server.ResourceVersion, status: server.Status.DeepCopy()}
	}
	return nil
}

// reconcileServer runs the steps in dependency order and records each one's
// outcome as a condition. A failing step does not stop independent later
// ones, but nothing that depends on it runs.
func (r *DittoServerReconciler) reconcileServer(ctx context.Context, server *dittov1.DittoServer, st *serverState) (ctrl.Result, error) {
	r.followSecretChanges(ctx, server, st)
	// The poller starts on a new server's first poll while the
	// configuration is written.
	snap := r.polls().track(r.targetOf(server))
	hash, err := r.reconcileConfig(ctx, server, st)
	if err != nil {
		return r.stepFailed(server, st, dittov1.ConditionConfigReady, "ConfigFailed", err)
	}
	setCondition(server, dittov1.ConditionConfigReady, metav1.ConditionTrue, "Reconciled", "configuration and Secrets are in place")
	st.forgetWarning(dittov1.ConditionConfigReady)

	if latest, ok := r.polls().snapshot(server.UID); ok {
		snap = latest
	}
	st.poll.adapters, st.poll.lastSuccess = snap.adapters, snap.lastSuccess
	st.poll.outage, st.poll.failure = snap.outage, snap.failure
	setAuthenticated(server, snap.identity)
	if wait := r.firstPollPending(ctx, server, st, snap); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	plan, planErr := r.planAdapters(ctx, server, st, snap.adapters)
	if planErr != nil {
		r.reportPolicyRefusal(server, st, planErr)
	}
	portsErr := r.reconcilePorts(ctx, server, st, hash, plan)
	// The poller starts the next reconcile when the adapters or the poll's
	// outcome change; nothing needs a reconcile every interval.
	result := ctrl.Result{}
	if plan == nil {
		if planErr == nil {
			awaitFirstPoll(server, &st.poll)
		}
		return result, ignoreUserErrors(portsErr)
	}
	services, applyErr := r.applyAdapterObjects(ctx, server, st, plan)
	if applyErr == nil && !st.poll.legacyChecked {
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
	result.RequeueAfter = sooner(result.RequeueAfter, lb.recheckIn)
	// A kept Service goes when its period ends.
	result.RequeueAfter = sooner(result.RequeueAfter, plan.retentionRecheck(r.clock().Now()))
	setAdaptersReady(server, &st.poll, plan, applyErr, lb)
	if applyErr != nil && isWaiting(applyErr) {
		// A deletion in progress ends with an event that starts the next
		// reconcile; one interval later is the fallback.
		result.RequeueAfter = sooner(result.RequeueAfter, server.Spec.PollInterval())
	}
	return result, r.adaptersOutcome(server, st, applyErr)
}

// sooner is the earlier of two requeue delays, zero standing for none.
func sooner(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
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

// firstPollGrace is how long a new server's StatefulSet waits for the
// poller's first outcome.
const firstPollGrace = 5 * time.Second

// firstPollPending says how long to wait, without holding the worker, before
// creating a new server's StatefulSet: until the poller's first answer, so
// that the first pod template declares the adapter ports when the API
// already answers (it does when it runs elsewhere), or its first failure
// (the usual case: the API runs in the pod yet to be created), at most
// firstPollGrace. The poller's outcome starts the next reconcile.
func (r *DittoServerReconciler) firstPollPending(ctx context.Context, server *dittov1.DittoServer, st *serverState, snap pollSnapshot) time.Duration {
	if snap.adapters != nil || snap.outage {
		return 0
	}
	if st.firstReconcile.IsZero() {
		st.firstReconcile = r.clock().Now()
	}
	left := firstPollGrace - r.clock().Since(st.firstReconcile)
	if left <= 0 {
		return 0
	}
	err := r.Get(ctx, types.NamespacedName{Namespace: server.Namespace, Name: statefulSetName(server)}, &appsv1.StatefulSet{})
	if !apierrors.IsNotFound(err) {
		return 0
	}
	return left
}

// awaitFirstPoll reports the adapters before the poller's first answer
// since the operator started: an outage, or nothing known yet. A server
// that reported its adapters before a restart keeps its condition until
// the first answer, rather than flapping.
func awaitFirstPoll(server *dittov1.DittoServer, p *pollState) {
	if !p.outage && meta.FindStatusCondition(server.Status.Conditions, dittov1.ConditionAdaptersReady) != nil {
		return
	}
	setAdaptersReady(server, p, nil, nil, loadBalancerReport{})
}

// polls is the poller, created on first use.
func (r *DittoServerReconciler) polls() *poller {
	r.pollerOnce.Do(func() { r.poller = newPoller(r) })
	return r.poller
}

// clock is the reconciler's clock.
func (r *DittoServerReconciler) clock() clock.WithDelayedExecution {
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

// finalize has the poller remove the operator's DittoFS account, then
// releases the DittoServer. The removal is bounded: the poller gives up
// after accountRemovalTimeout, and should it not report, the server is
// released removalGrace later anyway. Owned objects are removed by the
// garbage collector through their owner references.
func (r *DittoServerReconciler) finalize(ctx context.Context, server *dittov1.DittoServer) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(server, dittov1.Finalizer) {
		return ctrl.Result{}, nil
	}
	snap := r.polls().removeAccount(r.targetOf(server))
	if !snap.removed {
		waited := r.clock().Since(snap.removalAsked)
		if left := accountRemovalTimeout + removalGrace - waited; left > 0 {
			return ctrl.Result{RequeueAfter: left}, nil
		}
		log.FromContext(ctx).Info("the account removal did not report in time; releasing the DittoServer", "waited", waited)
	}
	r.polls().forget(server.UID)
	r.states.forget(server.UID)
	forgetMetrics(server.Namespace, server.Name)
	patch := client.MergeFromWithOptions(server.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(server, dittov1.Finalizer)
	if err := r.Patch(ctx, server, patch); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("removing the finalizer: %w", err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the reconciler, its watches and the poller.
func (r *DittoServerReconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.MaxConcurrentReconciles
	if workers == 0 {
		workers = 4
	}
	if r.recreates == nil {
		r.recreates = flowcontrol.NewFakeBackOff(recreateBackoffInitial, recreateBackoffMax, r.clock())
	}
	r.policyChanged = make(chan struct{}, 1)
	if err := indexByController(mgr); err != nil {
		return err
	}
	secrets, err := r.watchReferencedSecrets(mgr)
	if err != nil {
		return err
	}
	if err := mgr.Add(r.polls()); err != nil {
		return fmt.Errorf("adding the DittoFS poller: %w", err)
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
		// The poller's news: a new listing, an outage begun or ended.
		WatchesRawSource(source.Channel(r.polls().changes, &handler.EnqueueRequestForObject{})).
		WatchesRawSource(source.Func(r.requeueOnPolicyChange)).
		WatchesRawSource(secrets).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers, ReconciliationTimeout: r.reconcileTimeout()}).
		Named("dittoserver").
		Complete(r)
}

func (r *DittoServerReconciler) reconcileTimeout() time.Duration {
	if r.ReconcileTimeout > 0 {
		return r.ReconcileTimeout
	}
	return time.Minute
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
// It never blocks and starts nothing: on the leader, the controller's
// policy source requeues every server; on a follower, whose controller
// does not run, the signal waits in a buffer of one, however many reloads
// come.
func (r *DittoServerReconciler) PolicyChanged(context.Context) {
	r.policyGen.Add(1)
	select {
	case r.policyChanged <- struct{}{}:
	default: // a requeue of every server is pending already
	}
}

// requeueOnPolicyChange is the source that requeues every DittoServer when
// the policy changes. The controller starts it, on the leader only.
func (r *DittoServerReconciler) requeueOnPolicyChange(ctx context.Context, queue workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-r.policyChanged:
				r.requeueAll(ctx, queue)
			}
		}
	}()
	return nil
}

// requeueAll adds every DittoServer to the queue.
func (r *DittoServerReconciler) requeueAll(ctx context.Context, queue workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	var list dittov1.DittoServerList
	// Only the names are read: the cache's objects need no copy.
	if err := r.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "listing DittoServers to follow a new policy")
		return
	}
	for i := range list.Items {
		queue.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
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
