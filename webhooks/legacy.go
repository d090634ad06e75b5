package webhooks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Ports suggested in the dfsctl command replacing a legacy field that names
// none: the ports the static-adapter releases of the operator used.
const (
	legacyNFSPort = 12049
	legacySMBPort = 12445
)

var legacyDefaultPorts = map[string]int64{"nfs": legacyNFSPort, "smb": legacySMBPort}

// legacyChecks refuses the static adapter fields of earlier releases: which
// adapters run is decided through the DittoFS API, so each message says what
// to run instead, with the port the object asked for.
func legacyChecks(server *dittov1.DittoServer, config map[string]any) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if port := server.Spec.NFSPort; port != nil {
		errs = append(errs, legacyError(spec.Child("nfsPort"), *port,
			"spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. "+
				"Remove the field and run "+enableCommand("nfs", portOr(int64(*port), legacyNFSPort))))
	}
	if smb := server.Spec.SMB; smb != nil {
		errs = append(errs, legacyError(spec.Child("smb"), canonicalJSON(jsonValue(smb.Raw)),
			"spec.smb is no longer supported: adapters are managed through the DittoFS API. "+
				"Remove the field and run "+enableCommand("smb", portOr(portOf(jsonValue(smb.Raw)), legacySMBPort))))
	}
	if adapters, ok := config["adapters"]; ok {
		errs = append(errs, legacyError(spec.Child("config", "adapters"), canonicalJSON(adapters),
			"spec.config.adapters is not supported: adapters are managed through the DittoFS API. "+
				"Remove the section and run "+strings.Join(enableCommands(adapters), ", then ")))
	}
	return errs
}

// legacyError is a Forbidden error that remembers the offending value, so
// that an update changing it is not mistaken for one keeping it.
func legacyError(path *field.Path, value any, detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeForbidden, Field: path.String(), BadValue: value, Detail: detail}
}

func enableCommand(adapter string, port string) string {
	return fmt.Sprintf("'dfsctl adapter enable %s --port %s'", adapter, port)
}

// enableCommands lists one dfsctl command per adapter of a legacy adapters
// section, in type order.
func enableCommands(section any) []string {
	adapters, ok := section.(map[string]any)
	if !ok || len(adapters) == 0 {
		return []string{"'dfsctl adapter enable <type> --port <port>' for each adapter"}
	}
	types := make([]string, 0, len(adapters))
	for t := range adapters {
		types = append(types, t)
	}
	sort.Strings(types)
	cmds := make([]string, len(types))
	for i, t := range types {
		port := "<port>"
		if def, known := legacyDefaultPorts[t]; known {
			port = portOr(0, def)
		}
		if p := portOf(adapters[t]); p > 0 {
			port = portOr(p, 0)
		}
		cmds[i] = enableCommand(t, port)
	}
	return cmds
}

// portOf reads the "port" of a legacy adapter setting, 0 when it has none.
func portOf(setting any) int64 {
	m, ok := setting.(map[string]any)
	if !ok {
		return 0
	}
	if p, ok := m["port"].(float64); ok && p == float64(int64(p)) {
		return int64(p)
	}
	return 0
}

func portOr(port, fallback int64) string {
	if port > 0 && port <= 65535 {
		return fmt.Sprint(port)
	}
	return fmt.Sprint(fallback)
}

// jsonValue decodes raw JSON, nil when it is not valid.
func jsonValue(raw []byte) any {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

// canonicalJSON renders a decoded JSON value with sorted keys, so that two
// equal values compare equal as strings.
func canonicalJSON(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(out)
}
