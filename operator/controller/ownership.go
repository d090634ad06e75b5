package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/utils/ptr"
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
	if obj.GetLabels()[dittov1.LabelManagedBy] != dittov1.ManagedBy {
		return false
	}
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.UID == server.UID && ref.Kind == "DittoServer"
}
