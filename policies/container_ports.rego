# Container ports of the DittoFS StatefulSet: one per published adapter. The
# control-plane port belongs to the workload and is not part of the decision.
package dittofs.networking

container_ports := [{"name": p.portName, "containerPort": p.port, "protocol": "TCP"} | some p in plans]
