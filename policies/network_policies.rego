# NetworkPolicies: one per published adapter, plus a baseline policy for the
# control-plane API. None at all when networkPolicy.enabled is false.
package dittofs.networking

# network_policies is the sorted list of NetworkPolicies. Each carries a role:
# "adapter" (with the adapter type) or "api" (adapter "").
network_policies := by_name(_network_policies) if {
	input.networkPolicy.enabled
} else := []

_network_policies contains api_network_policy

_network_policies contains p if some p in adapter_network_policy

# api_network_policy admits the control-plane port from the operator's
# namespace only, narrowed to the operator's pods when their labels are known.
# Platform packages and the apiIngressFrom setting may add peers (monitoring).
api_network_policy := {
	"name": api_object_name,
	"adapter": "",
	"role": "api",
	"ingress": [{
		"ports": [{"port": input.controlPlane.port, "protocol": "TCP"}],
		"from": array.concat([operator_peer], [p | some p in sort(_api_extra_peers); p != operator_peer]),
	}],
}

operator_peer := object.union(
	{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": input.operator.namespace}}},
	_operator_pod_selector,
)

_operator_pod_selector := {"podSelector": {"matchLabels": input.operator.podLabels}} if {
	count(input.operator.podLabels) > 0
} else := {}

_api_extra_peers := {p | some p in setting("apiIngressFrom", [])} | custom_api_ingress_from

# adapter_network_policy admits each published adapter's port from
# networkPolicy.from (any source when it is empty).
adapter_network_policy[t] := {
	"name": service_name[t],
	"adapter": t,
	"role": "adapter",
	"ingress": [{
		"ports": [{"port": a.port, "protocol": "TCP"}],
		"from": adapter_peers(t),
	}],
} if {
	some t, a in published
	service_name[t] != ""
}

# adapter_peers keeps the DittoServer's peers in their order and appends the
# peers platform packages add. An empty list admits any source, and extra
# peers would narrow it, so they are only added to a list that already
# restricts sources.
adapter_peers(t) := [] if {
	count(input.networkPolicy.from) == 0
} else := array.concat(
	input.networkPolicy.from,
	[p | some p in sort(custom_ingress_from(t)); not p in input.networkPolicy.from],
)
