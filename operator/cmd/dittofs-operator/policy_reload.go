package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// maxEventNote is the longest note the events API accepts.
const maxEventNote = 1024

// policyReporter reports each load of the policy bundle: a metric, an event
// on the ConfigMap the policy folder is mounted from (when it is one), and,
// when a new bundle serves, a reconcile of every DittoServer with it. The
// engine logs the load itself.
//
// Every replica loads the bundle (its webhook evaluates it too), but only
// the leader writes to the cluster, events included: a replica keeps its
// last load until it leads, then reports it (see Start).
type policyReporter struct {
	reader   client.Reader
	recorder recorder.EventRecorder
	// configMap is where the policy folder comes from; empty Name when it is
	// not a ConfigMap (or none is named).
	configMap types.NamespacedName
	// dir is the policy folder, left out of file names in events: there
	// they are keys of the ConfigMap.
	dir        string
	reconciler *controller.DittoServerReconciler
	log        logr.Logger

	mu      sync.Mutex // serializes events; guards the fields below
	leading bool
	pending *networking.ReloadResult // the last load, while not leading
}

func (p *policyReporter) onReload(r networking.ReloadResult) {
	if r.Err != nil {
		policyReloads.WithLabelValues("refused").Inc()
	} else {
		policyReloads.WithLabelValues("served").Inc()
	}
	p.mu.Lock()
	if p.leading {
		p.eventOnConfigMap(r)
	} else {
		p.pending = &r
	}
	p.mu.Unlock()
	if r.Err == nil && p.reconciler != nil {
		p.reconciler.PolicyChanged(context.Background())
	}
}

// Start runs once this replica leads: it reports the last load seen before,
// and every later one as it comes. It has the shape of a controller-runtime
// manager.Runnable.
func (p *policyReporter) Start(ctx context.Context) error {
	p.mu.Lock()
	p.leading = true
	if p.pending != nil {
		p.eventOnConfigMap(*p.pending)
		p.pending = nil
	}
	p.mu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection is true: events are writes, which the leader makes.
func (p *policyReporter) NeedLeaderElection() bool { return true }

// eventOnConfigMap records the load on the policy ConfigMap, where
// `kubectl describe configmap` shows it: a Warning naming each refused
// file and line, or a Normal event with the revision now serving.
func (p *policyReporter) eventOnConfigMap(r networking.ReloadResult) {
	if p.configMap.Name == "" || p.recorder == nil {
		return
	}
	// The event must carry the ConfigMap's UID for describe to find it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cm := &corev1.ConfigMap{}
	if err := p.reader.Get(ctx, p.configMap, cm); err != nil {
		p.log.Error(err, "cannot report the policy load on its ConfigMap", "configMap", p.configMap.String())
		return
	}
	if r.Err != nil {
		p.recorder.Eventf(cm, nil, corev1.EventTypeWarning, "PolicyRefused", "Load", "%s", truncate(refusedNote(r, p.dir)))
		return
	}
	p.recorder.Eventf(cm, nil, corev1.EventTypeNormal, "PolicyLoaded", "Load",
		"Policy bundle %s serves every DittoServer (status.policyRevision)", r.Revision)
}

// refusedNote says what was refused, what serves instead, and why, with
// file names as the ConfigMap's keys.
func refusedNote(r networking.ReloadResult, dir string) string {
	serving := "no bundle serves, so adapter objects stay as they are until one loads"
	if r.Serving != "" {
		serving = "revision " + r.Serving + " keeps serving"
	}
	what := "the policy files"
	if r.Revision != "" {
		what = "policy bundle " + r.Revision
	}
	// The engine's error repeats the revision; the note has it already.
	reason := strings.TrimPrefix(r.Err.Error(), "policy bundle "+r.Revision+" refused: ")
	if dir != "" {
		reason = strings.ReplaceAll(reason, filepath.Clean(dir)+string(filepath.Separator), "")
	}
	return "Refused " + what + " (" + serving + "): " + reason
}

// truncate cuts a note to what the events API accepts, on a rune boundary.
func truncate(note string) string {
	if len(note) <= maxEventNote {
		return note
	}
	const ellipsis = "..."
	cut := maxEventNote - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + ellipsis
}
