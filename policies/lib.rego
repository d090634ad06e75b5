# Naming functions shared by the default rules and by platform modules.
#
# They are pure (no input, no data) so that any module can call them without
# creating a dependency on the decision.
package dittofs.networking.lib

# render_template fills an adapter Service name template: {instance} is the
# DittoServer's name and {adapter} the adapter type.
render_template(template, instance, adapter) := replace(replace(template, "{instance}", instance), "{adapter}", adapter)

# service_name is the rendered template made a valid DNS-1035 label, or "" when
# nothing valid is left (the defaults deny that case with an explanation).
service_name(template, instance, adapter) := dns1035_label(render_template(template, instance, adapter))

# dns1035_label lowercases s, turns every other character outside [a-z0-9-]
# into "-", drops what precedes the first letter, keeps at most 63 characters
# and drops trailing dashes: the result is "" or a valid DNS-1035 label.
dns1035_label(s) := trim_right(substring(regex.replace(regex.replace(lower(s), `[^a-z0-9-]`, "-"), `^[^a-z]+`, ""), 0, 63), "-")

# port_name makes s a valid IANA service name, as Kubernetes requires of port
# names: at most 15 characters of [a-z0-9-], no leading, trailing or doubled
# dash, and at least one letter (a name without one is prefixed with "p-").
port_name(s) := trim_right(substring(concat("", [_letter_prefix[regex.match(`[a-z]`, cleaned)], cleaned]), 0, 15), "-") if {
	cleaned := trim_right(substring(trim(regex.replace(lower(s), `[^a-z0-9]+`, "-"), "-"), 0, 15), "-")
}

_letter_prefix := {true: "", false: "p-"}
