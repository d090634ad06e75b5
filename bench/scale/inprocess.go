package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// inProcess runs the operator's manager inside the bench, wired as
// operator/cmd/dittofs-operator wires it without the webhook, so that
// runtime/pprof can profile it: the binary serves no pprof endpoint.
type inProcess struct {
	cancel     context.CancelFunc
	done       chan error
	metricsURL string
	sampler    *procSampler
}

func startInProcess(cfg *rest.Config, concurrency int) (*inProcess, error) {
	// As ctrl.GetConfig configures the binary: no client-side rate limit,
	// API Priority and Fairness protects the API server.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	scheme, err := newScheme()
	if err != nil {
		return nil, err
	}
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controller.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: "0",
		// One manager per size in the same process: the controller's name
		// repeats.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	engine, err := networking.NewEngine(networking.Options{Logger: ctrl.Log.WithName("policy")})
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(engine); err != nil {
		return nil, err
	}
	r := &controller.DittoServerReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("dittofs-operator"),
		MaxConcurrentReconciles: concurrency,
		Policy:                  engine,
		Operator:                networking.OperatorInfo{Namespace: "dittofs-system"},
		AllowAPIURLOverride:     true,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{cancel: cancel, done: make(chan error, 1), metricsURL: "http://" + metricsAddr + "/metrics"}
	go func() { p.done <- mgr.Start(ctx) }()
	p.sampler = newProcSampler(os.Getpid(), 500*time.Millisecond)
	return p, nil
}

func (p *inProcess) pid() int      { return os.Getpid() }
func (p *inProcess) where() string { return "the bench process (in-process operator)" }

func (p *inProcess) meanRSS(from, to time.Time) int64 { return p.sampler.meanRSS(from, to) }

func (p *inProcess) waitReady(ctx context.Context, timeout time.Duration) error {
	return waitMetrics(ctx, p, timeout)
}

func (p *inProcess) scrape(ctx context.Context) (metrics, error) { return scrapeURL(ctx, p.metricsURL) }

func (p *inProcess) alive() error {
	select {
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("the in-process manager stopped: %v", err)
	default:
		return nil
	}
}

func (p *inProcess) stop() error {
	p.sampler.stop()
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the in-process manager did not stop within 30s")
	}
}

// profiler writes the profiles of one size's phase (steady, wave) in
// ProfileDir.
type profiler struct {
	dir   string
	n     int
	phase string
	cpu   *os.File
}

func (p *profiler) startCPU() error {
	if p.dir == "" {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(p.dir, fmt.Sprintf("cpu-%s-%d.pprof", p.phase, p.n)))
	if err != nil {
		return err
	}
	p.cpu = f
	return pprof.StartCPUProfile(f)
}

// stopCPU ends the CPU profile and writes the heap profile.
func (p *profiler) stopCPU() error {
	if p.cpu == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	f, ferr := os.Create(filepath.Join(p.dir, fmt.Sprintf("heap-%s-%d.pprof", p.phase, p.n)))
	if ferr != nil {
		return errors.Join(err, ferr)
	}
	defer f.Close()
	runtime.GC()
	return errors.Join(err, pprof.WriteHeapProfile(f))
}
