package framework

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// PollInterval is the shortest adapter polling interval the CRD allows; the
// DittoServers of tests and the demo use it.
const PollInterval = 5 * time.Second

// DittoServerFor is a DittoServer whose DittoFS control plane is at apiURL
// (the dittofs.io/api-url annotation, which a local operator honours), with
// its admin password in the Secret <name>-admin-password. It polls adapters
// every PollInterval.
func DittoServerFor(namespace, name, apiURL string) *dittov1.DittoServer {
	return &dittov1.DittoServer{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: namespace,
			Annotations: map[string]string{dittov1.AnnotationAPIURL: apiURL},
		},
		Spec: dittov1.DittoServerSpec{
			Storage:        dittov1.StorageSpec{MetadataSize: resource.MustParse("1Gi")},
			AdapterPolling: dittov1.AdapterPollingSpec{Interval: &metav1.Duration{Duration: PollInterval}},
			Identity: dittov1.IdentitySpec{Admin: dittov1.AdminSpec{PasswordSecretRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: AdminPasswordSecret(name)}, Key: "password",
			}}},
		},
	}
}

// AdminPasswordSecret names the Secret holding a DittoServer's admin
// password in DittoServerFor.
func AdminPasswordSecret(server string) string { return server + "-admin-password" }

// CreateDittoServer creates the admin password Secret and the DittoServer,
// as a user applying both would.
func CreateDittoServer(ctx context.Context, c client.Client, server *dittov1.DittoServer, adminPassword string) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: AdminPasswordSecret(server.Name), Namespace: server.Namespace},
		StringData: map[string]string{"password": adminPassword},
	}
	if err := c.Create(ctx, secret); err != nil {
		return fmt.Errorf("creating the admin password Secret: %w", err)
	}
	if err := c.Create(ctx, server); err != nil {
		return fmt.Errorf("creating DittoServer %s/%s: %w", server.Namespace, server.Name, err)
	}
	return nil
}

// CreateNamespace creates a namespace named after prefix, whose
// LoadBalancer Services a cloud's load-balancer controller serves (see
// kubetest's neighbours).
func CreateNamespace(ctx context.Context, c client.Client, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: prefix + "-",
		Labels:       map[string]string{kubetest.LabelLoadBalancer: kubetest.LoadBalancerCloud},
	}}
	if err := c.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("creating a namespace: %w", err)
	}
	return ns.Name, nil
}

// Cell is the value of the named column in a row.
func Cell(table *metav1.Table, row metav1.TableRow, column string) (any, error) {
	for i, col := range table.ColumnDefinitions {
		if col.Name == column {
			if i >= len(row.Cells) {
				return nil, fmt.Errorf("the row has no cell for column %s", column)
			}
			return row.Cells[i], nil
		}
	}
	return nil, fmt.Errorf("the Table has no column %s", column)
}

// Writes lists the writes user made in namespace ("" for any) since t.
func Writes(plane *kubetest.ControlPlane, user, namespace string, since time.Time) ([]kubetest.AuditEvent, error) {
	events, err := plane.Writes(user, since)
	if err != nil {
		return nil, err
	}
	var out []kubetest.AuditEvent
	for _, e := range events {
		if namespace == "" || e.Namespace == namespace {
			out = append(out, e)
		}
	}
	return out, nil
}

// KeepPodReady plays the kubelet for the StatefulSet's first pod until ctx
// ends: whenever the StatefulSet controller (re)creates it, for example
// after an adapter port changed the pod template, it is reported ready.
func KeepPodReady(ctx context.Context, c client.Client, namespace, statefulSet string) {
	for {
		pod := &corev1.Pod{}
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: statefulSet + "-0"}, pod)
		if err == nil && !podReady(pod) && pod.DeletionTimestamp == nil {
			_ = kubetest.MarkPodReady(ctx, c, namespace, statefulSet) // a failure is retried next round
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(projectionPeriod):
		}
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
