package webhooks

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// The canonical registration of the webhook. The Helm chart renders the
// same values; testdata/validatingwebhookconfiguration.yaml is this
// configuration as YAML, kept in step by a test, to check the chart against.
const (
	// Path is where the webhook server serves DittoServer admission.
	Path = "/validate-dittofs-dittofs-com-v1alpha1-dittoserver"
	// WebhookName names the webhook inside its configuration.
	WebhookName = "vdittoserver.dittofs.dittofs.com"
	// DefaultConfigurationName is the name of the ValidatingWebhookConfiguration.
	DefaultConfigurationName = "dittofs-operator"
	// DefaultServiceName is the Service in front of the webhook server.
	DefaultServiceName = "dittofs-operator-webhook"
	// DefaultServicePort is the port of that Service.
	DefaultServicePort = int32(443)
	// TimeoutSeconds is short: admission waits for the webhook, and the
	// policy evaluation it runs is bounded well below this.
	TimeoutSeconds = int32(5)
)

// ValidatingWebhookConfiguration is the registration of the webhook: CREATE
// and UPDATE of DittoServers (never DELETE, so that nothing stored can
// become impossible to delete; never the status subresource, which only the
// operator writes), failing closed, without side effects.
func ValidatingWebhookConfiguration(name string, clientConfig admissionregistrationv1.WebhookClientConfig) *admissionregistrationv1.ValidatingWebhookConfiguration {
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta: metav1.TypeMeta{
			APIVersion: admissionregistrationv1.SchemeGroupVersion.String(),
			Kind:       "ValidatingWebhookConfiguration",
		},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         WebhookName,
			ClientConfig: clientConfig,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{
					admissionregistrationv1.Create, admissionregistrationv1.Update,
				},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{dittov1.GroupVersion.Group},
					APIVersions: []string{dittov1.GroupVersion.Version},
					Resources:   []string{"dittoservers"},
					Scope:       ptr.To(admissionregistrationv1.NamespacedScope),
				},
			}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To(TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

// ServiceClientConfig reaches the webhook through a Service. The CA bundle
// is left empty: the certificate rotator (or cert-manager's cainjector)
// fills it in.
func ServiceClientConfig(namespace, service string, port int32) admissionregistrationv1.WebhookClientConfig {
	return admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{
			Namespace: namespace,
			Name:      service,
			Path:      ptr.To(Path),
			Port:      ptr.To(port),
		},
	}
}
