package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// lookupOwned reads the object named key into obj. It reports whether the
// operator manages it for server; an object of the same name that belongs to
// anyone else is a nameConflictError.
//
// The cache holds only objects labelled as managed by the operator, so a
// cache miss is confirmed against the API server: this is what keeps a
// user's object of the same name from being overwritten. An object found
// there with this server's controller reference is the operator's own: the
// cache has not caught up with its creation yet, or someone removed its
// managed-by label, which the next apply puts back.
func (r *DittoServerReconciler) lookupOwned(ctx context.Context, server *dittov1.DittoServer, key types.NamespacedName, obj client.Object) (bool, error) {
	gvk, err := apiutil.GVKForObject(obj, r.Scheme)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", key.Name, err)
	}
	kind := gvk.Kind
	err = r.Get(ctx, key, obj)
	if err == nil {
		if !ownedBy(obj, server) {
			return false, &nameConflictError{kind: kind, name: key.Name}
		}
		return true, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
	}
	switch err := r.APIReader.Get(ctx, key, obj); {
	case err == nil && controlledBy(obj, server):
		return true, nil
	case err == nil:
		return false, &nameConflictError{kind: kind, name: key.Name}
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
	}
}

// applyOwned applies desired to the object named key unless it already holds
// exactly those fields. It returns "created", "updated" or "" (no change).
// It runs in a reconcile, which holds the server's state.
func applyOwned[O client.Object, AC runtime.ApplyConfiguration](
	ctx context.Context, r *DittoServerReconciler, server *dittov1.DittoServer,
	key types.NamespacedName, live O, desired AC, extract extractFunc[O, AC],
) (string, error) {
	return applyOwnedWith(ctx, r, server, r.states.get(server.UID).applied, key, live, desired, extract)
}

// applyOwnedWith is applyOwned remembering the objects found in sync in
// memo, which its caller alone uses.
func applyOwnedWith[O client.Object, AC runtime.ApplyConfiguration](
	ctx context.Context, r *DittoServerReconciler, server *dittov1.DittoServer, memo appliedMemo,
	key types.NamespacedName, live O, desired AC, extract extractFunc[O, AC],
) (string, error) {
	exists, err := r.lookupOwned(ctx, server, key, live)
	if err != nil {
		return "", err
	}
	changed, err := applyIfChanged(ctx, r.Client, memo, live, exists, desired, extract)
	if err != nil {
		gvk, _ := apiutil.GVKForObject(live, r.Scheme) // known: lookupOwned resolved it
		return "", fmt.Errorf("applying %s %s: %w", gvk.Kind, key.Name, err)
	}
	if !changed {
		return "", nil
	}
	return changeOf(exists), nil
}
