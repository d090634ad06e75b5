package controller

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

func TestPendingPorts(t *testing.T) {
	nfs := corev1.ContainerPort{Name: "nfs", ContainerPort: 12049, Protocol: corev1.ProtocolTCP}
	smb := corev1.ContainerPort{Name: "smb", ContainerPort: 1445, Protocol: corev1.ProtocolTCP}
	smbMoved := corev1.ContainerPort{Name: "smb", ContainerPort: 2445} // protocol defaults to TCP
	for _, tc := range []struct {
		name             string
		wanted, declared []corev1.ContainerPort
		want             *dittov1.PendingPortsStatus
	}{
		{"in sync", []corev1.ContainerPort{nfs, smb}, []corev1.ContainerPort{smb, nfs}, nil},
		{"nothing either way", nil, nil, nil},
		{"an adapter stopped", []corev1.ContainerPort{nfs}, []corev1.ContainerPort{nfs, smb}, &dittov1.PendingPortsStatus{Remove: []string{"smb:1445/TCP"}}},
		{"an adapter started", []corev1.ContainerPort{nfs, smb}, []corev1.ContainerPort{nfs}, &dittov1.PendingPortsStatus{Add: []string{"smb:1445/TCP"}}},
		{"an adapter moved", []corev1.ContainerPort{nfs, smbMoved}, []corev1.ContainerPort{nfs, smb},
			&dittov1.PendingPortsStatus{Add: []string{"smb:2445/TCP"}, Remove: []string{"smb:1445/TCP"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pendingPorts(tc.wanted, tc.declared); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pendingPorts = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDeferPorts(t *testing.T) {
	withPod := &appsv1.StatefulSet{Status: appsv1.StatefulSetStatus{Replicas: 1}}
	noPod := &appsv1.StatefulSet{}
	zero := int32(0)
	for _, tc := range []struct {
		name    string
		rollout dittov1.PortRollout
		stopped bool
		live    *appsv1.StatefulSet
		want    bool
	}{
		{"default, a pod serves", "", false, withPod, true},
		{"Deferred, a pod serves", dittov1.PortRolloutDeferred, false, withPod, true},
		{"Immediate", dittov1.PortRolloutImmediate, false, withPod, false},
		{"no pod yet: nothing to restart", "", false, noPod, false},
		{"scaled to zero", "", true, withPod, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := testServer()
			server.Spec.AdapterPorts.Rollout = tc.rollout
			if tc.stopped {
				server.Spec.Replicas = &zero
			}
			if got := deferPorts(server, tc.live); got != tc.want {
				t.Errorf("deferPorts = %v, want %v", got, tc.want)
			}
		})
	}
}
