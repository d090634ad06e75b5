package scale

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report is everything one `make bench` measured, written as JSON.
type Report struct {
	Machine   Machine       `json:"machine"`
	Command   string        `json:"command"`
	StartedAt time.Time     `json:"startedAt"`
	Duration  string        `json:"duration"`
	Settings  Settings      `json:"settings"`
	Micro     []MicroResult `json:"micro,omitempty"`
	Scale     []SizeResult  `json:"scale"`
	// Baseline are sizes measured with the baseline operator.
	Baseline []SizeResult `json:"baseline,omitempty"`
	// Isolation are the runs with servers whose APIs never answer, one
	// per operator.
	Isolation []SizeResult `json:"isolation,omitempty"`
	// Latency are the single-server toggles at a short interval, one per
	// operator.
	Latency []LatencyResult `json:"latency,omitempty"`
	// Follower are the policy reloads on a follower replica, one per
	// operator.
	Follower []FollowerResult `json:"follower,omitempty"`
}

// LatencyResult is one server, polled every IntervalSeconds, whose adapter
// is toggled Changes times at random moments.
type LatencyResult struct {
	Operator        string  `json:"operator"`
	IntervalSeconds float64 `json:"intervalSeconds"`
	Changes         int     `json:"changes"`
	// ConvergedSeconds per change: from the toggle until the Service and
	// the status followed; ListedSeconds until the first listing after it.
	ConvergedSeconds Quantiles `json:"convergedSeconds"`
	ListedSeconds    Quantiles `json:"listedSeconds"`
	// Every DittoFS call in the window, and the listings among them.
	WindowSeconds      float64        `json:"windowSeconds"`
	CallsPerSecond     float64        `json:"callsPerSecond"`
	ListingsPerSecond  float64        `json:"listingsPerSecond"`
	CallsByRoute       map[string]int `json:"callsByRoute"`
	ChangesNotFollowed int            `json:"changesNotFollowed"`
}

// FollowerResult is a follower replica going through policy reloads while
// DittoServers exist: the operator's goroutines before and after.
type FollowerResult struct {
	Operator         string `json:"operator"`
	Servers          int    `json:"servers"`
	Reloads          int    `json:"reloads"`
	GoroutinesBefore int    `json:"goroutinesBefore"`
	GoroutinesAfter  int    `json:"goroutinesAfter"`
}

// Machine names where the figures come from.
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memoryGiB"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
	Commit    string  `json:"commit"`
	// LoadAverage is /proc/loadavg when the run started: the figures are
	// wall-clock times, and other work on the machine stretches them.
	LoadAverage string `json:"loadAverage"`
}

// Settings are the scale run's parameters.
type Settings struct {
	Sizes                   []int   `json:"sizes"`
	PollIntervalSeconds     float64 `json:"pollIntervalSeconds"`
	SteadyIntervals         int     `json:"steadyIntervals"`
	ServersPerNamespace     int     `json:"serversPerNamespace"`
	MaxConcurrentReconciles string  `json:"maxConcurrentReconciles"`
	WaveAdapter             string  `json:"waveAdapter"`
	APIServerFlags          string  `json:"apiServerFlags"`
	// Baseline names the operator compared with, if any.
	Baseline string `json:"baseline,omitempty"`
	// PodsRun: a stand-in reported every StatefulSet rolled out, its pod
	// ready.
	PodsRun bool `json:"podsRun"`
}

// SizeResult is the scale run at one number of DittoServers.
type SizeResult struct {
	Operator   string         `json:"operator"`
	Servers    int            `json:"servers"`
	Hung       int            `json:"hung,omitempty"`
	Namespaces int            `json:"namespaces"`
	Setup      SetupResult    `json:"setup"`
	Steady     SteadyResult   `json:"steady"`
	Wave       WaveResult     `json:"wave"`
	Resources  ResourceResult `json:"resources"`

	followers []FollowerResult
}

// SetupResult is how the run got to the steady state.
type SetupResult struct {
	// ConvergedSeconds: from the first object created until every server
	// published both adapters.
	ConvergedSeconds float64 `json:"convergedSeconds"`
	// QuietSeconds: from then until the operator made no write for the
	// quiet period; QuietReached is false when it never did.
	QuietSeconds   float64 `json:"quietSeconds"`
	QuietReached   bool    `json:"quietReached"`
	OperatorWrites int     `json:"operatorWrites"`
	// WritesAfterConverged are the writes made while waiting for quiet.
	WritesAfterConverged map[string]int `json:"writesAfterConverged,omitempty"`
}

