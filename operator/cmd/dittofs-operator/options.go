package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dittofs/dittofs-operator/webhooks"
)

// Webhook certificate management modes.
const (
	certsByOperator    = "operator"
	certsByCertManager = "cert-manager"
)

// options are the operator's command-line flags.
type options struct {
	metricsAddr             string
	probeAddr               string
	leaderElect             bool
	leaderElectionNamespace string
	maxConcurrentReconciles int
	operatorNamespace       string
	operatorPodLabels       string
	watchNamespaces         string

	policyDir             string
	policyConfigMapName   string
	policyReplaceDefaults bool
	policyPollInterval    time.Duration

	allowAPIURLOverride bool
	apiTimeout          time.Duration

	webhookEnabled        bool
	webhookHost           string
	webhookPort           int
	webhookCertDir        string
	webhookCertManagement string
	webhookSecretName     string
	webhookServiceName    string
	webhookConfigName     string
	webhookExtraDNSNames  string

	zap zap.Options

	// showVersion prints the build's version and exits.
	showVersion bool
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("dittofs-operator", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint; \"0\" disables it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, so that only one of several replicas reconciles.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: --operator-namespace).")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 4, "DittoServers reconciled in parallel.")
	fs.StringVar(&o.operatorNamespace, "operator-namespace", os.Getenv("POD_NAMESPACE"), "Namespace the operator runs in (default: $POD_NAMESPACE).")
	fs.StringVar(&o.operatorPodLabels, "operator-pod-labels", "", "Labels of the operator's pods (k=v,...): the NetworkPolicy baseline admits the DittoFS API port from them.")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; all when empty.")
	fs.StringVar(&o.policyDir, "policy-dir", "", "Folder of platform policy modules (*.rego) and settings (*.json, *.yaml), typically a mounted ConfigMap; reloaded when it changes.")
	fs.StringVar(&o.policyConfigMapName, "policy-configmap", "",
		"ConfigMap (in --operator-namespace) mounted at --policy-dir: each load of the policies is reported as an event on it, a refused one as a Warning naming its file and line.")
	fs.BoolVar(&o.policyReplaceDefaults, "policy-replace-defaults", false, "Use only the modules of --policy-dir, not the embedded default policy.")
	fs.DurationVar(&o.policyPollInterval, "policy-poll-interval", 10*time.Second, "How often --policy-dir is checked for changes.")
	fs.BoolVar(&o.allowAPIURLOverride, "allow-api-url-override", false,
		"Honour the dittofs.io/api-url annotation, for runs outside a cluster. Never enable it in a cluster: "+
			"whoever may edit a DittoServer could send its admin password to any address.")
	fs.DurationVar(&o.apiTimeout, "api-timeout", 10*time.Second, "Timeout of each call to a DittoFS API.")
	fs.BoolVar(&o.webhookEnabled, "webhook-enabled", true, "Serve the validating admission webhook.")
	fs.StringVar(&o.webhookHost, "webhook-host", "", "Address the webhook server binds (all interfaces when empty).")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port of the webhook server.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", webhooks.DefaultCertDir, "Folder of the webhook's tls.crt and tls.key.")
	fs.StringVar(&o.webhookCertManagement, "webhook-cert-management", certsByOperator,
		"Who provides the webhook certificate: \"operator\" (created, rotated and injected by the operator) or \"cert-manager\".")
	fs.StringVar(&o.webhookSecretName, "webhook-secret-name", webhooks.DefaultSecretName, "Secret holding the webhook certificate (operator mode).")
	fs.StringVar(&o.webhookServiceName, "webhook-service-name", webhooks.DefaultServiceName, "Service in front of the webhook; the certificate is issued for its DNS names.")
	fs.StringVar(&o.webhookConfigName, "webhook-configuration-name", webhooks.DefaultConfigurationName, "ValidatingWebhookConfiguration that receives the CA (operator mode).")
	fs.StringVar(&o.webhookExtraDNSNames, "webhook-cert-extra-dns-names", "", "More DNS names of the webhook certificate (comma-separated), e.g. localhost for a local run.")
	fs.BoolVar(&o.showVersion, "version", false, "Print the version and the commit the binary was built from, and exit.")
	o.zap.BindFlags(fs)
	config.RegisterFlags(fs) // --kubeconfig, read by ctrl.GetConfigOrDie
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.showVersion {
		return o, nil
	}
	return o, o.validate()
}

func (o *options) validate() error {
	var errs []error
	if o.operatorNamespace == "" {
		errs = append(errs, errors.New("--operator-namespace (or $POD_NAMESPACE) is required"))
	}
	if _, err := labels.ConvertSelectorToLabelsMap(o.operatorPodLabels); err != nil {
		errs = append(errs, fmt.Errorf("--operator-pod-labels: %w", err))
	}
	if o.webhookCertManagement != certsByOperator && o.webhookCertManagement != certsByCertManager {
		errs = append(errs, fmt.Errorf("--webhook-cert-management must be %q or %q, not %q", certsByOperator, certsByCertManager, o.webhookCertManagement))
	}
	if o.policyConfigMapName != "" && o.policyDir == "" {
		errs = append(errs, errors.New("--policy-configmap names the ConfigMap mounted at --policy-dir, which is not set"))
	}
	if o.maxConcurrentReconciles < 1 {
		errs = append(errs, errors.New("--max-concurrent-reconciles must be at least 1"))
	}
	return errors.Join(errs...)
}

// policyConfigMap is the ConfigMap the policy folder is mounted from; an
// empty name when there is none.
func (o *options) policyConfigMap() types.NamespacedName {
	if o.policyConfigMapName == "" {
		return types.NamespacedName{}
	}
	return types.NamespacedName{Namespace: o.operatorNamespace, Name: o.policyConfigMapName}
}

// podLabels are the operator pods' labels.
func (o *options) podLabels() map[string]string {
	set, _ := labels.ConvertSelectorToLabelsMap(o.operatorPodLabels)
	return set
}

// namespaces are the watched namespaces; nil means all.
func (o *options) namespaces() []string {
	return splitList(o.watchNamespaces)
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
