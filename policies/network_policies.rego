# NetworkPolicies: one per published adapter, plus a baseline policy for the
# control-plane API. None at all when networkPolicy.enabled is false.
package dittofs.networking

# network_policies carry a role: "adapter" (with the adapter type) or "api"
# (adapter ""). An adapter's policy, in its plan, admits its port from
# networkPolicy.from (any source when it is empty).
#
# The API policy admits the control-plane port from the operator's namespace,
# narrowed to the operator's pods when their labels are known, and from the
# DittoServer's networkPolicy.apiFrom peers (where administrators run
# dfsctl). The apiIngressFrom setting and platform packages may add peers
# (monitoring).
network_policies := array.concat(
	[{
		"name": api_object_name,
		"adapter": "",
		"role": "api",
		"ingress": [{
			"ports": [{"port": input.controlPlane.port, "protocol": "TCP"}],
			"from": api_peers,
		}],
	}],
	[p.networkPolicy | some p in plans],
) if {
	input.networkPolicy.enabled
} else := []

# api_peers are the operator's pods, then the other peers admitted, sorted.
api_peers := [operator_peer] if {
	count(_spec_api_peers) == 0
	not settings.apiIngressFrom
	not _any_custom_api_peer
} else := array.concat([peer], [p | some p in sort(extra); p != peer]) if {
	peer := operator_peer
	extra := ({p | some p in _spec_api_peers} | {p | some p in object.get(settings, "apiIngressFrom", [])}) | {p | some p in data.dittofs.networking.custom[_].api_ingress_from}
}

# _spec_api_peers are the DittoServer's spec.networkPolicy.apiFrom.
_spec_api_peers := object.get(input.networkPolicy, "apiFrom", [])

_any_custom_api_peer if data.dittofs.networking.custom[_].api_ingress_from[_]

# operator_peer admits the operator's pods: those of its namespace, narrowed
# to the pods with the operator's labels when they are known.
operator_peer := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": input.operator.namespace}}} if {
	count(input.operator.podLabels) == 0
} else := {
	"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": input.operator.namespace}},
	"podSelector": {"matchLabels": input.operator.podLabels},
}

# extended_peers keeps the DittoServer's peers in their order and appends the
# peers platform packages add, per adapter. An empty list admits any source,
# and extra peers would narrow it, so they only extend a list that already
# restricts sources.
extended_peers := {adapter: peers |
	count(input.networkPolicy.from) > 0
	some adapter, extra in custom_ingress_from
	peers := array.concat(input.networkPolicy.from, [p | some p in sort(extra); not p in input.networkPolicy.from])
}