// Quantiles of a distribution, in the unit their field names.
type Quantiles struct {
	Count int     `json:"count"`
	Min   float64 `json:"min,omitempty"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max,omitempty"`
	Mean  float64 `json:"mean"`
}

// SteadyResult is the steady-state window: nothing changes anywhere.
type SteadyResult struct {
	Intervals     int     `json:"intervals"`
	WindowSeconds float64 `json:"windowSeconds"`
	// Kubernetes API writes by the operator's user (audit log).
	Writes            int            `json:"writes"`
	WritesPerInterval float64        `json:"writesPerInterval"`
	WritesByKind      map[string]int `json:"writesByKind,omitempty"`
	WriteSamples      []string       `json:"writeSamples,omitempty"`
	// DittoFS API calls (simulator records).
	ListingsPerServerPerInterval float64        `json:"listingsPerServerPerInterval"`
	ListingsPerServerMin         int            `json:"listingsPerServerMin"`
	ListingsPerServerMax         int            `json:"listingsPerServerMax"`
	PollPeriodSeconds            Quantiles      `json:"pollPeriodSeconds"`
	OtherDittoFSCalls            map[string]int `json:"otherDittoFSCalls"`
	// Reconciles (operator metrics, difference over the window).
	ReconcilesPerServerPerInterval float64   `json:"reconcilesPerServerPerInterval"`
	ReconcileWorkMs                Quantiles `json:"reconcileWorkMs"`
	// PolicyEvaluationMs is the operator's policy-evaluation histogram;
	// PollDurationMs its adapter-listing one (the DittoFS API wait).
	PolicyEvaluationMs Quantiles `json:"policyEvaluationMs"`
	PollDurationMs     Quantiles `json:"pollDurationMs"`
	// LoadAverage1m is the machine's one-minute load average at the end of
	// the window.
	LoadAverage1m float64 `json:"loadAverage1m"`
}

// WaveResult is one adapter disabled on every server at once.
type WaveResult struct {
	Adapter         string  `json:"adapter"`
	DeadlineSeconds float64 `json:"deadlineSeconds"`
	// WithinDeadline servers converged within the deadline; Converged
	// within six intervals; NotConverged did not.
	WithinDeadline int `json:"withinDeadline"`
	Converged      int `json:"converged"`
	NotConverged   int `json:"notConverged"`
	// ConvergenceSeconds per server: from the wave until its adapter
	// Service was gone and its status no longer listed the adapter.
	ConvergenceSeconds Quantiles `json:"convergenceSeconds"`
	// ListedSeconds per server: from the wave until its first listing
	// after it; FollowedSeconds from that listing until it converged.
	ListedSeconds   Quantiles `json:"listedSeconds"`
	FollowedSeconds Quantiles `json:"followedSeconds"`
	// CPU of the operator, kube-apiserver and etcd until every server
	// converged (or the wave's wait ended), and the machine's load then.
	OperatorCPUSeconds  float64        `json:"operatorCpuSeconds"`
	APIServerCPUSeconds float64        `json:"apiServerCpuSeconds"`
	EtcdCPUSeconds      float64        `json:"etcdCpuSeconds"`
	LoadAverage1m       float64        `json:"loadAverage1m"`
	Writes              int            `json:"writes"`
	WritesPerServer     float64        `json:"writesPerServer"`
	WritesByKind        map[string]int `json:"writesByKind,omitempty"`
	ReconcileWorkMs     Quantiles      `json:"reconcileWorkMs"`
}

// ResourceResult is the operator process's memory and CPU.
type ResourceResult struct {
	RSSBaselineMiB float64 `json:"rssBaselineMiB"`
	RSSSteadyMiB   float64 `json:"rssSteadyMiB"`
	RSSPeakMiB     float64 `json:"rssPeakMiB"`
	HeapInuseMiB   float64 `json:"heapInuseMiB"`
	// MemoryPerServerKiB is (steady - baseline) / servers.
	MemoryPerServerKiB float64 `json:"memoryPerServerKiB"`
	// CPU over the steady window, per poll interval.
	CPUSecondsPerInterval          float64 `json:"cpuSecondsPerInterval"`
	CPUMsPerServerPerInterval      float64 `json:"cpuMsPerServerPerInterval"`
	APIServerCPUSecondsPerInterval float64 `json:"apiServerCpuSecondsPerInterval"`
	EtcdCPUSecondsPerInterval      float64 `json:"etcdCpuSecondsPerInterval"`
	// BenchCPUSecondsPerInterval is this process: the simulators, the
	// bench's watches and its audit-log reading.
	BenchCPUSecondsPerInterval float64 `json:"benchCpuSecondsPerInterval"`
	WaveCPUSeconds             float64 `json:"waveCpuSeconds"`
}

