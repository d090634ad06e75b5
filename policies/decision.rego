# Default networking policy of a DittoServer.
#
# The operator evaluates data.dittofs.networking.decision with the input
# described in input.schema.json and applies the result (decision.schema.json)
# after its guardrails. Platform modules extend it through the rules described
# in extensions.rego and README.md; they never redefine the rules below.
#
# The operator evaluates this policy at every adapter poll of every
# DittoServer, so the common path calls built-in functions only: a user
# function call costs several times a built-in's. Values that do not depend
# on the adapter are computed once, and names are sanitized only when they
# are not valid already.
package dittofs.networking

import data.dittofs.networking.lib

# api_version is the only input version this bundle reads.
api_version := "networking.dittofs.io/v1"

# decision is everything the operator publishes for one DittoServer. Lists
# follow the adapters' order; the operator sorts them by name.
decision := {
	"services": services,
	"networkPolicies": network_policies,
	"containerPorts": container_ports,
	"deny": sort(deny),
	"warnings": sort(warnings),
}

# plans hold one entry per published adapter: enabled, running, and on a port
# DittoFS listens on. An adapter on port 0 (an unknown type without a default)
# gets nothing: no object may point at a port nobody listens on. Nothing is
# published while the input lists a type twice, since it is then unclear which
# entry is true (checks.rego denies it).
#
# name is the adapter's Service and NetworkPolicy name ("" when the template
# leaves nothing valid, which is denied), portName its Service and container
# port name, serviceType the type of its Service.
plans := [plan |
	not has_duplicate_adapter_types
	some a in input.adapters
	a.enabled
	a.running
	a.port >= 1
	a.port <= 65535
	rendered := rendered_names[a.type]
	plan := {
		"adapter": a.type,
		"port": a.port,
		"portDefaulted": a.portDefaulted,
		"renderedName": rendered,
		"name": object.get(sanitized_names, rendered, rendered),
		"portName": object.get(sanitized_port_names, a.type, a.type),
		"serviceType": object.get(adapter_service_types, a.type, input.adapterService.type),
	}
]

has_duplicate_adapter_types if count(input.adapters) != count({a.type | some a in input.adapters})

# rendered_names is adapterService.nameTemplate filled for each adapter type.
rendered_names := {a.type: replace(replace(input.adapterService.nameTemplate, "{instance}", input.server.name), "{adapter}", a.type) |
	some a in input.adapters
}

# sanitized_names maps every rendered name that is not a valid DNS-1035 label
# to the label lib.dns1035_label makes of it.
sanitized_names := {name: lib.dns1035_label(name) |
	some name in rendered_names
	not regex.match(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`, name)
}

# sanitized_port_names maps every adapter type that is not a valid port name
# to the name lib.port_name makes of it.
sanitized_port_names := {a.type: lib.port_name(a.type) |
	some a in input.adapters
	not a.type in _valid_port_names
}

_valid_port_names contains a.type if {
	some a in input.adapters
	count(a.type) <= 15
	regex.match(`^[a-z](-?[a-z0-9])*$`, a.type)
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

# api_object_name is the name of the control-plane API Service (owned by the
# workload) and of the baseline NetworkPolicy guarding it.
api_object_name := name if {
	name := concat("-", [input.server.name, "api"])
	regex.match(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`, name)
} else := lib.dns1035_label(concat("-", [input.server.name, "api"]))

# settings is data.dittofs.settings: platform-wide values from data files.
default settings := {}

settings := data.dittofs.settings
