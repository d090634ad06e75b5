package webhooks

import (
	"errors"
	"fmt"
	"net"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
)

// The certificate rotator keeps the serving certificate in a Secret of the
// operator's namespace (a namespaced cache lists and watches it) and writes
// the CA into the ValidatingWebhookConfiguration.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=get;list;watch;update

// Defaults of CertOptions.
const (
	DefaultSecretName = "dittofs-operator-webhook-tls"
	DefaultCertDir    = "/tmp/k8s-webhook-server/serving-certs"
	DefaultCAName     = "dittofs-operator-ca"
	caOrganization    = "dittofs"
)

// CertOptions configure the serving certificate of the webhook.
type CertOptions struct {
	// Disabled leaves the certificate to someone else, typically
	// cert-manager: it is mounted in CertDir and cert-manager's cainjector
	// puts the CA into the ValidatingWebhookConfiguration.
	Disabled bool
	// Namespace of the operator, where the Secret lives.
	Namespace string
	// SecretName of the Secret holding the CA and the serving certificate
	// (DefaultSecretName). It must exist, empty (the chart creates it) and be
	// mounted in CertDir: the rotator fills it, the kubelet updates the files.
	SecretName string
	// ServiceName of the webhook Service (DefaultServiceName); the
	// certificate is for <svc>.<ns>.svc and <svc>.<ns>.svc.cluster.local.
	ServiceName string
	// ExtraDNSNames are more names of the certificate. The rotator issues DNS
	// names only: IP addresses are refused (reach a local server as
	// "localhost" instead).
	ExtraDNSNames []string
	// CertDir is where the webhook server reads tls.crt and tls.key
	// (DefaultCertDir).
	CertDir string
	// WebhookConfigurationName is the ValidatingWebhookConfiguration that
	// receives the CA (DefaultConfigurationName).
	WebhookConfigurationName string
}

func (o *CertOptions) applyDefaults() {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.ServiceName == "" {
		o.ServiceName = DefaultServiceName
	}
	if o.CertDir == "" {
		o.CertDir = DefaultCertDir
	}
	if o.WebhookConfigurationName == "" {
		o.WebhookConfigurationName = DefaultConfigurationName
	}
}

func (o *CertOptions) validate() error {
	if o.Namespace == "" {
		return errors.New("webhook certificate: the operator's namespace is required")
	}
	for _, name := range o.ExtraDNSNames {
		if net.ParseIP(name) != nil {
			return fmt.Errorf("webhook certificate: %q is an IP address; the certificate rotator issues DNS names only", name)
		}
	}
	return nil
}

// DNSNames are the names the serving certificate is valid for: the Service's
// in-cluster names first, then ExtraDNSNames.
func (o CertOptions) DNSNames() []string {
	o.applyDefaults()
	svc := o.ServiceName + "." + o.Namespace + ".svc"
	return append([]string{svc, svc + ".cluster.local"}, o.ExtraDNSNames...)
}

// SetupCertRotation adds the certificate rotator to the manager. The
// returned channel is closed once the certificate is written to the Secret,
// present in CertDir and its CA injected into the webhook configuration;
// pass it to SetupWhenReady and ReadyCheck. With Disabled, the channel is
// closed already. The rotator runs on every replica (each needs the files),
// not only on the leader.
func SetupCertRotation(mgr ctrl.Manager, opts CertOptions) (<-chan struct{}, error) {
	ready := make(chan struct{})
	if opts.Disabled {
		close(ready)
		return ready, nil
	}
	opts.applyDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	names := opts.DNSNames()
	err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:            types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName},
		CertDir:              opts.CertDir,
		CAName:               DefaultCAName,
		CAOrganization:       caOrganization,
		DNSName:              names[0],
		ExtraDNSNames:        names[1:],
		IsReady:              ready,
		Webhooks:             []rotator.WebhookInfo{{Name: opts.WebhookConfigurationName, Type: rotator.Validating}},
		EnableReadinessCheck: true,
	})
	if err != nil {
		return nil, fmt.Errorf("setting up the webhook certificate rotation: %w", err)
	}
	return ready, nil
}