// loadAverage1m is the one-minute load average; 0 when unknown.
func loadAverage1m() float64 {
	out, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}

// machineInfo describes this machine and the code under test.
func machineInfo() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", Commit: "unknown", Kernel: runtime.GOOS}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
				m.MemoryGiB = math.Round(float64(kiB(v))/(1<<30)*10) / 10
				break
			}
		}
		f.Close()
	}
	if out, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(out))
	}
	if out, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAverage = strings.Join(strings.Fields(string(out))[:3], " ")
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty", "--abbrev=12").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Targets of the scale run.
const (
	targetReconcileP99 = 50 * time.Millisecond
	targetRSSAtN200    = 100 << 20
	// Per-server cost is flat when the largest run's is within this factor
	// of the smallest's.
	flatFactor = 1.5
	// waveSlack is added to the poll interval for the wave's deadline.
	waveSlack = 2 * time.Second
	// The largest wave converges within targetWaveSeconds, or
	// targetWaveRatio times faster than the baseline's in the same run.
	targetWaveSeconds = 12
	targetWaveRatio   = 1.5
	// targetWaveWrites bounds the writes of one server's adapter change.
	targetWaveWrites = 6
	// targetLatencyMedian bounds the median change→converged time of the
	// latency run.
	targetLatencyMedian = 700 * time.Millisecond
	// targetFollowerGrowth is how many goroutines a follower may gain over
	// its policy reloads (timers and connections come and go).
	targetFollowerGrowth = 5
)

// Markdown renders the report as tables for the README.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %s, %d cores, %.1f GiB, %s, %s; commit %s; %s; load average at start %s.\n\n",
		m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.Go, m.Commit, r.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), m.LoadAverage)
	s := r.Settings
	pods := "no pod runs (StatefulSets never roll out)"
	if s.PodsRun {
		pods = "a stand-in StatefulSet controller reports every pod ready"
	}
	fmt.Fprintf(&b, "Scale run: operator binary as its own process and user, `--max-concurrent-reconciles` %s, "+
		"adapters polled every %gs, %d steady intervals, %d servers per namespace, %s, wave disables `%s` on every server. Took %s.\n\n",
		s.MaxConcurrentReconciles, s.PollIntervalSeconds, s.SteadyIntervals, s.ServersPerNamespace, pods, s.WaveAdapter, r.Duration)
	if len(r.Scale) > 0 {
		r.scaleTable(&b)
	}
	if len(r.Baseline) > 0 {
		r.baselineTable(&b)
	}
	if len(r.Isolation) > 0 {
		r.isolationTable(&b)
	}
	if len(r.Latency) > 0 {
		r.latencyTable(&b)
	}
	if len(r.Follower) > 0 {
		r.followerTable(&b)
	}
	if len(r.Micro) > 0 {
		b.WriteString("\nMicro-benchmarks (`go test -bench`, one run each):\n\n")
		microTable(&b, r.Micro)
	}
	return b.String()
}

