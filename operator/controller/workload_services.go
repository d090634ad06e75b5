package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

const apiPortName = "api"

// reconcileConfigMap publishes the DittoFS configuration file and returns
// its hash for the pod template.
func (r *DittoServerReconciler) reconcileConfigMap(ctx context.Context, server *dittov1.DittoServer) (string, error) {
	config, err := renderConfig(server)
	if err != nil {
		return "", &invalidSpecError{reason: "InvalidConfig", msg: err.Error()}
	}
	name := configMapName(server)
	desired := corev1ac.ConfigMap(name, server.Namespace).
		WithLabels(dittov1.ManagedLabels(server.Name, componentConfig)).
		WithOwnerReferences(ownerReference(server)).
		WithData(map[string]string{configFileName: config})
	key := types.NamespacedName{Namespace: server.Namespace, Name: name}
	op, err := applyOwned(ctx, r, server, key, &corev1.ConfigMap{}, desired, corev1ac.ExtractConfigMap)
	if err != nil {
		return "", err
	}
	r.eventForChange(server, op, named[corev1.ConfigMap](server.Namespace, name), "configuration changed")
	return configHash(config), nil
}

// reconcileAPIService publishes the control-plane API as `<name>-api`.
func (r *DittoServerReconciler) reconcileAPIService(ctx context.Context, server *dittov1.DittoServer) error {
	name := apiServiceName(server)
	desired := corev1ac.Service(name, server.Namespace).
		WithLabels(dittov1.ManagedLabels(server.Name, componentAPIService)).
		WithOwnerReferences(ownerReference(server)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceType(server.Spec.APIServiceTypeOrDefault())).
			// DittoFS reports not ready until it is initialised (an
			// initialised server is ready with no adapter running); the
			// control plane must stay reachable meanwhile.
			WithPublishNotReadyAddresses(true).
			WithSelector(dittov1.SelectorLabels(server.Name)).
			WithPorts(apiServicePort(server)))
	if len(server.Spec.Service.Annotations) > 0 {
		desired.WithAnnotations(server.Spec.Service.Annotations)
	}
	key := types.NamespacedName{Namespace: server.Namespace, Name: name}
	op, err := applyOwned(ctx, r, server, key, &corev1.Service{}, desired, corev1ac.ExtractService)
	if err != nil {
		return err
	}
	r.eventForChange(server, op, named[corev1.Service](server.Namespace, name), "control-plane API Service changed")
	return nil
}

// reconcileHeadlessService gives the pods stable DNS names. It lists the API
// port and every running adapter's port, so that the ports a client sees
// in DNS SRV records match what the server serves.
func (r *DittoServerReconciler) reconcileHeadlessService(ctx context.Context, server *dittov1.DittoServer, adapterPorts []corev1.ContainerPort) error {
	name := headlessServiceName(server)
	ports := []*corev1ac.ServicePortApplyConfiguration{apiServicePort(server)}
	for _, p := range adapterPorts {
		ports = append(ports, corev1ac.ServicePort().
			WithName(p.Name).
			WithProtocol(p.Protocol).
			WithPort(p.ContainerPort).
			WithTargetPort(intstr.FromInt32(p.ContainerPort)))
	}
	desired := corev1ac.Service(name, server.Namespace).
		WithLabels(dittov1.ManagedLabels(server.Name, componentHeadlessService)).
		WithOwnerReferences(ownerReference(server)).
		WithSpec(corev1ac.ServiceSpec().
			WithClusterIP(corev1.ClusterIPNone).
			WithPublishNotReadyAddresses(true).
			WithSelector(dittov1.SelectorLabels(server.Name)).
			WithPorts(ports...))
	key := types.NamespacedName{Namespace: server.Namespace, Name: name}
	op, err := applyOwned(ctx, r, server, key, &corev1.Service{}, desired, corev1ac.ExtractService)
	if err != nil {
		return err
	}
	r.eventForChange(server, op, named[corev1.Service](server.Namespace, name), "ports changed")
	return nil
}

func apiServicePort(server *dittov1.DittoServer) *corev1ac.ServicePortApplyConfiguration {
	return corev1ac.ServicePort().
		WithName(apiPortName).
		WithProtocol(corev1.ProtocolTCP).
		WithPort(server.Spec.APIPort()).
		WithTargetPort(intstr.FromString(apiPortName))
}
