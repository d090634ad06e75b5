package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/networking"
	"github.com/dittofs/dittofs-operator/operator/version"
	"github.com/dittofs/dittofs-operator/webhooks"
)

var policyReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "dittofs_operator_policy_reloads_total",
	Help: "Loads of the policy bundle: served, or refused (the previous bundle keeps serving).",
}, []string{"result"})

func init() {
	crmetrics.Registry.MustRegister(policyReloads)
}

func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := dittov1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// defaultGCPercent is the garbage collector's target when GOGC is not set.
// An operator runs in every cluster and spends little CPU between polls
// (about 1.5 ms per DittoServer per interval), so it trades a little more
// collection for a heap that grows to 1.5 rather than 2 times its live data:
// about 15 MiB less at 200 DittoServers (see README, Performance).
const defaultGCPercent = 50

func runOperator(args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	if o.showVersion {
		fmt.Println(version.Get())
		return nil
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	setupLog := ctrl.Log.WithName("setup")
	mgr, err := newManager(o)
	if err != nil {
		return err
	}
	// A new bundle reconciles every DittoServer; the reconciler is set
	// before the engine starts polling its folder.
	reporter := &policyReporter{
		reader:    mgr.GetAPIReader(),
		recorder:  mgr.GetEventRecorder("dittofs-operator"),
		configMap: o.policyConfigMap(),
		dir:       o.policyDir,
		log:       ctrl.Log.WithName("policy"),
	}
	engine, err := newPolicyEngine(o, reporter.onReload)
	if err != nil {
		return err
	}
	operator := networking.OperatorInfo{Namespace: o.operatorNamespace, PodLabels: o.podLabels()}
	reconciler := &controller.DittoServerReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("dittofs-operator"),
		MaxConcurrentReconciles: o.maxConcurrentReconciles,
		Policy:                  engine,
		Operator:                operator,
		AllowAPIURLOverride:     o.allowAPIURLOverride,
		APITimeout:              o.apiTimeout,
		WatchNamespaces:         o.namespaces(),
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the DittoServer controller: %w", err)
	}
	reporter.reconciler = reconciler
	if err := mgr.Add(engine); err != nil {
		return fmt.Errorf("adding the policy engine: %w", err)
	}
	if err := mgr.Add(reporter); err != nil {
		return fmt.Errorf("adding the policy reporter: %w", err)
	}
	if err := setupWebhook(mgr, o, engine, operator); err != nil {
		return err
	}
	if o.allowAPIURLOverride {
		setupLog.Info("WARNING: --allow-api-url-override is on: the dittofs.io/api-url annotation decides where admin passwords are sent; never use it in a shared cluster")
	}
	build := version.Get()
	setupLog.Info("starting the operator", "version", build.Version, "commit", build.Commit, "namespace", o.operatorNamespace, "watchNamespaces", o.namespaces(), "policyRevision", engine.Revision())
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

func newManager(o *options) (ctrl.Manager, error) {
	scheme, err := newScheme()
	if err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	cacheOptions := controller.CacheOptions()
	if ns := o.namespaces(); len(ns) > 0 {
		cacheOptions.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range ns {
			cacheOptions.DefaultNamespaces[n] = cache.Config{}
		}
	}
	electionNamespace := o.leaderElectionNamespace
	if electionNamespace == "" {
		electionNamespace = o.operatorNamespace
	}
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("finding the Kubernetes API (in a cluster, or --kubeconfig / $KUBECONFIG): %w", err)
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOptions,
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "dittofs-operator.dittofs.com",
		LeaderElectionNamespace: electionNamespace,
		// A replica that loses the lease stops at once, so a new leader can
		// start without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: o.webhookHost, Port: o.webhookPort, CertDir: o.webhookCertDir,
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

func newPolicyEngine(o *options, onReload func(networking.ReloadResult)) (*networking.Engine, error) {
	engine, err := networking.NewEngine(networking.Options{
		PolicyDir:       o.policyDir,
		ReplaceDefaults: o.policyReplaceDefaults,
		PollInterval:    o.policyPollInterval,
		Logger:          ctrl.Log.WithName("policy"),
		OnReload:        onReload,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the policy engine: %w", err)
	}
	if err := engine.LastError(); err != nil {
		// Not fatal: the operator keeps running and reports the error on
		// every DittoServer until the policy is fixed.
		ctrl.Log.WithName("setup").Error(err, "the networking policy does not load; adapter objects stay as they are until it does")
	}
	return engine, nil
}

func setupWebhook(mgr ctrl.Manager, o *options, engine networking.Evaluator, operator networking.OperatorInfo) error {
	if !o.webhookEnabled {
		return mgr.AddReadyzCheck("readyz", healthz.Ping)
	}
	ready, err := webhooks.SetupCertRotation(mgr, webhooks.CertOptions{
		Disabled:                 o.webhookCertManagement == certsByCertManager,
		Namespace:                o.operatorNamespace,
		SecretName:               o.webhookSecretName,
		ServiceName:              o.webhookServiceName,
		ExtraDNSNames:            splitList(o.webhookExtraDNSNames),
		CertDir:                  o.webhookCertDir,
		WebhookConfigurationName: o.webhookConfigName,
	})
	if err != nil {
		return fmt.Errorf("setting up the webhook certificate: %w", err)
	}
	if err := webhooks.SetupWhenReady(mgr, ready, webhooks.Options{Evaluator: engine, Operator: operator}); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("webhook", webhooks.ReadyCheck(mgr, ready))
}
