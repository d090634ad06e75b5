# Default networking policy of a DittoServer.
#
# The operator evaluates data.dittofs.networking.decision with the input
# described in input.schema.json and applies the result (decision.schema.json)
# after its guardrails. Platform modules extend it through the rules described
# in extensions.rego and README.md; they never redefine the rules below.
package dittofs.networking

import data.dittofs.networking.lib

# api_version is the only input version this bundle reads.
api_version := "networking.dittofs.io/v1"

# decision is everything the operator publishes for one DittoServer. Lists are
# sorted by name and messages alphabetically so that the same input always
# gives byte-identical output.
decision := {
	"services": services,
	"networkPolicies": network_policies,
	"containerPorts": container_ports,
	"deny": sort(deny),
	"warnings": sort(warnings),
}

# published holds, by type, the adapters that get Kubernetes objects: enabled,
# running, and on a port DittoFS listens on. An adapter on port 0 (unknown
# type without a default) gets nothing: no object may point at a port nobody
# listens on. Nothing is published while the input lists a type twice, since
# it is then unclear which entry is true (see checks.rego).
published[a.type] := a if {
	not has_duplicate_adapter_types
	some a in input.adapters
	a.enabled
	a.running
	valid_port(a.port)
}

has_duplicate_adapter_types if count(input.adapters) != count({a.type | some a in input.adapters})

valid_port(port) if {
	port >= 1
	port <= 65535
}

# service_name is the name of each published adapter's Service and NetworkPolicy.
service_name[t] := lib.service_name(input.adapterService.nameTemplate, input.server.name, t) if some t, _ in published

# port_name names each published adapter's Service and container port.
port_name[t] := lib.port_name(t) if some t, _ in published

# api_object_name is the name of the control-plane API Service (owned by the
# workload) and of the baseline NetworkPolicy guarding it.
api_object_name := lib.dns1035_label(concat("-", [input.server.name, "api"]))

# setting is data.dittofs.settings[key], or fallback when the platform did not
# set it.
setting(key, fallback) := value if {
	value := data.dittofs.settings[key]
} else := fallback

# by_name orders objects by their name (then by content, which only matters
# for duplicates that checks.rego denies anyway).
by_name(objects) := [o | some pair in sort([[x.name, x] | some x in objects]); o := pair[1]]
