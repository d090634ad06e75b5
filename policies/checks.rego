# Default deny and warning messages. A non-empty deny refuses the whole
# decision: the operator applies nothing and reports the messages.
#
# What concerns unusual inputs sits behind one test, sound, that holds, and
# is cheap, for the common input.
package dittofs.networking

import data.dittofs.networking.lib

deny contains msg if {
	some pkg
	some m in data.dittofs.networking.custom[pkg].deny
	msg := _prefixed(pkg, m)
}

warnings contains msg if {
	some pkg
	some m in data.dittofs.networking.custom[pkg].warnings
	msg := _prefixed(pkg, m)
}

deny contains msg if {
	not input.apiVersion == "networking.dittofs.io/v1" # api_version, spelled out: cheaper than a rule
	msg := sprintf("unsupported policy input apiVersion %v: this bundle reads %s", [object.get(input, "apiVersion", "(none)"), api_version])
}

deny contains msg if {
	not sound
	some msg in unsound_deny
}

warnings contains msg if {
	not sound
	some msg in unsound_warnings
}

deny contains msg if {
	allowed := settings.allowedServiceTypes
	some p in plans
	not p.serviceType in allowed
	msg := sprintf("adapter %q would get a %s Service; this platform allows %v", [p.adapter, p.serviceType, allowed])
}

warnings contains msg if {
	some p in plans
	p.portDefaulted
	object.get(settings, "warnDefaultedPorts", true)
	msg := sprintf("adapter %q: the DittoFS API reported port 0, so the type's default port %d is assumed", [p.adapter, p.port])
}

warnings contains msg if {
	object.filter(input.adapterService, ["loadBalancerClass", "loadBalancerSourceRanges", "externalTrafficPolicy"]) != {"loadBalancerClass": "", "loadBalancerSourceRanges": [], "externalTrafficPolicy": ""}
	some field, types in type_scoped_fields
	not input.adapterService[field] in {"", []}
	some p in plans
	not p.serviceType in types
	msg := sprintf("adapterService.%s applies to %v Services only: the %s Service of adapter %q ignores it", [field, sort(types), p.serviceType, p.adapter])
}

# sound holds for the common input: every adapter has a plan of the common
# kind (named as rendered), no two plans claim the same name, port, port
# name or published port, none takes the name of the API objects nor
# publishes the control-plane port, and no platform package shapes an
# adapter. The messages of unsound_deny and unsound_warnings are then all
# empty, and are not looked for.
sound if {
	_all_as_named
	claims := {c | some p in _plans_as_named; some c in p.claims}
	count(claims) == 4 * count(_plans_as_named)
	not ["name", api_object_name] in claims
	not ["servicePort", control_plane_port] in claims
	count(_custom_shaping) == 0
}

unsound_deny contains msg if some msg in unpublished_deny

unsound_deny contains msg if some msg in _duplicate_types_deny

# A type listed twice makes its plans collide: the duplicate is the message.
unsound_deny contains msg if {
	not duplicate_types
	some msg in _collisions
}

unsound_deny contains msg if {
	some adapter, types in custom_service_types
	count(types) > 1
	msg := sprintf("platform packages force different Service types %v on adapter %q", [sort(types), adapter])
}

unsound_deny contains msg if {
	some adapter, ports in custom_service_ports
	count(ports) > 1
	msg := sprintf("platform packages force different published ports %v on adapter %q", [sort(ports), adapter])
}

# A Service may publish a port other than its adapter's (2049 for NFS on
# 12049), but never the control-plane port: whatever forwards it, clients
# of that address and port expect the DittoFS API.
unsound_deny contains msg if {
	some p in plans
	p.servicePort == control_plane_port
	msg := sprintf("adapter %q would publish port %d on its Service, the control-plane port of the DittoFS API (spec.controlPlane.port): publish another port (spec.adapterService.overrides.%s.port)", [p.adapter, p.servicePort, p.adapter])
}

unsound_warnings contains msg if some msg in unpublished_warnings

unsound_warnings contains msg if {
	some p in _renamed_plans
	p.name != p.renderedName
	msg := sprintf("the Service name %q of adapter %q became %q to be a valid DNS-1035 label", [p.renderedName, p.adapter, p.name])
}

unsound_warnings contains msg if {
	some [kind, adapter, key, values] in custom_conflicts
	msg := sprintf("platform packages set the %s %q of adapter %q to different values %v: the last package by name wins", [kind, key, adapter, values])
}

# Adapters without a plan: why each one gets nothing.

