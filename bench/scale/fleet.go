package scale

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// adminPassword seeds every simulated DittoFS server; each DittoServer
// references it through a Secret of its own, as a user would provide it.
const adminPassword = "bench-admin-password"

// member is one DittoServer and the simulated DittoFS API it points at.
type member struct {
	namespace, name string
	api             *dittofstest.Server
	// hung: the API accepts connections and never answers.
	hung bool
}

func (m *member) key() string { return m.namespace + "/" + m.name }

// fleet is the N DittoServers of one run.
type fleet struct {
	members    []*member
	namespaces []string
}

// newFleet starts n simulators on loopback ports and names their servers,
// perNamespace to a namespace. The last hung of them accept connections
// and never answer.
func newFleet(n, hung, perNamespace int) (*fleet, error) {
	f := &fleet{}
	for i := range n + hung {
		if i%perNamespace == 0 {
			f.namespaces = append(f.namespaces, fmt.Sprintf("bench-%03d", i/perNamespace))
		}
		api, err := dittofstest.New(dittofstest.Options{AdminPassword: adminPassword})
		if err != nil {
			f.close()
			return nil, err
		}
		m := &member{namespace: f.namespaces[len(f.namespaces)-1], name: fmt.Sprintf("fs-%04d", i), api: api, hung: i >= n}
		if m.hung {
			api.Hang()
		}
		f.members = append(f.members, m)
	}
	return f, nil
}

// healthy are the members whose APIs answer.
func (f *fleet) healthy() []*member {
	var out []*member
	for _, m := range f.members {
		if !m.hung {
			out = append(out, m)
		}
	}
	return out
}

func (f *fleet) close() {
	for _, m := range f.members {
		m.api.Close()
	}
}

// create writes the namespaces, and for every member its admin password
// Secret and its DittoServer, concurrently.
func (f *fleet) create(ctx context.Context, c client.Client, interval time.Duration) error {
	for _, ns := range f.namespaces {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, m := range f.members {
		g.Go(func() error {
			secret := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: m.name + "-admin-password", Namespace: m.namespace},
				StringData: map[string]string{"password": adminPassword},
			}
			if err := c.Create(ctx, secret); err != nil {
				return fmt.Errorf("creating Secret %s/%s: %w", m.namespace, secret.Name, err)
			}
			return c.Create(ctx, desiredServer(m, secret.Name, interval))
		})
	}
	return g.Wait()
}

// desiredServer is a DittoServer whose control plane is the member's
// simulator, reached through the dittofs.io/api-url override.
func desiredServer(m *member, secretName string, interval time.Duration) *dittov1.DittoServer {
	return &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.name, Namespace: m.namespace,
			Annotations: map[string]string{dittov1.AnnotationAPIURL: m.api.URL()},
		},
		Spec: dittov1.DittoServerSpec{
			Storage:        dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
			AdapterPolling: dittov1.AdapterPollingSpec{Interval: &metav1.Duration{Duration: interval}},
			// No load-balancer controller runs beside the fleet: NodePort
			// Services measure the operator without a pending load balancer.
			// The wave measures how soon a stopped adapter's objects go: its
			// Service goes with its NetworkPolicy, not a retention later.
			AdapterService: dittov1.AdapterServiceSpec{Type: dittov1.ServiceTypeNodePort, Retention: &metav1.Duration{}},
			Identity: dittov1.IdentitySpec{Admin: dittov1.AdminSpec{
				PasswordSecretRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: "password",
				},
			}},
		},
	}
}

// dittoCalls counts the DittoFS API calls of every member in [from, to).
type dittoCalls struct {
	// listings per member, in member order.
	listings []int
	// gaps between consecutive listings of a member, all members pooled.
	gaps []time.Duration
	// other counts every other call by route.
	other map[string]int
}

func (f *fleet) calls(from, to time.Time) dittoCalls {
	out := dittoCalls{other: map[string]int{}}
	for _, m := range f.healthy() {
		n := 0
		var prev time.Time
		for _, r := range m.api.Requests() {
			if r.Time.Before(from) || !r.Time.Before(to) {
				continue
			}
			if r.Route != dittofstest.RouteListAdapters {
				out.other[r.Route]++
				continue
			}
			n++
			if !prev.IsZero() {
				out.gaps = append(out.gaps, r.Time.Sub(prev))
			}
			prev = r.Time
		}
		out.listings = append(out.listings, n)
	}
	return out
}

// disable turns an adapter off on every healthy member's API, as
// `dfsctl adapter disable` would, and returns when the last one was changed.
func (f *fleet) disable(adapter string) error {
	var errs []error
	for _, m := range f.healthy() {
		port := int32(-1)
		for _, a := range m.api.Adapters() {
			if a.Type == adapter {
				port = a.Port
			}
		}
		if port < 0 {
			errs = append(errs, fmt.Errorf("%s: no %s adapter", m.key(), adapter))
			continue
		}
		m.api.SetAdapter(adapter, false, port)
	}
	return errors.Join(errs...)
}
