package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// ownerReference makes server the controller of an object, so that the
// garbage collector deletes the object with the server.
func ownerReference(server *dittov1.DittoServer) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(dittov1.GroupVersion.String()).
		WithKind("DittoServer").
		WithName(server.Name).
		WithUID(server.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// ownerReferenceObject is ownerReference for objects built as Go structs.
func ownerReferenceObject(server *dittov1.DittoServer) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         dittov1.GroupVersion.String(),
		Kind:               "DittoServer",
		Name:               server.Name,
		UID:                server.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// ownedBy reports whether the operator manages obj for server: it must carry
// the managed-by label and a controller reference to this very server. The
// operator changes or deletes nothing else, so a user's object that happens
// to have the same name is never taken over.
func ownedBy(obj client.Object, server *dittov1.DittoServer) bool {
	return obj.GetLabels()[dittov1.LabelManagedBy] == dittov1.ManagedBy && controlledBy(obj, server)
}

// controlledBy reports whether obj has server as its controller. Only the
// operator sets that reference with this server's UID.
func controlledBy(obj client.Object, server *dittov1.DittoServer) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.UID == server.UID && ref.Kind == "DittoServer"
}

// controllerUIDIndex indexes the cached Services and NetworkPolicies by the
// UID of their controlling DittoServer, so that listing one server's objects
// costs what it finds, not what the namespace holds.
const controllerUIDIndex = "dittofs.io/controller-uid"

// controllerUID is the index function of controllerUIDIndex.
func controllerUID(obj client.Object) []string {
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil && ref.Kind == "DittoServer" {
		return []string{string(ref.UID)}
	}
	return nil
}

// indexByController adds controllerUIDIndex to the manager's cache.
func indexByController(mgr ctrl.Manager) error {
	for _, obj := range []client.Object{&corev1.Service{}, &networkingv1.NetworkPolicy{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, controllerUIDIndex, controllerUID); err != nil {
			return fmt.Errorf("indexing %T by controller: %w", obj, err)
		}
	}
	return nil
}

// ownedListOptions list, from the cache, the objects server controls.
func ownedListOptions(server *dittov1.DittoServer) []client.ListOption {
	return []client.ListOption{
		client.InNamespace(server.Namespace),
		client.MatchingFields{controllerUIDIndex: string(server.UID)},
	}
}
