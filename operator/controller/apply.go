package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
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
// nothing to change makes no write. exists says whether live was found. It
// reports a change only when the object was created or its resourceVersion
// moved: an apply that another controller's normalisation makes a no-op
// changed nothing, and is remembered as in sync so it is not sent again.
//
// Reading back the fields the operator owns is the costly part of a steady
// reconcile, so memo remembers the objects found in sync: an object whose
// resourceVersion and desired fields are both unchanged since is in sync
// still. Any write to the object, by anyone, changes its resourceVersion.
func applyIfChanged[O client.Object, AC runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, memo appliedMemo, live O, exists bool, desired AC, extract extractFunc[O, AC],
) (bool, error) {
	fingerprint, fingerprinted := fingerprintOf(desired)
	if exists {
		if fingerprinted && memo.inSync(live, fingerprint) {
			return false, nil
		}
		current, err := extract(live, FieldOwner)
		if err != nil {
			return false, fmt.Errorf("reading the fields the operator owns: %w", err)
		}
		if equalApplyConfigs(current, desired) {
			if fingerprinted {
				memo.record(live, fingerprint)
			}
			return false, nil
		}
	}
	if err := c.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return false, err
	}
	// The apply response is decoded into desired: the object as it is now,
	// which holds the desired fields. Remembering it in sync spares the
	// reconciles its own write starts a comparison.
	now := identityOf(desired)
	if fingerprinted && now.ResourceVersion != "" {
		memo.record(now, fingerprint)
	}
	if !exists {
		return true, nil
	}
	if now.ResourceVersion == live.GetResourceVersion() {
		if fingerprinted {
			memo.record(live, fingerprint)
		}
		return false, nil
	}
	return true, nil
}

// identityOf reads the UID and resourceVersion of an apply configuration
// filled by the API server's answer; empty when it has none.
func identityOf(ac any) *metav1.PartialObjectMetadata {
	var obj metav1.PartialObjectMetadata
	if data, err := json.Marshal(ac); err == nil {
		_ = json.Unmarshal(data, &obj)
	}
	return &obj
}

// appliedMemo records, by object UID, the resourceVersion at which an
// object was found to hold the desired fields, and their fingerprint. A nil
// memo remembers nothing.
type appliedMemo map[types.UID]appliedRecord

type appliedRecord struct {
	resourceVersion string
	fingerprint     uint64
}

func (m appliedMemo) inSync(obj client.Object, fingerprint uint64) bool {
	rec, ok := m[obj.GetUID()]
	return ok && rec.resourceVersion == obj.GetResourceVersion() && rec.fingerprint == fingerprint
}

func (m appliedMemo) record(obj client.Object, fingerprint uint64) {
	if m != nil {
		m[obj.GetUID()] = appliedRecord{resourceVersion: obj.GetResourceVersion(), fingerprint: fingerprint}
	}
}

func (m appliedMemo) forget(obj client.Object) { delete(m, obj.GetUID()) }

// fingerprintOf hashes the JSON form of an apply configuration; false when
// it cannot be encoded, which only disables the memo.
func fingerprintOf(desired any) (uint64, bool) {
	data, err := json.Marshal(desired)
	if err != nil {
		return 0, false
	}
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64(), true
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
