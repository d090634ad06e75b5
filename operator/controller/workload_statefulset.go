package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

const (
	containerName  = "dittofs"
	nonRootID      = int64(65532)
	metadataVolume = "metadata"
	cacheVolume    = "cache"
	configVolume   = "config"
	tlsVolume      = "tls"
	tmpVolume      = "tmp"
)

// Environment variables DittoFS reads at start.
const (
	envAdminPassword = "DITTOFS_ADMIN_INITIAL_PASSWORD"
	envJWTSecret     = "DITTOFS_CONTROLPLANE_SECRET"
	envPostgresDSN   = "DITTOFS_DATABASE_POSTGRES_DSN"
)

// reconcileStatefulSet runs the DittoFS pod. adapterPorts are the container
// ports the running adapters need, when known; when not (no successful poll
// yet), the ports the pod template has stay. With the Deferred rollout, new
// ports are only written when the pod template changes for another reason.
// It returns the StatefulSet as read, and the adapter ports its pod template
// declares once applied.
func (r *DittoServerReconciler) reconcileStatefulSet(ctx context.Context, server *dittov1.DittoServer, st *serverState, hash string, adapterPorts []corev1.ContainerPort, portsKnown bool) (*appsv1.StatefulSet, []corev1.ContainerPort, error) {
	name := statefulSetName(server)
	key := types.NamespacedName{Namespace: server.Namespace, Name: name}
	live := &appsv1.StatefulSet{}
	exists, err := r.lookupOwned(ctx, server, key, live)
	if err != nil {
		return nil, nil, err
	}
	if !portsKnown {
		adapterPorts = liveAdapterPorts(live)
	}
	desired, declared := desiredStatefulSet(server, hash, adapterPorts), adapterPorts
	if exists && deferPorts(server, live) {
		withLivePorts := desiredStatefulSet(server, hash, liveAdapterPorts(live))
		onlyPortsDiffer, err := sameApplyConfig(live, withLivePorts, st.applied)
		if err != nil {
			return nil, nil, err
		}
		if onlyPortsDiffer {
			desired, declared = withLivePorts, liveAdapterPorts(live)
		}
	}
	changed, err := applyIfChanged(ctx, r.Client, st.applied, live, exists, desired, extractStatefulSet)
	if err != nil {
		return nil, nil, fmt.Errorf("applying StatefulSet %s: %w", name, err)
	}
	if changed {
		r.eventForChange(server, changeOf(exists), named[appsv1.StatefulSet](server.Namespace, name), "pod template changed")
	}
	// The status of a StatefulSet just created is empty; an apply does not
	// change the status of one that existed.
	return live, declared, nil
}

// deferPorts says whether adapter port changes wait for another rollout:
// with the Deferred rollout, while a pod exists that a template change would
// replace. Without one, declaring the ports at once costs nothing.
func deferPorts(server *dittov1.DittoServer, live *appsv1.StatefulSet) bool {
	return server.Spec.PortRolloutOrDefault() == dittov1.PortRolloutDeferred &&
		server.Spec.ReplicasOrDefault() > 0 && live.Status.Replicas > 0
}

// sameApplyConfig reports whether live already holds exactly desired under
// the operator's ownership: then the only change pending is the ports'. An
// object memo remembers in sync with desired needs no comparison: while
// ports wait, every reconcile asks.
func sameApplyConfig(live *appsv1.StatefulSet, desired *appsv1ac.StatefulSetApplyConfiguration, memo appliedMemo) (bool, error) {
	fingerprint, fingerprinted := fingerprintOf(desired)
	if fingerprinted && memo.inSync(live, fingerprint) {
		return true, nil
	}
	current, err := extractStatefulSet(live, FieldOwner)
	if err != nil {
		return false, fmt.Errorf("reading the fields the operator owns: %w", err)
	}
	same := equalApplyConfigs(current, desired)
	if same && fingerprinted {
		memo.record(live, fingerprint)
	}
	return same, nil
}

