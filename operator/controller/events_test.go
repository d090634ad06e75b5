package controller

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// TestOneEventPerReconcile: the changes of a reconcile make one event,
// headed by the adapter Service's change, which also names the related
// object (events about different Services are never folded together).
func TestOneEventPerReconcile(t *testing.T) {
	r := newTestReconciler(t)
	server := testServer()
	st := r.states.get(server.UID)
	smb := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fs1-smb", Namespace: "storage", UID: "svc-uid",
		Labels: map[string]string{dittov1.LabelComponent: networking.ComponentAdapterService}}}
	r.eventForChange(server, "updated", named[corev1.Service]("storage", "fs1-headless"), "ports changed")
	r.noteChange(server, smb, "Deleted", "Delete", "Deleted %s Service %s: %s", "SMB", "fs1-smb", "adapter stopped")
	r.noteChange(server, named[corev1.Service]("storage", "fs1-smb"), "Deleted", "Delete", "Deleted NetworkPolicy fs1-smb: SMB adapter stopped")
	r.recordChanges(server, st)
	events := r.recorded()
	want := "Normal Deleted Deleted SMB Service fs1-smb: adapter stopped; updated Service fs1-headless: ports changed; " +
		"deleted NetworkPolicy fs1-smb: SMB adapter stopped"
	if len(events) != 1 || events[0] != want {
		t.Fatalf("events %q, want [%q]", events, want)
	}
	r.recordChanges(server, st)
	if events := r.recorded(); len(events) != 0 {
		t.Errorf("a reconcile that changed nothing recorded %q", events)
	}
}

func TestJoinNotesStaysWithinTheLimit(t *testing.T) {
	var notes []string
	for i := range 40 {
		notes = append(notes, fmt.Sprintf("Created adapter%02d Service fs1-adapter%02d on port %d", i, i, 20000+i))
	}
	got := joinNotes(notes, maxEventNote)
	if len(got) > maxEventNote || !strings.HasSuffix(got, " more") || !strings.HasPrefix(got, notes[0]+"; ") {
		t.Errorf("%d bytes: %q", len(got), got)
	}
	if got := joinNotes(notes[:3], maxEventNote); got != strings.Join(notes[:3], "; ") {
		t.Errorf("three notes joined as %q", got)
	}
	if got := joinNotes([]string{strings.Repeat("x", 2000), "b"}, maxEventNote); len(got) > maxEventNote {
		t.Errorf("a long first note: %d bytes", len(got))
	}
}

// TestNoStatusWriteTheCacheHasNotSeenYet: a reconcile that reads the
// server from a cache that has not seen the status just written, and
// computes that same status, writes nothing.
func TestNoStatusWriteTheCacheHasNotSeenYet(t *testing.T) {
	ctx := context.Background()
	stored := testServer()
	r := newTestReconciler(t, stored)
	var writes atomic.Int64
	r.Client = &countingClient{Client: r.Client, writes: &writes}
	var stale dittov1.DittoServer
	if err := r.Get(ctx, client.ObjectKeyFromObject(stored), &stale); err != nil {
		t.Fatal(err)
	}
	st := &serverState{}
	reconcile := func(phase dittov1.Phase) {
		original := stale.DeepCopy()
		server := stale.DeepCopy()
		server.Status.Phase = phase
		if err := r.writeStatus(ctx, st, original, server); err != nil {
			t.Fatal(err)
		}
	}
	reconcile(dittov1.PhaseRunning)
	if writes.Load() != 1 {
		t.Fatalf("%d writes for a new status", writes.Load())
	}
	reconcile(dittov1.PhaseRunning)
	if writes.Load() != 1 {
		t.Errorf("the status the cache has not seen yet was written again")
	}
	reconcile(dittov1.PhaseDegraded)
	if writes.Load() != 2 {
		t.Errorf("a new status was not written")
	}
}

// TestAStaleReadClearsWhatTheLastWriteSet: a reconcile that reads the server
// from a cache that has not seen the status just written patches against
// that status, so a field it set and this reconcile clears is cleared.
func TestAStaleReadClearsWhatTheLastWriteSet(t *testing.T) {
	ctx := context.Background()
	stored := testServer()
	r := newTestReconciler(t, stored)
	var stale dittov1.DittoServer
	if err := r.Get(ctx, client.ObjectKeyFromObject(stored), &stale); err != nil {
		t.Fatal(err)
	}
	st := &serverState{}
	tryWrite := func(from *dittov1.DittoServer, phase dittov1.Phase, reason string) error {
		server := from.DeepCopy()
		server.Status.Phase, server.Status.Reason = phase, reason
		return r.writeStatus(ctx, st, from.DeepCopy(), server)
	}
	write := func(from *dittov1.DittoServer, phase dittov1.Phase, reason string) {
		if err := tryWrite(from, phase, reason); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *dittov1.DittoServer {
		var s dittov1.DittoServer
		if err := r.Get(ctx, client.ObjectKeyFromObject(stored), &s); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	write(&stale, dittov1.PhaseProvisioning, "PodNotReady")
	write(&stale, dittov1.PhaseRunning, "") // the cache has not seen the first write
	if got := read().Status; got.Phase != dittov1.PhaseRunning || got.Reason != "" {
		t.Fatalf("status %s/%q after a stale read, want Running with no reason", got.Phase, got.Reason)
	}

	// A version of unknown age is written only if it is the current one.
	fresh := read()
	write(fresh, dittov1.PhaseDegraded, "PollFailed")
	if err := tryWrite(&stale, dittov1.PhaseRunning, ""); !apierrors.IsConflict(err) {
		t.Errorf("a write from a version two writes old: %v, want a conflict", err)
	}
	if got := read().Status; got.Phase != dittov1.PhaseDegraded || got.Reason != "PollFailed" {
		t.Errorf("status %s/%q: a write from a version two writes old went through", got.Phase, got.Reason)
	}
}

func TestAdapterWordIsTheDisplayNameOfAnyType(t *testing.T) {
	for adapterType, want := range map[string]string{
		"nfs": "NFS", "smb": "SMB", "webdav": "WebDAV", "iscsi": "iSCSI",
		"nfs4": "nfs4", "Custom_Proto": "Custom_Proto", // as the API reports them
	} {
		if got := adapterWord(adapterType); got != want {
			t.Errorf("adapterWord(%q) = %q, want %q", adapterType, got, want)
		}
	}
}

func TestServicePortsNameTheTargetWhenItDiffers(t *testing.T) {
	svc := corev1ac.Service("fs1-nfs", "storage").WithSpec(corev1ac.ServiceSpec().WithPorts(
		corev1ac.ServicePort().WithPort(2049).WithTargetPort(intstr.FromInt32(12049)),
		corev1ac.ServicePort().WithPort(1445).WithTargetPort(intstr.FromInt32(1445)),
	))
	if got, want := desiredServicePorts(svc), "1445,2049→12049"; got != want {
		t.Errorf("ports %q, want %q", got, want)
	}
}
