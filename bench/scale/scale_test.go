package scale

import (
	"math"
	"strings"
	"testing"
	"time"
)

const scrapeBefore = `# HELP dittofs_operator_reconcile_work_duration_seconds Time of one reconcile.
# TYPE dittofs_operator_reconcile_work_duration_seconds histogram
dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.001"} 10
dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.002"} 20
dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.004"} 30
dittofs_operator_reconcile_work_duration_seconds_bucket{le="+Inf"} 30
dittofs_operator_reconcile_work_duration_seconds_sum 0.05
dittofs_operator_reconcile_work_duration_seconds_count 30
controller_runtime_reconcile_total{controller="dittoserver",result="success"} 30
controller_runtime_reconcile_total{controller="dittoserver",result="requeue_after"} 5
controller_runtime_reconcile_total{controller="other",result="success"} 100
`

const scrapeAfter = `dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.001"} 10
dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.002"} 70
dittofs_operator_reconcile_work_duration_seconds_bucket{le="0.004"} 129
dittofs_operator_reconcile_work_duration_seconds_bucket{le="+Inf"} 130
dittofs_operator_reconcile_work_duration_seconds_sum 0.3
dittofs_operator_reconcile_work_duration_seconds_count 130
controller_runtime_reconcile_total{controller="dittoserver",result="success"} 80
controller_runtime_reconcile_total{controller="dittoserver",result="requeue_after"} 55
go_memstats_heap_inuse_bytes 1.048576e+07
`