// pendingPorts lists the differences between the adapter ports the pod
// template declares and those the running adapters need; nil when none.
func pendingPorts(wanted, declared []corev1.ContainerPort) *dittov1.PendingPortsStatus {
	add, remove := portDiff(wanted, declared), portDiff(declared, wanted)
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	return &dittov1.PendingPortsStatus{Add: add, Remove: remove}
}

// portDiff lists the ports of a that b lacks, as name:port/protocol, sorted.
func portDiff(a, b []corev1.ContainerPort) []string {
	have := map[string]bool{}
	for _, p := range b {
		have[portString(p)] = true
	}
	var out []string
	for _, p := range a {
		if s := portString(p); !have[s] {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func portString(p corev1.ContainerPort) string {
	protocol := p.Protocol
	if protocol == "" {
		protocol = corev1.ProtocolTCP
	}
	return fmt.Sprintf("%s:%d/%s", p.Name, p.ContainerPort, protocol)
}

// liveAdapterPorts are the adapter container ports the pod template has now.
func liveAdapterPorts(sts *appsv1.StatefulSet) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name != containerName {
			continue
		}
		for _, p := range c.Ports {
			if p.Name != apiPortName {
				ports = append(ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
			}
		}
	}
	return sortedPorts(ports)
}

func sortedPorts(ports []corev1.ContainerPort) []corev1.ContainerPort {
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	return ports
}

func desiredStatefulSet(server *dittov1.DittoServer, hash string, adapterPorts []corev1.ContainerPort) *appsv1ac.StatefulSetApplyConfiguration {
	spec := &server.Spec
	podLabels := dittov1.ManagedLabels(server.Name, componentStatefulSet)
	template := corev1ac.PodTemplateSpec().
		WithLabels(podLabels).
		WithAnnotations(map[string]string{dittov1.AnnotationConfigHash: hash}).
		WithSpec(podSpec(server, adapterPorts))
	stsSpec := appsv1ac.StatefulSetSpec().
		WithReplicas(spec.ReplicasOrDefault()).
		WithServiceName(headlessServiceName(server)).
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(dittov1.SelectorLabels(server.Name))).
		WithTemplate(template).
		WithVolumeClaimTemplates(volumeClaimTemplates(server)...)
	return appsv1ac.StatefulSet(statefulSetName(server), server.Namespace).
		WithLabels(dittov1.ManagedLabels(server.Name, componentStatefulSet)).
		WithOwnerReferences(ownerReference(server)).
		WithSpec(stsSpec)
}

func podSpec(server *dittov1.DittoServer, adapterPorts []corev1.ContainerPort) *corev1ac.PodSpecApplyConfiguration {
	spec := &server.Spec
	pod := corev1ac.PodSpec().
		WithEnableServiceLinks(false).
		WithSecurityContext(podSecurityContext(spec)).
		WithContainers(container(server, adapterPorts)).
		WithVolumes(volumes(server)...)
	for _, s := range spec.ImagePullSecrets {
		pod.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(s.Name))
	}
	if len(spec.NodeSelector) > 0 {
		pod.WithNodeSelector(spec.NodeSelector)
	}
	for i := range spec.Tolerations {
		pod.WithTolerations(toApplyConfig[corev1ac.TolerationApplyConfiguration](spec.Tolerations[i]))
	}
	if spec.Affinity != nil {
		pod.WithAffinity(toApplyConfig[corev1ac.AffinityApplyConfiguration](spec.Affinity))
	}
	return pod
}

