package kubetest

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Marks the field writer leaves on the objects it has seen.
const (
	FieldWriterAnnotation = "neighbours.kubetest.dittofs.io/observed-at"
	FieldWriterLabel      = "neighbours.kubetest.dittofs.io/observed"
	fieldWriterManager    = "kubetest-field-writer"
)

// fieldWriter plays the controllers that write their own fields on other
// controllers' objects (service meshes, cloud integrations, cost tools): in
// namespaces labelled LabelFieldWriter=on it adds an annotation and a label
// to every Service and NetworkPolicy, and on Services normalises each port's
// appProtocol to its name, once per object, as an update of its own.
type fieldWriter struct {
	client.Client
	sw namespaceSwitch
}

func setupFieldWriter(mgr ctrl.Manager) error {
	w := &fieldWriter{Client: mgr.GetClient(), sw: namespaceSwitch{mgr.GetClient()}}
	if err := ctrl.NewControllerManagedBy(mgr).Named("kubetest-field-writer-service").
		For(&corev1.Service{}).Complete(w.reconcilerFor(&corev1.Service{})); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).Named("kubetest-field-writer-networkpolicy").
		For(&networkingv1.NetworkPolicy{}).Complete(w.reconcilerFor(&networkingv1.NetworkPolicy{}))
}

// reconcilerFor binds the field writer to one kind.
func (w *fieldWriter) reconcilerFor(kind client.Object) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		obj := kind.DeepCopyObject().(client.Object)
		if err := w.Get(ctx, req.NamespacedName, obj); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
		return reconcile.Result{}, w.mark(ctx, obj)
	})
}

func (w *fieldWriter) mark(ctx context.Context, obj client.Object) error {
	if !obj.GetDeletionTimestamp().IsZero() || w.sw.value(ctx, obj.GetNamespace(), LabelFieldWriter) != "on" {
		return nil
	}
	if _, seen := obj.GetAnnotations()[FieldWriterAnnotation]; seen {
		return nil
	}
	patch := client.MergeFromWithOptions(obj.DeepCopyObject().(client.Object), client.MergeFromWithOptimisticLock{})
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[FieldWriterAnnotation] = obj.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z")
	obj.SetAnnotations(annotations)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[FieldWriterLabel] = "true"
	obj.SetLabels(labels)
	if svc, ok := obj.(*corev1.Service); ok {
		for i := range svc.Spec.Ports {
			if p := &svc.Spec.Ports[i]; p.AppProtocol == nil && p.Name != "" {
				p.AppProtocol = ptrTo(p.Name)
			}
		}
	}
	return client.IgnoreNotFound(w.Patch(ctx, obj, patch, client.FieldOwner(fieldWriterManager)))
}
