// Package controller reconciles DittoServers: their workload, the operator's
// DittoFS account, and the Services, NetworkPolicies and ports of the
// adapters the DittoFS API reports as running.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
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
	original := server.DeepCopy()
	result, stepErr := r.reconcileServer(ctx, server)
	summarize(server)
	if err := r.patchStatus(ctx, original, server); err != nil {
		return ctrl.Result{}, errors.Join(stepErr, err)
	}
	return result, stepErr
}

// reconcileServer runs the steps in dependency order and records each one's
// outcome as a condition. A failing step does not stop independent later
// ones, but nothing that depends on it runs.
func (r *DittoServerReconciler) reconcileServer(ctx context.Context, server *dittov1.DittoServer) (ctrl.Result, error) {
	hash, err := r.reconcileConfig(ctx, server)
	if err != nil {
		return r.stepFailed(server, dittov1.ConditionConfigReady, "ConfigFailed", err)
	}
	setCondition(server, dittov1.ConditionConfigReady, metav1.ConditionTrue, "Reconciled", "configuration and Secrets are in place")

	sts, err := r.reconcileStatefulSet(ctx, server, hash, nil)
	if err != nil {
		return r.stepFailed(server, dittov1.ConditionAvailable, "StatefulSetFailed", err)
	}
	if err := r.reconcileHeadlessService(ctx, server, nil); err != nil {
		return r.stepFailed(server, dittov1.ConditionAvailable, "ServiceFailed", err)
	}
	setAvailable(server, sts)
	setCondition(server, dittov1.ConditionAuthenticated, metav1.ConditionUnknown, "Pending", "waiting for the DittoFS API")
	setCondition(server, dittov1.ConditionAdaptersReady, metav1.ConditionUnknown, "Pending", "waiting for the DittoFS API")
	return ctrl.Result{}, nil
}

// reconcileConfig puts the Secrets, the configuration file and the API
// Service in place, and returns the configuration's hash.
func (r *DittoServerReconciler) reconcileConfig(ctx context.Context, server *dittov1.DittoServer) (string, error) {
	if err := r.reconcileSecrets(ctx, server); err != nil {
		return "", err
	}
	hash, err := r.reconcileConfigMap(ctx, server)
	if err != nil {
		return "", err
	}
	return hash, r.reconcileAPIService(ctx, server)
}

// stepFailed records a failed step on its condition. Errors the user must
// fix are not retried in a loop: the next spec change or poll retries them.
func (r *DittoServerReconciler) stepFailed(server *dittov1.DittoServer, condType, reason string, err error) (ctrl.Result, error) {
	setCondition(server, condType, metav1.ConditionFalse, reasonFor(err, reason), err.Error())
	var conflict *nameConflictError
	var invalid *invalidSpecError
	if errors.As(err, &conflict) || errors.As(err, &invalid) {
		r.event(server, corev1.EventTypeWarning, reasonFor(err, reason), "Reconcile", "%s", err.Error())
		return ctrl.Result{RequeueAfter: server.Spec.PollInterval()}, nil
	}
	return ctrl.Result{}, err
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
	return ctrl.NewControllerManagedBy(mgr).
		For(&dittov1.DittoServer{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			deletionPredicate,
		))).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Secret{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&networkingv1.NetworkPolicy{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("dittoserver").
		Complete(r)
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
// Secret's content in the operator's memory.
func CacheOptions() cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{dittov1.LabelManagedBy: dittov1.ManagedBy})}
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:           managed,
			&corev1.Secret{}:              managed,
			&corev1.Service{}:             managed,
			&appsv1.StatefulSet{}:         managed,
			&networkingv1.NetworkPolicy{}: managed,
		},
	}
}

// requeueSooner keeps the earlier of two requeue delays (zero means none).
func requeueSooner(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
