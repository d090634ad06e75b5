package networking

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/dittofs/dittofs-operator/policies"
)

// DecisionQuery is the document the operator reads from the bundle.
const DecisionQuery = "data.dittofs.networking.decision"

// Defaults of Options.
const (
	DefaultEvalTimeout  = 2 * time.Second
	DefaultPollInterval = 10 * time.Second
)

// ErrNoBundle is returned by Evaluate while no bundle has ever compiled.
var ErrNoBundle = errors.New("no valid policy bundle")

// EvaluationError is a failed evaluation or a decision the guardrails
// refused, with the revision of the bundle that made it.
type EvaluationError struct {
	Revision string
	Err      error
}

func (e *EvaluationError) Error() string {
	return fmt.Sprintf("policy revision %s: %v", e.Revision, e.Err)
}

func (e *EvaluationError) Unwrap() error { return e.Err }

// RevisionOf is the revision of the bundle that decided: that of the
// decision, or of the bundle whose evaluation failed; "" when no bundle
// served.
func RevisionOf(d *Decision, err error) string {
	var evalErr *EvaluationError
	switch {
	case d != nil:
		return d.Revision
	case errors.As(err, &evalErr):
		return evalErr.Revision
	default:
		return ""
	}
}

// Evaluator decides the networking objects of a DittoServer; the controller
// and the admission webhook depend on this rather than on the Engine.
type Evaluator interface {
	Evaluate(ctx context.Context, in Input) (*Decision, error)
}

// Options configure an Engine.
type Options struct {
	// PolicyDir holds platform modules (*.rego) and settings (*.json,
	// *.yaml): typically a mounted ConfigMap. Empty for none. *_test.rego
	// files are only loaded by RunPolicyTests.
	PolicyDir string
	// DataFiles are more settings files, merged with those of PolicyDir.
	DataFiles []string
	// ReplaceDefaults drops the embedded default bundle: PolicyDir must then
	// define data.dittofs.networking.decision itself.
	ReplaceDefaults bool
	// Defaults is the default bundle; nil means the embedded policies.
	Defaults fs.FS
	// EvalTimeout bounds one evaluation (DefaultEvalTimeout when zero).
	EvalTimeout time.Duration
	// PollInterval is how often Start looks for changes in PolicyDir
	// (DefaultPollInterval when zero).
	PollInterval time.Duration
	// Logger receives reloads and refused bundles.
	Logger logr.Logger
	// OnReload is called after every load that changed something: a new
	// bundle serving, or a bundle refused (Err set). The operator turns it
	// into events and metrics.
	OnReload func(ReloadResult)
}

// ReloadResult reports one bundle load.
type ReloadResult struct {
	// Revision of the bundle that was loaded (or refused).
	Revision string
	// Serving is the revision serving after the load, "" when none.
	Serving string
	// Err is why the bundle was refused; nil when it serves.
	Err error
}

func (o *Options) defaults() fs.FS {
	if o.Defaults != nil {
		return o.Defaults
	}
	return policies.FS()
}

// compiled is one prepared bundle; it is immutable and shared by every
// evaluation, which PreparedEvalQuery allows concurrently.
type compiled struct {
	query    rego.PreparedEvalQuery
	revision string
}

// Engine evaluates the networking policy. It compiles the bundle once,
// serves every evaluation from that compilation, and swaps in a new one when
// the sources change and compile; a bundle that fails keeps the previous one
// serving.
type Engine struct {
	opts    Options
	current atomic.Pointer[compiled]

	mu       sync.Mutex // serializes loads and guards the fields below
	lastErr  error
	lastSeen string // revision (or read error) of the last sources tried
}

// NewEngine makes an engine and loads its bundle once. A bundle that does not
// load leaves the engine without one: Evaluate then fails with ErrNoBundle
// and LastError says why, until a load succeeds (Reload, or Start noticing a
// fix). Only invalid options are an error here.
func NewEngine(opts Options) (*Engine, error) {
	if opts.EvalTimeout < 0 || opts.PollInterval < 0 {
		return nil, fmt.Errorf("policy engine: negative timeout or poll interval")
	}
	if opts.EvalTimeout == 0 {
		opts.EvalTimeout = DefaultEvalTimeout
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logger.GetSink() == nil {
		opts.Logger = logr.Discard()
	}
	e := &Engine{opts: opts}
	_ = e.Reload(context.Background())
	return e, nil
}

// Revision is the revision of the serving bundle, "" when none.
func (e *Engine) Revision() string {
	if c := e.current.Load(); c != nil {
		return c.revision
	}
	return ""
}

// LastError is why the last load failed, nil when it succeeded.
func (e *Engine) LastError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastErr
}

// Reload reads the sources again and, when they changed, compiles them. It
// returns the load error, if any; the previous bundle keeps serving then.
func (e *Engine) Reload(ctx context.Context) error {
	r, report := e.load(ctx, true)
	if report {
		e.report(r)
	}
	return r.Err
}

