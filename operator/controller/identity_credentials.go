package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
)

// Keys of the credentials Secret.
const (
	credUsername     = "username"
	credPassword     = "password"
	credAccessToken  = "accessToken"
	credRefreshToken = "refreshToken"
	credIssuedAt     = "issuedAt"
	credExpiresAt    = "expiresAt"
	credServerURL    = "serverURL"
)

// APIURL is where the operator reaches the control plane of server. The
// dittofs.io/api-url annotation replaces it only when overrides are allowed.
func (r *DittoServerReconciler) APIURL(server *dittov1.DittoServer) string {
	if url := server.Annotations[dittov1.AnnotationAPIURL]; url != "" && r.AllowAPIURLOverride {
		return url
	}
	scheme := "http"
	if server.Spec.ControlPlane.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s.%s.svc:%d", scheme, apiServiceName(server), server.Namespace, server.Spec.APIPort())
}

// apiClient returns the client of server's control plane, built again when
// its address or TLS settings change.
func (r *DittoServerReconciler) apiClient(ctx context.Context, server *dittov1.DittoServer, id *identityState) (*dittofs.Client, error) {
	url := r.APIURL(server)
	key := url
	if tls := server.Spec.ControlPlane.TLS; tls != nil {
		key += "|" + tls.SecretName
	}
	if id.client != nil && id.clientKey == key {
		return id.client, nil
	}
	cfg := dittofs.Config{BaseURL: url, Timeout: r.apiTimeout(), ConnectTimeout: 5 * time.Second, Now: r.clock().Now}
	if tls := server.Spec.ControlPlane.TLS; tls != nil {
		ca, err := r.secretValue(ctx, server, corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: tls.SecretName}, Key: "ca.crt",
		})
		if err != nil {
			return nil, fmt.Errorf("reading the control plane's CA (spec.controlPlane.tls): %w", err)
		}
		cfg.CABundle = []byte(ca)
	}
	client, err := dittofs.New(cfg)
	if err != nil {
		return nil, &invalidSpecError{reason: "InvalidAPIURL", msg: fmt.Sprintf("the DittoFS API address %q: %v", url, err)}
	}
	if id.client != nil {
		id.client.CloseIdleConnections()
	}
	id.client, id.clientKey = client, key
	return client, nil
}

func (r *DittoServerReconciler) apiTimeout() time.Duration {
	if r.APITimeout > 0 {
		return r.APITimeout
	}
	return 10 * time.Second
}

// loadCredentials reads the credentials Secret once, after a start, and
// whenever the Secret disappeared (so a deleted Secret is written again).
func (r *DittoServerReconciler) loadCredentials(ctx context.Context, server *dittov1.DittoServer, id *identityState) error {
	if id.loaded && id.creds != nil {
		return r.storeCredentials(ctx, server, id) // writes only when the Secret differs
	}
	var secret corev1.Secret
	err := r.Get(ctx, types.NamespacedName{Namespace: server.Namespace, Name: CredentialsSecretName(server)}, &secret)
	switch {
	case apierrors.IsNotFound(err):
		id.loaded = true
		return nil
	case err != nil:
		return fmt.Errorf("reading the credentials Secret: %w", err)
	case !ownedBy(&secret, server):
		return &nameConflictError{kind: "Secret", name: secret.Name}
	}
	id.loaded = true
	id.creds = credentialsFromSecret(&secret)
	return nil
}

func credentialsFromSecret(s *corev1.Secret) *credentials {
	parse := func(key string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, string(s.Data[key]))
		return t
	}
	c := &credentials{
		Username:     string(s.Data[credUsername]),
		Password:     string(s.Data[credPassword]),
		AccessToken:  string(s.Data[credAccessToken]),
		RefreshToken: string(s.Data[credRefreshToken]),
		IssuedAt:     parse(credIssuedAt),
		ExpiresAt:    parse(credExpiresAt),
		ServerURL:    string(s.Data[credServerURL]),
	}
	if c.Username == "" {
		return nil
	}
	return c
}

// storeCredentials writes the credentials Secret when its content differs
// from what the operator holds: once per provisioning or refresh, never on
// a reconcile that changed nothing.
func (r *DittoServerReconciler) storeCredentials(ctx context.Context, server *dittov1.DittoServer, id *identityState) error {
	c := id.creds
	name := CredentialsSecretName(server)
	desired := corev1ac.Secret(name, server.Namespace).
		WithLabels(dittov1.ManagedLabels(server.Name, componentCredentials)).
		WithOwnerReferences(ownerReference(server)).
		WithType(corev1.SecretTypeOpaque).
		WithData(map[string][]byte{
			credUsername:     []byte(c.Username),
			credPassword:     []byte(c.Password),
			credAccessToken:  []byte(c.AccessToken),
			credRefreshToken: []byte(c.RefreshToken),
			credIssuedAt:     []byte(c.IssuedAt.UTC().Format(time.RFC3339Nano)),
			credExpiresAt:    []byte(c.ExpiresAt.UTC().Format(time.RFC3339Nano)),
			credServerURL:    []byte(c.ServerURL),
		})
	key := types.NamespacedName{Namespace: server.Namespace, Name: name}
	if id.applied == nil {
		id.applied = appliedMemo{}
	}
	if _, err := applyOwnedWith(ctx, r, server, id.applied, key, &corev1.Secret{}, desired, corev1ac.ExtractSecret); err != nil {
		return fmt.Errorf("storing the operator's credentials: %w", err)
	}
	return nil
}
