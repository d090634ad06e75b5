// Package scale measures the operator with many DittoServers: N servers in a
// local kube-apiserver, each with a simulated DittoFS API in this process,
// and the operator binary as a separate process with a user of its own.
//
// For every N it waits for the steady state, measures a window of several
// poll intervals in which nothing changes (API writes from the audit log,
// DittoFS calls from the simulators, reconcile time from the operator's
// metrics, memory and CPU from /proc), then disables one adapter on every
// server at once and measures how long the cluster takes to follow.
package scale

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// Config parameterises a scale run.
type Config struct {
	// Sizes are the numbers of DittoServers, run one after the other, each
	// on a fresh control plane and operator.
	Sizes []int
	// Interval is every server's spec.adapterPolling.interval.
	Interval time.Duration
	// SteadyIntervals is the length of the steady-state window.
	SteadyIntervals int
	// ServersPerNamespace spreads the servers over namespaces.
	ServersPerNamespace int
	// OperatorBin is the operator binary.
	OperatorBin string
	// Concurrency is --max-concurrent-reconciles; 0 keeps the default.
	Concurrency int
	// OperatorArgs are more operator flags.
	OperatorArgs []string
	// WaveAdapter is the adapter disabled on every server.
	WaveAdapter string
	// Quiet is how long the operator must make no write before the steady
	// window opens.
	Quiet time.Duration
	// BaselineBin is the operator binary of an earlier commit, measured in
	// the same run for comparison (BaselineLabel names it); empty: none.
	BaselineBin, BaselineLabel string
	// BaselineSizes are the sizes the baseline runs too.
	BaselineSizes []int
	// Hung adds the isolation scenario: HungHealthy servers plus Hung
	// servers whose APIs accept connections and never answer, with every
	// operator; 0 skips it.
	Hung, HungHealthy int
	// LatencyChanges is the number of adapter toggles on one server polled
	// every LatencyInterval, with every operator; 0 skips it.
	LatencyChanges  int
	LatencyInterval time.Duration
	// NoPods leaves StatefulSets as a control plane without a StatefulSet
	// controller and kubelet leaves them: never rolled out, no pod. By
	// default a stand-in reports them rolled out, their pod ready.
	NoPods bool
	// FollowerReloads is the number of policy reloads a follower replica of
	// every operator goes through, among the first size's servers; 0 skips
	// it.
	FollowerReloads int
	// ProfileDir, when set, runs the operator's manager inside this process
	// instead of the binary, and writes a CPU profile of the steady window
	// and a heap profile after it there. Memory and CPU figures are then
	// those of the whole bench process: a diagnostic mode, not a result.
	ProfileDir string
	// Logf reports progress.
	Logf func(format string, args ...any)
}

