package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// The webhook reads the namespace of each DittoServer for the policy input.
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

// SetupWithManager registers the validating webhook at Path on the
// manager's webhook server. Getting that server adds it to the manager, so
// call this only once the serving certificate exists (see SetupWhenReady).
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.Namespaces == nil {
		opts.Namespaces = mgr.GetAPIReader()
	}
	v, err := NewValidator(opts)
	if err != nil {
		return err
	}
	mgr.GetWebhookServer().Register(Path, admission.WithValidator[*dittov1.DittoServer](mgr.GetScheme(), v))
	return nil
}

// SetupWhenReady registers the webhook once ready is closed (see
// SetupCertRotation), as Gatekeeper does: the webhook server reads its
// certificate when it starts, so it must not start before the certificate
// is there. It runs on every replica, leader or not.
func SetupWhenReady(mgr ctrl.Manager, ready <-chan struct{}, opts Options) error {
	if err := mgr.Add(&setupWhenReady{mgr: mgr, ready: ready, opts: opts}); err != nil {
		return fmt.Errorf("adding the webhook setup to the manager: %w", err)
	}
	return nil
}

type setupWhenReady struct {
	mgr   ctrl.Manager
	ready <-chan struct{}
	opts  Options
}

func (s *setupWhenReady) Start(ctx context.Context) error {
	select {
	case <-s.ready:
		return SetupWithManager(s.mgr, s.opts)
	case <-ctx.Done():
		return nil
	}
}

func (s *setupWhenReady) NeedLeaderElection() bool { return false }

// ReadyCheck is a readiness check that fails until the certificate is in
// place and then until the webhook server accepts TLS connections, so that
// a Service sends admission requests only to replicas that can answer.
func ReadyCheck(mgr ctrl.Manager, ready <-chan struct{}) healthz.Checker {
	return func(req *http.Request) error {
		select {
		case <-ready:
		default:
			return errors.New("the webhook's serving certificate is not ready yet")
		}
		return mgr.GetWebhookServer().StartedChecker()(req)
	}
}
