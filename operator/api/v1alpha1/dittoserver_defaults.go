package v1alpha1

import (
	"time"
)

// Defaults the API server applies through the CRD schema. The accessors below
// repeat them so that code reading an object built in Go (tests, admission of
// an object before defaulting) sees the same values.
const (
	DefaultImage              = "marmos91c/dittofs:v0.29.0"
	DefaultControlPlanePort   = int32(8080)
	DefaultPollInterval       = 30 * time.Second
	MinPollInterval           = time.Second
	MaxPollInterval           = time.Hour
	DefaultNameTemplate       = "{instance}-{adapter}"
	DefaultAdapterServiceType = ServiceType("LoadBalancer")
	DefaultAPIServiceType     = ServiceType("ClusterIP")
	// DefaultRetention keeps a stopped adapter's Service long enough for a
	// settings change or an upgrade, which disable and enable it again.
	DefaultRetention = 5 * time.Minute
	MaxRetention     = 24 * time.Hour
	// MaxNameLength bounds a DittoServer's name: the StatefulSet, its pods
	// and the Services are named after it.
	MaxNameLength = 45
)

// Service types the operator may create.
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIP"
	ServiceTypeNodePort     ServiceType = "NodePort"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
)

// ImageOrDefault is the container image to run.
func (s *DittoServerSpec) ImageOrDefault() string {
	if s.Image == "" {
		return DefaultImage
	}
	return s.Image
}

// ReplicasOrDefault is the number of pods to run.
func (s *DittoServerSpec) ReplicasOrDefault() int32 {
	if s.Replicas == nil {
		return 1
	}
	return *s.Replicas
}

// APIPort is the port of the control-plane API.
func (s *DittoServerSpec) APIPort() int32 {
	if s.ControlPlane.Port == 0 {
		return DefaultControlPlanePort
	}
	return s.ControlPlane.Port
}

// PollInterval is the time between two adapter polls.
func (s *DittoServerSpec) PollInterval() time.Duration {
	if s.AdapterPolling.Interval == nil || s.AdapterPolling.Interval.Duration == 0 {
		return DefaultPollInterval
	}
	return s.AdapterPolling.Interval.Duration
}

// NetworkPoliciesEnabled says whether NetworkPolicies are managed.
func (s *DittoServerSpec) NetworkPoliciesEnabled() bool {
	return s.NetworkPolicy.Enabled == nil || *s.NetworkPolicy.Enabled
}

// AdapterServiceTypeOrDefault is the common adapter Service type.
func (s *DittoServerSpec) AdapterServiceTypeOrDefault() ServiceType {
	if s.AdapterService.Type == "" {
		return DefaultAdapterServiceType
	}
	return s.AdapterService.Type
}

// NameTemplateOrDefault is the adapter Service name template.
func (s *DittoServerSpec) NameTemplateOrDefault() string {
	if s.AdapterService.NameTemplate == "" {
		return DefaultNameTemplate
	}
	return s.AdapterService.NameTemplate
}

// RetentionOrDefault is how long the Service of a stopped adapter is kept.
func (s *DittoServerSpec) RetentionOrDefault() time.Duration {
	if s.AdapterService.Retention == nil {
		return DefaultRetention
	}
	return s.AdapterService.Retention.Duration
}

// APIServiceTypeOrDefault is the type of the control-plane API Service.
func (s *DittoServerSpec) APIServiceTypeOrDefault() ServiceType {
	if s.Service.Type == "" {
		return DefaultAPIServiceType
	}
	return s.Service.Type
}

// PortRolloutOrDefault says when adapter port changes reach the pod template.
func (s *DittoServerSpec) PortRolloutOrDefault() PortRollout {
	if s.AdapterPorts.Rollout == "" {
		return PortRolloutDeferred
	}
	return s.AdapterPorts.Rollout
}

// DatabaseTypeOrDefault is the metadata database backend.
func (s *DittoServerSpec) DatabaseTypeOrDefault() DatabaseType {
	if s.Database.Type == "" {
		return DatabaseSQLite
	}
	return s.Database.Type
}
