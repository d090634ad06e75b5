// Command scale runs the operator's scale benchmark (see bench/README.md):
// N DittoServers against a local control plane and simulated DittoFS APIs,
// the operator as a separate process. It writes the results as JSON and
// Markdown and prints the Markdown.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/dittofs/dittofs-operator/bench/scale"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg      scale.Config
		sizes    string
		out      string
		micro    string
		opArgs   string
		interval time.Duration
		baseSize string
	)
	flag.StringVar(&sizes, "sizes", envOr("BENCH_SIZES", "50,200,1000"), "Comma-separated numbers of DittoServers (default $BENCH_SIZES or 50,200,1000).")
	flag.DurationVar(&interval, "interval", 10*time.Second, "Adapter polling interval of every DittoServer (at least 1s).")
	flag.IntVar(&cfg.SteadyIntervals, "steady-intervals", 3, "Poll intervals in the steady-state window.")
	flag.IntVar(&cfg.ServersPerNamespace, "servers-per-namespace", 10, "DittoServers per namespace.")
	flag.IntVar(&cfg.Concurrency, "max-concurrent-reconciles", 0, "The operator's --max-concurrent-reconciles; 0 keeps its default.")
	flag.StringVar(&opArgs, "operator-args", "", "More operator flags, space-separated.")
	flag.StringVar(&cfg.OperatorBin, "operator", "bin/dittofs-operator", "The operator binary (make build).")
	flag.StringVar(&cfg.WaveAdapter, "wave-adapter", "smb", "Adapter the wave disables on every server.")
	flag.StringVar(&out, "out", "bench/results", "Folder for latest.json and latest.md.")
	flag.StringVar(&micro, "micro", "", "Output of `go test -bench` to include in the report.")
	flag.StringVar(&cfg.BaselineBin, "baseline-operator", "", "An operator binary of an earlier commit to measure in the same run, for comparison (make bench builds the one of $BENCH_BASELINE).")
	flag.StringVar(&cfg.BaselineLabel, "baseline-label", "baseline", "How the report names the baseline operator, e.g. its commit.")
	flag.StringVar(&baseSize, "baseline-sizes", "", "Sizes the baseline runs too (default: the largest of -sizes).")
	flag.IntVar(&cfg.Hung, "hung", 20, "Servers whose APIs accept connections and never answer, in the isolation run of every operator; 0 skips it.")
	flag.IntVar(&cfg.HungHealthy, "hung-healthy", 200, "Healthy servers of the isolation run.")
	flag.IntVar(&cfg.LatencyChanges, "latency-changes", 40, "Adapter toggles on one server in the latency run of every operator; 0 skips it.")
	flag.DurationVar(&cfg.LatencyInterval, "latency-interval", time.Second, "Polling interval of the latency run.")
	flag.BoolVar(&cfg.NoPods, "no-pods", false, "Leave StatefulSets never rolled out, as a control plane without a StatefulSet controller leaves them (by default a stand-in reports every pod ready).")
	flag.IntVar(&cfg.FollowerReloads, "follower-reloads", 100, "Policy reloads of a follower replica of every operator, among the first size's servers; 0 skips it.")
	flag.StringVar(&cfg.ProfileDir, "profile-dir", "", "Diagnostic mode: run the operator inside this process and write CPU and heap profiles of each steady window here (memory and CPU figures are then the whole process's).")
	flag.Parse()
	// The bench's own informers log through controller-runtime; their
	// messages are not part of the results.
	ctrllog.SetLogger(logr.Discard())

	cfg.Interval = interval
	for _, s := range strings.Split(sizes, ",") {
		if strings.TrimSpace(s) == "" {
			continue // -sizes '' runs only the other scenarios
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		cfg.Sizes = append(cfg.Sizes, n)
	}
	cfg.OperatorArgs = strings.Fields(opArgs)
	if baseSize == "" && len(cfg.Sizes) > 0 {
		cfg.BaselineSizes = []int{slices.Max(cfg.Sizes)}
	} else if baseSize != "" {
		for _, v := range strings.Split(baseSize, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return fmt.Errorf("-baseline-sizes: %q is not a positive number", v)
			}
			cfg.BaselineSizes = append(cfg.BaselineSizes, n)
		}
	}
	if cfg.BaselineBin != "" {
		bin, err := filepath.Abs(cfg.BaselineBin)
		if err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("the baseline operator binary: %w", err)
		}
		cfg.BaselineBin = bin
	}
	bin, err := filepath.Abs(cfg.OperatorBin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the operator binary: %w (run `make build`)", err)
	}
	cfg.OperatorBin = bin
	cfg.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, runErr := scale.Run(ctx, cfg)
	report.Command = commandLine()
	if micro != "" {
		if report.Micro, err = scale.ReadMicro(micro); err != nil {
			return fmt.Errorf("reading the micro-benchmarks: %w", err)
		}
	}
	if cfg.ProfileDir != "" {
		out = cfg.ProfileDir // a diagnostic run does not replace the results
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := report.WriteJSON(filepath.Join(out, "latest.json")); err != nil {
		return err
	}
	md := report.Markdown()
	if err := os.WriteFile(filepath.Join(out, "latest.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print("\n" + md)
	return runErr
}

// commandLine is how this run was started, for the report: make's
// command when run by `make bench`, else the arguments.
func commandLine() string {
	if c := os.Getenv("BENCH_COMMAND"); c != "" {
		return c
	}
	return "go run ./bench/cmd/scale " + strings.Join(os.Args[1:], " ")
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