// load reads the sources and compiles them unless they are those of the
// serving bundle. Unless forced, sources (or a read error) identical to the
// last ones tried are not tried again, so that polling reports a broken
// bundle once. It says whether the outcome is worth reporting: a new bundle
// serving, or a failure.
func (e *Engine) load(ctx context.Context, force bool) (ReloadResult, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	src, err := readSources(&e.opts, false)
	if err != nil {
		err = fmt.Errorf("load policy bundle: %w", err)
		seen := "error: " + err.Error()
		if !force && seen == e.lastSeen {
			return ReloadResult{Serving: e.Revision(), Err: err}, false
		}
		e.lastSeen, e.lastErr = seen, err
		return ReloadResult{Serving: e.Revision(), Err: err}, true
	}
	if !force && src.revision == e.lastSeen {
		return ReloadResult{Revision: src.revision, Serving: e.Revision(), Err: e.lastErr}, false
	}
	e.lastSeen = src.revision
	if src.revision == e.Revision() {
		e.lastErr = nil
		return ReloadResult{Revision: src.revision, Serving: src.revision}, false
	}
	c, err := compile(ctx, src)
	if err != nil {
		e.lastErr = fmt.Errorf("policy bundle %s refused: %w", src.revision, err)
		return ReloadResult{Revision: src.revision, Serving: e.Revision(), Err: e.lastErr}, true
	}
	e.current.Store(c)
	e.lastErr = nil
	return ReloadResult{Revision: src.revision, Serving: src.revision}, true
}

// report logs the outcome of a load and hands it to OnReload, outside the
// engine's lock so that the hook may call the engine.
func (e *Engine) report(r ReloadResult) {
	if r.Err != nil {
		e.opts.Logger.Error(r.Err, "policy bundle refused, keeping the previous one", "revision", r.Revision, "serving", r.Serving)
	} else {
		e.opts.Logger.Info("policy bundle loaded", "revision", r.Revision)
	}
	if e.opts.OnReload != nil {
		e.opts.OnReload(r)
	}
}

// Start polls the sources every PollInterval until ctx ends, reloading when
// their content changes. It has the shape of a controller-runtime
// manager.Runnable.
func (e *Engine) Start(ctx context.Context) error {
	ticker := time.NewTicker(e.opts.PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			e.poll(ctx)
		}
	}
}

func (e *Engine) poll(ctx context.Context) {
	if r, report := e.load(ctx, false); report {
		e.report(r)
	}
}

// NeedLeaderElection is false: every replica evaluates policies (the
// admission webhook too), so every replica watches them.
func (e *Engine) NeedLeaderElection() bool {
	return false
}

// compile parses, checks and prepares a bundle.
func compile(ctx context.Context, src *sources) (*compiled, error) {
	modules, err := parseModules(src.modules)
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
	opts := []func(*rego.Rego){
		rego.Query(DecisionQuery),
		rego.Store(store),
		rego.Capabilities(capabilities()),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, m := range modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	query, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, regoErrors(err)
	}
	return &compiled{query: query, revision: src.revision}, nil
}

// settingsStore holds the settings at data.dittofs.settings, so that data
// files can never collide with the policy's own documents.
func settingsStore(files []sourceFile) (storage.Store, error) {
	settings, err := loadSettings(files)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{"dittofs": map[string]any{"settings": settings}}
	return inmem.NewFromObjectWithOpts(doc, inmem.OptRoundTripOnWrite(false)), nil
}

// Evaluate decides the objects of one DittoServer. A denied decision is
// returned without error (see Decision.Denied) and without guardrail checks,
// since nothing of it may be applied; any other decision must pass
// CheckDecision or is refused whole. Each call evaluates: the reconciler
// keeps each server's last decision, and asks again only when the server's
// input or the bundle changed.
func (e *Engine) Evaluate(ctx context.Context, in Input) (*Decision, error) {
	c := e.current.Load()
	if c == nil {
		if err := e.LastError(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoBundle, err)
		}
		return nil, ErrNoBundle
	}
	d, err := c.evaluate(ctx, &in, e.opts.EvalTimeout)
	if err != nil {
		return nil, &EvaluationError{Revision: c.revision, Err: err}
	}
	if !d.Denied() {
		if err := CheckDecision(in, d); err != nil {
			return nil, &EvaluationError{Revision: c.revision, Err: err}
		}
	}
	return d, nil
}

func (c *compiled) evaluate(ctx context.Context, in *Input, timeout time.Duration) (*Decision, error) {
	value, err := in.ASTValue()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The context cancels the evaluation through a callback rather than the
	// goroutine OPA would start per evaluation to watch it.
	halt := topdown.NewCancel()
	defer context.AfterFunc(ctx, halt.Cancel)()
	rs, err := c.query.Eval(ctx, rego.EvalParsedInput(value), rego.EvalGenerateJSON(keepTerm), rego.EvalExternalCancel(halt),
		rego.EvalMetrics(noMetrics))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("evaluation exceeded %s: %w", timeout, err)
		}
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, errNoDecision
	}
	term, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("unexpected result %T", rs[0].Expressions[0].Value)
	}
	d, err := decodeDecision(term.Value)
	if err != nil {
		return nil, err
	}
	d.normalize()
	d.Revision = c.revision
	return d, nil
}

// noMetrics spares every evaluation the timers and counters OPA would
// otherwise allocate for it; nothing reads them.
var noMetrics = metrics.NoOp()

// keepTerm hands the result to decodeDecision as OPA's own value, instead of
// converting it to Go maps.
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) {
	return t, nil
}