func container(server *dittov1.DittoServer, adapterPorts []corev1.ContainerPort) *corev1ac.ContainerApplyConfiguration {
	spec := &server.Spec
	c := corev1ac.Container().
		WithName(containerName).
		WithImage(spec.ImageOrDefault()).
		WithArgs("start", "--foreground", "--config", configMountPath+"/"+configFileName).
		WithEnv(env(server)...).
		WithPorts(containerPorts(server, adapterPorts)...).
		WithVolumeMounts(volumeMounts(server)...).
		WithSecurityContext(containerSecurityContext(spec)).
		WithStartupProbe(probe(server, "/health").WithPeriodSeconds(2).WithFailureThreshold(60)).
		WithLivenessProbe(probe(server, "/health").WithPeriodSeconds(10).WithFailureThreshold(3)).
		WithReadinessProbe(probe(server, "/health/ready").WithPeriodSeconds(5).WithFailureThreshold(3))
	if spec.ImagePullPolicy != "" {
		c.WithImagePullPolicy(spec.ImagePullPolicy)
	}
	if len(spec.Resources.Limits) > 0 || len(spec.Resources.Requests) > 0 || len(spec.Resources.Claims) > 0 {
		c.WithResources(toApplyConfig[corev1ac.ResourceRequirementsApplyConfiguration](spec.Resources))
	}
	return c
}

func containerPorts(server *dittov1.DittoServer, adapterPorts []corev1.ContainerPort) []*corev1ac.ContainerPortApplyConfiguration {
	ports := []*corev1ac.ContainerPortApplyConfiguration{
		corev1ac.ContainerPort().WithName(apiPortName).WithContainerPort(server.Spec.APIPort()).WithProtocol(corev1.ProtocolTCP),
	}
	for _, p := range sortedPorts(append([]corev1.ContainerPort(nil), adapterPorts...)) {
		ports = append(ports, corev1ac.ContainerPort().WithName(p.Name).WithContainerPort(p.ContainerPort).WithProtocol(p.Protocol))
	}
	return ports
}

func env(server *dittov1.DittoServer) []*corev1ac.EnvVarApplyConfiguration {
	vars := []*corev1ac.EnvVarApplyConfiguration{
		secretEnv(envAdminPassword, adminPasswordRef(server)),
		secretEnv(envJWTSecret, jwtSecretRef(server)),
	}
	if pg := server.Spec.Database.Postgres; server.Spec.DatabaseTypeOrDefault() == dittov1.DatabasePostgres && pg != nil {
		vars = append(vars, secretEnv(envPostgresDSN, pg.DSNSecretRef))
	}
	return vars
}

func secretEnv(name string, ref corev1.SecretKeySelector) *corev1ac.EnvVarApplyConfiguration {
	return corev1ac.EnvVar().WithName(name).WithValueFrom(corev1ac.EnvVarSource().
		WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(ref.Name).WithKey(ref.Key)))
}

func probe(server *dittov1.DittoServer, path string) *corev1ac.ProbeApplyConfiguration {
	scheme := corev1.URISchemeHTTP
	if server.Spec.ControlPlane.TLS != nil {
		scheme = corev1.URISchemeHTTPS
	}
	return corev1ac.Probe().WithHTTPGet(corev1ac.HTTPGetAction().
		WithPath(path).WithPort(intstr.FromString(apiPortName)).WithScheme(scheme))
}

func volumeMounts(server *dittov1.DittoServer) []*corev1ac.VolumeMountApplyConfiguration {
	mounts := []*corev1ac.VolumeMountApplyConfiguration{
		corev1ac.VolumeMount().WithName(configVolume).WithMountPath(configMountPath).WithReadOnly(true),
		corev1ac.VolumeMount().WithName(metadataVolume).WithMountPath(metadataMountPath),
		corev1ac.VolumeMount().WithName(cacheVolume).WithMountPath(cacheMountPath),
		corev1ac.VolumeMount().WithName(tmpVolume).WithMountPath(tmpMountPath),
	}
	if server.Spec.ControlPlane.TLS != nil {
		mounts = append(mounts, corev1ac.VolumeMount().WithName(tlsVolume).WithMountPath(tlsMountPath).WithReadOnly(true))
	}
	return mounts
}

