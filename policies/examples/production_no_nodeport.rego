# Example platform module: no NodePort Services in production. In namespaces
# labelled env=production, a decision with a NodePort adapter Service is
# denied, whichever setting asked for it. A deny rule may read the decided
# objects, here data.dittofs.networking.services.
package dittofs.networking.custom.production_no_nodeport

deny contains msg if {
	input.namespace.labels.env == "production"
	some service in data.dittofs.networking.services
	service.type == "NodePort"
	msg := sprintf("Service %q of adapter %q is a NodePort, which namespaces labelled env=production may not use: choose LoadBalancer or ClusterIP in spec.adapterService", [service.name, service.adapter])
}
