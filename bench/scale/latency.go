package scale

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// runLatency measures how fast one server follows `dfsctl adapter`
// changes at a short polling interval, and what that costs its DittoFS:
// the wave adapter is toggled at random moments, each change waiting for
// the cluster to follow the previous one.
func runLatency(ctx context.Context, cfg *Config, b operatorBuild) (res *LatencyResult, err error) {
	logf := func(format string, args ...any) {
		cfg.Logf("latency (%s): "+format, append([]any{b.label}, args...)...)
	}
	e := &env{cfg: cfg, n: 1, interval: cfg.LatencyInterval}
	defer func() { err = errors.Join(err, e.close()) }()
	if err := e.start(ctx, b.bin); err != nil {
		return nil, err
	}
	if err := e.fleet.create(ctx, e.client, e.interval); err != nil {
		return nil, err
	}
	if err := e.waitConverged(ctx, logf); err != nil {
		return nil, err
	}
	if _, err := e.waitQuiet(ctx, 3*time.Second, time.Minute); err != nil {
		return nil, err
	}
	m := e.fleet.members[0]
	res = &LatencyResult{Operator: b.label, IntervalSeconds: e.interval.Seconds(), Changes: cfg.LatencyChanges, CallsByRoute: map[string]int{}}
	port := int32(-1)
	for _, a := range m.api.Adapters() {
		if a.Type == cfg.WaveAdapter {
			port = a.Port
		}
	}
	if port < 0 {
		return nil, fmt.Errorf("no %s adapter", cfg.WaveAdapter)
	}
	logf("toggling %s %d times, every server polled every %s", cfg.WaveAdapter, cfg.LatencyChanges, e.interval)
	from := time.Now()
	enabled := true
	var times []float64
	var changes []time.Time
	for range cfg.LatencyChanges {
		// A random moment, so that changes fall anywhere in the interval.
		if err := e.sleep(ctx, time.Duration(rand.Int64N(int64(e.interval)))); err != nil {
			return nil, err
		}
		enabled = !enabled
		changed := time.Now()
		m.api.SetAdapter(cfg.WaveAdapter, enabled, port)
		changes = append(changes, changed)
		at, err := e.followed(ctx, m, cfg.WaveAdapter, enabled, changed.Add(10*e.interval+5*time.Second))
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			res.ChangesNotFollowed++
			continue
		}
		times = append(times, at.Sub(changed).Seconds())
	}
	to := time.Now()
	res.ConvergedSeconds = roundQuantiles(quantiles(times), 3)
	res.WindowSeconds = round2(to.Sub(from).Seconds())
	var calls, listings []time.Time
	for _, r := range m.api.Requests() {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		calls = append(calls, r.Time)
		res.CallsByRoute[r.Route]++
		if r.Route == dittofstest.RouteListAdapters {
			listings = append(listings, r.Time)
		}
	}
	// Rates from the first call to the last, so that a window a little
	// longer than a whole number of intervals does not count one call more.
	res.CallsPerSecond = rate(calls)
	res.ListingsPerSecond = rate(listings)
	// The first listing after each change is when the poller could see it.
	var detected []float64
	for _, c := range changes {
		for _, l := range listings {
			if !l.Before(c) {
				detected = append(detected, l.Sub(c).Seconds())
				break
			}
		}
	}
	res.ListedSeconds = roundQuantiles(quantiles(detected), 3)
	logf("median %.3f s (first listing after %.3f s), max %.3f s; %.2f DittoFS calls/s",
		res.ConvergedSeconds.P50, res.ListedSeconds.P50, res.ConvergedSeconds.Max, res.CallsPerSecond)
	return res, nil
}

// rate is the number of events per second from the first to the last.
func rate(times []time.Time) float64 {
	if len(times) < 2 {
		return 0
	}
	return round3(float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds())
}

// followed waits until the cluster follows the adapter's state: its Service
// exists exactly while it is enabled, and the status lists it as running
// exactly then. It returns when that was first seen (checked every 5 ms),
// or zero at the deadline.
func (e *env) followed(ctx context.Context, m *member, adapter string, enabled bool, deadline time.Time) (time.Time, error) {
	name := m.name + "-" + adapter
	for {
		var server dittov1.DittoServer
		if err := e.tracker.cache.Get(ctx, client.ObjectKey{Namespace: m.namespace, Name: m.name}, &server); err != nil {
			return time.Time{}, err
		}
		err := e.tracker.cache.Get(ctx, client.ObjectKey{Namespace: m.namespace, Name: name}, &corev1.Service{})
		if err != nil && !apierrors.IsNotFound(err) {
			return time.Time{}, err
		}
		exists := err == nil
		if exists == enabled && adapterRunning(&server, adapter) == enabled {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, nil
		}
		if err := e.operator.alive(); err != nil {
			return time.Time{}, err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
