package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The follower measurement runs a second replica of an operator with
// leader election on, while the lease is held by someone else, and puts it
// through policy reloads: a follower reconciles nothing, so whatever a
// reload starts on it must not pile up.
const (
	leaseNamespace = "dittofs-system"
	leaseName      = "dittofs-operator.dittofs.com"
	metricReloads  = "dittofs_operator_policy_reloads_total"
	metricRoutines = "go_goroutines"
)

func (e *env) measureFollower(ctx context.Context, b operatorBuild) (*FollowerResult, error) {
	if err := e.holdLease(ctx); err != nil {
		return nil, err
	}
	dir := filepath.Join(e.cp.Dir(), "follower-"+regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(b.label, "-"))
	policies := filepath.Join(dir, "policies")
	if err := os.MkdirAll(policies, 0o755); err != nil {
		return nil, err
	}
	writePolicy := func(revision int) error {
		module := fmt.Sprintf("package dittofs.networking.custom.bench\n\n# revision %d\n", revision)
		return os.WriteFile(filepath.Join(policies, "bench.rego"), []byte(module), 0o644)
	}
	if err := writePolicy(0); err != nil {
		return nil, err
	}
	kubeconfig, err := e.cp.KubeconfigFile(OperatorUser, "system:masters")
	if err != nil {
		return nil, err
	}
	follower, err := startOperator(b.bin, kubeconfig, dir, e.cfg.Concurrency, []string{
		"--leader-elect=true", "--leader-election-namespace=" + leaseNamespace,
		"--policy-dir=" + policies, "--policy-poll-interval=20ms",
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = follower.stop() }()
	if err := follower.waitReady(ctx, time.Minute); err != nil {
		return nil, err
	}
	// Its caches fill, then it idles as a follower.
	if err := e.sleep(ctx, 5*time.Second); err != nil {
		return nil, err
	}
	before, err := follower.scrape(ctx)
	if err != nil {
		return nil, err
	}
	res := &FollowerResult{Operator: b.label, Servers: e.n + e.hung, GoroutinesBefore: int(before.sum(metricRoutines, nil))}
	served := before.sum(metricReloads, map[string]string{"result": "served"})
	for i := 1; i <= e.cfg.FollowerReloads; i++ {
		if err := writePolicy(i); err != nil {
			return nil, err
		}
		if served, err = waitReload(ctx, follower, served); err != nil {
			return nil, fmt.Errorf("reload %d: %w", i, err)
		}
		res.Reloads++
	}
	if err := e.sleep(ctx, 3*time.Second); err != nil {
		return nil, err
	}
	after, err := follower.scrape(ctx)
	if err != nil {
		return nil, err
	}
	res.GoroutinesAfter = int(after.sum(metricRoutines, nil))
	return res, nil
}

// waitReload waits until the follower served one more policy bundle than
// served.
func waitReload(ctx context.Context, op operatorUnderTest, served float64) (float64, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := op.scrape(ctx)
		if err != nil {
			return 0, err
		}
		if now := m.sum(metricReloads, map[string]string{"result": "served"}); now > served {
			return now, nil
		}
		if err := op.alive(); err != nil {
			return 0, err
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no policy reload within 30s (log: %s)", op.where())
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// holdLease makes someone else the leader for an hour.
func (e *env) holdLease(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNamespace}}
	if err := e.client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: leaseName, Namespace: leaseNamespace},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("bench-leader"),
			LeaseDurationSeconds: ptr.To(int32(3600)),
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	}
	if err := e.client.Create(ctx, lease); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the leader's Lease: %w", err)
	}
	return nil
}
