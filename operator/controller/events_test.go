package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

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
