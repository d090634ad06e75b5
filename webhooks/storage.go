package webhooks

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// storageChecks refuse changes to spec.storage once the server exists: the
// volumes are volume claim templates of the StatefulSet, which Kubernetes
// does not let change, so the controller could never apply them.
func storageChecks(oldServer, server *dittov1.DittoServer) field.ErrorList {
	path := field.NewPath("spec", "storage")
	oldStorage, storage := &oldServer.Spec.Storage, &server.Spec.Storage
	var errs field.ErrorList
	if oldStorage.MetadataSize.Cmp(storage.MetadataSize) != 0 {
		errs = append(errs, field.Forbidden(path.Child("metadataSize"), sizeChange(
			oldStorage.MetadataSize.String(), storage.MetadataSize.String(), "metadata-"+server.Name+"-0")))
	}
	if !sameSize(oldStorage.CacheSize, storage.CacheSize) {
		errs = append(errs, field.Forbidden(path.Child("cacheSize"), cacheChange(oldStorage.CacheSize, storage.CacheSize, server.Name)))
	}
	if ptr.Deref(oldStorage.StorageClassName, "") != ptr.Deref(storage.StorageClassName, "") {
		errs = append(errs, field.Forbidden(path.Child("storageClassName"), fmt.Sprintf(
			"cannot change from %q to %q: the volume claim templates of a StatefulSet are immutable; "+
				"to move to another storage class, create a new DittoServer and migrate the data",
			ptr.Deref(oldStorage.StorageClassName, ""), ptr.Deref(storage.StorageClassName, ""))))
	}
	return errs
}

func sizeChange(from, to, claim string) string {
	return fmt.Sprintf("cannot change from %s to %s: the volume claim templates of a StatefulSet are immutable; "+
		"keep the value and, to grow the volume, expand the PersistentVolumeClaim %s directly "+
		"(its StorageClass must allow volume expansion), or create a new DittoServer and migrate the data",
		from, to, claim)
}

func cacheChange(from, to *resource.Quantity, instance string) string {
	if from != nil && to != nil {
		return sizeChange(from.String(), to.String(), "cache-"+instance+"-0")
	}
	return fmt.Sprintf("cannot change from %s to %s: switching the cache between an emptyDir and a volume "+
		"changes the volume claim templates of the StatefulSet, which are immutable; "+
		"keep the value, or create a new DittoServer and migrate the data", sizeString(from), sizeString(to))
}

func sameSize(a, b *resource.Quantity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(*b) == 0
}

func sizeString(q *resource.Quantity) string {
	if q == nil {
		return "none (emptyDir)"
	}
	return q.String()
}