unpublished_deny contains msg if {
	some a in input.adapters
	a.enabled
	a.running
	a.port < 0
	msg := sprintf("adapter %q reports port %v, outside 1-65535", [a.type, a.port])
}

unpublished_deny contains msg if {
	some a in input.adapters
	a.enabled
	a.running
	a.port > 65535
	msg := sprintf("adapter %q reports port %v, outside 1-65535", [a.type, a.port])
}

unpublished_deny contains msg if {
	some a in input.adapters
	a.enabled
	a.running
	a.port == control_plane_port
	msg := sprintf("adapter %q reports port %d, the control-plane port %d of the DittoFS API (spec.controlPlane.port): an adapter Service or NetworkPolicy on it would publish the API, so the adapter gets none; move the adapter to another port with 'dfsctl adapter enable %s --port <port>', or the API with spec.controlPlane.port", [a.type, a.port, control_plane_port, a.type])
}

unpublished_deny contains msg if {
	some a in _unnamed
	msg := sprintf("adapterService.nameTemplate %q gives adapter %q no valid name: a DNS-1035 label needs a letter", [input.adapterService.nameTemplate, a.type])
}

# _unnamed are the adapters that would have a plan but for a valid name.
_unnamed := [a |
	some a in input.adapters
	a.enabled
	a.running
	a.port >= 1
	a.port <= 65535
	a.port != control_plane_port
	lib.service_name(input.adapterService.nameTemplate, input.server.name, a.type) == ""
]

unpublished_warnings contains msg if {
	some a in input.adapters
	template := _state_warnings[[a.enabled, a.running]]
	msg := sprintf(template, [a.type])
}

# _state_warnings explain, by [enabled, running], why an adapter gets nothing.
_state_warnings := {
	[true, false]: "adapter %q is enabled but not running: it gets no Service, NetworkPolicy or container port until it runs",
	[false, true]: "adapter %q is running but disabled: it gets no Service, NetworkPolicy or container port",
}

unpublished_warnings contains msg if {
	some a in input.adapters
	a.port == 0
	a.enabled
	a.running
	msg := sprintf("adapter %q runs on an unknown port (the API reported 0 and its type has no known default): it gets no Service, NetworkPolicy or container port", [a.type])
}

_duplicate_types_deny contains msg if {
	duplicate_types
	types := [a.type | some a in input.adapters]
	dups := {t | some t in types; count([x | some x in types; x == t]) > 1}
	msg := sprintf("the DittoFS API reported adapter types %v more than once", [sort(dups)])
}

# duplicate_types holds when the input lists an adapter type more than once.
# Which entry is true is then unclear, and the decision is denied.
duplicate_types if count(input.adapters) != count({a.type | some a in input.adapters})

# Plans that collide: two adapters would share an object.

_collisions contains msg if {
	some name in {p.name | some p in plans}
	adapters := sort([p.adapter | some p in plans; p.name == name])
	count(adapters) > 1
	msg := sprintf("adapters %v would all get the name %q: adapterService.nameTemplate must include {adapter}", [adapters, name])
}

# _claimants are the plans and the adapters without a valid name: those
# still claim their port and port name.
_claimants := array.concat(plans, [{"adapter": a.type, "port": a.port, "portName": lib.port_name(a.type)} | some a in _unnamed])

_collisions contains msg if {
	some port in {p.port | some p in _claimants}
	adapters := sort([p.adapter | some p in _claimants; p.port == port])
	count(adapters) > 1
	msg := sprintf("adapters %v all report port %d: a port serves one adapter", [adapters, port])
}

# Two Services publishing one port: reported when their adapters listen on
# different ports (the same port is reported above).
_collisions contains msg if {
	some port in {p.servicePort | some p in plans}
	adapters := sort([p.adapter | some p in plans; p.servicePort == port])
	count(adapters) > 1
	count({p.port | some p in plans; p.servicePort == port}) > 1
	msg := sprintf("adapters %v would all publish port %d on their Services: a published port serves one adapter; change spec.adapterService.overrides.<type>.port", [adapters, port])
}

_collisions contains msg if {
	some name in {p.portName | some p in _claimants}
	adapters := sort([p.adapter | some p in _claimants; p.portName == name])
	count(adapters) > 1
	msg := sprintf("adapter types %v all give the port name %q", [adapters, name])
}

_collisions contains msg if {
	some p in plans
	p.name == api_object_name
	msg := sprintf("adapter %q would get the name %q of the control-plane API Service and NetworkPolicy: change adapterService.nameTemplate", [p.adapter, p.name])
}