func mustParse(t *testing.T, text string) metrics {
	t.Helper()
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHistogramDifferenceAndQuantiles(t *testing.T) {
	before, after := mustParse(t, scrapeBefore), mustParse(t, scrapeAfter)
	h, err := histogramDiff(before, after, metricReconcileWork)
	if err != nil {
		t.Fatal(err)
	}
	if h.count != 100 || math.Abs(h.sum-0.25) > 1e-9 {
		t.Fatalf("difference: count %v sum %v, want 100 and 0.25", h.count, h.sum)
	}
	// 50 observations in (1ms, 2ms], 49 in (2ms, 4ms], 1 above 4ms.
	if got := h.quantile(0.5); math.Abs(got-0.002) > 1e-9 {
		t.Errorf("p50 = %v, want 0.002 (the end of the second bucket)", got)
	}
	if got, want := h.quantile(0.25), 0.0015; math.Abs(got-want) > 1e-9 {
		t.Errorf("p25 = %v, want %v (halfway through the second bucket)", got, want)
	}
	if got := h.quantile(0.995); got != 0.004 {
		t.Errorf("p99.5 = %v, want the highest finite bound 0.004", got)
	}
	if got := (histogram{buckets: []bucket{{le: math.Inf(1)}}}).quantile(0.5); !math.IsNaN(got) {
		t.Errorf("quantile of an empty histogram = %v, want NaN", got)
	}
	match := map[string]string{"controller": "dittoserver"}
	if got := after.sum(metricReconcileTotal, match) - before.sum(metricReconcileTotal, match); got != 100 {
		t.Errorf("reconciles = %v, want 100", got)
	}
	if got := after.sum(metricHeapInuse, nil); got != 10485760 {
		t.Errorf("heap in use = %v", got)
	}
}

func TestParseMetricsLabelEscapes(t *testing.T) {
	m := mustParse(t, `x{a="q\"uote",b="back\\slash"} 1`+"\n")
	if got := m.sum("x", map[string]string{"a": `q"uote`, "b": `back\slash`}); got != 1 {
		t.Fatalf("escaped labels not matched: %v", m)
	}
}

func TestParseMicro(t *testing.T) {
	out := `goos: linux
pkg: github.com/dittofs/dittofs-operator/operator/controller
BenchmarkReconcile/adapters=2/poll-2   	     122	   9911616 ns/op	   6349139 cpu-ns/op	         0 writes/op	 1042454 B/op	   18471 allocs/op
some log line from a benchmark
PASS
`
	got, err := parseMicro(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("parsed %d results, want 1: %+v", len(got), got)
	}
	r := got[0]
	if r.Name != "BenchmarkReconcile/adapters=2/poll" || r.Iterations != 122 || r.Metrics["allocs/op"] != 18471 ||
		r.Package != "github.com/dittofs/dittofs-operator/operator/controller" {
		t.Errorf("parsed %+v", r)
	}
}

func TestQuantiles(t *testing.T) {
	var v []float64
	for i := 1; i <= 100; i++ {
		v = append(v, float64(i))
	}
	q := quantiles(v)
	if q.Min != 1 || q.P50 != 50 || q.P99 != 99 || q.Max != 100 || q.Mean != 50.5 {
		t.Errorf("quantiles = %+v", q)
	}
}

func TestMarkdownNamesTheMachineAndJudgesTargets(t *testing.T) {
	r := &Report{
		Machine:  Machine{CPU: "Test CPU", Cores: 2, MemoryGiB: 4, Go: "go1.26", Commit: "abc"},
		Settings: Settings{PollIntervalSeconds: 10, SteadyIntervals: 3, WaveAdapter: "smb"},
		Scale: []SizeResult{{
			Servers: 200,
			Steady: SteadyResult{
				Intervals: 3, ListingsPerServerPerInterval: 1, ListingsPerServerMin: 3, ListingsPerServerMax: 3,
				PollPeriodSeconds: Quantiles{Count: 400, Min: 10.0, P50: 10.01, Max: 10.1},
				ReconcileWorkMs:   Quantiles{Count: 100, P50: 3, P99: 60},
			},
			Wave:      WaveResult{DeadlineSeconds: 12, Converged: 200, WithinDeadline: 200, ConvergenceSeconds: Quantiles{Max: 11}},
			Resources: ResourceResult{RSSPeakMiB: 90},
		}},
	}
	md := r.Markdown()
	for _, want := range []string{"Test CPU", "2 cores", "commit abc", "60.00 ms ✗", "11.00 s ✓", "1.00 (3–3 in 3) ✓", "/ 90 MiB ✓"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if !listingsMet(&r.Scale[0], 10*time.Second) {
		t.Error("one listing per interval judged as a miss")
	}
}

func TestMarkdownComparesWithTheBaseline(t *testing.T) {
	wave := func(maxSeconds float64) WaveResult {
		return WaveResult{DeadlineSeconds: 12, Converged: 1000, WithinDeadline: 500, ConvergenceSeconds: Quantiles{Max: maxSeconds}}
	}
	r := &Report{
		Settings: Settings{PollIntervalSeconds: 10, WaveAdapter: "smb", Baseline: "008747e"},
		Scale:    []SizeResult{{Operator: "this commit", Servers: 1000, Wave: wave(16)}},
		Baseline: []SizeResult{{Operator: "008747e", Servers: 1000, Wave: wave(25)}},
		Isolation: []SizeResult{
			{Operator: "this commit", Servers: 200, Hung: 20, Wave: WaveResult{DeadlineSeconds: 12, WithinDeadline: 200, ConvergenceSeconds: Quantiles{Max: 11}}},
			{Operator: "008747e", Servers: 200, Hung: 20, Wave: WaveResult{DeadlineSeconds: 12, WithinDeadline: 3, NotConverged: 150}},
		},
		Latency: []LatencyResult{
			{Operator: "this commit", IntervalSeconds: 1, Changes: 20, ConvergedSeconds: Quantiles{P50: 0.6}, CallsPerSecond: 1},
			{Operator: "008747e", IntervalSeconds: 1, Changes: 20, ConvergedSeconds: Quantiles{P50: 0.9}, CallsPerSecond: 1.2},
		},
		Follower: []FollowerResult{
			{Operator: "this commit", Servers: 50, Reloads: 100, GoroutinesBefore: 80, GoroutinesAfter: 81},
			{Operator: "008747e", Servers: 50, Reloads: 100, GoroutinesBefore: 80, GoroutinesAfter: 160},
		},
	}
	md := r.Markdown()
	for _, want := range []string{
		"1.56× faster ✓", "200 of 200 ✓", "3 of 200 ✗", "0.600 s ✓", "0.900 s ✗", "| 1.00 ✓", "1.20 ✗", "+1 ✓", "+80 ✗",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	r.Baseline[0].Wave = wave(20)
	if md := r.Markdown(); !strings.Contains(md, "1.25× faster ✗") {
		t.Errorf("a ratio below 1.5 with a wave over 12 s passes:\n%s", md)
	}
}
