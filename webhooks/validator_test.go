package webhooks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

func TestLegacyFieldsOnCreate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*dittov1.DittoServer)
		field  string
		want   string
	}{
		{"nfsPort with its port", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](2049) }, "spec.nfsPort",
			"spec.nfsPort is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable nfs --port 2049'"},
		{"nfsPort 0", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](0) }, "spec.nfsPort",
			"'dfsctl adapter enable nfs --port 12049'"},
		{"smb with a port", func(s *dittov1.DittoServer) { s.Spec.SMB = rawJSON(t, map[string]any{"port": 1445}) }, "spec.smb",
			"spec.smb is no longer supported: adapters are managed through the DittoFS API. Remove the field and run 'dfsctl adapter enable smb --port 1445'"},
		{"smb without a port", func(s *dittov1.DittoServer) { s.Spec.SMB = rawJSON(t, map[string]any{"enabled": true}) }, "spec.smb",
			"'dfsctl adapter enable smb --port 12445'"},
		{"config.adapters", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(t, map[string]any{"adapters": map[string]any{"nfs": map[string]any{"port": 2049}, "smb": map[string]any{}}})
		}, "spec.config.adapters",
			"spec.config.adapters is not supported: adapters are managed through the DittoFS API. Remove the section and run 'dfsctl adapter enable nfs --port 2049', then 'dfsctl adapter enable smb --port 12445'"},
	}
	v := newTestValidator(t, nil, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := testServer()
			c.mutate(server)
			_, err := v.ValidateCreate(context.Background(), server)
			if got := causes(t, err); !slices.Equal(got, []string{c.field}) {
				t.Errorf("causes %v, want [%s]", got, c.field)
			}
			containsAll(t, "error", err.Error(), c.want)
		})
	}
}

func TestLegacyFieldsRatchetOnUpdate(t *testing.T) {
	v := newTestValidator(t, nil, nil)
	old := testServer()
	old.Spec.NFSPort = ptr.To[int32](2049)
	old.Spec.SMB = rawJSON(t, map[string]any{"port": 1445})

	kept := old.DeepCopy()
	kept.Labels = map[string]string{"team": "storage"}
	kept.Spec.Image = "marmos91c/dittofs:v0.30.0"
	warnings, err := v.ValidateUpdate(context.Background(), old, kept)
	if err != nil {
		t.Fatalf("an update keeping the legacy values was refused: %v", err)
	}
	if len(warnings) != 2 {
		t.Fatalf("want one warning per legacy field, got %q", warnings)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "spec.nfsPort", "spec.smb", "does not change it")

	changed := old.DeepCopy()
	changed.Spec.NFSPort = ptr.To[int32](2050)
	changed.Spec.SMB = rawJSON(t, map[string]any{"port": 1446})
	_, err = v.ValidateUpdate(context.Background(), old, changed)
	if got := causes(t, err); !slices.Equal(got, []string{"spec.nfsPort", "spec.smb"}) {
		t.Errorf("changing both legacy values: causes %v", got)
	}

	removed := old.DeepCopy()
	removed.Spec.NFSPort, removed.Spec.SMB = nil, nil
	warnings, err = v.ValidateUpdate(context.Background(), old, removed)
	if err != nil || len(warnings) != 0 {
		t.Errorf("removing the legacy values: warnings %q, error %v", warnings, err)
	}

	added := testServer()
	withNFS := added.DeepCopy()
	withNFS.Spec.NFSPort = ptr.To[int32](2049)
	_, err = v.ValidateUpdate(context.Background(), added, withNFS)
	if got := causes(t, err); !slices.Equal(got, []string{"spec.nfsPort"}) {
		t.Errorf("adding nfsPort: causes %v", got)
	}
}

