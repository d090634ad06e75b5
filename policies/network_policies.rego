# NetworkPolicies: one per published adapter, plus a baseline policy for the
# control-plane API. None at all when networkPolicy.enabled is false.
package dittofs.networking

# network_policies carry a role: "adapter" (with the adapter type) or "api"
# (adapter "").
network_policies := array.concat([api_network_policy], adapter_network_policies) if {
	input.networkPolicy.enabled
} else := []

# api_network_policy admits the control-plane port from the operator's
# namespace only, narrowed to the operator's pods when their labels are known.
# The apiIngressFrom setting and platform packages may add peers (monitoring).
api_network_policy := {
	"name": api_object_name,
	"adapter": "",
	"role": "api",
	"ingress": [{
		"ports": [{"port": input.controlPlane.port, "protocol": "TCP"}],
		"from": api_peers,
	}],
}

api_peers := [operator_peer] if {
	count(_api_extra_peers) == 0
} else := array.concat([operator_peer], [p | some p in sort(_api_extra_peers); p != operator_peer])

_api_extra_peers := {p | some p in object.get(settings, "apiIngressFrom", [])} | custom_api_ingress_from

operator_peer := {"namespaceSelector": _operator_namespace} if {
	count(input.operator.podLabels) == 0
} else := {"namespaceSelector": _operator_namespace, "podSelector": {"matchLabels": input.operator.podLabels}}

_operator_namespace := {"matchLabels": {"kubernetes.io/metadata.name": input.operator.namespace}}

# adapter_network_policies admit each published adapter's port from
# networkPolicy.from (any source when it is empty).
adapter_network_policies := [{
	"name": p.name,
	"adapter": p.adapter,
	"role": "adapter",
	"ingress": [{
		"ports": [{"port": p.port, "protocol": "TCP"}],
		"from": object.get(extended_peers, p.adapter, input.networkPolicy.from),
	}],
} |
	some p in plans
	p.name != ""
]

# extended_peers keeps the DittoServer's peers in their order and appends the
# peers platform packages add, per adapter. An empty list admits any source,
# and extra peers would narrow it, so they only extend a list that already
# restricts sources.
extended_peers := {adapter: peers |
	count(input.networkPolicy.from) > 0
	some adapter, extra in custom_ingress_from
	peers := array.concat(input.networkPolicy.from, [p | some p in sort(extra); not p in input.networkPolicy.from])
}
