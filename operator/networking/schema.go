package networking

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/dittofs/dittofs-operator/policies"
)

// schemaQuery validates with OPA's json.match_schema, which needs no other
// dependency than the policy engine itself.
const schemaQuery = "result := json.match_schema(input.document, input.schema)"

var schemaValidator = sync.OnceValues(func() (rego.PreparedEvalQuery, error) {
	return rego.New(rego.Query(schemaQuery)).PrepareForEval(context.Background())
})

// ValidateInputDocument checks a JSON document (as decoded by encoding/json)
// against policies/input.schema.json.
func ValidateInputDocument(ctx context.Context, doc any) error {
	return validateDocument(ctx, policies.InputSchemaFile, doc)
}

// ValidateDecisionDocument checks a JSON document against
// policies/decision.schema.json.
func ValidateDecisionDocument(ctx context.Context, doc any) error {
	return validateDocument(ctx, policies.DecisionSchemaFile, doc)
}

func validateDocument(ctx context.Context, schemaFile string, doc any) error {
	raw, err := fs.ReadFile(policies.FS(), schemaFile)
	if err != nil {
		return fmt.Errorf("read %s: %w", schemaFile, err)
	}
	var schema any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return fmt.Errorf("decode %s: %w", schemaFile, err)
	}
	query, err := schemaValidator()
	if err != nil {
		return fmt.Errorf("prepare schema validation: %w", err)
	}
	rs, err := query.Eval(ctx, rego.EvalInput(map[string]any{"document": doc, "schema": schema}))
	if err != nil {
		return fmt.Errorf("validate against %s: %w", schemaFile, err)
	}
	return schemaErrors(schemaFile, rs)
}

// schemaErrors turns json.match_schema's [match, errors] into one error per
// schema violation.
func schemaErrors(schemaFile string, rs rego.ResultSet) error {
	if len(rs) == 0 {
		return fmt.Errorf("validate against %s: no result", schemaFile)
	}
	result, ok := rs[0].Bindings["result"].([]any)
	if !ok || len(result) != 2 {
		return fmt.Errorf("validate against %s: unexpected result %v", schemaFile, rs[0].Bindings["result"])
	}
	if match, _ := result[0].(bool); match {
		return nil
	}
	var errs *multierror.Error
	list, _ := result[1].([]any)
	for _, e := range list {
		entry, _ := e.(map[string]any)
		errs = multierror.Append(errs, fmt.Errorf("%s: %v", schemaFile, entry["error"]))
	}
	if errs == nil {
		return fmt.Errorf("%s: document does not match", schemaFile)
	}
	return errs
}