// A stored object with every kind of problem can still lose its finalizers
// and be deleted, without even consulting the policy.
func TestMetadataOnlyUpdatePasses(t *testing.T) {
	eval := &fakeEvaluator{decide: failing}
	v := newTestValidator(t, eval, nil)
	old := testServer()
	old.Finalizers = []string{dittov1.Finalizer}
	old.Spec.NFSPort = ptr.To[int32](2049)
	old.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs v4": {}}
	old.Spec.AdapterService.NameTemplate = "{instance}"
	old.Spec.Config = configOf(t, map[string]any{"controlplane": map[string]any{"port": 9000}})
	old.Status.Adapters = []dittov1.AdapterStatus{{Type: "nfs", Port: 12049, Enabled: true, Running: true}}

	deleting := old.DeepCopy()
	deleting.Finalizers = nil
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	warnings, err := v.ValidateUpdate(context.Background(), old, deleting)
	if err != nil {
		t.Fatalf("removing finalizers was refused: %v", err)
	}
	if len(warnings) == 0 {
		t.Error("the kept problems should be reported as warnings")
	}
	if n := eval.calls.Load(); n != 0 {
		t.Errorf("the policy was evaluated %d times for a metadata-only update", n)
	}
	if warnings, err := v.ValidateDelete(context.Background(), old); err != nil || warnings != nil {
		t.Errorf("delete: %q, %v", warnings, err)
	}
}

func TestSpecChecks(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*dittov1.DittoServer)
		fields []string // nil: accepted
	}{
		{"default name template", func(*dittov1.DittoServer) {}, nil},
		{"template without {adapter}", func(s *dittov1.DittoServer) { s.Spec.AdapterService.NameTemplate = "{instance}" },
			[]string{"spec.adapterService.nameTemplate"}},
		{"template with only symbols", func(s *dittov1.DittoServer) { s.Spec.AdapterService.NameTemplate = "--" },
			[]string{"spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"}},
		{"template naming the API Service", func(s *dittov1.DittoServer) { s.Spec.AdapterService.NameTemplate = "{instance}-api" },
			[]string{"spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"}},
		{"template too long once rendered", func(s *dittov1.DittoServer) {
			s.Name = strings.Repeat("a", 45)
			s.Spec.AdapterService.NameTemplate = "{instance}-{adapter}-" + strings.Repeat("x", 20)
		}, []string{"spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"}},
		{"template of just {adapter}", func(s *dittov1.DittoServer) { s.Spec.AdapterService.NameTemplate = "{adapter}" }, nil},
		{"interval too short", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
		}, []string{"spec.adapterPolling.interval"}},
		{"interval too long", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 2 * time.Hour}
		}, []string{"spec.adapterPolling.interval"}},
		{"interval in bounds", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 10 * time.Second}
		}, nil},
		{"bad annotation keys", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Annotations = map[string]string{"bad key": "v"}
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Annotations: map[string]string{"-x": "v"}}}
			s.Spec.Service.Annotations = map[string]string{"a/b/c": "v"}
		}, []string{"spec.service.annotations", "spec.adapterService.annotations", "spec.adapterService.overrides[nfs].annotations"}},
		{"good annotations", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Annotations = map[string]string{"example.com/lb": "internal"}
			s.Spec.Service.Annotations = map[string]string{"team": "storage"}
		}, nil},
		{"bad CIDRs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "10.0.0.0/33", "nope", "10.0.0.1/8"}
		}, []string{"spec.adapterService.loadBalancerSourceRanges[1]", "spec.adapterService.loadBalancerSourceRanges[2]", "spec.adapterService.loadBalancerSourceRanges[3]"}},
		{"good CIDRs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "2001:db8::/32"}
		}, nil},
		{"an override key that is no adapter type", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs/4": {}, "smb": {}, strings.Repeat("a", 64): {}}
		}, []string{"spec.adapterService.overrides[nfs/4]", "spec.adapterService.overrides[" + strings.Repeat("a", 64) + "]"}},
		{"overrides for any adapter type", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"webdav": {Port: ptr.To[int32](80)}, "nfs.v4": {}, "SMB_3": {}}
		}, nil},
		{"published ports", func(s *dittov1.DittoServer) {
			s.Spec.ControlPlane.Port = 9000
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"nfs": {Port: ptr.To[int32](2049)}, "smb": {Port: ptr.To[int32](9000)}, "webdav": {Port: ptr.To[int32](2049)},
			}
		}, []string{"spec.adapterService.overrides[smb].port", "spec.adapterService.overrides[webdav].port"}},
		{"retention out of bounds", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Retention = &metav1.Duration{Duration: 25 * time.Hour}
		}, []string{"spec.adapterService.retention"}},
		{"retention in bounds", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Retention = &metav1.Duration{}
		}, nil},
		{"owned settings in spec.config", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(t, map[string]any{
				"controlplane": map[string]any{"port": 9000, "host": "127.0.0.1"},
				"database":     map[string]any{"type": "sqlite"},
				"logging":      map[string]any{"level": "DEBUG"},
			})
		}, []string{"spec.config.controlplane.host", "spec.config.controlplane.port", "spec.config.database"}},
		{"free settings in spec.config", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(t, map[string]any{"logging": map[string]any{"level": "DEBUG"}, "cache": map[string]any{"size": "1Gi"}})
		}, nil},
	}
	v := newTestValidator(t, nil, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := testServer()
			c.mutate(server)
			_, err := v.ValidateCreate(context.Background(), server)
			if c.fields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			got := causes(t, err)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.fields))
			if !slices.Equal(got, want) {
				t.Errorf("causes %v, want %v (%v)", got, want, err)
			}
		})
	}
}

