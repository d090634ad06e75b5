# Example platform module: SMB is for the internal network only. In
# namespaces labelled tier=internal, the SMB adapter's Service gets the
# annotation that makes the cloud load balancer internal (GKE's here; use
# service.beta.kubernetes.io/azure-load-balancer-internal: "true" on AKS or
# service.beta.kubernetes.io/aws-load-balancer-scheme: internal on EKS).
package dittofs.networking.custom.internal_smb_load_balancer

service_annotations["smb"] := {"networking.gke.io/load-balancer-type": "Internal"} if {
	input.namespace.labels.tier == "internal"
}
