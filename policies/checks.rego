# Default deny and warning messages. A non-empty deny refuses the whole
# decision: the operator applies nothing and reports the messages. Each check
# starts with a condition that is false, and cheap, for a sound input.
package dittofs.networking

deny contains msg if some msg in custom_deny

warnings contains msg if some msg in custom_warnings

deny contains msg if {
	not input.apiVersion == api_version
	msg := sprintf("unsupported policy input apiVersion %v: this bundle reads %s", [object.get(input, "apiVersion", "(none)"), api_version])
}

deny contains msg if {
	has_duplicate_adapter_types
	types := [a.type | some a in input.adapters]
	dups := {t | some t in types; count([x | some x in types; x == t]) > 1}
	msg := sprintf("the DittoFS API reported adapter types %v more than once", [sort(dups)])
}

deny contains msg if {
	some a in input.adapters
	a.port > 65535
	a.enabled
	a.running
	msg := sprintf("adapter %q reports port %v, outside 1-65535", [a.type, a.port])
}

deny contains msg if {
	some a in input.adapters
	a.port < 0
	a.enabled
	a.running
	msg := sprintf("adapter %q reports port %v, outside 1-65535", [a.type, a.port])
}

deny contains msg if {
	some p in plans
	p.name == ""
	msg := sprintf("adapterService.nameTemplate %q gives adapter %q no valid name: a DNS-1035 label needs a letter", [input.adapterService.nameTemplate, p.adapter])
}

_names := {p.name | some p in plans}

deny contains msg if {
	count(_names) != count(plans)
	some name in _names
	name != ""
	adapters := sort([p.adapter | some p in plans; p.name == name])
	count(adapters) > 1
	msg := sprintf("adapters %v would all get the name %q: adapterService.nameTemplate must include {adapter}", [adapters, name])
}

deny contains msg if {
	ports := {p.port | some p in plans}
	count(ports) != count(plans)
	some port in ports
	adapters := sort([p.adapter | some p in plans; p.port == port])
	count(adapters) > 1
	msg := sprintf("adapters %v all report port %d: a port serves one adapter", [adapters, port])
}

deny contains msg if {
	names := {p.portName | some p in plans}
	count(names) != count(plans)
	some name in names
	adapters := sort([p.adapter | some p in plans; p.portName == name])
	count(adapters) > 1
	msg := sprintf("adapter types %v all give the port name %q", [adapters, name])
}

deny contains msg if {
	api_object_name in _names
	some p in plans
	p.name == api_object_name
	msg := sprintf("adapter %q would get the name %q of the control-plane API Service and NetworkPolicy: change adapterService.nameTemplate", [p.adapter, p.name])
}

deny contains msg if {
	allowed := settings.allowedServiceTypes
	some p in plans
	not p.serviceType in allowed
	msg := sprintf("adapter %q would get a %s Service; this platform allows %v", [p.adapter, p.serviceType, allowed])
}

deny contains msg if {
	some adapter, types in custom_service_types
	count(types) > 1
	msg := sprintf("platform packages force different Service types %v on adapter %q", [sort(types), adapter])
}

warnings contains msg if {
	some a in input.adapters
	template := _state_warnings[[a.enabled, a.running]]
	msg := sprintf(template, [a.type])
}

# _state_warnings explain, by [enabled, running], why an adapter gets nothing.
_state_warnings := {
	[true, false]: "adapter %q is enabled but not running: it gets no Service, NetworkPolicy or container port until it runs",
	[false, true]: "adapter %q is running but disabled: it gets no Service, NetworkPolicy or container port",
}

warnings contains msg if {
	some a in input.adapters
	a.port == 0
	a.enabled
	a.running
	msg := sprintf("adapter %q runs on an unknown port (the API reported 0 and its type has no known default): it gets no Service, NetworkPolicy or container port", [a.type])
}

warnings contains msg if {
	some p in plans
	p.portDefaulted
	object.get(settings, "warnDefaultedPorts", true)
	msg := sprintf("adapter %q: the DittoFS API reported port 0, so the type's default port %d is assumed", [p.adapter, p.port])
}

warnings contains msg if {
	some rendered, name in sanitized_names
	name != ""
	some p in plans
	p.renderedName == rendered
	msg := sprintf("the Service name %q of adapter %q became %q to be a valid DNS-1035 label", [rendered, p.adapter, name])
}

warnings contains msg if {
	some field, types in type_scoped_fields
	not input.adapterService[field] in {"", []}
	some p in plans
	not p.serviceType in types
	msg := sprintf("adapterService.%s applies to %v Services only: the %s Service of adapter %q ignores it", [field, sort(types), p.serviceType, p.adapter])
}

warnings contains msg if {
	some [kind, adapter, key, values] in custom_conflicts
	msg := sprintf("platform packages set the %s %q of adapter %q to different values %v: the last package by name wins", [kind, key, adapter, values])
}
