package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Paths inside the DittoFS container.
const (
	configMountPath   = "/etc/dittofs"
	configFileName    = "config.yaml"
	tlsMountPath      = "/etc/dittofs/tls"
	metadataMountPath = "/data/metadata"
	cacheMountPath    = "/data/cache"
	tmpMountPath      = "/tmp"
)

// renderConfig produces the DittoFS configuration file: the operator's
// settings with spec.config merged over them. It never has an adapters
// section. The output is stable: keys are sorted.
func renderConfig(server *dittov1.DittoServer) (string, error) {
	user, err := userConfig(server)
	if err != nil {
		return "", err
	}
	if conflicts := dittov1.OwnedConfigConflicts(user); len(conflicts) > 0 {
		return "", fmt.Errorf("spec.config sets %s, which the operator manages; remove them from spec.config",
			strings.Join(conflicts, ", "))
	}
	cfg := mergeMaps(baseConfig(server), user)
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("rendering the DittoFS configuration: %w", err)
	}
	return string(out), nil
}

func userConfig(server *dittov1.DittoServer) (map[string]any, error) {
	if server.Spec.Config == nil {
		return map[string]any{}, nil
	}
	user := make(map[string]any, len(server.Spec.Config.Settings))
	for k, raw := range server.Spec.Config.Settings {
		var v any
		if err := json.Unmarshal(raw.Raw, &v); err != nil {
			return nil, fmt.Errorf("spec.config.%s: %w", k, err)
		}
		user[k] = v
	}
	return user, nil
}

func baseConfig(server *dittov1.DittoServer) map[string]any {
	spec := &server.Spec
	controlPlane := map[string]any{
		// In a pod the API must listen on every interface, or the Service,
		// the probes and the operator cannot reach it.
		"host": "0.0.0.0",
		"port": spec.APIPort(),
	}
	if jwt := jwtConfig(spec); len(jwt) > 0 {
		controlPlane["jwt"] = jwt
	}
	if spec.ControlPlane.TLS != nil {
		controlPlane["tls"] = map[string]any{
			"enabled":   true,
			"cert_file": tlsMountPath + "/tls.crt",
			"key_file":  tlsMountPath + "/tls.key",
		}
	}
	cache := map[string]any{"path": cacheMountPath}
	if spec.Storage.CacheSize != nil {
		cache["size"] = spec.Storage.CacheSize.String()
	}
	return map[string]any{
		"logging":      map[string]any{"level": "INFO", "format": "json", "output": "stdout"},
		"database":     databaseConfig(spec),
		"controlplane": controlPlane,
		"cache":        cache,
	}
}

func jwtConfig(spec *dittov1.DittoServerSpec) map[string]any {
	jwt := map[string]any{}
	if ttl := spec.Identity.AccessTokenTTL; ttl != nil {
		jwt["access_token_duration"] = ttl.Duration.String()
	}
	if ttl := spec.Identity.RefreshTokenTTL; ttl != nil {
		jwt["refresh_token_duration"] = ttl.Duration.String()
	}
	return jwt
}

func databaseConfig(spec *dittov1.DittoServerSpec) map[string]any {
	if spec.DatabaseTypeOrDefault() == dittov1.DatabasePostgres {
		// The connection string reaches the pod as an environment variable
		// from its Secret, never through the ConfigMap.
		return map[string]any{"type": "postgres"}
	}
	return map[string]any{
		"type":   "sqlite",
		"sqlite": map[string]any{"path": metadataMountPath + "/controlplane.db"},
	}
}

// mergeMaps returns base with over merged into it recursively; over wins.
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		baseChild, baseIsMap := out[k].(map[string]any)
		overChild, overIsMap := v.(map[string]any)
		if baseIsMap && overIsMap {
			out[k] = mergeMaps(baseChild, overChild)
			continue
		}
		out[k] = v
	}
	return out
}

// configHash identifies a configuration file; it is written on the pod
// template so that a configuration change rolls the pod exactly once.
func configHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:8])
}
