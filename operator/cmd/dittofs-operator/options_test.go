package main

import (
	"strings"
	"testing"
)

func TestParseOptionsAcceptsKubeconfigAndDefaults(t *testing.T) {
	o, err := parseOptions([]string{"--kubeconfig=/tmp/kubeconfig", "--operator-namespace=dittofs-system",
		"--operator-pod-labels=app.kubernetes.io/name=dittofs-operator,app.kubernetes.io/instance=r"})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	if !o.webhookEnabled || o.webhookCertManagement != certsByOperator || o.allowAPIURLOverride {
		t.Errorf("unexpected defaults: webhook %v, certs %q, override %v", o.webhookEnabled, o.webhookCertManagement, o.allowAPIURLOverride)
	}
	if got := o.podLabels()["app.kubernetes.io/instance"]; got != "r" {
		t.Errorf("pod labels: instance = %q", got)
	}
}

func TestParseOptionsReportsEveryProblem(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "")
	_, err := parseOptions([]string{"--operator-pod-labels=a b", "--webhook-cert-management=vault", "--max-concurrent-reconciles=0"})
	if err == nil {
		t.Fatal("parseOptions accepted bad flags")
	}
	for _, want := range []string{"--operator-namespace", "--operator-pod-labels", "--webhook-cert-management", "--max-concurrent-reconciles"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestParseOptionsSplitsNamespaces(t *testing.T) {
	o, err := parseOptions([]string{"--operator-namespace=x", "--watch-namespaces= a, ,b "})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.namespaces(), ","); got != "a,b" {
		t.Errorf("namespaces = %q", got)
	}
}

func TestParseOptionsVersionNeedsNothingElse(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "")
	o, err := parseOptions([]string{"--version"})
	if err != nil {
		t.Fatalf("--version alone: %v", err)
	}
	if !o.showVersion {
		t.Error("--version did not ask for the version")
	}
}

func TestParseOptionsPolicyConfigMap(t *testing.T) {
	o, err := parseOptions([]string{"--operator-namespace=dittofs-system", "--policy-dir=/etc/p", "--policy-configmap=dittofs-operator-policies"})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.policyConfigMap().String(); got != "dittofs-system/dittofs-operator-policies" {
		t.Errorf("policy ConfigMap = %q", got)
	}
	if _, err := parseOptions([]string{"--operator-namespace=x", "--policy-configmap=p"}); err == nil || !strings.Contains(err.Error(), "--policy-dir") {
		t.Errorf("a ConfigMap without a policy folder: %v", err)
	}
}