func TestSanitizedNameWarns(t *testing.T) {
	v := newTestValidator(t, nil, nil)
	server := testServer()
	server.Spec.AdapterService.NameTemplate = "Share_{adapter}"
	warnings, err := v.ValidateCreate(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), `"Share_nfs"`, `"share-nfs"`, `"Share_smb"`)
}

func TestStorageIsImmutable(t *testing.T) {
	v := newTestValidator(t, nil, nil)
	old := testServer()
	old.Spec.Storage.CacheSize = ptr.To(resource.MustParse("5Gi"))

	same := old.DeepCopy()
	same.Spec.Storage.MetadataSize = resource.MustParse("1024Mi")
	if _, err := v.ValidateUpdate(context.Background(), old, same); err != nil {
		t.Errorf("an equal size written differently was refused: %v", err)
	}

	grown := old.DeepCopy()
	grown.Spec.Storage.MetadataSize = resource.MustParse("2Gi")
	grown.Spec.Storage.CacheSize = nil
	grown.Spec.Storage.StorageClassName = ptr.To("fast")
	_, err := v.ValidateUpdate(context.Background(), old, grown)
	got := causes(t, err)
	if !slices.Equal(got, []string{"spec.storage.metadataSize", "spec.storage.cacheSize", "spec.storage.storageClassName"}) {
		t.Errorf("causes %v", got)
	}
	containsAll(t, "error", err.Error(), "PersistentVolumeClaim metadata-fs1-0", "emptyDir")
}

func TestEveryProblemAtOnce(t *testing.T) {
	v := newTestValidator(t, &fakeEvaluator{decide: denyLoadBalancerInProduction}, map[string]string{"env": "production"})
	server := testServer()
	server.Spec.NFSPort = ptr.To[int32](2049)
	server.Spec.SMB = rawJSON(t, map[string]any{})
	server.Spec.Config = configOf(t, map[string]any{"adapters": map[string]any{}, "database": map[string]any{}})
	server.Spec.AdapterService.NameTemplate = "{instance}"
	server.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs v4": {}}
	server.Spec.AdapterService.LoadBalancerSourceRanges = []string{"nope"}
	server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
	_, err := v.ValidateCreate(context.Background(), server)
	got := causes(t, err)
	for _, want := range []string{
		"spec.nfsPort", "spec.smb", "spec.config.adapters", "spec.config.database",
		"spec.adapterService.nameTemplate", "spec.adapterService.overrides[nfs v4]",
		"spec.adapterService.loadBalancerSourceRanges[0]", "spec.adapterPolling.interval", "spec",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is missing from %v", want, got)
		}
	}
	containsAll(t, "error", err.Error(), "denied by the networking policy: no LoadBalancer in production")
}

func TestPolicyOnCreate(t *testing.T) {
	eval := &fakeEvaluator{decide: denyLoadBalancerInProduction}
	prod := newTestValidator(t, eval, map[string]string{"env": "production"})
	_, err := prod.ValidateCreate(context.Background(), testServer())
	if got := causes(t, err); !slices.Equal(got, []string{"spec"}) {
		t.Errorf("causes %v", got)
	}

	server := testServer()
	server.Spec.AdapterService.Type = dittov1.ServiceTypeNodePort
	warnings, err := prod.ValidateCreate(context.Background(), server)
	if err != nil || !slices.Equal(warnings, []string{"networking policy: NodePort opens every node"}) {
		t.Errorf("warnings %q, error %v", warnings, err)
	}

	broken := newTestValidator(t, &fakeEvaluator{decide: failing}, nil)
	_, err = broken.ValidateCreate(context.Background(), testServer())
	if !apierrors.IsInternalError(err) {
		t.Fatalf("an evaluation error must refuse a create, got %v", err)
	}
	containsAll(t, "error", err.Error(), "could not be evaluated", "no valid policy bundle")
}

