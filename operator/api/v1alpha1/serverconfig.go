package v1alpha1

import (
	"encoding/json"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// ServerConfig holds free-form DittoFS settings, kept as given.
//
// Only `adapters` is declared in the schema, so that a CEL rule can refuse
// it even where the admission webhook is off: a schemaless object gives CEL
// no field to test.
//
// +kubebuilder:pruning:PreserveUnknownFields
// +kubebuilder:validation:XValidation:rule="!has(self.adapters)",message="spec.config.adapters is not supported: adapters are managed through the DittoFS API; use 'dfsctl adapter enable|disable'"
type ServerConfig struct {
	// Adapters is not supported: adapters are managed through the DittoFS API
	// (`dfsctl adapter enable|disable`).
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +optional
	Adapters *apiextensionsv1.JSON `json:"adapters,omitempty"`

	// Settings are every top-level setting, adapters included, by key.
	Settings map[string]apiextensionsv1.JSON `json:"-"`
}

// MarshalJSON writes the settings as one object.
func (c ServerConfig) MarshalJSON() ([]byte, error) {
	settings := make(map[string]apiextensionsv1.JSON, len(c.Settings)+1)
	for k, v := range c.Settings {
		settings[k] = v
	}
	if c.Adapters != nil {
		settings["adapters"] = *c.Adapters
	}
	return json.Marshal(settings)
}

// UnmarshalJSON reads a settings object.
func (c *ServerConfig) UnmarshalJSON(data []byte) error {
	var settings map[string]apiextensionsv1.JSON
	if err := json.Unmarshal(data, &settings); err != nil {
		return err
	}
	c.Settings = settings
	c.Adapters = nil
	if a, ok := settings["adapters"]; ok {
		c.Adapters = &a
	}
	return nil
}

// ownedConfigPaths are settings the operator decides; spec.config may not set
// them. adapters has no place at all: adapters live in the DittoFS API.
var ownedConfigPaths = []string{
	"adapters",
	"controlplane.host",
	"controlplane.port",
	"controlplane.tls",
	"controlplane.jwt.secret",
	"database",
	"cache.path",
}

// OwnedConfigConflicts lists the settings of spec.config (decoded) that the
// operator owns, as dotted paths, sorted: the reconciler refuses them and
// admission reports them.
func OwnedConfigConflicts(config map[string]any) []string {
	var conflicts []string
	for _, path := range ownedConfigPaths {
		if hasPath(config, strings.Split(path, ".")) {
			conflicts = append(conflicts, path)
		}
	}
	sort.Strings(conflicts)
	return conflicts
}

func hasPath(m map[string]any, path []string) bool {
	v, ok := m[path[0]]
	if !ok || len(path) == 1 {
		return ok
	}
	child, isMap := v.(map[string]any)
	return isMap && hasPath(child, path[1:])
}
