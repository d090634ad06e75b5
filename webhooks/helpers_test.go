package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

func testServer() *dittov1.DittoServer {
	return &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{Name: "fs1", Namespace: "storage"},
		Spec: dittov1.DittoServerSpec{
			Storage: dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
		},
	}
}

func rawJSON(t testing.TB, v any) *apiextensionsv1.JSON {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &apiextensionsv1.JSON{Raw: raw}
}

func configOf(t testing.TB, settings map[string]any) *dittov1.ServerConfig {
	t.Helper()
	raw, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &dittov1.ServerConfig{}
	if err := json.Unmarshal(raw, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeEvaluator answers with a function of the input and counts calls.
type fakeEvaluator struct {
	calls  atomic.Int32
	decide func(networking.Input) (*networking.Decision, error)
}

func (f *fakeEvaluator) Evaluate(_ context.Context, in networking.Input) (*networking.Decision, error) {
	f.calls.Add(1)
	return f.decide(in)
}

// denyLoadBalancerInProduction is the kind of platform rule admission runs.
func denyLoadBalancerInProduction(in networking.Input) (*networking.Decision, error) {
	d := &networking.Decision{}
	if in.Namespace.Labels["env"] == "production" && in.AdapterService.Type == "LoadBalancer" {
		d.Deny = append(d.Deny, "no LoadBalancer in production")
	}
	if in.AdapterService.Type == "NodePort" {
		d.Warnings = append(d.Warnings, "NodePort opens every node")
	}
	return d, nil
}

func failing(networking.Input) (*networking.Decision, error) {
	return nil, errors.New("no valid policy bundle")
}

func newTestValidator(t testing.TB, eval networking.Evaluator, nsLabels map[string]string) *Validator {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "storage", Labels: nsLabels}}
	v, err := NewValidator(Options{
		Evaluator:  eval,
		Namespaces: fake.NewClientBuilder().WithScheme(scheme).WithObjects(ns).Build(),
		Operator:   networking.OperatorInfo{Namespace: "dittofs-system"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// causes are the field paths of an Invalid error.
func causes(t testing.TB, err error) []string {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want an Invalid error, got %v", err)
	}
	status := err.(apierrors.APIStatus).Status()
	fields := make([]string, len(status.Details.Causes))
	for i, c := range status.Details.Causes {
		fields[i] = c.Field
	}
	return fields
}

func containsAll(t testing.TB, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s %q does not contain %q", what, text, p)
		}
	}
}
