# Default networking policy of a DittoServer.
#
# The operator evaluates data.dittofs.networking.decision with the input
# described in input.schema.json and applies the result (decision.schema.json)
# after its guardrails. Platform modules extend it through the rules described
# in extensions.rego and README.md; they never redefine the rules below.
#
# The operator evaluates this policy whenever the adapters of a DittoServer
# change. OPA's evaluator spends about a microsecond per expression, a couple
# per rule it evaluates and several per call of a user function, so the
# common path (valid names, every adapter published, no platform module
# naming an adapter) is kept short:
#
#   - everything an adapter gets is built in one pass over the adapters, from
#     local variables, with built-in functions only;
#   - what does not depend on the adapter (its "shape": Service type and
#     fields, annotations, labels, peers) is computed once per evaluation;
#   - the unusual cases (a name to fix, an adapter left out, a collision)
#     are handled by rules that a single cheap test keeps from running.
package dittofs.networking

import data.dittofs.networking.lib

# api_version is the only input version this bundle reads.
api_version := "networking.dittofs.io/v1"

# decision is everything the operator publishes for one DittoServer. Lists
# come in no particular order: the operator sorts them by name. The Services
# and container ports are those of the rules services and container_ports,
# spelled out: evaluating a rule costs more than its one comprehension.
decision := {
	"services": [p.service | some p in plans],
	"networkPolicies": network_policies,
	"containerPorts": [p.containerPort | some p in plans],
	"deny": sort(deny),
	"warnings": sort(warnings),
}

# plans hold one entry per published adapter: enabled, running, on a port in
# 1-65535 other than the control-plane port, and with a valid name. No object
# may point at a port nobody listens on, so an adapter on port 0 (an unknown
# type without a default) gets nothing; and none may publish the DittoFS API,
# so an adapter reported on the control-plane port gets nothing either.
# checks.rego explains every adapter left out.
#
# A plan carries the adapter's Service, NetworkPolicy and container port, and
# what they were made from: name (of the Service and NetworkPolicy),
# renderedName (the name template filled in, before it was made valid),
# portName (of the Service and container port), serviceType and servicePort
# (the port its Service publishes and forwards to port). claims are what no
# other plan may have: the name, the port, the port name and the published
# port.
plans := _plans_as_named if _all_as_named else := array.concat(_plans_as_named, _renamed_plans)

# _all_as_named holds when every adapter has a plan of the common kind.
_all_as_named if count(_plans_as_named) == count(input.adapters)

# _plans_as_named are the plans of the adapters whose rendered name and type
# are valid names already: the common case, built inline.
_plans_as_named := [{
	"adapter": type,
	"port": port,
	"portDefaulted": a.portDefaulted,
	"renderedName": name,
	"name": name,
	"portName": type,
	"serviceType": shape.serviceType,
	"servicePort": service_port,
	"service": object.union(shape.service, {
		"name": name,
		"adapter": type,
		"ports": [{"name": type, "port": service_port, "targetPort": port, "protocol": "TCP"}],
	}),
	"networkPolicy": {
		"name": name,
		"adapter": type,
		"role": "adapter",
		"ingress": [{"ports": [{"port": port, "protocol": "TCP"}], "from": shape.from}],
	},
	"containerPort": {"name": type, "containerPort": port, "protocol": "TCP"},
	"claims": [["name", name], ["port", port], ["portName", type], ["servicePort", service_port]],
} |
	# The name template, filled in by joining its parts around {adapter}:
	# OPA's replace builds a string matcher (kilobytes) per call.
	template_parts := split(concat(input.server.name, split(input.adapterService.nameTemplate, "{instance}")), "{adapter}")
	shapes := _shapes
	default_shape := _default_shape
	api_port := control_plane_port
	some a in input.adapters
	a.enabled
	a.running
	port := a.port
	port >= 1
	port <= 65535
	port != api_port
	type := a.type
	name := concat(type, template_parts)
	regex.match(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`, name)
	count(type) <= 15
	regex.match(`^[a-z](-?[a-z0-9])*$`, type)
	shape := object.get(shapes, type, default_shape)
	service_port := object.get({0: port}, shape.servicePort, shape.servicePort)
]

# _renamed_plans are the plans of the adapters whose rendered name or type had
# to be made valid. They are looked for only when some adapter has no plan
# of the common kind.
_renamed_plans := [plan(a, rendered, name, port_name) |
	some a in input.adapters
	a.enabled
	a.running
	a.port >= 1
	a.port <= 65535
	a.port != control_plane_port
	rendered := lib.render_template(input.adapterService.nameTemplate, input.server.name, a.type)
	not _valid_names(rendered, a.type)
	name := lib.dns1035_label(rendered)
	name != ""
	port_name := lib.port_name(a.type)
]

# plan is the plan of adapter a named name (rendered before it was made
# valid) with port name port_name: what _plans_as_named builds inline.
plan(a, rendered, name, port_name) := {
	"adapter": a.type,
	"port": a.port,
	"portDefaulted": a.portDefaulted,
	"renderedName": rendered,
	"name": name,
	"portName": port_name,
	"serviceType": shape.serviceType,
	"servicePort": service_port,
	"service": object.union(shape.service, {
		"name": name,
		"adapter": a.type,
		"ports": [{"name": port_name, "port": service_port, "targetPort": a.port, "protocol": "TCP"}],
	}),
	"networkPolicy": {
		"name": name,
		"adapter": a.type,
		"role": "adapter",
		"ingress": [{"ports": [{"port": a.port, "protocol": "TCP"}], "from": shape.from}],
	},
	"containerPort": {"name": port_name, "containerPort": a.port, "protocol": "TCP"},
	"claims": [["name", name], ["port", a.port], ["portName", port_name], ["servicePort", service_port]],
} if {
	shape := object.get(_shapes, a.type, _default_shape)
	service_port := object.get({0: a.port}, shape.servicePort, shape.servicePort)
}

# _valid_names holds when the rendered Service name is a DNS-1035 label and
# the adapter type a port name that lib.port_name keeps as it is: the test of
# _plans_as_named (which spells it out, a call costing more than the test).
_valid_names(rendered, type) if {
	regex.match(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`, rendered)
	count(type) <= 15
	regex.match(`^[a-z](-?[a-z0-9])*$`, type)
}

# control_plane_port is the port of the DittoFS REST API, which no adapter
# object may use (0 when the input lacks it, which the schema forbids).
control_plane_port := object.get(input, ["controlPlane", "port"], 0)

# api_object_name is the name of the control-plane API Service (owned by the
# workload) and of the baseline NetworkPolicy guarding it.
api_object_name := name if {
	name := concat("-", [input.server.name, "api"])
	regex.match(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`, name)
} else := lib.dns1035_label(concat("-", [input.server.name, "api"]))

# settings is data.dittofs.settings: platform-wide values from data files.
default settings := {}

settings := data.dittofs.settings
