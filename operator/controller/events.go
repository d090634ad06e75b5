package controller

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
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

// eventForChange notes that obj was created or updated; op is what
// applyOwned returned ("" notes nothing).
func (r *DittoServerReconciler) eventForChange(server *dittov1.DittoServer, op string, obj client.Object, why string) {
	gvk, _ := apiutil.GVKForObject(obj, r.Scheme) // known: the object was just applied through this scheme
	kind := gvk.Kind
	switch op {
	case "created":
		r.noteChange(server, obj, "Created", "Create", "Created %s %s", kind, obj.GetName())
	case "updated":
		r.noteChange(server, obj, "Updated", "Update", "Updated %s %s: %s", kind, obj.GetName(), why)
	}
}

// A reconcile that changes objects records one event naming them all, not
// one per object: an adapter disabled deletes its Service and
// NetworkPolicy and updates the ports of the StatefulSet and the headless
// Service, one change to the user and four writes fewer to the API server.

// change is one object a reconcile changed.
type change struct {
	related        client.Object
	reason, action string
	note           string
}

// noteChange notes a change for the reconcile's event. Only the reconcile
// of server calls it: it holds the server's state.
func (r *DittoServerReconciler) noteChange(server *dittov1.DittoServer, related client.Object, reason, action, note string, args ...any) {
	st := r.states.get(server.UID)
	st.changes = append(st.changes, change{related: related, reason: reason, action: action, note: fmt.Sprintf(note, args...)})
}

// maxEventNote keeps a note within the 1 kB the events API accepts.
const maxEventNote = 1000

// recordChanges records the reconcile's changes as one Normal event. Its
// reason, action and related object are those of the first change to an
// adapter Service, else of the first change: the related object keeps two
// events about different changes from being folded into one series.
func (r *DittoServerReconciler) recordChanges(server *dittov1.DittoServer, st *serverState) {
	changes := st.changes
	st.changes = nil
	if len(changes) == 0 {
		return
	}
	headline := 0
	for i, c := range changes {
		if c.related != nil && c.related.GetLabels()[dittov1.LabelComponent] == networking.ComponentAdapterService {
			headline = i
			break
		}
	}
	head := changes[headline]
	notes := []string{head.note}
	for i, c := range changes {
		if i != headline {
			notes = append(notes, lowerFirst(c.note))
		}
	}
	r.event(server, head.related, corev1.EventTypeNormal, head.reason, head.action, "%s", joinNotes(notes, maxEventNote))
}

// joinNotes joins notes with "; " into at most limit bytes, ending with
// "; and N more" when some do not fit.
func joinNotes(notes []string, limit int) string {
	text := notes[0]
	if len(text) > limit/2 {
		text = text[:limit/2] + "…"
	}
	for i := 1; i < len(notes); i++ {
		next := text + "; " + notes[i]
		tail := ""
		if after := len(notes) - i - 1; after > 0 {
			tail = fmt.Sprintf("; and %d more", after)
		}
		if len(next)+len(tail) > limit {
			return text + fmt.Sprintf("; and %d more", len(notes)-i)
		}
		text = next
	}
	return text
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
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
