package controller

import (
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

// adapterWord is the name every event gives an adapter type: the name its
// protocol goes by for the types DittoFS is known to ship ("nfs" → "NFS",
// "webdav" → "WebDAV"), else the type exactly as the API reports it, so
// that an event names an adapter the way `dfsctl adapter list` does.
func adapterWord(adapterType string) string {
	if name, ok := adapterDisplayNames[adapterType]; ok {
		return name
	}
	return adapterType
}

// adapterDisplayNames are the protocol names of well-known adapter types.
var adapterDisplayNames = map[string]string{
	"nfs":    "NFS",
	"smb":    "SMB",
	"webdav": "WebDAV",
	"ftp":    "FTP",
	"sftp":   "SFTP",
	"s3":     "S3",
	"iscsi":  "iSCSI",
}