func volumes(server *dittov1.DittoServer) []*corev1ac.VolumeApplyConfiguration {
	vols := []*corev1ac.VolumeApplyConfiguration{
		corev1ac.Volume().WithName(configVolume).WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(configMapName(server))),
		corev1ac.Volume().WithName(tmpVolume).WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
	}
	if server.Spec.Storage.CacheSize == nil {
		vols = append(vols, corev1ac.Volume().WithName(cacheVolume).WithEmptyDir(corev1ac.EmptyDirVolumeSource()))
	}
	if tls := server.Spec.ControlPlane.TLS; tls != nil {
		vols = append(vols, corev1ac.Volume().WithName(tlsVolume).WithSecret(corev1ac.SecretVolumeSource().WithSecretName(tls.SecretName)))
	}
	return vols
}

func volumeClaimTemplates(server *dittov1.DittoServer) []*corev1ac.PersistentVolumeClaimApplyConfiguration {
	storage := &server.Spec.Storage
	claims := []*corev1ac.PersistentVolumeClaimApplyConfiguration{claim(metadataVolume, storage, storage.MetadataSize)}
	if storage.CacheSize != nil {
		claims = append(claims, claim(cacheVolume, storage, *storage.CacheSize))
	}
	return claims
}

func claim(name string, storage *dittov1.StorageSpec, size resource.Quantity) *corev1ac.PersistentVolumeClaimApplyConfiguration {
	spec := corev1ac.PersistentVolumeClaimSpec().
		WithAccessModes(corev1.ReadWriteOnce).
		WithResources(corev1ac.VolumeResourceRequirements().WithRequests(corev1.ResourceList{
			corev1.ResourceStorage: size,
		}))
	if storage.StorageClassName != nil {
		spec.WithStorageClassName(*storage.StorageClassName)
	}
	// Built without the constructor: a claim template has no kind, API
	// version or namespace of its own, and the API server stores none.
	pvc := &corev1ac.PersistentVolumeClaimApplyConfiguration{}
	return pvc.WithName(name).WithSpec(spec.WithVolumeMode(corev1.PersistentVolumeFilesystem))
}

// extractStatefulSet is appsv1ac.ExtractStatefulSet for comparison with a
// desired StatefulSet. volumeClaimTemplates is an atomic list, so its
// extracted value carries the status the API server gives each template;
// the operator never sets one, so it is dropped.
func extractStatefulSet(sts *appsv1.StatefulSet, fieldManager string) (*appsv1ac.StatefulSetApplyConfiguration, error) {
	ac, err := appsv1ac.ExtractStatefulSet(sts, fieldManager)
	if err != nil || ac.Spec == nil {
		return ac, err
	}
	for i := range ac.Spec.VolumeClaimTemplates {
		ac.Spec.VolumeClaimTemplates[i].Status = nil
	}
	return ac, nil
}

// podSecurityContext is the user's, or a restricted default.
func podSecurityContext(spec *dittov1.DittoServerSpec) *corev1ac.PodSecurityContextApplyConfiguration {
	if spec.PodSecurityContext != nil {
		return toApplyConfig[corev1ac.PodSecurityContextApplyConfiguration](spec.PodSecurityContext)
	}
	return corev1ac.PodSecurityContext().
		WithRunAsNonRoot(true).
		WithRunAsUser(nonRootID).
		WithRunAsGroup(nonRootID).
		WithFSGroup(nonRootID).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
}

// containerSecurityContext is the user's, or a restricted default.
func containerSecurityContext(spec *dittov1.DittoServerSpec) *corev1ac.SecurityContextApplyConfiguration {
	if spec.SecurityContext != nil {
		return toApplyConfig[corev1ac.SecurityContextApplyConfiguration](spec.SecurityContext)
	}
	return corev1ac.SecurityContext().
		WithRunAsNonRoot(true).
		WithAllowPrivilegeEscalation(false).
		WithReadOnlyRootFilesystem(true).
		WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
}

// toApplyConfig converts a typed API value to its apply configuration. The
// two share one JSON form, and the value came from an object the API server
// already validated, so the conversion cannot fail.
func toApplyConfig[AC any](in any) *AC {
	data, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", in, err))
	}
	out := new(AC)
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("decoding %T: %v", out, err))
	}
	return out
}