func (c *Config) defaults() {
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.SteadyIntervals == 0 {
		c.SteadyIntervals = 3
	}
	if c.ServersPerNamespace == 0 {
		c.ServersPerNamespace = 10
	}
	if c.WaveAdapter == "" {
		c.WaveAdapter = "smb"
	}
	if c.Quiet == 0 {
		c.Quiet = 5 * time.Second
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.LatencyInterval == 0 {
		c.LatencyInterval = time.Second
	}
	if c.HungHealthy == 0 {
		c.HungHealthy = 200
	}
}

// operatorBuild is an operator binary under test.
type operatorBuild struct {
	label, bin string
}

// builds are the operators the run compares: this commit's, then the
// baseline's if any.
func (c *Config) builds() []operatorBuild {
	out := []operatorBuild{{label: "this commit", bin: c.OperatorBin}}
	if c.BaselineBin != "" {
		out = append(out, operatorBuild{label: c.BaselineLabel, bin: c.BaselineBin})
	}
	return out
}

// scenario is one measurement on a fresh control plane.
type scenario struct {
	n, hung  int
	operator operatorBuild
	// waveOnly skips the steady window.
	waveOnly bool
	// followers are measured as follower replicas after the wave.
	followers []operatorBuild
}

// Run measures every size and returns the report, complete up to the first
// size that failed.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	start := time.Now()
	concurrency := "4 (default)"
	if cfg.Concurrency > 0 {
		concurrency = fmt.Sprint(cfg.Concurrency)
	}
	var flags []string
	for _, k := range slices.Sorted(maps.Keys(apiServerFlags)) {
		flags = append(flags, fmt.Sprintf("--%s=%s", k, apiServerFlags[k]))
	}
	report := &Report{
		Machine:   machineInfo(),
		StartedAt: start,
		Settings: Settings{
			Sizes: cfg.Sizes, PollIntervalSeconds: cfg.Interval.Seconds(), SteadyIntervals: cfg.SteadyIntervals,
			ServersPerNamespace: cfg.ServersPerNamespace, MaxConcurrentReconciles: concurrency,
			WaveAdapter: cfg.WaveAdapter, APIServerFlags: strings.Join(flags, " "),
			Baseline: cfg.BaselineLabel, PodsRun: !cfg.NoPods,
		},
	}
	defer func() { report.Duration = time.Since(start).Round(time.Second).String() }()
	builds := cfg.builds()
	for i, n := range cfg.Sizes {
		sc := scenario{n: n, operator: builds[0]}
		if i == 0 && cfg.FollowerReloads > 0 {
			sc.followers = builds
		}
		res, err := runSize(ctx, &cfg, sc)
		if err != nil {
			return report, fmt.Errorf("with %d servers: %w", n, err)
		}
		report.Scale = append(report.Scale, *res)
		report.Follower = append(report.Follower, res.followers...)
		if len(builds) > 1 && slices.Contains(cfg.BaselineSizes, n) {
			res, err := runSize(ctx, &cfg, scenario{n: n, operator: builds[1]})
			if err != nil {
				return report, fmt.Errorf("with %d servers and %s: %w", n, builds[1].label, err)
			}
			report.Baseline = append(report.Baseline, *res)
		}
	}
	if cfg.Hung > 0 {
		for _, b := range builds {
			res, err := runSize(ctx, &cfg, scenario{n: cfg.HungHealthy, hung: cfg.Hung, operator: b, waveOnly: true})
			if err != nil {
				return report, fmt.Errorf("with %d hung servers and %s: %w", cfg.Hung, b.label, err)
			}
			report.Isolation = append(report.Isolation, *res)
		}
	}
	if cfg.LatencyChanges > 0 {
		for _, b := range builds {
			res, err := runLatency(ctx, &cfg, b)
			if err != nil {
				return report, fmt.Errorf("latency with %s: %w", b.label, err)
			}
			report.Latency = append(report.Latency, *res)
		}
	}
	return report, nil
}

func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, dittov1.AddToScheme(scheme)
}

// env is everything one scenario runs on.
type env struct {
	cfg      *Config
	n        int // healthy servers
	hung     int
	interval time.Duration
	cp       *kubetest.ControlPlane
	client   client.Client
	fleet    *fleet
	tracker  *tracker
	rollouts *rollouts
	operator operatorUnderTest
	audit    *kubetest.AuditReader
	// pids of kube-apiserver and etcd, 0 when not found.
	apiserverPID, etcdPID int
}