func (r *Report) scaleTable(b *strings.Builder) {
	interval := time.Duration(r.Settings.PollIntervalSeconds * float64(time.Second))
	b.WriteString("| Figure | Target |")
	for _, s := range r.Scale {
		fmt.Fprintf(b, " N=%d |", s.Servers)
	}
	b.WriteString("\n|---|---|")
	for range r.Scale {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	row := func(name, target string, cell func(s *SizeResult) string) {
		fmt.Fprintf(b, "| %s | %s |", name, target)
		for i := range r.Scale {
			fmt.Fprintf(b, " %s |", cell(&r.Scale[i]))
		}
		b.WriteString("\n")
	}
	row("Kubernetes writes per interval, steady", "0", func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.1f", s.Steady.WritesPerInterval), s.Steady.Writes == 0)
	})
	row("DittoFS listings per server per interval", "1", func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.2f (%d–%d in %d)", s.Steady.ListingsPerServerPerInterval,
			s.Steady.ListingsPerServerMin, s.Steady.ListingsPerServerMax, s.Steady.Intervals), listingsMet(s, interval))
	})
	row("Poll period min / p50 / max", fmt.Sprintf("%gs", interval.Seconds()), func(s *SizeResult) string {
		q := s.Steady.PollPeriodSeconds
		return fmt.Sprintf("%.2f / %.2f / %.2f s", q.Min, q.P50, q.Max)
	})
	row("Other DittoFS calls in the window", "0 (refresh near expiry only)", func(s *SizeResult) string {
		n := 0
		for _, c := range s.Steady.OtherDittoFSCalls {
			n += c
		}
		return mark(fmt.Sprint(n), n == 0)
	})
	row("Reconciles per server per interval", "0 (only on a change)", func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.2f", s.Steady.ReconcilesPerServerPerInterval), s.Steady.ReconcilesPerServerPerInterval == 0)
	})
	row("Reconcile work p50 / p99, steady", fmt.Sprintf("p99 < %d ms", targetReconcileP99.Milliseconds()), func(s *SizeResult) string {
		q := s.Steady.ReconcileWorkMs
		if q.Count == 0 {
			return "none ✓"
		}
		return mark(fmt.Sprintf("%.2f / %.2f ms", q.P50, q.P99), q.P99 < float64(targetReconcileP99.Milliseconds()))
	})
	row(fmt.Sprintf("Wave: every `%s` Service gone, status updated", r.Settings.WaveAdapter),
		fmt.Sprintf("≤ %gs", (interval+waveSlack).Seconds()), func(s *SizeResult) string {
			w := s.Wave
			text := fmt.Sprintf("%.2f s", w.ConvergenceSeconds.Max)
			switch {
			case w.NotConverged > 0:
				text = fmt.Sprintf("%d of %d within %gs; %d not after %gs", w.WithinDeadline, s.Servers,
					w.DeadlineSeconds, w.NotConverged, 6*interval.Seconds())
			case w.WithinDeadline < s.Servers:
				text = fmt.Sprintf("%d of %d within %gs; all after %.2f s", w.WithinDeadline, s.Servers,
					w.DeadlineSeconds, w.ConvergenceSeconds.Max)
			}
			return mark(text, w.WithinDeadline == s.Servers)
		})
	row("Policy evaluation p50 / p99, steady", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f / %.2f ms", s.Steady.PolicyEvaluationMs.P50, s.Steady.PolicyEvaluationMs.P99)
	})
	row("DittoFS poll p50 / p99 (the poller's, not a reconcile's)", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f / %.2f ms", s.Steady.PollDurationMs.P50, s.Steady.PollDurationMs.P99)
	})
	row("Wave: convergence p50 / p99", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f / %.2f s", s.Wave.ConvergenceSeconds.P50, s.Wave.ConvergenceSeconds.P99)
	})
	row("Wave: from the first listing after it, converged p50 / p99 / max", "", func(s *SizeResult) string {
		q := s.Wave.FollowedSeconds
		return fmt.Sprintf("%.2f / %.2f / %.2f s", q.P50, q.P99, q.Max)
	})
	row("Wave: operator / kube-apiserver / etcd CPU; load after", "", func(s *SizeResult) string {
		w := s.Wave
		return fmt.Sprintf("%.1f / %.1f / %.1f s; %.1f", w.OperatorCPUSeconds, w.APIServerCPUSeconds, w.EtcdCPUSeconds, w.LoadAverage1m)
	})
	row("Wave: writes per server, events included; reconcile work p99", fmt.Sprintf("≤ %d writes", targetWaveWrites), func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.1f; %.1f ms", s.Wave.WritesPerServer, s.Wave.ReconcileWorkMs.P99), s.Wave.WritesPerServer <= targetWaveWrites)
	})
	row("Operator RSS baseline / steady / peak", "< 100 MiB at N=200", func(s *SizeResult) string {
		res := s.Resources
		text := fmt.Sprintf("%.0f / %.0f / %.0f MiB", res.RSSBaselineMiB, res.RSSSteadyMiB, res.RSSPeakMiB)
		if s.Servers != 200 {
			return text
		}
		return mark(text, res.RSSPeakMiB*(1<<20) < targetRSSAtN200)
	})
	row("Go heap in use, steady", "", func(s *SizeResult) string { return fmt.Sprintf("%.0f MiB", s.Resources.HeapInuseMiB) })
	row("Memory per server (steady − baseline)", "flat", func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.0f KiB", s.Resources.MemoryPerServerKiB),
			flat(r.Scale, s, func(x *SizeResult) float64 { return x.Resources.MemoryPerServerKiB }))
	})
	row("Operator CPU per interval", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f s", s.Resources.CPUSecondsPerInterval)
	})
	row("Operator CPU per server per interval", "flat", func(s *SizeResult) string {
		return mark(fmt.Sprintf("%.2f ms", s.Resources.CPUMsPerServerPerInterval),
			flat(r.Scale, s, func(x *SizeResult) float64 { return x.Resources.CPUMsPerServerPerInterval }))
	})
	row("kube-apiserver / etcd / bench CPU per interval", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f / %.2f / %.2f s", s.Resources.APIServerCPUSecondsPerInterval,
			s.Resources.EtcdCPUSecondsPerInterval, s.Resources.BenchCPUSecondsPerInterval)
	})
	row("Machine load (1 min) after the steady window", "", func(s *SizeResult) string {
		return fmt.Sprintf("%.2f", s.Steady.LoadAverage1m)
	})
	row("Setup: all converged after; then quiet after", "", func(s *SizeResult) string {
		quiet := fmt.Sprintf("%.0f s", s.Setup.QuietSeconds)
		if !s.Setup.QuietReached {
			quiet = "never"
		}
		return fmt.Sprintf("%.0f s; %s", s.Setup.ConvergedSeconds, quiet)
	})
}

