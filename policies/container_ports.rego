# Container ports of the DittoFS StatefulSet: one per published adapter. The
# control-plane port belongs to the workload and is not part of the decision.
package dittofs.networking

# container_ports is the sorted list of adapter container ports.
container_ports := by_name({p | some p in container_port})

container_port[t] := {"name": port_name[t], "containerPort": a.port, "protocol": "TCP"} if some t, a in published