func runSize(ctx context.Context, cfg *Config, sc scenario) (res *SizeResult, err error) {
	n := sc.n
	name := fmt.Sprintf("N=%d", n)
	if sc.hung > 0 {
		name += fmt.Sprintf("+%d hung", sc.hung)
	}
	logf := func(format string, args ...any) {
		cfg.Logf("%s (%s): "+format, append([]any{name, sc.operator.label}, args...)...)
	}
	e := &env{cfg: cfg, n: n, hung: sc.hung, interval: cfg.Interval}
	defer func() { err = errors.Join(err, e.close()) }()
	if err := e.start(ctx, sc.operator.bin); err != nil {
		return nil, err
	}
	res = &SizeResult{Servers: n, Hung: sc.hung, Operator: sc.operator.label, Namespaces: len(e.fleet.namespaces)}

	// The operator's baseline, with no DittoServer at all.
	time.Sleep(2 * time.Second)
	baseline, err := readProcStat(e.operator.pid())
	if err != nil {
		return nil, err
	}
	res.Resources.RSSBaselineMiB = mib(baseline.rss)

	logf("creating %d DittoServers in %d namespaces", n+sc.hung, len(e.fleet.namespaces))
	created := time.Now()
	if err := e.fleet.create(ctx, e.client, e.interval); err != nil {
		return nil, err
	}
	if err := e.waitConverged(ctx, logf); err != nil {
		return nil, err
	}
	res.Setup.ConvergedSeconds = round2(time.Since(created).Seconds())
	logf("every server converged after %.1fs; waiting for %s without operator writes", res.Setup.ConvergedSeconds, cfg.Quiet)
	quietStart := time.Now()
	res.Setup.QuietReached, err = e.waitQuiet(ctx, cfg.Quiet, 3*cfg.Interval)
	if err != nil {
		return nil, err
	}
	res.Setup.QuietSeconds = round2(time.Since(quietStart).Seconds())

	steadyStart := time.Now()
	setupWrites, err := e.audit.Between(created, steadyStart)
	if err != nil {
		return nil, err
	}
	res.Setup.OperatorWrites = len(setupWrites)
	lateWrites, err := e.audit.Between(quietStart, steadyStart)
	if err != nil {
		return nil, err
	}
	res.Setup.WritesAfterConverged, _ = summarizeWrites(lateWrites)
	if !sc.waveOnly {
		logf("steady state: measuring %d intervals of %s", cfg.SteadyIntervals, cfg.Interval)
		if err := e.measureSteady(ctx, res); err != nil {
			return nil, err
		}
		logf("steady: %.1f writes/interval, %.2f listings/server/interval, reconcile p50 %.2f ms p99 %.2f ms",
			res.Steady.WritesPerInterval, res.Steady.ListingsPerServerPerInterval, res.Steady.ReconcileWorkMs.P50, res.Steady.ReconcileWorkMs.P99)
	}

	logf("wave: disabling %s on every server", cfg.WaveAdapter)
	if err := e.measureWave(ctx, res); err != nil {
		return nil, err
	}
	logf("wave: %d converged, %d not; max %.2fs", res.Wave.Converged, res.Wave.NotConverged, res.Wave.ConvergenceSeconds.Max)
	for _, b := range sc.followers {
		logf("follower: %d policy reloads on a follower replica of %s", cfg.FollowerReloads, b.label)
		f, err := e.measureFollower(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("the follower of %s: %w", b.label, err)
		}
		logf("follower: %d goroutines before, %d after %d reloads", f.GoroutinesBefore, f.GoroutinesAfter, f.Reloads)
		res.followers = append(res.followers, *f)
	}

	end, err := readProcStat(e.operator.pid())
	if err != nil {
		return nil, err
	}
	res.Resources.RSSPeakMiB = mib(end.peakRSS)
	logf("operator RSS baseline %.0f MiB, steady %.0f MiB, peak %.0f MiB",
		res.Resources.RSSBaselineMiB, res.Resources.RSSSteadyMiB, res.Resources.RSSPeakMiB)
	return res, nil
}