// baselineTable compares the wave with the baseline operator's, measured in
// the same run: on a shared machine, the ratio is the honest figure.
func (r *Report) baselineTable(b *strings.Builder) {
	fmt.Fprintf(b, "\nThe wave against the baseline (%s), measured in the same run:\n\n", r.Settings.Baseline)
	b.WriteString("| Servers | Operator | Last server converged | p50 | Within interval + 2 s | Writes per server | Operator / kube-apiserver CPU in the wave | Setup converged |\n|---|---|---|---|---|---|---|---|\n")
	for _, base := range r.Baseline {
		for _, s := range append(r.sizes(base.Servers), base) {
			w := s.Wave
			fmt.Fprintf(b, "| %d | %s | %s | %.2f s | %d of %d | %.1f | %.1f / %.1f s | %.0f s |\n", s.Servers, s.Operator, waveMax(&s),
				w.ConvergenceSeconds.P50, w.WithinDeadline, s.Servers, w.WritesPerServer, w.OperatorCPUSeconds, w.APIServerCPUSeconds, s.Setup.ConvergedSeconds)
		}
		if cur := r.sizes(base.Servers); len(cur) == 1 && cur[0].Wave.NotConverged == 0 && base.Wave.NotConverged == 0 && cur[0].Wave.ConvergenceSeconds.Max > 0 {
			ratio := base.Wave.ConvergenceSeconds.Max / cur[0].Wave.ConvergenceSeconds.Max
			fmt.Fprintf(b, "| %d | ratio | %s | | | | | |\n", base.Servers, mark(fmt.Sprintf("%.2f× faster", ratio), ratio >= targetWaveRatio || cur[0].Wave.ConvergenceSeconds.Max <= targetWaveSeconds))
		}
	}
}

// sizes are this commit's results with n servers.
func (r *Report) sizes(n int) []SizeResult {
	var out []SizeResult
	for _, s := range r.Scale {
		if s.Servers == n {
			out = append(out, s)
		}
	}
	return out
}

func waveMax(s *SizeResult) string {
	if s.Wave.NotConverged > 0 {
		return fmt.Sprintf("%d not after %.0f s", s.Wave.NotConverged, 6*(s.Wave.DeadlineSeconds-waveSlack.Seconds()))
	}
	return fmt.Sprintf("%.2f s", s.Wave.ConvergenceSeconds.Max)
}

func (r *Report) isolationTable(b *strings.Builder) {
	s0 := r.Isolation[0]
	fmt.Fprintf(b, "\nIsolation: %d healthy servers and %d whose APIs accept connections and never answer, "+
		"adapters polled every %gs, default workers; the wave disables `%s` on the healthy ones:\n\n",
		s0.Servers, s0.Hung, r.Settings.PollIntervalSeconds, r.Settings.WaveAdapter)
	b.WriteString("| Operator | Healthy servers converged within interval + 2 s | Last converged | p50 | From the first listing after the wave, p50 / max | Setup converged |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Isolation {
		w := s.Wave
		fmt.Fprintf(b, "| %s | %s | %s | %.2f s | %.2f / %.2f s | %.0f s |\n", s.Operator,
			mark(fmt.Sprintf("%d of %d", w.WithinDeadline, s.Servers), w.WithinDeadline == s.Servers),
			waveMax(&s), w.ConvergenceSeconds.P50, w.FollowedSeconds.P50, w.FollowedSeconds.Max, s.Setup.ConvergedSeconds)
	}
}

