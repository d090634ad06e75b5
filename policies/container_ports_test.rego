package dittofs.networking_test

import data.dittofs.networking

test_one_container_port_per_published_adapter if {
	inp := with_adapters([nfs, smb, object.union(nfs, {"type": "off", "enabled": false})])
	networking.container_ports == [
		{"name": "nfs", "containerPort": 12049, "protocol": "TCP"},
		{"name": "smb", "containerPort": 1445, "protocol": "TCP"},
	] with input as inp
}

test_container_port_names_are_sanitized if {
	inp := with_adapters([object.union(nfs, {"type": "NFS_Version_Four_X"})])
	networking.container_ports == [{"name": "nfs-version-fou", "containerPort": 12049, "protocol": "TCP"}] with input as inp
}

test_no_container_port_without_a_valid_name if {
	inp := patched({"adapterService": {"nameTemplate": "{adapter}"}, "adapters": [object.union(nfs, {"type": "9"})]})
	networking.container_ports == [] with input as inp
	count(networking.deny) == 1 with input as inp
}

test_no_container_ports_without_adapters if {
	networking.container_ports == [] with input as with_adapters([])
}
