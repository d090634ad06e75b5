package kubetest

import (
	"context"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const provisionerManager = "kubetest-volume-provisioner"

// volumeProvisioner plays a storage provisioner: every claim that waits for
// a volume gets one of its size, pre-bound to it, which kube-controller-
// manager's volume binder then binds, so that kube-scheduler can place the
// pods that use it.
type volumeProvisioner struct {
	client.Client
}

func setupVolumeProvisioner(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("kubetest-volume-provisioner").
		For(&corev1.PersistentVolumeClaim{}).Complete(&volumeProvisioner{Client: mgr.GetClient()})
}

func (p *volumeProvisioner) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var claim corev1.PersistentVolumeClaim
	if err := p.Get(ctx, req.NamespacedName, &claim); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if claim.Spec.VolumeName != "" || !claim.DeletionTimestamp.IsZero() || claim.Status.Phase != corev1.ClaimPending {
		return ctrl.Result{}, nil
	}
	mode := corev1.PersistentVolumeFilesystem
	volume := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-" + string(claim.UID)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      claim.Spec.Resources.Requests,
			AccessModes:                   claim.Spec.AccessModes,
			VolumeMode:                    &mode,
			StorageClassName:              ptrDeref(claim.Spec.StorageClassName),
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join("/var/lib/kubetest/volumes", string(claim.UID)),
			}},
			ClaimRef: &corev1.ObjectReference{
				APIVersion: "v1", Kind: "PersistentVolumeClaim",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID,
			},
		},
	}
	return ctrl.Result{}, client.IgnoreAlreadyExists(p.Create(ctx, volume, client.FieldOwner(provisionerManager)))
}

func ptrDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