func TestPolicyOnUpdate(t *testing.T) {
	eval := &fakeEvaluator{decide: denyLoadBalancerInProduction}
	prod := newTestValidator(t, eval, map[string]string{"env": "production"})
	clusterIP := testServer()
	clusterIP.Spec.AdapterService.Type = dittov1.ServiceTypeClusterIP
	lb := testServer()
	lb.Spec.AdapterService.Type = dittov1.ServiceTypeLoadBalancer

	_, err := prod.ValidateUpdate(context.Background(), clusterIP, lb)
	if got := causes(t, err); !slices.Equal(got, []string{"spec"}) {
		t.Errorf("newly denied: causes %v", got)
	}

	annotated := lb.DeepCopy()
	annotated.Annotations = map[string]string{"note": "namespace labelled production after creation"}
	warnings, err := prod.ValidateUpdate(context.Background(), lb, annotated)
	if err != nil {
		t.Fatalf("a denial the stored object already had was refused: %v", err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "no LoadBalancer in production", "does not change")

	broken := newTestValidator(t, &fakeEvaluator{decide: failing}, nil)
	warnings, err = broken.ValidateUpdate(context.Background(), clusterIP, lb)
	if err != nil {
		t.Fatalf("an update must pass when the stored object cannot be evaluated either: %v", err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "could not be evaluated")

	flaky := newTestValidator(t, &fakeEvaluator{decide: func(in networking.Input) (*networking.Decision, error) {
		if in.AdapterService.Type == "LoadBalancer" {
			return failing(in)
		}
		return denyLoadBalancerInProduction(in)
	}}, nil)
	if _, err := flaky.ValidateUpdate(context.Background(), clusterIP, lb); !apierrors.IsInternalError(err) {
		t.Errorf("an update that the policy can no longer evaluate must be refused, got %v", err)
	}
}

func TestPolicySeesReportedAdapters(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	eval := &fakeEvaluator{decide: func(in networking.Input) (*networking.Decision, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range in.Adapters {
			seen = append(seen, a.Type)
		}
		return &networking.Decision{}, nil
	}}
	v := newTestValidator(t, eval, nil)
	old := testServer()
	old.Status.Adapters = []dittov1.AdapterStatus{{Type: "smb", Port: 1445, Enabled: true, Running: true}}
	updated := old.DeepCopy()
	updated.Spec.AdapterService.Type = dittov1.ServiceTypeNodePort
	if _, err := v.ValidateUpdate(context.Background(), old, updated); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"smb", "smb"}) {
		t.Errorf("the policy saw adapters %v, want smb for the old and the new object", seen)
	}
}

// failingReader cannot read anything, like an operator without RBAC on
// namespaces.
type failingReader struct{ client.Reader }

func (failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("namespaces is forbidden")
}

func TestUnreadableNamespace(t *testing.T) {
	v, err := NewValidator(Options{Evaluator: &fakeEvaluator{decide: denyLoadBalancerInProduction}, Namespaces: failingReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ValidateCreate(context.Background(), testServer()); !apierrors.IsInternalError(err) {
		t.Errorf("a create that cannot be checked must be refused, got %v", err)
	}
	old := testServer()
	updated := old.DeepCopy()
	updated.Labels = map[string]string{"team": "storage"}
	warnings, err := v.ValidateUpdate(context.Background(), old, updated)
	if err != nil {
		t.Fatalf("an update neither of whose objects can be checked must pass: %v", err)
	}
	containsAll(t, "warnings", strings.Join(warnings, "\n"), "namespaces is forbidden", "accepted unchecked")
	if _, err := NewValidator(Options{Evaluator: &fakeEvaluator{decide: failing}}); err == nil {
		t.Error("an evaluator without a namespace reader must be refused")
	}
}
