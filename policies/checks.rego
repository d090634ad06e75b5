# Default deny and warning messages. A non-empty deny refuses the whole
# decision: the operator applies nothing and reports the messages.
package dittofs.networking

import data.dittofs.networking.lib

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
	a.enabled
	a.running
	a.port != 0
	not valid_port(a.port)
	msg := sprintf("adapter %q reports port %v, outside 1-65535", [a.type, a.port])
}

deny contains msg if {
	some t, name in service_name
	name == ""
	msg := sprintf("adapterService.nameTemplate %q gives adapter %q no valid name: a DNS-1035 label needs a letter", [input.adapterService.nameTemplate, t])
}

deny contains msg if {
	count(service_name) != count({n | some n in service_name})
	some name in {n | some n in service_name}
	adapters := sort([t | some t, n in service_name; n == name])
	count(adapters) > 1
	msg := sprintf("adapters %v would all get the name %q: adapterService.nameTemplate must include {adapter}", [adapters, name])
}

deny contains msg if {
	some t, name in service_name
	name == api_object_name
	msg := sprintf("adapter %q would get the name %q of the control-plane API Service and NetworkPolicy: change adapterService.nameTemplate", [t, name])
}

deny contains msg if {
	ports := [a.port | some a in published]
	count(ports) != count({p | some p in ports})
	some port in {p | some p in ports}
	adapters := sort([t | some t, a in published; a.port == port])
	count(adapters) > 1
	msg := sprintf("adapters %v all report port %d: a port serves one adapter", [adapters, port])
}

deny contains msg if {
	count(port_name) != count({n | some n in port_name})
	some name in {n | some n in port_name}
	adapters := sort([t | some t, n in port_name; n == name])
	count(adapters) > 1
	msg := sprintf("adapter types %v all give the port name %q", [adapters, name])
}

deny contains msg if {
	allowed := setting("allowedServiceTypes", ["ClusterIP", "NodePort", "LoadBalancer"])
	some t, type in service_type
	not type in allowed
	msg := sprintf("adapter %q would get a %s Service; this platform allows %v", [t, type, allowed])
}

deny contains msg if {
	some t, types in custom_service_types
	count(types) > 1
	msg := sprintf("platform packages force different Service types %v on adapter %q", [sort(types), t])
}

warnings contains msg if {
	some a in input.adapters
	a.enabled
	not a.running
	msg := sprintf("adapter %q is enabled but not running: it gets no Service, NetworkPolicy or container port until it runs", [a.type])
}

warnings contains msg if {
	some a in input.adapters
	a.running
	not a.enabled
	msg := sprintf("adapter %q is running but disabled: it gets no Service, NetworkPolicy or container port", [a.type])
}

warnings contains msg if {
	some a in input.adapters
	a.enabled
	a.running
	a.port == 0
	msg := sprintf("adapter %q runs on an unknown port (the API reported 0 and its type has no known default): it gets no Service, NetworkPolicy or container port", [a.type])
}

warnings contains msg if {
	setting("warnDefaultedPorts", true)
	some t, a in published
	a.portDefaulted
	msg := sprintf("adapter %q: the DittoFS API reported port 0, so the type's default port %d is assumed", [t, a.port])
}

warnings contains msg if {
	some t, name in service_name
	name != ""
	rendered := lib.render_template(input.adapterService.nameTemplate, input.server.name, t)
	rendered != name
	msg := sprintf("the Service name %q of adapter %q became %q to be a valid DNS-1035 label", [rendered, t, name])
}

warnings contains msg if {
	some field, types in type_scoped_fields
	not input.adapterService[field] in {"", []}
	some t, type in service_type
	not type in types
	msg := sprintf("adapterService.%s applies to %v Services only: the %s Service of adapter %q ignores it", [field, sort(types), type, t])
}

warnings contains msg if {
	some [kind, t, key, values] in custom_conflicts
	msg := sprintf("platform packages set the %s %q of adapter %q to different values %v: the last package by name wins", [kind, key, t, values])
}
