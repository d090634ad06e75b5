package policycli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/open-policy-agent/opa/v1/util"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// readInput reads and checks an input document. Its adapters may be given
// as the operator builds them or exactly as GET /api/v1/adapters returns
// them (see adaptersAsTheOperatorSeesThem).
func readInput(ctx context.Context, file string) (networking.Input, error) {
	var in networking.Input
	raw, err := os.ReadFile(file)
	if err != nil {
		return in, fmt.Errorf("read input: %w", err)
	}
	var doc any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		return in, fmt.Errorf("input %s is not JSON: %w", file, err)
	}
	if obj, ok := doc.(map[string]any); ok {
		converted, err := adaptersAsTheOperatorSeesThem(obj["adapters"])
		if err != nil {
			return in, fmt.Errorf("input %s: %w", file, err)
		}
		if converted != nil {
			obj["adapters"] = converted
			if raw, err = json.Marshal(obj); err != nil {
				return in, fmt.Errorf("input %s: %w", file, err)
			}
		}
	}
	if err := networking.ValidateInputDocument(ctx, doc); err != nil {
		return in, fmt.Errorf("input %s does not match the policy input schema: %w", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, fmt.Errorf("input %s: %w", file, err)
	}
	return in, nil
}

// errMixedAdapters: some adapters are in the operator's form, some not.
var errMixedAdapters = errors.New("input.adapters mixes the operator's form (with portDefaulted) " +
	"and the DittoFS API's (without): give every adapter in one of them")

// adaptersAsTheOperatorSeesThem reads input.adapters given as the DittoFS
// API lists them (GET /api/v1/adapters: id, type, port, enabled, running,
// status, ..., never portDefaulted) with the operator's own decoder and
// conversion, so that what the operator derives (a port of 0 made the type's
// default, portDefaulted) is derived the same way. It returns the converted
// list as plain JSON values, or nil when the adapters are already in the
// operator's form (each with portDefaulted) or are not a list.
func adaptersAsTheOperatorSeesThem(adapters any) ([]any, error) {
	list, ok := adapters.([]any)
	if !ok || len(list) == 0 {
		return nil, nil
	}
	operatorForm := 0
	for _, a := range list {
		if obj, ok := a.(map[string]any); ok {
			if _, has := obj["portDefaulted"]; has {
				operatorForm++
			}
		}
	}
	switch operatorForm {
	case len(list):
		return nil, nil
	case 0:
	default:
		return nil, errMixedAdapters
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	listed, err := dittofs.DecodeAdapters(raw)
	if err != nil {
		return nil, fmt.Errorf("input.adapters, read as GET /api/v1/adapters returns them: %w", err)
	}
	raw, err = json.Marshal(networking.AdaptersFromAPI(listed))
	if err != nil {
		return nil, err
	}
	var converted []any
	if err := util.UnmarshalJSON(raw, &converted); err != nil {
		return nil, err
	}
	return converted, nil
}
