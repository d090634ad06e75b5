package dittofs.networking.lib_test

import data.dittofs.networking.lib

test_render_template if {
	lib.render_template("{instance}-{adapter}", "fs1", "nfs") == "fs1-nfs"
	lib.render_template("my-share", "fs1", "nfs") == "my-share"
	lib.render_template("{adapter}-of-{instance}", "fs1", "smb") == "smb-of-fs1"
}

test_service_name_renders_and_sanitizes if {
	lib.service_name("{instance}-{adapter}", "fs1", "nfs") == "fs1-nfs"
	lib.service_name("{instance}-{adapter}", "Prod.FS", "nfs_v4") == "prod-fs-nfs-v4"
}

test_dns1035_label_keeps_valid_labels if {
	lib.dns1035_label("fs1-nfs") == "fs1-nfs"
	lib.dns1035_label("a") == "a"
	lib.dns1035_label("a--b") == "a--b"
}

test_dns1035_label_lowercases_and_replaces if {
	lib.dns1035_label("My_Share") == "my-share"
	lib.dns1035_label("fs1.storage") == "fs1-storage"
	lib.dns1035_label("héllo") == "h-llo"
}

test_dns1035_label_starts_with_a_letter if {
	lib.dns1035_label("1fs") == "fs"
	lib.dns1035_label("-9-fs") == "fs"
}

test_dns1035_label_ends_alphanumeric if {
	lib.dns1035_label("fs-") == "fs"
	lib.dns1035_label("fs_!") == "fs"
}

repeat(s, n) := concat("", [s | some _ in numbers.range(1, n)])

test_dns1035_label_truncates_to_63 if {
	long := concat("", ["a", repeat("b", 70)])
	count(lib.dns1035_label(long)) == 63
	lib.dns1035_label(concat("", [repeat("a", 62), "-b"])) == repeat("a", 62)
}

test_dns1035_label_empty_when_no_letter if {
	lib.dns1035_label("123") == ""
	lib.dns1035_label("") == ""
	lib.dns1035_label("---") == ""
}

test_port_name_keeps_valid_names if {
	lib.port_name("nfs") == "nfs"
	lib.port_name("smb") == "smb"
	lib.port_name("nfs-v4") == "nfs-v4"
}

test_port_name_sanitizes if {
	lib.port_name("NFS_v4") == "nfs-v4"
	lib.port_name("a__b") == "a-b"
	lib.port_name("-x-") == "x"
	lib.port_name("9p") == "9p"
}

test_port_name_truncates_to_15 if {
	lib.port_name("averyveryverylongadapter") == "averyveryverylo"
	lib.port_name("abcdefghijklmn-op") == "abcdefghijklmn"
}

test_port_name_needs_a_letter if {
	lib.port_name("123") == "p-123"
	lib.port_name("1234567890123456") == "p-1234567890123"
	lib.port_name("") == "p"
	lib.port_name("__") == "p"
}
