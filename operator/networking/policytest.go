package networking

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
)

// RunPolicyTests runs Rego tests (*_test.rego) against the bundle an Engine
// with the same options would load, under the same refused built-ins: the
// tests of opts.PolicyDir, or the default bundle's own when PolicyDir is
// empty. Results are sorted by package and name.
func RunPolicyTests(ctx context.Context, opts Options) ([]*tester.Result, error) {
	src, err := readSources(&opts, true)
	if err != nil {
		return nil, fmt.Errorf("load policy tests: %w", err)
	}
	modules, err := parseModules(append(slices.Clone(src.modules), src.tests...))
	if err != nil {
		return nil, err
	}
	if !src.replaceDefaults {
		if err := checkPackages(src.modules, modules); err != nil {
			return nil, err
		}
	}
	store, err := settingsStore(src.data)
	if err != nil {
		return nil, err
	}
	return runTests(ctx, store, modules)
}

func runTests(ctx context.Context, store storage.Store, modules map[string]*ast.Module) ([]*tester.Result, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("open policy store: %w", err)
	}
	defer store.Abort(ctx, txn)
	compiler := ast.NewCompiler().
		WithCapabilities(capabilities()).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(modules).
		CapturePrintOutput(true).
		RunTests(ctx, txn)
	if err != nil {
		return nil, regoErrors(err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b *tester.Result) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Name, b.Name))
	})
	return results, nil
}
