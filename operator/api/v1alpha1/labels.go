package v1alpha1

// Well-known labels and annotations on the objects the operator manages.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"
	LabelAdapter   = "dittofs.io/adapter"

	// AppName is the value of LabelName on everything the operator manages.
	AppName = "dittofs"
	// ManagedBy is the value of LabelManagedBy on everything the operator manages.
	ManagedBy = "dittofs-operator"

	// ComponentServer labels the DittoFS pods.
	ComponentServer = "server"

	// AnnotationConfigHash on the pod template rolls the pod when the
	// generated configuration changes.
	AnnotationConfigHash = "dittofs.io/config-hash"

	// AnnotationAPIURL overrides the control-plane address the operator
	// calls. It is honoured only when the operator was started with
	// --allow-api-url-override, because whoever may edit a DittoServer could
	// otherwise send the admin password to any address.
	AnnotationAPIURL = "dittofs.io/api-url"

	// AnnotationStoppedAt on an adapter Service records when the operator
	// found its adapter stopped (RFC 3339): the Service is kept for
	// spec.adapterService.retention from then, across operator restarts.
	// The operator sets it and removes it when the adapter returns.
	AnnotationStoppedAt = "dittofs.io/adapter-stopped-at"

	// Finalizer lets the operator remove its DittoFS account before the
	// DittoServer goes away.
	Finalizer = "dittofs.dittofs.com/cleanup"
)

// SelectorLabels select the DittoFS pods of one DittoServer.
func SelectorLabels(instance string) map[string]string {
	return map[string]string{
		LabelName:      AppName,
		LabelInstance:  instance,
		LabelComponent: ComponentServer,
	}
}

// ManagedLabels are the labels on every object of one DittoServer that the
// operator manages, for the given component.
func ManagedLabels(instance, component string) map[string]string {
	return map[string]string{
		LabelName:      AppName,
		LabelInstance:  instance,
		LabelManagedBy: ManagedBy,
		LabelComponent: component,
	}
}
