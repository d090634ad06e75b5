# Adapter Services: one per published adapter.
package dittofs.networking

# services is the sorted list of adapter Services.
services := by_name({s | some s in service})

# service is the Service of each published adapter that has a valid name.
service[t] := {
	"name": service_name[t],
	"adapter": t,
	"type": type,
	"annotations": service_annotations[t],
	"labels": service_labels[t],
	"loadBalancerClass": type_scoped("loadBalancerClass", type, ""),
	"externalTrafficPolicy": type_scoped("externalTrafficPolicy", type, ""),
	"loadBalancerSourceRanges": type_scoped("loadBalancerSourceRanges", type, []),
	"ports": [{"name": port_name[t], "port": a.port, "targetPort": a.port, "protocol": "TCP"}],
} if {
	some t, a in published
	service_name[t] != ""
	type := service_type[t]
}

# requested_service_type is what the DittoServer asks for: the per-adapter
# override, else the common type.
requested_service_type(t) := input.adapterService.overrides[t].type if {
	input.adapterService.overrides[t].type != ""
} else := input.adapterService.type

# service_type is the Service type of each published adapter. A type forced by
# platform packages wins over the DittoServer's when they agree; when they do
# not, checks.rego denies the decision.
service_type[t] := type if {
	some t, _ in published
	type := _forced_or_requested_type(t)
}

_forced_or_requested_type(t) := type if {
	count(custom_service_types[t]) == 1
	some type in custom_service_types[t]
} else := requested_service_type(t)

# service_annotations merge, from weakest to strongest: the platform setting
# serviceAnnotations, the DittoServer's common annotations, its per-adapter
# override, and platform packages (in package name order).
service_annotations[t] := object.union_n([
	setting("serviceAnnotations", {}),
	input.adapterService.annotations,
	object.get(input.adapterService.overrides, [t, "annotations"], {}),
	custom_service_annotations(t),
]) if {
	some t, _ in published
}

# service_labels are extra labels; the operator's managed labels always win
# over them when objects are rendered.
service_labels[t] := object.union(setting("serviceLabels", {}), custom_service_labels(t)) if {
	some t, _ in published
}

# type_scoped_fields lists the adapterService fields that only mean something
# for some Service types; Kubernetes rejects them on the others.
type_scoped_fields := {
	"loadBalancerClass": {"LoadBalancer"},
	"loadBalancerSourceRanges": {"LoadBalancer"},
	"externalTrafficPolicy": {"NodePort", "LoadBalancer"},
}

# type_scoped passes an adapterService field through when it applies to the
# Service type, and gives empty otherwise.
type_scoped(field, type, empty) := input.adapterService[field] if {
	type in type_scoped_fields[field]
} else := empty