func (r *Report) latencyTable(b *strings.Builder) {
	l0 := r.Latency[0]
	fmt.Fprintf(b, "\nLatency: one server polled every %gs, `%s` toggled %d times at random moments:\n\n",
		l0.IntervalSeconds, r.Settings.WaveAdapter, l0.Changes)
	fmt.Fprintf(b, "| Operator | Change → converged median (target ≤ %.1f s) | p99 / max | Change → next listing median | DittoFS calls per second (target ≤ 1) | Calls by route |\n|---|---|---|---|---|---|\n",
		targetLatencyMedian.Seconds())
	for _, l := range r.Latency {
		q := l.ConvergedSeconds
		median := fmt.Sprintf("%.3f s", q.P50)
		if l.ChangesNotFollowed > 0 {
			median += fmt.Sprintf(" (%d changes not followed)", l.ChangesNotFollowed)
		}
		routes := make([]string, 0, len(l.CallsByRoute))
		for route, n := range l.CallsByRoute {
			routes = append(routes, fmt.Sprintf("%s: %d", route, n))
		}
		sort.Strings(routes)
		fmt.Fprintf(b, "| %s | %s | %.3f / %.3f s | %.3f s | %s | %s |\n", l.Operator,
			mark(median, l.ChangesNotFollowed == 0 && q.P50 <= targetLatencyMedian.Seconds()), q.P99, q.Max, l.ListedSeconds.P50,
			mark(fmt.Sprintf("%.2f", l.CallsPerSecond), l.CallsPerSecond <= 1), strings.Join(routes, ", "))
	}
}

func (r *Report) followerTable(b *strings.Builder) {
	f0 := r.Follower[0]
	fmt.Fprintf(b, "\nA follower replica (leader election on, the lease held by another) among %d DittoServers, through %d policy reloads:\n\n", f0.Servers, f0.Reloads)
	b.WriteString("| Operator | Goroutines before | after | Flat |\n|---|---|---|---|\n")
	for _, f := range r.Follower {
		growth := f.GoroutinesAfter - f.GoroutinesBefore
		fmt.Fprintf(b, "| %s | %d | %d | %s |\n", f.Operator, f.GoroutinesBefore, f.GoroutinesAfter,
			mark(fmt.Sprintf("%+d", growth), growth <= targetFollowerGrowth))
	}
}

// listingsMet: one listing per interval, nothing more, no poll late by
// more than the wave's slack.
func listingsMet(s *SizeResult, interval time.Duration) bool {
	q := s.Steady.PollPeriodSeconds
	return q.Count > 0 && q.Min >= 0.95*interval.Seconds() && q.Max <= (interval+waveSlack).Seconds() &&
		s.Steady.ListingsPerServerMax <= s.Steady.Intervals
}

// flat: the figure of s is within flatFactor of the smallest run's. Only
// judged for the largest run, and when there are two runs at least.
func flat(all []SizeResult, s *SizeResult, figure func(*SizeResult) float64) bool {
	if len(all) < 2 || s.Servers != all[len(all)-1].Servers {
		return true
	}
	base := figure(&all[0])
	if base <= 0 {
		return figure(s) <= 0
	}
	return figure(s) <= flatFactor*base
}

func mark(text string, ok bool) string {
	if ok {
		return text + " ✓"
	}
	return text + " ✗"
}

// quantiles of values, nearest rank.
func quantiles(values []float64) Quantiles {
	if len(values) == 0 {
		return Quantiles{}
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))]
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return Quantiles{Count: len(v), Min: v[0], P50: at(0.5), P99: at(0.99), Max: v[len(v)-1], Mean: sum / float64(len(v))}
}

// histogramQuantilesMs summarises a histogram in seconds as milliseconds.
func histogramQuantilesMs(h histogram) Quantiles {
	ms := func(s float64) float64 {
		if math.IsNaN(s) {
			return 0
		}
		return math.Round(s*1e6) / 1e3
	}
	return Quantiles{Count: int(h.count), P50: ms(h.quantile(0.5)), P99: ms(h.quantile(0.99)), Mean: ms(h.mean())}
}
