package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DittoServerSpec is the desired state of one DittoFS server.
//
// Which protocol adapters (NFS, SMB, ...) run is not part of the spec: it is
// decided at run time through the DittoFS control-plane API
// (`dfsctl adapter enable|disable`), and the operator makes the cluster follow.
type DittoServerSpec struct {
	// Image is the DittoFS container image.
	// +kubebuilder:default="marmos91c/dittofs:v0.29.0"
	// +kubebuilder:validation:MinLength=1
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy is the pull policy of the DittoFS container.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ImagePullSecrets are Secrets in the same namespace used to pull the image.
	// +listType=atomic
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// Replicas is the number of DittoFS pods: 1 to serve, 0 to stop the server
	// while keeping its volumes. DittoFS is a single-writer server, so at most 1.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources are the compute resources of the DittoFS container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector constrains the DittoFS pod to nodes with these labels.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the DittoFS pod.
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity rules of the DittoFS pod.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// PodSecurityContext of the DittoFS pod. When absent the operator uses a
	// restricted default: non-root (uid and gid 65532), fsGroup 65532 and the
	// RuntimeDefault seccomp profile.
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// SecurityContext of the DittoFS container. When absent the operator uses a
	// restricted default: non-root, no privilege escalation, every capability
	// dropped, read-only root filesystem and the RuntimeDefault seccomp profile.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`

	// Storage sizes the volumes of the server.
	Storage StorageSpec `json:"storage"`

	// Database selects the metadata database of the control plane.
	// +kubebuilder:default={type: sqlite}
	// +optional
	Database DatabaseSpec `json:"database,omitempty"`

	// ControlPlane configures the DittoFS REST API.
	// +kubebuilder:default={port: 8080}
	// +optional
	ControlPlane ControlPlaneSpec `json:"controlPlane,omitempty"`

	// Identity configures tokens and the administrator account.
	// +optional
	Identity IdentitySpec `json:"identity,omitempty"`

	// Service configures the Service `<name>-api` of the control-plane API.
	// +kubebuilder:default={type: ClusterIP}
	// +optional
	Service APIServiceSpec `json:"service,omitempty"`

	// AdapterPolling sets how often the operator reads the running adapters.
	// +kubebuilder:default={interval: "30s"}
	// +optional
	AdapterPolling AdapterPollingSpec `json:"adapterPolling,omitempty"`

	// AdapterService shapes the Service created for each running adapter.
	// +kubebuilder:default={type: LoadBalancer, nameTemplate: "{instance}-{adapter}"}
	// +optional
	AdapterService AdapterServiceSpec `json:"adapterService,omitempty"`

	// AdapterPorts sets how adapter port changes reach the pod template.
	// +kubebuilder:default={rollout: Immediate}
	// +optional
	AdapterPorts AdapterPortsSpec `json:"adapterPorts,omitempty"`

	// NetworkPolicy sets the NetworkPolicies created for the server.
	// +kubebuilder:default={enabled: true}
	// +optional
	NetworkPolicy NetworkPolicySpec `json:"networkPolicy,omitempty"`

	// Config holds free-form DittoFS settings merged into the generated
	// configuration file. It may not contain `adapters` (adapters are managed
	// through the DittoFS API) nor settings the operator owns
	// (`controlplane.host`, `controlplane.port`, `controlplane.tls`, `database`).
	// +optional
	Config *ServerConfig `json:"config,omitempty"`

	// NFSPort is no longer supported: adapters are managed through the DittoFS
	// API. It stays in the schema only so that admission can explain what to do
	// instead (`dfsctl adapter enable nfs --port <port>`).
	// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() && oldSelf.value() == self",optionalOldSelf=true,messageExpression=`"spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable nfs --port %d'".format([self >= 1 && self <= 65535 ? self : 12049])`
	// +optional
	NFSPort *int32 `json:"nfsPort,omitempty"`

	// SMB is no longer supported: adapters are managed through the DittoFS API.
	// It stays in the schema only so that admission can explain what to do
	// instead (`dfsctl adapter enable smb --port <port>`).
	// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() && oldSelf.value() == self",optionalOldSelf=true,message="spec.smb is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable smb --port <port>'"
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +optional
	SMB *apiextensionsv1.JSON `json:"smb,omitempty"`
}