func (e *env) start(ctx context.Context, bin string) error {
	var err error
	if e.cp, err = startControlPlane(); err != nil {
		return err
	}
	e.apiserverPID, _ = childProcess("kube-apiserver")
	e.etcdPID, _ = childProcess("etcd")
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	// The bench's own client is not rate-limited on the client side: it
	// creates thousands of objects, and its user is exempt from API
	// Priority and Fairness.
	benchConfig := rest.CopyConfig(e.cp.Config)
	benchConfig.QPS, benchConfig.Burst = -1, 0
	if e.client, err = client.New(benchConfig, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if e.fleet, err = newFleet(e.n, e.hung, e.cfg.ServersPerNamespace); err != nil {
		return err
	}
	if e.tracker, err = startTracker(ctx, benchConfig, scheme, e.cfg.WaveAdapter); err != nil {
		return err
	}
	if !e.cfg.NoPods {
		if e.rollouts, err = startRollouts(ctx, benchConfig, scheme, e.client); err != nil {
			return err
		}
	}
	kubeconfig, err := e.cp.KubeconfigFile(OperatorUser, "system:masters")
	if err != nil {
		return err
	}
	if e.audit, err = e.cp.AuditReader(OperatorUser); err != nil {
		return err
	}
	if e.cfg.ProfileDir != "" {
		userConfig, err := e.cp.UserConfig(OperatorUser, "system:masters")
		if err != nil {
			return err
		}
		e.operator, err = startInProcess(userConfig, e.cfg.Concurrency)
		if err != nil {
			return err
		}
	} else if e.operator, err = startOperator(bin, kubeconfig, e.cp.Dir(), e.cfg.Concurrency, e.cfg.OperatorArgs); err != nil {
		return err
	}
	return e.operator.waitReady(ctx, time.Minute)
}

func (e *env) close() error {
	var errs []error
	if e.operator != nil {
		errs = append(errs, e.operator.stop())
	}
	if e.tracker != nil {
		e.tracker.stop()
	}
	if e.rollouts != nil {
		e.rollouts.stop()
	}
	if e.fleet != nil {
		e.fleet.close()
	}
	if e.cp != nil {
		errs = append(errs, e.cp.Stop())
	}
	return errors.Join(errs...)
}

// waitConverged waits until every healthy server published both adapters.
// The first reconcile of a server provisions its DittoFS account and
// creates a dozen objects, so this scales with N; the timeout allows a
// second a server.
func (e *env) waitConverged(ctx context.Context, logf func(string, ...any)) error {
	timeout := 2*time.Minute + time.Duration(e.n+e.hung)*time.Second
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for {
		ready, err := e.tracker.readiness(ctx, e.fleet)
		if err != nil {
			return err
		}
		if ready == e.n {
			return nil
		}
		if err := e.operator.alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d servers converged within %s (operator log: %s)", ready, e.n, timeout, e.operator.where())
		}
		if time.Since(lastLog) > 15*time.Second {
			logf("%d of %d servers converged", ready, e.n)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitQuiet waits until the operator made no write for quiet, at most
// timeout; it reports whether it got there.
func (e *env) waitQuiet(ctx context.Context, quiet, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		last, err := e.audit.Last()
		if err != nil {
			return false, err
		}
		if time.Since(last) >= quiet {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sleep waits d while checking that the operator is still running.
func (e *env) sleep(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		if err := e.operator.alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(left, time.Second)):
		}
	}
}

// cpuOf is a process's CPU time, 0 when it cannot be read.
func cpuOf(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	st, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	return st.cpu
}

func (e *env) measureSteady(ctx context.Context, res *SizeResult) error {
	cfg, pid := e.cfg, e.operator.pid()
	before, err := e.operator.scrape(ctx)
	if err != nil {
		return err
	}
	prof := &profiler{dir: cfg.ProfileDir, n: e.n, phase: "steady"}
	if err := prof.startCPU(); err != nil {
		return err
	}
	cpu0, api0, etcd0, bench0 := cpuOf(pid), cpuOf(e.apiserverPID), cpuOf(e.etcdPID), cpuOf(os.Getpid())
	from := time.Now()
	if err := e.sleep(ctx, time.Duration(cfg.SteadyIntervals)*cfg.Interval); err != nil {
		return errors.Join(err, prof.stopCPU())
	}
	to := time.Now()
	if err := prof.stopCPU(); err != nil {
		return err
	}
	res.Steady.LoadAverage1m = loadAverage1m()
	cpu1, api1, etcd1, bench1 := cpuOf(pid), cpuOf(e.apiserverPID), cpuOf(e.etcdPID), cpuOf(os.Getpid())
	after, err := e.operator.scrape(ctx)
	if err != nil {
		return err
	}
	window := to.Sub(from)
	intervals := window.Seconds() / cfg.Interval.Seconds()
	s := &res.Steady
	s.Intervals, s.WindowSeconds = cfg.SteadyIntervals, round2(window.Seconds())

	writes, err := e.audit.Between(from, to)
	if err != nil {
		return err
	}
	s.Writes, s.WritesPerInterval = len(writes), round2(float64(len(writes))/intervals)
	s.WritesByKind, s.WriteSamples = summarizeWrites(writes)

	calls := e.fleet.calls(from, to)
	total := 0
	s.ListingsPerServerMin, s.ListingsPerServerMax = math.MaxInt, 0
	for _, c := range calls.listings {
		total += c
		s.ListingsPerServerMin = min(s.ListingsPerServerMin, c)
		s.ListingsPerServerMax = max(s.ListingsPerServerMax, c)
	}
	s.ListingsPerServerPerInterval = round2(float64(total) / float64(e.n) / intervals)
	gaps := make([]float64, 0, len(calls.gaps))
	for _, g := range calls.gaps {
		gaps = append(gaps, g.Seconds())
	}
	s.PollPeriodSeconds = roundQuantiles(quantiles(gaps), 3)
	s.OtherDittoFSCalls = calls.other

	reconciles := after.sum(metricReconcileTotal, map[string]string{"controller": "dittoserver"}) -
		before.sum(metricReconcileTotal, map[string]string{"controller": "dittoserver"})
	s.ReconcilesPerServerPerInterval = round2(reconciles / float64(e.n) / intervals)
	work, err := histogramDiff(before, after, metricReconcileWork)
	if err != nil {
		return err
	}
	s.ReconcileWorkMs = histogramQuantilesMs(work)
	policy, err := histogramDiff(before, after, metricPolicyEvaluation)
	if err != nil {
		return err
	}
	s.PolicyEvaluationMs = histogramQuantilesMs(policy)
	polls, err := histogramDiff(before, after, metricPollDuration)
	if err != nil {
		return err
	}
	s.PollDurationMs = histogramQuantilesMs(polls)

	r := &res.Resources
	r.RSSSteadyMiB = mib(e.operator.meanRSS(from, to))
	r.HeapInuseMiB = mib(int64(after.sum(metricHeapInuse, nil)))
	r.MemoryPerServerKiB = math.Round((r.RSSSteadyMiB - r.RSSBaselineMiB) * 1024 / float64(e.n))
	r.CPUSecondsPerInterval = round3((cpu1 - cpu0).Seconds() / intervals)
	r.CPUMsPerServerPerInterval = round3(r.CPUSecondsPerInterval * 1000 / float64(e.n))
	r.APIServerCPUSecondsPerInterval = round3((api1 - api0).Seconds() / intervals)
	r.EtcdCPUSecondsPerInterval = round3((etcd1 - etcd0).Seconds() / intervals)
	r.BenchCPUSecondsPerInterval = round3((bench1 - bench0).Seconds() / intervals)
	return nil
}

func (e *env) measureWave(ctx context.Context, res *SizeResult) error {
	cfg, pid := e.cfg, e.operator.pid()
	w := &res.Wave
	w.Adapter = cfg.WaveAdapter
	w.DeadlineSeconds = (e.interval + waveSlack).Seconds()
	healthy := e.fleet.healthy()
	before, err := e.operator.scrape(ctx)
	if err != nil {
		return err
	}
	cpu0, api0, etcd0 := cpuOf(pid), cpuOf(e.apiserverPID), cpuOf(e.etcdPID)
	prof := &profiler{dir: cfg.ProfileDir, n: e.n, phase: "wave"}
	if err := prof.startCPU(); err != nil {
		return err
	}
	start := time.Now()
	e.tracker.startWave(start)
	if err := e.fleet.disable(cfg.WaveAdapter); err != nil {
		return err
	}
	// The wait goes on past the target, to learn how late the last server
	// is; servers that have not converged after six intervals are reported
	// as such and the run goes on.
	deadline := start.Add(6 * e.interval)
	for {
		done := 0
		for _, m := range healthy {
			if _, ok := e.tracker.converged(m.key()); ok {
				done++
			}
		}
		if done == e.n || time.Now().After(deadline) {
			break
		}
		if err := e.sleep(ctx, 200*time.Millisecond); err != nil {
			return errors.Join(err, prof.stopCPU())
		}
	}
	if err := prof.stopCPU(); err != nil {
		return err
	}
	w.OperatorCPUSeconds = round3((cpuOf(pid) - cpu0).Seconds())
	w.APIServerCPUSeconds = round3((cpuOf(e.apiserverPID) - api0).Seconds())
	w.EtcdCPUSeconds = round3((cpuOf(e.etcdPID) - etcd0).Seconds())
	w.LoadAverage1m = loadAverage1m()
	w.OperatorCPUSeconds = round3((cpuOf(pid) - cpu0).Seconds())
	w.APIServerCPUSeconds = round3((cpuOf(e.apiserverPID) - api0).Seconds())
	w.EtcdCPUSeconds = round3((cpuOf(e.etcdPID) - etcd0).Seconds())
	w.LoadAverage1m = loadAverage1m()
	var times, listed, followed []float64
	for _, m := range healthy {
		at, ok := e.tracker.converged(m.key())
		if ok {
			times = append(times, at.Sub(start).Seconds())
		}
		// The first listing after the wave is when the operator could see
		// it; from then on, the time is the operator's and Kubernetes'.
		for _, r := range m.api.Requests() {
			if r.Route == dittofstest.RouteListAdapters && !r.Time.Before(start) {
				listed = append(listed, r.Time.Sub(start).Seconds())
				if ok {
					followed = append(followed, at.Sub(r.Time).Seconds())
				}
				break
			}
		}
	}
	w.ListedSeconds = roundQuantiles(quantiles(listed), 3)
	w.FollowedSeconds = roundQuantiles(quantiles(followed), 3)
	w.Converged, w.NotConverged = len(times), e.n-len(times)
	for _, t := range times {
		if t <= w.DeadlineSeconds {
			w.WithinDeadline++
		}
	}
	w.ConvergenceSeconds = roundQuantiles(quantiles(times), 3)
	// The wave's writes include the events the operator sends after the
	// objects changed; they are counted once the operator is quiet again.
	if _, err := e.waitQuiet(ctx, 3*time.Second, 2*e.interval); err != nil {
		return err
	}
	end := time.Now()
	after, err := e.operator.scrape(ctx)
	if err != nil {
		return err
	}
	res.Resources.WaveCPUSeconds = round3((cpuOf(pid) - cpu0).Seconds())
	writes, err := e.audit.Between(start, end)
	if err != nil {
		return err
	}
	w.Writes, w.WritesPerServer = len(writes), round2(float64(len(writes))/float64(e.n))
	w.WritesByKind, _ = summarizeWrites(writes)
	work, err := histogramDiff(before, after, metricReconcileWork)
	if err != nil {
		return err
	}
	w.ReconcileWorkMs = histogramQuantilesMs(work)
	return nil
}

// histogramDiff is the histogram of the observations between two scrapes.
func histogramDiff(before, after metrics, name string) (histogram, error) {
	h0, err := before.histogram(name)
	if err != nil {
		return histogram{}, err
	}
	h1, err := after.histogram(name)
	if err != nil {
		return histogram{}, err
	}
	return h1.sub(h0), nil
}

// summarizeWrites counts writes by verb and resource, and describes the
// first few, so a write in the steady state can be traced.
func summarizeWrites(writes []kubetest.AuditEvent) (map[string]int, []string) {
	if len(writes) == 0 {
		return nil, nil
	}
	byKind := map[string]int{}
	var samples []string
	for _, w := range writes {
		res := w.Resource
		if w.Subresource != "" {
			res += "/" + w.Subresource
		}
		byKind[w.Verb+" "+res]++
		if len(samples) < 20 {
			samples = append(samples, w.String())
		}
	}
	sort.Strings(samples)
	return byKind, samples
}

func mib(bytes int64) float64 { return round2(float64(bytes) / (1 << 20)) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func roundQuantiles(q Quantiles, digits int) Quantiles {
	p := math.Pow(10, float64(digits))
	r := func(v float64) float64 { return math.Round(v*p) / p }
	return Quantiles{Count: q.Count, Min: r(q.Min), P50: r(q.P50), P99: r(q.P99), Max: r(q.Max), Mean: r(q.Mean)}
}
