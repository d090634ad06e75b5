package networking

// Label keys and values on every object the operator manages. The workload
// uses the same pod labels, so that Services and NetworkPolicies select the
// DittoFS pod through PodSelector.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"
	// LabelAdapter carries the adapter type on adapter objects.
	LabelAdapter = "dittofs.io/adapter"

	AppName   = "dittofs"
	ManagedBy = "dittofs-operator"

	ComponentServer               = "server"
	ComponentAdapterService       = "adapter-service"
	ComponentAdapterNetworkPolicy = "adapter-networkpolicy"
	ComponentAPINetworkPolicy     = "api-networkpolicy"
)

// PodSelector selects the DittoFS pod of a DittoServer.
func PodSelector(instance string) map[string]string {
	return map[string]string{
		LabelName:      AppName,
		LabelInstance:  instance,
		LabelComponent: ComponentServer,
	}
}

// ManagedLabels are the labels of a managed object; adapter is "" for objects
// that belong to no adapter.
func ManagedLabels(instance, component, adapter string) map[string]string {
	labels := map[string]string{
		LabelName:      AppName,
		LabelInstance:  instance,
		LabelManagedBy: ManagedBy,
		LabelComponent: component,
	}
	if adapter != "" {
		labels[LabelAdapter] = adapter
	}
	return labels
}
