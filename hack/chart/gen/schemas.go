package gen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// KubeconformSchemas turns the OpenAPI v2 document of the Kubernetes API
// (api/openapi-spec/swagger.json of k8s.io/kubernetes, in the Go module
// cache) into the JSON Schemas kubeconform reads, so that rendered manifests
// are validated offline. It writes one file per kind, named as kubeconform's
// -schema-location template {{.ResourceKind}}{{.KindSuffix}}.json expects
// (deployment-apps-v1.json, service-v1.json), in the "standalone-strict"
// flavour: self-contained, and objects reject unknown fields. Unlike
// openapi2jsonschema it keeps shared types as local definitions rather than
// inlining them, which keeps the recursive CRD schema type finite.
func KubeconformSchemas(swaggerFile, outDir string) (int, error) {
	raw, err := os.ReadFile(swaggerFile)
	if err != nil {
		return 0, err
	}
	var swagger struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &swagger); err != nil {
		return 0, fmt.Errorf("%s: %w", swaggerFile, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return 0, err
	}
	defs := map[string]any{}
	for name, def := range swagger.Definitions {
		defs[name] = strict(def)
	}
	// A quantity is written as a string ("64Mi") or a plain number (1).
	defs[quantity] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	slices.Sort(names)
	written := 0
	for _, name := range names {
		gvks, _ := swagger.Definitions[name]["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if kind == "" || strings.HasSuffix(kind, "List") {
				continue
			}
			apiVersion := version
			if group != "" {
				apiVersion = group + "/" + version
			}
			schema := map[string]any{
				"$schema": "http://json-schema.org/draft-07/schema#",
				"allOf": []any{
					map[string]any{"$ref": "#/definitions/" + name},
					map[string]any{
						"properties": map[string]any{
							"apiVersion": map[string]any{"enum": []any{apiVersion}},
							"kind":       map[string]any{"enum": []any{kind}},
						},
						"required": []any{"apiVersion", "kind"},
					},
				},
				"definitions": reachable(defs, name),
			}
			out, err := json.Marshal(schema)
			if err != nil {
				return written, err
			}
			file := strings.ToLower(kind) + "-" + strings.ToLower(strings.Split(group, ".")[0])
			if group == "" {
				file = strings.ToLower(kind)
			}
			file += "-" + strings.ToLower(version) + ".json"
			if err := os.WriteFile(filepath.Join(outDir, file), out, 0o644); err != nil {
				return written, err
			}
			written++
		}
	}
	return written, nil
}

const quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"

// strict rewrites one OpenAPI v2 schema as JSON Schema draft-07 (its
// references already point at #/definitions/, kept local): objects with declared properties reject others,
// int-or-string and quantities accept both forms, and descriptions go (they
// are most of the size).
func strict(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			switch {
			case k == "description" || strings.HasPrefix(k, "x-kubernetes-"):
			case k == "properties":
				// Property names are not keywords: "description" is one of
				// JSONSchemaProps' own properties.
				props := map[string]any{}
				for name, prop := range v.(map[string]any) {
					props[name] = strict(prop)
				}
				out[k] = props
			default:
				out[k] = strict(v)
			}
		}
		if _, ok := out["properties"]; ok {
			if _, set := out["additionalProperties"]; !set {
				out["additionalProperties"] = false
			}
		}
		if n["format"] == "int-or-string" {
			delete(out, "type")
			delete(out, "format")
			out["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = strict(v)
		}
		return out
	default:
		return node
	}
}

// reachable returns the definitions root refers to, directly or not.
func reachable(defs map[string]any, root string) map[string]any {
	out := map[string]any{}
	var visit func(node any)
	visit = func(node any) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/definitions/")
				if _, seen := out[name]; !seen {
					if def, ok := defs[name]; ok {
						out[name] = def
						visit(def)
					}
				}
			}
			for _, v := range n {
				visit(v)
			}
		case []any:
			for _, v := range n {
				visit(v)
			}
		}
	}
	out[root] = defs[root]
	visit(defs[root])
	return out
}
