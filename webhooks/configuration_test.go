package webhooks

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/validatingwebhookconfiguration.yaml from the Go configuration")

const configurationFile = "testdata/validatingwebhookconfiguration.yaml"

const configurationHeader = `# The canonical ValidatingWebhookConfiguration of the DittoServer webhook,
# generated from webhooks.ValidatingWebhookConfiguration (go test ./webhooks
# -run TestConfigurationFile -update). The Helm chart must render the same
# settings; it may change the names, the namespace and the port, may add a
# namespaceSelector for the namespaces the operator watches, and leaves
# caBundle to the certificate rotator or to cert-manager's cainjector.
`

// TestConfigurationFile keeps the documented YAML equal to the Go
// configuration, so that the chart can be checked against either.
func TestConfigurationFile(t *testing.T) {
	want := ValidatingWebhookConfiguration(DefaultConfigurationName,
		ServiceClientConfig("dittofs-system", DefaultServiceName, DefaultServicePort))
	if *update {
		out, err := yaml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(configurationFile), append([]byte(configurationHeader), out...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.FromSlash(configurationFile))
	if err != nil {
		t.Fatal(err)
	}
	var got admissionregistrationv1.ValidatingWebhookConfiguration
	if err := yaml.UnmarshalStrict(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("%s differs from ValidatingWebhookConfiguration(): run the test with -update", configurationFile)
	}
}

func TestConfigurationSettings(t *testing.T) {
	vwc := ValidatingWebhookConfiguration("x", ServiceClientConfig("ns", "svc", 443))
	if len(vwc.Webhooks) != 1 {
		t.Fatalf("%d webhooks", len(vwc.Webhooks))
	}
	w := vwc.Webhooks[0]
	checks := map[string]bool{
		"failurePolicy Fail":         *w.FailurePolicy == admissionregistrationv1.Fail,
		"sideEffects None":           *w.SideEffects == admissionregistrationv1.SideEffectClassNone,
		"timeoutSeconds 5":           *w.TimeoutSeconds == 5,
		"matchPolicy Equivalent":     *w.MatchPolicy == admissionregistrationv1.Equivalent,
		"admissionReviewVersions v1": reflect.DeepEqual(w.AdmissionReviewVersions, []string{"v1"}),
		"CREATE and UPDATE only": reflect.DeepEqual(w.Rules[0].Operations,
			[]admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}),
		"dittoservers only, no subresource": reflect.DeepEqual(w.Rules[0].Resources, []string{"dittoservers"}),
		"served at Path":                    *w.ClientConfig.Service.Path == Path,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("want %s", name)
		}
	}
}

func TestCertOptions(t *testing.T) {
	opts := CertOptions{Namespace: "dittofs-system", ExtraDNSNames: []string{"localhost"}}
	want := []string{"dittofs-operator-webhook.dittofs-system.svc", "dittofs-operator-webhook.dittofs-system.svc.cluster.local", "localhost"}
	if got := opts.DNSNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("DNSNames() = %v, want %v", got, want)
	}
	for _, bad := range []CertOptions{{}, {Namespace: "ns", ExtraDNSNames: []string{"127.0.0.1"}}} {
		bad.applyDefaults()
		if err := bad.validate(); err == nil {
			t.Errorf("%+v: want an error", bad)
		} else if len(bad.ExtraDNSNames) > 0 && !strings.Contains(err.Error(), "DNS names only") {
			t.Errorf("unexpected error %v", err)
		}
	}
	ready, err := SetupCertRotation(nil, CertOptions{Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	default:
		t.Error("with rotation disabled the certificate is ready at once")
	}
}
