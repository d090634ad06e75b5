package controller

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// generatedSecret is a Secret the operator creates once with a random value
// and never rewrites: regenerating a JWT key would log everyone out, and the
// admin password seeds the DittoFS database only once.
type generatedSecret struct {
	name, key, component string
	randomBytes          int
}

// reconcileSecrets makes sure the JWT key and the admin password exist: the
// user's Secrets when the spec references them, else generated ones.
//
// The user's Secrets are not in the cache, so they are checked once per spec
// generation rather than on every reconcile; one that disappears later shows
// as a failure to provision, which names it too.
func (r *DittoServerReconciler) reconcileSecrets(ctx context.Context, server *dittov1.DittoServer, st *serverState) error {
	if server.Spec.Identity.JWTSecretRef == nil {
		if err := r.ensureGeneratedSecret(ctx, server, generatedSecret{
			name: jwtSecretName(server), key: jwtSecretKey, component: componentJWTSecret, randomBytes: 48,
		}); err != nil {
			return err
		}
	}
	if server.Spec.Identity.Admin.PasswordSecretRef == nil {
		if err := r.ensureGeneratedSecret(ctx, server, generatedSecret{
			name: adminSecretName(server), key: adminPasswordKey, component: componentAdminSecret, randomBytes: 24,
		}); err != nil {
			return err
		}
	}
	if st.secretsChecked == server.Generation {
		return nil
	}
	if err := r.checkUserSecrets(ctx, server); err != nil {
		return err
	}
	st.secretsChecked = server.Generation
	return nil
}

// checkUserSecrets verifies the Secrets the spec references.
func (r *DittoServerReconciler) checkUserSecrets(ctx context.Context, server *dittov1.DittoServer) error {
	if ref := server.Spec.Identity.JWTSecretRef; ref != nil {
		if err := r.checkSecretKey(ctx, server.Namespace, *ref, "spec.identity.jwtSecretRef"); err != nil {
			return err
		}
	}
	if ref := server.Spec.Identity.Admin.PasswordSecretRef; ref != nil {
		return r.checkSecretKey(ctx, server.Namespace, *ref, "spec.identity.admin.passwordSecretRef")
	}
	return nil
}

func (r *DittoServerReconciler) ensureGeneratedSecret(ctx context.Context, server *dittov1.DittoServer, want generatedSecret) error {
	key := types.NamespacedName{Namespace: server.Namespace, Name: want.name}
	var secret corev1.Secret
	if exists, err := r.lookupOwned(ctx, server, key, &secret); err != nil || exists {
		return err // an existing generated Secret is never rewritten
	}
	value, err := randomString(want.randomBytes)
	if err != nil {
		return err
	}
	secret = corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:            want.name,
			Namespace:       server.Namespace,
			Labels:          dittov1.ManagedLabels(server.Name, want.component),
			OwnerReferences: []metav1.OwnerReference{ownerReferenceObject(server)},
		},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{want.key: value},
	}
	if err := r.Create(ctx, &secret, fieldOwnerOption); err != nil {
		return fmt.Errorf("creating Secret %s: %w", want.name, err)
	}
	r.noteChange(server, &secret, "Created", "Create", "Created Secret %s", want.name)
	return nil
}

// checkSecretKey verifies that a Secret the user references exists and has
// the key, so that a typo is reported on the DittoServer rather than as a
// pod that never starts.
func (r *DittoServerReconciler) checkSecretKey(ctx context.Context, namespace string, ref corev1.SecretKeySelector, field string) error {
	var secret corev1.Secret
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return &invalidSpecError{reason: "SecretNotFound", msg: fmt.Sprintf("%s: Secret %q not found", field, ref.Name)}
		}
		return fmt.Errorf("reading Secret %s for %s: %w", ref.Name, field, err)
	}
	if len(secret.Data[ref.Key]) == 0 {
		return &invalidSpecError{reason: "SecretKeyMissing", msg: fmt.Sprintf("%s: Secret %q has no key %q", field, ref.Name, ref.Key)}
	}
	return nil
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating a random value: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
