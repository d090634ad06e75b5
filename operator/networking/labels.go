package networking

import (
	"github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Label keys and values on every object the operator manages, as the API
// package defines them: the workload uses the same pod labels, so Services
// and NetworkPolicies select the DittoFS pod through PodSelector.
const (
	LabelName      = v1alpha1.LabelName
	LabelInstance  = v1alpha1.LabelInstance
	LabelManagedBy = v1alpha1.LabelManagedBy
	LabelComponent = v1alpha1.LabelComponent
	// LabelAdapter carries the adapter type on adapter objects.
	LabelAdapter = v1alpha1.LabelAdapter

	AppName   = v1alpha1.AppName
	ManagedBy = v1alpha1.ManagedBy

	ComponentServer               = v1alpha1.ComponentServer
	ComponentAdapterService       = "adapter-service"
	ComponentAdapterNetworkPolicy = "adapter-networkpolicy"
	ComponentAPINetworkPolicy     = "api-networkpolicy"
)

// PodSelector selects the DittoFS pod of a DittoServer.
func PodSelector(instance string) map[string]string {
	return v1alpha1.SelectorLabels(instance)
}

// ManagedLabels are the labels of a managed object; adapter is "" for objects
// that belong to no adapter.
func ManagedLabels(instance, component, adapter string) map[string]string {
	labels := v1alpha1.ManagedLabels(instance, component)
	if adapter != "" {
		labels[LabelAdapter] = adapter
	}
	return labels
}
