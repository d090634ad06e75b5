package controller

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// event records a Kubernetes event on the DittoServer. Messages never carry
// secrets: they name objects, ports and reasons only.
func (r *DittoServerReconciler) event(server *dittov1.DittoServer, eventType, reason, action, note string, args ...any) {
	if r.Recorder == nil {
		return
	}
	r.Recorder.Eventf(server, nil, eventType, reason, action, note, args...)
}

// eventForChange records that an object was created or updated; op is what
// applyOwned returned ("" records nothing).
func (r *DittoServerReconciler) eventForChange(server *dittov1.DittoServer, op, kind, name, why string) {
	switch op {
	case "created":
		r.event(server, corev1.EventTypeNormal, "Created", "Create", "Created %s %s", kind, name)
	case "updated":
		r.event(server, corev1.EventTypeNormal, "Updated", "Update", "Updated %s %s: %s", kind, name, why)
	}
}

// adapterWord turns an adapter type into the word an event uses ("nfs" → "NFS"
// for the known protocols, else the type as given).
func adapterWord(adapterType string) string {
	switch adapterType {
	case "nfs", "smb":
		return strings.ToUpper(adapterType)
	default:
		return adapterType
	}
}