// StorageSpec sizes the persistent volumes of the server.
type StorageSpec struct {
	// MetadataSize is the size of the volume holding the metadata database.
	MetadataSize resource.Quantity `json:"metadataSize"`

	// CacheSize is the size of the payload cache volume. When absent the cache
	// uses an emptyDir.
	// +optional
	CacheSize *resource.Quantity `json:"cacheSize,omitempty"`

	// StorageClassName of the volume claims; the cluster default when absent.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// DatabaseType names a metadata database backend.
// +kubebuilder:validation:Enum=sqlite;postgres
type DatabaseType string

const (
	// DatabaseSQLite keeps the metadata database on the metadata volume.
	DatabaseSQLite DatabaseType = "sqlite"
	// DatabasePostgres uses an external PostgreSQL database.
	DatabasePostgres DatabaseType = "postgres"
)

// DatabaseSpec selects the metadata database.
// +kubebuilder:validation:XValidation:rule="self.type != 'postgres' || has(self.postgres)",message="database.postgres is required when database.type is postgres"
type DatabaseSpec struct {
	// Type of the database.
	// +kubebuilder:default=sqlite
	// +optional
	Type DatabaseType `json:"type,omitempty"`

	// Postgres points at the PostgreSQL connection string.
	// +optional
	Postgres *PostgresSpec `json:"postgres,omitempty"`
}

// PostgresSpec references the PostgreSQL connection string.
type PostgresSpec struct {
	// DSNSecretRef selects the Secret key holding the connection string
	// (for example `postgres://user:pass@host:5432/dittofs?sslmode=require`).
	DSNSecretRef corev1.SecretKeySelector `json:"dsnSecretRef"`
}

// ControlPlaneSpec configures the DittoFS REST API.
type ControlPlaneSpec struct {
	// Port the API listens on inside the pod.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// TLS serves the API over HTTPS with the certificate of a Secret.
	// +optional
	TLS *ControlPlaneTLS `json:"tls,omitempty"`
}

// ControlPlaneTLS names the certificate of the control-plane API.
type ControlPlaneTLS struct {
	// SecretName of a `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, and
	// `ca.crt` used by the operator to verify the server).
	// +kubebuilder:validation:MinLength=1
	SecretName string `json:"secretName"`
}

// IdentitySpec configures tokens and the administrator account.
type IdentitySpec struct {
	// JWTSecretRef selects the key signing API tokens. Generated (and owned by
	// the server) when absent.
	// +optional
	JWTSecretRef *corev1.SecretKeySelector `json:"jwtSecretRef,omitempty"`

	// AccessTokenTTL is the lifetime of access tokens (DittoFS default 15m).
	// +optional
	AccessTokenTTL *metav1.Duration `json:"accessTokenTTL,omitempty"`

	// RefreshTokenTTL is the lifetime of refresh tokens (DittoFS default 168h).
	// +optional
	RefreshTokenTTL *metav1.Duration `json:"refreshTokenTTL,omitempty"`

	// Admin configures the built-in `admin` account.
	// +optional
	Admin AdminSpec `json:"admin,omitempty"`
}

// AdminSpec configures the built-in `admin` account.
type AdminSpec struct {
	// PasswordSecretRef selects the admin password, used once to seed the
	// account and by the operator to create its own least-privilege account.
	// Generated when absent.
	// +optional
	PasswordSecretRef *corev1.SecretKeySelector `json:"passwordSecretRef,omitempty"`
}

// ServiceType is a Kubernetes Service type the operator may create.
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type ServiceType string

// APIServiceSpec shapes the Service of the control-plane API.
type APIServiceSpec struct {
	// Type of the Service.
	// +kubebuilder:default=ClusterIP
	// +optional
	Type ServiceType `json:"type,omitempty"`

	// Annotations added to the Service.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AdapterPollingSpec sets how often the adapters are read.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || (duration(self.interval) >= duration('1s') && duration(self.interval) <= duration('1h'))",message="adapterPolling.interval must be between 1s and 1h"
type AdapterPollingSpec struct {
	// Interval between two reads of `GET /api/v1/adapters`, from 1s to 1h.
	// A poll costs one DittoFS call (a token refresh every few minutes
	// besides) and, when nothing changed, no Kubernetes write: at 1s a
	// server costs its DittoFS one listing a second, and the operator about
	// 0.2 ms of CPU. Shorter intervals follow `dfsctl adapter` changes
	// sooner.
	// +kubebuilder:default="30s"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// AdapterServiceSpec shapes the Service created for each running adapter.
type AdapterServiceSpec struct {
	// Type of the adapter Services.
	// +kubebuilder:default=LoadBalancer
	// +optional
	Type ServiceType `json:"type,omitempty"`

	// Annotations added to every adapter Service.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// NameTemplate names each adapter Service; `{instance}` is the
	// DittoServer's name and `{adapter}` the adapter type, the only
	// placeholders.
	// +kubebuilder:default="{instance}-{adapter}"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="(oldSelf.hasValue() && oldSelf.value() == self) || !self.replace('{instance}', '').replace('{adapter}', '').matches('[{}]')",optionalOldSelf=true,messageExpression=`"spec.adapterService.nameTemplate \"" + self + "\" uses " + self.replace('{instance}', '').replace('{adapter}', '').find('\\{[^{}]*\\}?|\\}') + ", which is not a placeholder: only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in"`
	// +optional
	NameTemplate string `json:"nameTemplate,omitempty"`

	// LoadBalancerClass of LoadBalancer Services. Changing it recreates them.
	// +optional
	LoadBalancerClass *string `json:"loadBalancerClass,omitempty"`

	// ExternalTrafficPolicy of NodePort and LoadBalancer Services.
	// +kubebuilder:validation:Enum=Cluster;Local
	// +optional
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`

	// LoadBalancerSourceRanges restricts which client CIDRs a load balancer admits.
	// +listType=atomic
	// +optional
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`

	// Overrides are keyed by adapter type, as the DittoFS API reports it
	// (`nfs`, `smb`, `webdav`, ...): a different Service type, published
	// port or extra annotations for that adapter only.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 63 && k.matches('^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))",messageExpression=`"spec.adapterService.overrides key \"" + self.filter(k, size(k) > 63 || !k.matches('^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))[0] + "\" is not an adapter type: adapter types are named as 'dfsctl adapter list' shows them (nfs, smb, webdav, ...), with at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit"`
	// +optional
	Overrides map[string]AdapterServiceOverride `json:"overrides,omitempty"`

	// Retention is how long the Service of an adapter that stopped is kept,
	// so that an adapter disabled and enabled again (a settings change, an
	// upgrade) comes back at the same address: its cluster IP, node port and
	// load-balancer address. Its NetworkPolicy is removed at once, so the
	// port closes; the Service still selects the pod but nothing listens
	// behind it. An adapter that returns, on any port, gets the same Service
	// back, updated in place; after the period it is deleted. 0s deletes it
	// at once. At most 24h. The default is written as Go prints durations
	// (5m0s), so that a client writing the object back changes nothing.
	// +kubebuilder:default="5m0s"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="adapterService.retention must be between 0s and 24h"
	// +optional
	Retention *metav1.Duration `json:"retention,omitempty"`
}

// AdapterServiceOverride changes the Service of one adapter type.
type AdapterServiceOverride struct {
	// Type replaces the Service type for this adapter.
	// +optional
	Type ServiceType `json:"type,omitempty"`

	// Port the Service publishes for this adapter, such as 2049 for NFS
	// clients that expect the standard port; the adapter's own port when
	// absent. The Service forwards it to the adapter's port (targetPort),
	// and the NetworkPolicy and container port stay on the adapter's port.
	// It may not be the control-plane port, nor a port another adapter's
	// Service publishes.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`

	// Annotations are added to (and win over) the common annotations.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PortRollout says when adapter port changes reach the pod template.
// +kubebuilder:validation:Enum=Immediate;Deferred
type PortRollout string

const (
	// PortRolloutImmediate updates the pod template as soon as adapters
	// change: the StatefulSet controller then replaces the DittoFS pod, which
	// drops every NFS and SMB client of the server.
	PortRolloutImmediate PortRollout = "Immediate"
	// PortRolloutDeferred waits for the next rollout caused by something else,
	// so that an adapter toggle never restarts a serving pod.
	PortRolloutDeferred PortRollout = "Deferred"
)

// AdapterPortsSpec sets how adapter port changes reach the pod template.
type AdapterPortsSpec struct {
	// Rollout is Deferred (default) or Immediate. DittoFS switches adapters
	// at run time, and container ports are informational: Services and
	// NetworkPolicies reach the adapter port by number whether the pod
	// template declares it or not. Deferred therefore never restarts a
	// serving pod for an adapter change; the new ports wait, listed in
	// status.pendingPorts, for the next rollout caused by anything else (a
	// configuration or image change). Immediate declares them at once, at the
	// cost of one pod replacement, and every client dropped, per change.
	// +kubebuilder:default=Deferred
	// +optional
	Rollout PortRollout `json:"rollout,omitempty"`
}

// NetworkPolicySpec sets the NetworkPolicies created for the server.
type NetworkPolicySpec struct {
	// Enabled creates a NetworkPolicy per running adapter and a baseline policy
	// admitting the control-plane port from the operator (and apiFrom) only.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// From lists the peers allowed to reach the adapters; any source when empty.
	// +listType=atomic
	// +optional
	From []networkingv1.NetworkPolicyPeer `json:"from,omitempty"`

	// APIFrom lists the peers admitted to the control-plane API port besides
	// the operator, such as the namespace where administrators run dfsctl.
	// `kubectl port-forward svc/<name>-api` needs no peer here: it reaches
	// the pod through the kubelet, not through the pod network.
	// +listType=atomic
	// +optional
	APIFrom []networkingv1.NetworkPolicyPeer `json:"apiFrom,omitempty"`
}

// DittoServerStatus is the observed state of a DittoServer.
type DittoServerStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase summarises the conditions: Pending, Provisioning, Running or Degraded.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Conditions: Ready (aggregate), ConfigReady, Available, Authenticated and
	// AdaptersReady.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Adapters are the adapters the DittoFS API last reported, with the
	// Service each running adapter is reached through.
	// +listType=map
	// +listMapKey=type
	// +optional
	Adapters []AdapterStatus `json:"adapters,omitempty"`

	// RunningAdapters summarises the running adapters, e.g.
	// `nfs:12049,smb:1445`, or `<none>` when the DittoFS API reports none
	// running; empty until the adapters are first read.
	// +optional
	RunningAdapters string `json:"runningAdapters,omitempty"`

	// Endpoints summarises how the running adapters are reached.
	// +optional
	Endpoints string `json:"endpoints,omitempty"`

	// PendingPorts are adapter container ports waiting for the next pod
	// rollout (spec.adapterPorts.rollout Deferred); absent when the pod
	// template matches the running adapters.
	// +optional
	PendingPorts *PendingPortsStatus `json:"pendingPorts,omitempty"`

	// Reason is why the server is not ready: the reason of the Ready
	// condition while it is not True, empty when it is.
	// +optional
	Reason string `json:"reason,omitempty"`

	// PolicyRevision is the revision of the networking policy bundle that
	// made the last decision for the adapters, applied or refused (a hash of
	// its modules and settings, which the operator logs with each reload).
	// +optional
	PolicyRevision string `json:"policyRevision,omitempty"`

	// LastPollTime is when a successful adapter poll was last recorded. It is
	// written when what the poll observed changes, so that a steady state costs
	// no writes; the metric dittofs_operator_adapter_last_success_timestamp_seconds
	// has the live value.
	// +optional
	LastPollTime *metav1.Time `json:"lastPollTime,omitempty"`
}

// PendingPortsStatus lists container ports as `name:port/protocol`, such as
// `smb:1445/TCP`, sorted.
type PendingPortsStatus struct {
	// Add are ports of running adapters the pod template does not declare.
	// +listType=atomic
	// +optional
	Add []string `json:"add,omitempty"`
	// Remove are ports the pod template declares for adapters that stopped
	// or moved.
	// +listType=atomic
	// +optional
	Remove []string `json:"remove,omitempty"`
}

// AdapterStatus is one adapter as the DittoFS API reports it.
type AdapterStatus struct {
	// Type of the adapter (nfs, smb, ...).
	Type string `json:"type"`
	// Port the adapter listens on.
	Port int32 `json:"port"`
	// PortDefaulted is true when the API reported port 0 and the type's
	// default port was assumed.
	// +optional
	PortDefaulted bool `json:"portDefaulted,omitempty"`
	// Enabled is the adapter's configured state.
	Enabled bool `json:"enabled"`
	// Running is whether the adapter is serving.
	Running bool `json:"running"`
	// ServiceName of the adapter's Service, when one exists.
	// +optional
	ServiceName string `json:"serviceName,omitempty"`
	// ServiceType of the adapter's Service.
	// +optional
	ServiceType string `json:"serviceType,omitempty"`
	// ServicePort is the port the adapter's Service publishes; it forwards
	// to Port.
	// +optional
	ServicePort int32 `json:"servicePort,omitempty"`
	// RetainedUntil is set while the adapter does not run and its Service
	// is kept for it (spec.adapterService.retention): the Service keeps its
	// address but nothing serves it, and it is deleted then unless the
	// adapter returns.
	// +optional
	RetainedUntil *metav1.Time `json:"retainedUntil,omitempty"`
	// Endpoints through which clients reach the adapter: load-balancer IPs or
	// host names (`pending` while a LoadBalancer Service has none), node
	// ports and the cluster IP.
	// +listType=atomic
	// +optional
	Endpoints []string `json:"endpoints,omitempty"`
	// Message carries what the networking policy warns about this adapter,
	// such as an adapter enabled but not running, or port 0 replaced by the
	// type's default.
	// +optional
	Message string `json:"message,omitempty"`
}

// Phase summarises a DittoServer's conditions.
type Phase string

const (
	// PhasePending: the workload is being created or is not available yet.
	PhasePending Phase = "Pending"
	// PhaseProvisioning: the workload runs; the operator account or the first
	// adapter poll is not done yet.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseRunning: every condition is true.
	PhaseRunning Phase = "Running"
	// PhaseDegraded: something that worked before fails now.
	PhaseDegraded Phase = "Degraded"
	// PhaseStopped: replicas is 0.
	PhaseStopped Phase = "Stopped"
)

// Condition types of a DittoServer.
const (
	// ConditionReady aggregates every other condition.
	ConditionReady = "Ready"
	// ConditionConfigReady: the configuration and Secrets are in place.
	ConditionConfigReady = "ConfigReady"
	// ConditionAvailable: the DittoFS pod is ready.
	ConditionAvailable = "Available"
	// ConditionAuthenticated: the operator holds a working DittoFS account.
	ConditionAuthenticated = "Authenticated"
	// ConditionAdaptersReady: the cluster matches the adapters the API reports.
	ConditionAdaptersReady = "AdaptersReady"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ditto;dittofs,categories=dittofs
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`,priority=1
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,priority=1
// +kubebuilder:printcolumn:name="Adapters",type=string,JSONPath=`.status.runningAdapters`
// +kubebuilder:printcolumn:name="Endpoints",type=string,JSONPath=`.status.endpoints`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 45",message="metadata.name must be at most 45 characters: the StatefulSet, its pods and Services are named after it"
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || !self.metadata.name.contains('.')",optionalOldSelf=true,messageExpression=`"metadata.name \"" + self.metadata.name + "\" contains a dot: the Services " + self.metadata.name + "-api, " + self.metadata.name + "-headless and those of the adapters are named after it, and a Service name may not contain dots. Choose a name without dots, such as \"" + self.metadata.name.replace('.', '-') + "\""`
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || self.metadata.name.matches('^[a-z]')",optionalOldSelf=true,messageExpression=`"metadata.name \"" + self.metadata.name + "\" does not start with a letter: the Services " + self.metadata.name + "-api, " + self.metadata.name + "-headless and those of the adapters are named after it, and Kubernetes before 1.36 refuses Service names that do not start with a letter. Start the name with a letter, such as \"fs-" + self.metadata.name + "\""`

// DittoServer runs one DittoFS file server. The operator creates its workload,
// keeps a least-privilege DittoFS account, and publishes a Service and a
// NetworkPolicy for every adapter the DittoFS API reports as running.
type DittoServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec DittoServerSpec `json:"spec"`
	// Status is the observed state.
	// +optional
	Status DittoServerStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DittoServerList is a list of DittoServers.
type DittoServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the DittoServers.
	Items []DittoServer `json:"items"`
}
