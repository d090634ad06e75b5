# Extension points for platform modules.
#
# A platform module is a Rego file in its own package
# dittofs.networking.custom.<name>. It may define any of these rules, all of
# them optional, and the defaults consult every such package:
#
#   service_annotations[adapter] := {key: value}   annotations on that adapter's Service
#   service_labels[adapter] := {key: value}        labels on that adapter's Service
#   service_type[adapter] := "ClusterIP"           Service type forced on that adapter
#   extra_ingress_from[adapter] contains peer      NetworkPolicyPeer admitted to the adapter
#   api_ingress_from contains peer                 NetworkPolicyPeer admitted to the API port
#   deny contains msg                              refuses the whole decision
#   warnings contains msg                          reported, nothing refused
#
# The shaping rules (all but deny and warnings) may read input, data.dittofs.settings
# and data.dittofs.networking.lib; deny and warnings may also read the decided
# objects (data.dittofs.networking.services, network_policies, container_ports).
# Packages are merged in name order: on the same annotation or label key the
# last one wins (with a warning); different forced Service types are denied.
# Messages are prefixed with "[<name>] " to say which package produced them.
package dittofs.networking

# Every reference into data.dittofs.networking.custom names its rule
# explicitly: a variable rule name would make the shaping rules depend on the
# packages' deny rules, which read the shaped objects (a recursion).

# custom_service_annotations merges every package's annotations for adapter t.
custom_service_annotations(t) := object.union_n([x |
	some pair in sort([[pkg, x] |
		some pkg
		x := data.dittofs.networking.custom[pkg].service_annotations[t]
		is_object(x)
	])
	x := pair[1]
])

# custom_service_labels merges every package's labels for adapter t.
custom_service_labels(t) := object.union_n([x |
	some pair in sort([[pkg, x] |
		some pkg
		x := data.dittofs.networking.custom[pkg].service_labels[t]
		is_object(x)
	])
	x := pair[1]
])

# custom_service_types holds, per published adapter, the Service types that
# platform packages force on it.
custom_service_types[t] := types if {
	some t, _ in published
	types := {type | type := data.dittofs.networking.custom[_].service_type[t]}
	count(types) > 0
}

# custom_ingress_from is the set of peers packages admit to adapter t.
custom_ingress_from(t) := {peer | some peer in data.dittofs.networking.custom[_].extra_ingress_from[t]}

# custom_api_ingress_from is the set of peers packages admit to the API port.
custom_api_ingress_from := {peer | some peer in data.dittofs.networking.custom[_].api_ingress_from}

# custom_deny and custom_warnings carry every package's messages, prefixed
# with the package name.
custom_deny contains msg if {
	some pkg
	some m in data.dittofs.networking.custom[pkg].deny
	msg := _prefixed(pkg, m)
}

custom_warnings contains msg if {
	some pkg
	some m in data.dittofs.networking.custom[pkg].warnings
	msg := _prefixed(pkg, m)
}

# custom_conflicts lists annotation and label keys that packages set to
# different values for a published adapter.
custom_conflicts contains [kind, t, key, sort(values)] if {
	some t, _ in published
	some key
	data.dittofs.networking.custom[_].service_annotations[t][key]
	kind := "annotation"
	values := {v | v := data.dittofs.networking.custom[_].service_annotations[t][key]}
	count(values) > 1
}

custom_conflicts contains [kind, t, key, sort(values)] if {
	some t, _ in published
	some key
	data.dittofs.networking.custom[_].service_labels[t][key]
	kind := "label"
	values := {v | v := data.dittofs.networking.custom[_].service_labels[t][key]}
	count(values) > 1
}

_prefixed(pkg, msg) := sprintf("[%s] %s", [pkg, msg]) if {
	is_string(msg)
} else := sprintf("[%s] %v", [pkg, msg])
