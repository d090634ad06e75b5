package controller

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAdapterWarnings(t *testing.T) {
	warnings := []string{
		`adapter "nfs": the DittoFS API reported port 0, so the type's default port 12049 is assumed`,
		`adapter "smb" is enabled but not running: it gets no Service, NetworkPolicy or container port until it runs`,
		`[team] adapter "nfs" is slow`,
		`adapter "nfs4" is unknown`,
		`platform packages set the annotation "a" of adapter "smb" to different values [x y]: the last package by name wins`,
		`a warning about no adapter`,
	}
	byAdapter, general := adapterWarnings(warnings, []string{"nfs", "smb"})
	want := map[string][]string{
		"nfs": {warnings[0], warnings[2]},
		"smb": {warnings[1], warnings[4]},
	}
	if !reflect.DeepEqual(byAdapter, want) {
		t.Errorf("by adapter = %q, want %q", byAdapter, want)
	}
	if wantGeneral := []string{warnings[3], warnings[5]}; !reflect.DeepEqual(general, wantGeneral) {
		t.Errorf("general = %q, want %q (nfs4 is not nfs)", general, wantGeneral)
	}
}

func TestReportWarningsOncePerDistinctWarning(t *testing.T) {
	r := newTestReconciler(t)
	server, st := testServer(), &serverState{}
	a, b := `adapter "nfs": port 0`, `adapter "smb" is enabled but not running`
	steps := []struct {
		warnings []string
		events   int
	}{
		{[]string{a, b}, 2},
		{[]string{a, b}, 0}, // the next poll: nothing new
		{[]string{a}, 0},    // b's cause went
		{[]string{a, b}, 1}, // and came back: reported again
		{nil, 0},
	}
	for i, step := range steps {
		r.reportWarnings(server, st, step.warnings)
		if got := r.recorded(); len(got) != step.events {
			t.Fatalf("step %d: events %q, want %d", i, got, step.events)
		}
	}
}

func TestReportLoadBalancers(t *testing.T) {
	r := newTestReconciler(t)
	server, st := testServer(), &serverState{}
	server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 30 * time.Second}
	grace := loadBalancerGrace(server)
	if grace != 90*time.Second {
		t.Fatalf("grace = %s, want three 30s intervals", grace)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "fs1-nfs", UID: "svc", CreationTimestamp: metav1.NewTime(r.clock.Now())},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.7",
			Ports: []corev1.ServicePort{{Port: 12049, NodePort: 31000}}},
	}
	services := map[string]*corev1.Service{"nfs": svc}

	report := r.reportLoadBalancers(server, st, services)
	if len(report.overdue) != 0 || report.recheckIn != grace {
		t.Fatalf("within the grace period: %+v, want none overdue and a recheck in %s", report, grace)
	}
	r.clock.Step(grace)
	for range 3 { // three reconciles, one event
		report = r.reportLoadBalancers(server, st, services)
	}
	if !reflect.DeepEqual(report.overdue, []string{"fs1-nfs"}) {
		t.Fatalf("after the grace period: overdue %v", report.overdue)
	}
	events := r.recorded()
	if len(events) != 1 || !strings.Contains(events[0], "LoadBalancerPending") ||
		!strings.Contains(events[0], "overrides.nfs.type: NodePort") || !strings.Contains(events[0], "node:31000") {
		t.Fatalf("events %q, want one LoadBalancerPending warning with the way out and the node port", events)
	}

	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.9"}}
	report = r.reportLoadBalancers(server, st, services)
	if len(report.overdue) != 0 || report.recheckIn != 0 {
		t.Fatalf("with an address: %+v", report)
	}
	if events := r.recorded(); len(events) != 1 || !strings.Contains(events[0], "LoadBalancerAssigned") || !strings.Contains(events[0], "203.0.113.9") {
		t.Fatalf("events %q, want one LoadBalancerAssigned", events)
	}
	r.reportLoadBalancers(server, st, services)
	if events := r.recorded(); len(events) != 0 {
		t.Fatalf("events %q once the address is known, want none", events)
	}
}

func TestServiceEndpoints(t *testing.T) {
	lb := &corev1.Service{Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.7",
		Ports: []corev1.ServicePort{{Port: 12049, NodePort: 31000}},
	}}
	if got, want := serviceEndpoints(lb), []string{"pending", "node:31000", "10.0.0.7:12049"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pending load balancer: %v, want %v", got, want)
	}
	lb.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "nfs.example.com"}}
	if got, want := serviceEndpoints(lb), []string{"nfs.example.com:12049", "node:31000", "10.0.0.7:12049"}; !reflect.DeepEqual(got, want) {
		t.Errorf("load balancer with a host name: %v, want %v", got, want)
	}
	headless := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Port: 1}}}}
	if got := serviceEndpoints(headless); len(got) != 0 {
		t.Errorf("headless: %v, want none", got)
	}
	if got := serviceEndpoints(nil); got != nil {
		t.Errorf("no Service: %v", got)
	}
}

func TestActionForKeepsProblemsApart(t *testing.T) {
	a, b := actionFor("Service a refused"), actionFor("Service b refused")
	if a == b || a != actionFor("Service a refused") || len(a) > 128 {
		t.Errorf("actions %q and %q: want stable, distinct, at most 128 characters", a, b)
	}
}
