// Package policycli implements `dittofs-operator policy`: evaluating the
// networking policy for an input document, and running Rego tests against
// it, with the same bundle, refused built-ins and guardrails as the operator.
package policycli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/dittofs/dittofs-operator/operator/networking"
)

// Exit codes of Run.
const (
	// ExitOK: the decision is allowed, or every test passed.
	ExitOK = 0
	// ExitRefused: the decision is denied or breaks a guardrail, the bundle
	// does not compile, or a test failed.
	ExitRefused = 1
	// ExitUsage: bad flags, or an input that cannot be read or does not
	// match the input schema.
	ExitUsage = 2
)

const usage = `Usage: dittofs-operator policy <command> [flags]

Evaluates and tests the networking policy the operator runs: the embedded
default bundle plus platform modules (*.rego) and settings (*.json, *.yaml)
from a directory such as the mounted policy ConfigMap.

Commands:
  eval    print the decision for an input document
  test    run Rego tests (*_test.rego) against the bundle

Run 'dittofs-operator policy <command> -h' for the flags of a command.
`

// Run runs `dittofs-operator policy`; args are the arguments after "policy".
// It returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "eval":
		return runEval(args[1:], stdout, stderr)
	case "test":
		return runTest(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
}

// bundleFlags select the bundle, as the operator's flags do.
type bundleFlags struct {
	policyDir       string
	dataFiles       stringList
	replaceDefaults bool
}

func (b *bundleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.policyDir, "policy-dir", "", "directory of platform modules (*.rego) and settings (*.json, *.yaml)")
	fs.Var(&b.dataFiles, "data", "settings file (JSON or YAML) merged into data.dittofs.settings; repeatable")
	fs.BoolVar(&b.replaceDefaults, "replace-defaults", false, "use --policy-dir alone, without the embedded default bundle")
}

func (b *bundleFlags) options() networking.Options {
	return networking.Options{
		PolicyDir:       b.policyDir,
		DataFiles:       b.dataFiles,
		ReplaceDefaults: b.replaceDefaults,
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// parse parses a command's flags. It returns false with the exit code when
// the command must not run: help was asked for, or the flags are wrong.
func parse(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (bool, int) {
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, help)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return false, ExitOK
	case err != nil:
		printUsage(stderr)
		return false, ExitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		printUsage(stderr)
		return false, ExitUsage
	}
	return true, ExitOK
}

const evalHelp = `Usage: dittofs-operator policy eval (--input FILE | --server NAME [-n NAMESPACE]) [flags]

Prints the decision (data.dittofs.networking.decision) as indented JSON, after
the operator's guardrails. Warnings go to standard error. Exits 1 when the
decision is denied, breaks a guardrail or the bundle does not compile, and 2
when the input is unreadable or does not match the input schema
(policies/input.schema.json).

--input FILE reads an input document. Its adapters may be given as the
operator builds them, or exactly as GET /api/v1/adapters returns them: what
the operator derives from those (a port of 0 made the type's default,
portDefaulted) is derived by the operator's own code.

--server NAME builds the input of a live DittoServer with the operator's
code, from the current kubeconfig: the DittoServer, its namespace's labels,
and the adapters the operator last recorded in its status. It prints
{"input": ..., "decision": ...}; save .input to start a --input file from
reality. The operator's namespace and pod labels are part of the input: the
defaults are those of the chart installed as release dittofs-operator in
dittofs-system.

Flags:
`

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var bundle bundleFlags
	bundle.register(fs)
	var server serverFlags
	server.register(fs)
	inputFile := fs.String("input", "", "input document (JSON), as the operator builds it")
	if ok, code := parse(fs, args, evalHelp, stdout, stderr); !ok {
		return code
	}
	if (*inputFile == "") == (server.name == "") {
		fmt.Fprint(stderr, "one of --input and --server is required\n\n")
		fs.SetOutput(stderr)
		fmt.Fprint(stderr, evalHelp)
		fs.PrintDefaults()
		return ExitUsage
	}
	ctx := context.Background()
	if server.name != "" {
		return evalServer(ctx, &server, bundle, stdout, stderr)
	}
	in, err := readInput(ctx, *inputFile)
	if err != nil {
		printErrors(stderr, err)
		return ExitUsage
	}
	engine, code := newEngine(bundle.options(), stderr)
	if engine == nil {
		return code
	}
	d, err := engine.Evaluate(ctx, in)
	if err != nil {
		printErrors(stderr, err)
		return ExitRefused
	}
	return printDecision(d, stdout, stderr)
}

