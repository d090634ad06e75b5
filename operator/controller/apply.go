package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the server-side apply field manager of every object the
// operator writes. Fields it does not set (cluster IPs, node ports, other
// controllers' labels and annotations) belong to someone else and are kept.
const FieldOwner = "dittofs-operator"

// extractFunc returns the fields of obj owned by a field manager, as an apply
// configuration (for example corev1ac.ExtractService).
type extractFunc[O client.Object, AC runtime.ApplyConfiguration] func(obj O, fieldManager string) (AC, error)

// applyIfChanged server-side applies desired unless live already holds exactly
// those fields under the operator's ownership, so that a reconcile with
// nothing to change makes no write. live is nil when the object is absent.
func applyIfChanged[O client.Object, AC runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, live O, exists bool, desired AC, extract extractFunc[O, AC],
) (bool, error) {
	if exists {
		current, err := extract(live, FieldOwner)
		if err != nil {
			return false, fmt.Errorf("reading the fields the operator owns: %w", err)
		}
		if equalApplyConfigs(current, desired) {
			return false, nil
		}

	}
	if err := c.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return false, err
	}
	return true, nil
}

// equalApplyConfigs compares two apply configurations semantically (for
// example 1000m and 1 are the same quantity).
func equalApplyConfigs(a, b any) bool {
	return equality.Semantic.DeepEqual(a, b)
}

// changeOf names the change an apply made to an object that existed or not.
func changeOf(existed bool) string {
	if existed {
		return "updated"
	}
	return "created"
}
