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
# packages' deny rules, which read the shaped objects (a recursion). Each kind
# of rule is read once per evaluation into an object keyed by adapter.

# custom_service_annotations merges, per adapter, every package's annotations
# in package name order.
custom_service_annotations := {adapter: object.union_n([x | some [_, a, x] in _annotation_entries; a == adapter]) |
	some [_, adapter, _] in _annotation_entries
}

_annotation_entries := sort([[pkg, adapter, x] |
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_annotations[adapter]
	is_object(x)
])

# custom_service_labels merges, per adapter, every package's labels in package
# name order.
custom_service_labels := {adapter: object.union_n([x | some [_, a, x] in _label_entries; a == adapter]) |
	some [_, adapter, _] in _label_entries
}

_label_entries := sort([[pkg, adapter, x] |
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_labels[adapter]
	is_object(x)
])

# custom_service_types holds, per adapter, the Service types packages force.
custom_service_types := {adapter: {type | type := data.dittofs.networking.custom[_].service_type[adapter]} |
	some adapter
	data.dittofs.networking.custom[_].service_type[adapter]
}

# custom_ingress_from holds, per adapter, the peers packages admit to it.
custom_ingress_from := {adapter: {peer | some peer in data.dittofs.networking.custom[_].extra_ingress_from[adapter]} |
	some adapter
	data.dittofs.networking.custom[_].extra_ingress_from[adapter]
}

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

_prefixed(pkg, msg) := sprintf("[%s] %s", [pkg, msg]) if {
	is_string(msg)
} else := sprintf("[%s] %v", [pkg, msg])

# custom_conflicts lists the annotation and label keys that packages set to
# different values for one adapter: [kind, adapter, key, sorted values].
custom_conflicts contains ["annotation", adapter, key, sort(values)] if {
	count(_annotation_entries) > 1
	some [_, adapter, x] in _annotation_entries
	some key, _ in x
	values := {v | some [_, a, y] in _annotation_entries; a == adapter; v := y[key]}
	count(values) > 1
}

custom_conflicts contains ["label", adapter, key, sort(values)] if {
	count(_label_entries) > 1
	some [_, adapter, x] in _label_entries
	some key, _ in x
	values := {v | some [_, a, y] in _label_entries; a == adapter; v := y[key]}
	count(values) > 1
}
