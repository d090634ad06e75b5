package controller

import (
	"context"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

func TestReferencedSecrets(t *testing.T) {
	ref := func(name string) *corev1.SecretKeySelector {
		return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "k"}
	}
	server := testServer()
	if got := referencedSecrets(server); len(got) != 0 {
		t.Errorf("generated Secrets only: %v, want none", got)
	}
	server.Spec.Identity.Admin.PasswordSecretRef = ref("admin")
	server.Spec.Identity.JWTSecretRef = ref("jwt")
	server.Spec.ControlPlane.TLS = &dittov1.ControlPlaneTLS{SecretName: "tls"}
	server.Spec.Database.Postgres = &dittov1.PostgresSpec{DSNSecretRef: *ref("admin")}
	if got, want := referencedSecrets(server), []string{"admin", "jwt", "tls"}; !reflect.DeepEqual(got, want) {
		t.Errorf("referencedSecrets = %v, want %v (sorted, once each, no DSN while the database is SQLite)", got, want)
	}
	server.Spec.Database.Type = dittov1.DatabasePostgres
	server.Spec.Database.Postgres.DSNSecretRef.Name = "dsn"
	if got, want := referencedSecrets(server), []string{"admin", "dsn", "jwt", "tls"}; !reflect.DeepEqual(got, want) {
		t.Errorf("referencedSecrets = %v, want %v", got, want)
	}
}

// TestSecretIdentityOnly: `kubectl apply` copies a Secret's data into an
// annotation; nothing but identity and version may enter the cache.
func TestSecretIdentityOnly(t *testing.T) {
	in := &metav1.PartialObjectMetadata{
		TypeMeta: secretMetadata,
		ObjectMeta: metav1.ObjectMeta{
			Name: "admin", Namespace: "storage", UID: "u", ResourceVersion: "7",
			Labels:        map[string]string{"a": "b"},
			Annotations:   map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"c2VjcmV0"}}`},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		},
	}
	out, err := secretIdentityOnly(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &metav1.PartialObjectMetadata{TypeMeta: secretMetadata, ObjectMeta: metav1.ObjectMeta{
		Name: "admin", Namespace: "storage", UID: "u", ResourceVersion: "7",
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("cached %+v, want %+v", out, want)
	}
}

func TestFollowSecretChanges(t *testing.T) {
	server := testServer()
	server.Spec.ControlPlane.TLS = &dittov1.ControlPlaneTLS{SecretName: "tls"}
	tls := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: server.Namespace}}
	r := newTestReconciler(t, tls)
	r.secretMeta = r.Client
	ctx := context.Background()
	st := &serverState{}
	r.polls().track(r.targetOf(server))
	sp := r.polls().servers[server.UID]
	drained := func() bool {
		select {
		case <-sp.wake:
			return true
		default:
			return false
		}
	}
	drained()

	r.followSecretChanges(ctx, server, st)
	st.secretsChecked = server.Generation
	r.followSecretChanges(ctx, server, st)
	if sp.secretsChanged || drained() || st.secretsChecked == 0 {
		t.Fatal("the poller was told of a change although no Secret changed")
	}

	tls.Data = map[string][]byte{"ca.crt": []byte("rotated")}
	if err := r.Update(ctx, tls); err != nil {
		t.Fatal(err)
	}
	r.followSecretChanges(ctx, server, st)
	switch {
	case !sp.secretsChanged:
		t.Error("the poller would keep the client built with the old CA")
	case !drained():
		t.Error("the poller would wait for its next poll")
	case st.secretsChecked != 0:
		t.Error("the Secrets are not checked again")
	}
}
