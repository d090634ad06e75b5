# Adapter Services: one per published adapter with a valid name.
package dittofs.networking

services := [{
	"name": p.name,
	"adapter": p.adapter,
	"type": p.serviceType,
	"annotations": object.get(adapter_annotations, p.adapter, common_annotations),
	"labels": object.get(adapter_labels, p.adapter, common_labels),
	"loadBalancerClass": fields.loadBalancerClass,
	"externalTrafficPolicy": fields.externalTrafficPolicy,
	"loadBalancerSourceRanges": fields.loadBalancerSourceRanges,
	"ports": [{"name": p.portName, "port": p.port, "targetPort": p.port, "protocol": "TCP"}],
} |
	some p in plans
	p.name != ""
	fields := object.get(type_fields, p.serviceType, type_fields.ClusterIP)
]

# Annotations merge, from weakest to strongest: the serviceAnnotations
# setting, the DittoServer's common annotations, its per-adapter override,
# and platform packages. adapter_annotations only lists the adapters with
# annotations of their own; the others get common_annotations.
common_annotations := object.union(object.get(settings, "serviceAnnotations", {}), input.adapterService.annotations)

adapter_annotations := {adapter: object.union_n([
	common_annotations,
	object.get(input.adapterService.overrides, [adapter, "annotations"], {}),
	object.get(custom_service_annotations, adapter, {}),
]) |
	some adapter in _annotated_adapters
}

_annotated_adapters contains adapter if {
	some adapter, o in input.adapterService.overrides
	count(o.annotations) > 0
}

_annotated_adapters contains adapter if some adapter, _ in custom_service_annotations

# Labels are extra labels: the serviceLabels setting, then platform packages.
# The operator's managed labels always win over them.
common_labels := object.get(settings, "serviceLabels", {})

adapter_labels := {adapter: object.union(common_labels, labels) | some adapter, labels in custom_service_labels}

# type_fields are the adapterService fields each Service type takes;
# Kubernetes rejects them on the other types (see type_scoped_fields).
type_fields := {
	"LoadBalancer": {
		"loadBalancerClass": input.adapterService.loadBalancerClass,
		"externalTrafficPolicy": input.adapterService.externalTrafficPolicy,
		"loadBalancerSourceRanges": input.adapterService.loadBalancerSourceRanges,
	},
	"NodePort": {
		"loadBalancerClass": "",
		"externalTrafficPolicy": input.adapterService.externalTrafficPolicy,
		"loadBalancerSourceRanges": [],
	},
	"ClusterIP": {"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": []},
}

# type_scoped_fields lists, for each field of type_fields, the Service types
# that take it.
type_scoped_fields := {
	"loadBalancerClass": {"LoadBalancer"},
	"loadBalancerSourceRanges": {"LoadBalancer"},
	"externalTrafficPolicy": {"NodePort", "LoadBalancer"},
}
