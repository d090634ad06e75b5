package controller

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// event records a Kubernetes event on the DittoServer, about the related
// object (nil when the event is about the server itself). Messages never
// carry secrets: they name objects, ports and reasons only.
//
// The events API folds events of the same reason, action and related object
// into one series, so the related object is what keeps "Created Service a"
// and "Created Service b" apart.
func (r *DittoServerReconciler) event(server *dittov1.DittoServer, related client.Object, eventType, reason, action, note string, args ...any) {
	if r.Recorder == nil {
		return
	}
	if related == nil {
		r.Recorder.Eventf(server, nil, eventType, reason, action, note, args...)
		return
	}
	r.Recorder.Eventf(server, related, eventType, reason, action, note, args...)
}

// eventForChange records that obj was created or updated; op is what
// applyOwned returned ("" records nothing).
func (r *DittoServerReconciler) eventForChange(server *dittov1.DittoServer, op string, obj client.Object, why string) {
	kind := kindOf(r.Scheme, obj)
	switch op {
	case "created":
		r.event(server, obj, corev1.EventTypeNormal, "Created", "Create", "Created %s %s", kind, obj.GetName())
	case "updated":
		r.event(server, obj, corev1.EventTypeNormal, "Updated", "Update", "Updated %s %s: %s", kind, obj.GetName(), why)
	}
}

// named is an object of the given type that exists only to be named by an
// event.
func named[T any, PT interface {
	*T
	client.Object
}](namespace, name string) PT {
	obj := PT(new(T))
	obj.SetNamespace(namespace)
	obj.SetName(name)
	return obj
}

// adapterWord turns an adapter type into the word an event uses ("nfs" →
// "NFS" for the known protocols, else the type as given).
func adapterWord(adapterType string) string {
	switch adapterType {
	case "nfs", "smb":
		return strings.ToUpper(adapterType)
	default:
		return adapterType
	}
}
