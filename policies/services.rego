# Adapter Services: one per published adapter.
package dittofs.networking

services := [p.service | some p in plans]

# An adapter's shape is what it gets that does not depend on its port or name:
# its Service type, the Service fields that follow from the type, annotations
# and labels, the peers its NetworkPolicy admits, and the port its Service
# publishes when that is not the adapter's own (servicePort 0 publishes the
# adapter's port). Adapters that neither
# the DittoServer's overrides nor platform packages name share one shape,
# computed once per evaluation.
_default_shape := {
	"serviceType": type,
	"service": object.union_n([
		{"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": []},
		object.filter(input.adapterService, object.get({
			"LoadBalancer": ["loadBalancerClass", "externalTrafficPolicy", "loadBalancerSourceRanges"],
			"NodePort": ["externalTrafficPolicy"],
		}, type, [])),
		{"type": type, "annotations": annotations, "labels": object.get(s, "serviceLabels", {})},
	]),
	"from": input.networkPolicy.from,
	"servicePort": 0,
} if {
	type := input.adapterService.type
	s := settings
	annotations := object.union(object.get(s, "serviceAnnotations", {}), input.adapterService.annotations)
}

# _shapes holds the shape of each adapter type that overrides or platform
# packages name (none, usually).
_shapes := {} if {
	count(input.adapterService.overrides) == 0
	count(_custom_shaping) == 0
} else := {adapter: shape(type, annotations, labels, from, service_port) |
	some adapter in _shaped_adapters
	type := object.get(adapter_service_types, adapter, input.adapterService.type)
	annotations := object.get(adapter_annotations, adapter, common_annotations)
	labels := object.get(adapter_labels, adapter, common_labels)
	from := object.get(extended_peers, adapter, input.networkPolicy.from)
	service_port := object.get(adapter_service_ports, adapter, 0)
}

_shaped_adapters := {adapter | some adapter, _ in input.adapterService.overrides} | {adapter | some [_, _, adapter, _] in _custom_shaping}

# shape is the shape of an adapter whose Service has the given type,
# annotations and labels and publishes service_port (0: the adapter's port),
# and whose NetworkPolicy admits the peers from.
shape(type, annotations, labels, from, service_port) := {
	"serviceType": type,
	"service": object.union_n([
		{"loadBalancerClass": "", "externalTrafficPolicy": "", "loadBalancerSourceRanges": []},
		object.filter(input.adapterService, object.get(_type_field_names, type, [])),
		{"type": type, "annotations": annotations, "labels": labels},
	]),
	"from": from,
	"servicePort": service_port,
}

# _type_field_names are the adapterService fields each Service type takes;
# Kubernetes rejects them on the other types, whose Services carry them
# unset (see type_scoped_fields). _default_shape spells the table out: a
# reference to this rule would cost more.
_type_field_names := {
	"LoadBalancer": ["loadBalancerClass", "externalTrafficPolicy", "loadBalancerSourceRanges"],
	"NodePort": ["externalTrafficPolicy"],
}


# adapter_service_types are the per-adapter Service types: a type forced by
# platform packages when they agree (checks.rego denies disagreements), else
# the DittoServer's override. Other adapters get adapterService.type.
adapter_service_types := object.union(override_service_types, forced_service_types)

override_service_types := {adapter: o.type | some adapter, o in input.adapterService.overrides; o.type != ""}

forced_service_types := {adapter: type |
	some adapter, types in custom_service_types
	count(types) == 1
	some type in types
}

# adapter_service_ports are the per-adapter published ports: a port forced by
# platform packages when they agree (checks.rego denies disagreements), else
# the DittoServer's override. Other adapters publish their own port. The
# Service forwards the published port to the adapter's (targetPort); the
# NetworkPolicy and container port stay on the adapter's port.
adapter_service_ports := object.union(override_service_ports, forced_service_ports)

override_service_ports := {adapter: port |
	some adapter, o in input.adapterService.overrides
	port := object.get(o, "port", 0)
	port != 0
}

forced_service_ports := {adapter: port |
	some adapter, ports in custom_service_ports
	count(ports) == 1
	some port in ports
}

# Annotations merge, from weakest to strongest: the serviceAnnotations
# setting, the DittoServer's common annotations, its per-adapter override,
# and platform packages. adapter_annotations only lists the adapters with
# annotations of their own; the others get common_annotations.
common_annotations := _default_shape.service.annotations

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
common_labels := _default_shape.service.labels

adapter_labels := {adapter: object.union(common_labels, labels) | some adapter, labels in custom_service_labels}

# type_scoped_fields lists, for each field of _type_field_names, the Service
# types that take it.
type_scoped_fields := {
	"loadBalancerClass": {"LoadBalancer"},
	"loadBalancerSourceRanges": {"LoadBalancer"},
	"externalTrafficPolicy": {"NodePort", "LoadBalancer"},
}
