# Extension points for platform modules.
#
# A platform module is a Rego file in its own package
# dittofs.networking.custom.<name>. It may define any of these rules, all of
# them optional, and the defaults consult every such package:
#
#   service_annotations[adapter] := {key: value}   annotations on that adapter's Service
#   service_labels[adapter] := {key: value}        labels on that adapter's Service
#   service_type[adapter] := "ClusterIP"           Service type forced on that adapter
#   service_port[adapter] := 2049                  port that adapter's Service publishes
#   extra_ingress_from[adapter] contains peer      NetworkPolicyPeer admitted to the adapter
#   api_ingress_from contains peer                 NetworkPolicyPeer admitted to the API port
#   deny contains msg                              refuses the whole decision
#   warnings contains msg                          reported, nothing refused
#
# The shaping rules (all but deny and warnings) may read input, data.dittofs.settings
# and data.dittofs.networking.lib; deny and warnings may also read the decided
# objects (data.dittofs.networking.services, network_policies, container_ports).
# Packages are merged in name order: on the same annotation or label key the
# last one wins (with a warning); different forced Service types or published
# ports are denied.
# Messages are prefixed with "[<name>] " to say which package produced them.
package dittofs.networking

# Every reference into data.dittofs.networking.custom names its rule
# explicitly: a variable rule name would make the shaping rules depend on the
# packages' deny rules, which read the shaped objects (a recursion).

# _custom_shaping holds an entry [rule, package, adapter, value] for every
# value a package gives one of its shaping rules. The defaults read it once
# per evaluation; it is empty unless some package shapes an adapter.
_custom_shaping contains ["service_annotations", pkg, adapter, x] if {
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_annotations[adapter]
	is_object(x)
}

_custom_shaping contains ["service_labels", pkg, adapter, x] if {
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_labels[adapter]
	is_object(x)
}

_custom_shaping contains ["service_type", pkg, adapter, x] if {
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_type[adapter]
}

_custom_shaping contains ["service_port", pkg, adapter, x] if {
	some pkg, adapter
	x := data.dittofs.networking.custom[pkg].service_port[adapter]
}

_custom_shaping contains ["extra_ingress_from", pkg, adapter, x] if {
	some pkg, adapter
	some x in data.dittofs.networking.custom[pkg].extra_ingress_from[adapter]
}

# custom_service_annotations merges, per adapter, every package's annotations
# in package name order.
custom_service_annotations := _merged_by_adapter(_annotation_entries)

_annotation_entries := sort([[pkg, adapter, x] | some ["service_annotations", pkg, adapter, x] in _custom_shaping])

# custom_service_labels merges, per adapter, every package's labels in package
# name order.
custom_service_labels := _merged_by_adapter(_label_entries)

_label_entries := sort([[pkg, adapter, x] | some ["service_labels", pkg, adapter, x] in _custom_shaping])

_merged_by_adapter(entries) := {adapter: object.union_n([x | some [_, a, x] in entries; a == adapter]) |
	some [_, adapter, _] in entries
}

# custom_service_types holds, per adapter, the Service types packages force.
custom_service_types := {adapter: {type | some ["service_type", _, a, type] in _custom_shaping; a == adapter} |
	some ["service_type", _, adapter, _] in _custom_shaping
}

# custom_service_ports holds, per adapter, the published ports packages force.
custom_service_ports := {adapter: {port | some ["service_port", _, a, port] in _custom_shaping; a == adapter} |
	some ["service_port", _, adapter, _] in _custom_shaping
}

# custom_ingress_from holds, per adapter, the peers packages admit to it.
custom_ingress_from := {adapter: {peer | some ["extra_ingress_from", _, a, peer] in _custom_shaping; a == adapter} |
	some ["extra_ingress_from", _, adapter, _] in _custom_shaping
}

# _prefixed is a package's message prefixed with the package name.
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
