# Container ports of the DittoFS StatefulSet: one per published adapter. The
# control-plane port belongs to the workload and is not part of the decision.
package dittofs.networking

container_ports := [p.containerPort | some p in plans]
