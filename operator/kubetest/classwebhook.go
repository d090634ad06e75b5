package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The class the AWS Load Balancer Controller's webhook (v2.5 and later, by
// default) sets on every new LoadBalancer Service, and the annotation this
// stand-in adds beside it.
const (
	AWSLoadBalancerClass    = "service.k8s.aws/nlb"
	ClassWebhookAnnotation  = "neighbours.kubetest.dittofs.io/mutated-by"
	classWebhookConfigName  = "kubetest-load-balancer-class"
	classWebhookPath        = "/mutate-v1-service"
	classWebhookMutatorName = "aws-load-balancer-controller"
)

// classWebhook is a mutating admission webhook served over TLS that sets
// spec.loadBalancerClass on every LoadBalancer Service created without one,
// in the namespaces labelled LabelClassWebhook=on.
type classWebhook struct {
	server webhook.Server
}

func (cp *ControlPlane) startClassWebhook(mgr ctrl.Manager) (*classWebhook, error) {
	certDir := filepath.Join(cp.dir, "class-webhook")
	caPEM, err := writeServingCertificate(certDir)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	server := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir})
	server.Register(classWebhookPath, &admission.Webhook{Handler: admission.HandlerFunc(setLoadBalancerClass)})
	if err := mgr.Add(server); err != nil {
		return nil, err
	}
	config := classWebhookConfiguration("https://127.0.0.1:"+strconv.Itoa(port)+classWebhookPath, caPEM)
	if err := mgr.GetClient().Create(context.Background(), config); err != nil {
		return nil, fmt.Errorf("registering the load-balancer class webhook: %w", err)
	}
	return &classWebhook{server: server}, nil
}

func classWebhookConfiguration(url string, caPEM []byte) *admissionregistrationv1.MutatingWebhookConfiguration {
	none := admissionregistrationv1.SideEffectClassNone
	fail := admissionregistrationv1.Fail
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: classWebhookConfigName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "mservice.elbv2.k8s.aws.kubetest.dittofs.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				LabelClassWebhook: "on",
			}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"services"},
				},
			}},
		}},
	}
}

// setLoadBalancerClass is the admission handler.
func setLoadBalancerClass(_ context.Context, req admission.Request) admission.Response {
	var svc corev1.Service
	if err := json.Unmarshal(req.Object.Raw, &svc); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.LoadBalancerClass != nil {
		return admission.Allowed("not a LoadBalancer Service without a class")
	}
	svc.Spec.LoadBalancerClass = ptrTo(AWSLoadBalancerClass)
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	svc.Annotations[ClassWebhookAnnotation] = classWebhookMutatorName
	mutated, err := json.Marshal(&svc)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, mutated)
}

// writeServingCertificate writes a CA-signed certificate for 127.0.0.1 as
// tls.crt and tls.key into dir and returns the CA in PEM.
func writeServingCertificate(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cert, err := NewLoopbackCertificate("kubetest neighbours")
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"tls.crt": cert.CertPEM, "tls.key": cert.KeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	return cert.CAPEM, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