// evalServer prints the input of a live DittoServer and its decision.
func evalServer(ctx context.Context, server *serverFlags, bundle bundleFlags, stdout, stderr io.Writer) int {
	live, err := server.readServer(ctx)
	if err != nil {
		printErrors(stderr, err)
		return ExitUsage
	}
	engine, code := newEngine(bundle.options(), stderr)
	if engine == nil {
		return code
	}
	live.notes(stderr, engine.Revision())
	d, evalErr := engine.Evaluate(ctx, live.input)
	out, err := json.MarshalIndent(struct {
		Input    networking.Input     `json:"input"`
		Decision *networking.Decision `json:"decision,omitempty"`
	}{live.input, d}, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "encode: %v\n", err)
		return ExitRefused
	}
	fmt.Fprintf(stdout, "%s\n", out)
	if evalErr != nil {
		printErrors(stderr, evalErr)
		return ExitRefused
	}
	return printMessages(d, stderr)
}

func newEngine(opts networking.Options, stderr io.Writer) (*networking.Engine, int) {
	engine, err := networking.NewEngine(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, ExitUsage
	}
	if err := engine.LastError(); err != nil {
		printErrors(stderr, err)
		return nil, ExitRefused
	}
	return engine, ExitOK
}

func printDecision(d *networking.Decision, stdout, stderr io.Writer) int {
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "encode decision: %v\n", err)
		return ExitRefused
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return printMessages(d, stderr)
}

// printMessages prints a decision's warnings and denials; it says whether
// the decision was denied.
func printMessages(d *networking.Decision, stderr io.Writer) int {
	for _, w := range d.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, msg := range d.Deny {
		fmt.Fprintf(stderr, "denied: %s\n", msg)
	}
	if d.Denied() {
		return ExitRefused
	}
	return ExitOK
}

// printErrors prints one error per line: aggregated errors (guardrail
// violations, compile errors) are split.
func printErrors(w io.Writer, err error) {
	var merr *multierror.Error
	if !errors.As(err, &merr) {
		fmt.Fprintf(w, "error: %v\n", err)
		return
	}
	prefix := strings.TrimSuffix(err.Error(), merr.Error())
	if len(merr.Errors) == 1 {
		fmt.Fprintf(w, "error: %s%v\n", prefix, merr.Errors[0])
		return
	}
	fmt.Fprintf(w, "error: %s%d problems:\n", prefix, len(merr.Errors))
	for _, e := range merr.Errors {
		fmt.Fprintf(w, "  %v\n", e)
	}
}

const testHelp = `Usage: dittofs-operator policy test [--policy-dir DIR] [flags]

Runs the Rego tests (*_test.rego) of DIR against the bundle the operator
would load from it: the embedded defaults (unless replaced), DIR's modules
and settings. Without --policy-dir, runs the default bundle's own tests.
Exits 1 when a test fails or the bundle does not compile.

Flags:
`

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var bundle bundleFlags
	bundle.register(fs)
	verbose := fs.Bool("v", false, "print every test, with its print output")
	if ok, code := parse(fs, args, testHelp, stdout, stderr); !ok {
		return code
	}
	results, err := networking.RunPolicyTests(context.Background(), bundle.options())
	if err != nil {
		printErrors(stderr, err)
		return ExitRefused
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "error: no tests found")
		return ExitRefused
	}
	return report(results, *verbose, stdout)
}

// report prints the results in the manner of `opa test`.
func report(results []*tester.Result, verbose bool, w io.Writer) int {
	failed := 0
	for _, r := range results {
		if !r.Pass() && !r.Skip {
			failed++
		}
		if verbose || (!r.Pass() && !r.Skip) {
			printResult(w, r)
		}
	}
	fmt.Fprintln(w, strings.Repeat("-", 72))
	if failed > 0 {
		fmt.Fprintf(w, "FAIL: %d/%d\n", failed, len(results))
		return ExitRefused
	}
	fmt.Fprintf(w, "PASS: %d/%d\n", len(results), len(results))
	return ExitOK
}

func printResult(w io.Writer, r *tester.Result) {
	outcome := "PASS"
	switch {
	case r.Skip:
		outcome = "SKIPPED"
	case r.Error != nil:
		outcome = "ERROR"
	case r.Fail:
		outcome = "FAIL"
	}
	fmt.Fprintf(w, "%s: %s.%s (%s)\n", outcome, r.Package, r.Name, r.Duration.Round(1000))
	if r.Location != nil && outcome != "PASS" && outcome != "SKIPPED" {
		fmt.Fprintf(w, "  at %s\n", r.Location)
	}
	if r.Error != nil {
		fmt.Fprintf(w, "  %v\n", r.Error)
	}
	if len(r.Output) > 0 {
		for _, line := range strings.Split(strings.TrimRight(string(r.Output), "\n"), "\n") {
			fmt.Fprintf(w, "  | %s\n", line)
		}
	}
}
