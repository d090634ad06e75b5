// Package policies embeds the default Rego networking policy of DittoFS
// servers with its tests, the worked examples of platform modules and the JSON
// Schemas of the policy's input and decision.
package policies

import (
	"embed"
	"io/fs"
)

// File names inside FS.
const (
	// InputSchemaFile is the JSON Schema of the policy input.
	InputSchemaFile = "input.schema.json"
	// DecisionSchemaFile is the JSON Schema of data.dittofs.networking.decision.
	DecisionSchemaFile = "decision.schema.json"
	// ExamplesDir holds example platform modules and their tests.
	ExamplesDir = "examples"
)

//go:embed *.rego *.json examples/*.rego
var files embed.FS

// FS returns the embedded files. The top-level *.rego files (without
// *_test.rego) are the default bundle; *_test.rego files test them.
func FS() fs.FS {
	return files
}
