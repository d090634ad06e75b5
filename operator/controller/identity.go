package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
)

// OperatorUsername is the DittoFS account the operator creates for itself.
// Its role, operator, may read adapters and nothing else.
const OperatorUsername = "k8s-operator"

// refreshAt is the share of an access token's lifetime after which the
// operator refreshes it: late enough to refresh rarely, early enough that a
// slow poll never presents an expired token.
const refreshAt = 0.8

// credentials are the operator's DittoFS account and its current tokens.
type credentials struct {
	Username, Password        string
	AccessToken, RefreshToken string
	IssuedAt, ExpiresAt       time.Time
	ServerURL                 string
}

func (c *credentials) setTokens(t *dittofs.Tokens) {
	c.AccessToken, c.RefreshToken = t.AccessToken, t.RefreshToken
	c.ExpiresAt = t.ExpiresAt
	c.IssuedAt = t.ExpiresAt.Add(-t.ExpiresIn)
}

// tokenFresh: the access token is usable and not yet due for refresh.
func (c *credentials) tokenFresh(now time.Time) bool {
	if c.AccessToken == "" || !now.Before(c.ExpiresAt) {
		return false
	}
	lifetime := c.ExpiresAt.Sub(c.IssuedAt)
	return now.Before(c.IssuedAt.Add(time.Duration(float64(lifetime) * refreshAt)))
}

// adminRejectedError: the admin password in the Secret does not log in.
type adminRejectedError struct{ ref corev1.SecretKeySelector }

func (e *adminRejectedError) Error() string {
	return fmt.Sprintf("the DittoFS API rejected the admin password from Secret %q key %q: "+
		"DittoFS reads DITTOFS_ADMIN_INITIAL_PASSWORD only when it first starts, so put the password the "+
		"admin account has now in the Secret (or, logged in as admin, change it with 'dfsctl user change-password' "+
		"and put the new one in the Secret)",
		e.ref.Name, e.ref.Key)
}

// adminMustChangePasswordError: the admin logs in but must change its
// password before DittoFS lets it do anything else, as after an admin
// reset ('dfsctl user password admin').
type adminMustChangePasswordError struct{ ref corev1.SecretKeySelector }

func (e *adminMustChangePasswordError) Error() string {
	return fmt.Sprintf("the DittoFS admin account must change its password before it may create the operator's account "+
		"(an admin reset, 'dfsctl user password admin', leaves it so): log in as admin, run 'dfsctl user change-password', "+
		"then put the new password in Secret %q key %q", e.ref.Name, e.ref.Key)
}

// apiNotReadyError: the control plane does not answer /health/ready yet.
type apiNotReadyError struct{ err error }

func (e *apiNotReadyError) Error() string {
	return fmt.Sprintf("waiting for the DittoFS API to be ready: %v", e.err)
}
func (e *apiNotReadyError) Unwrap() error { return e.err }

// session returns a client and a valid operator access token for server,
// provisioning the operator's account, refreshing or logging in as needed.
// Retries after failures follow the poll's backoff: the account is only
// ever needed to poll.
func (sp *serverPoll) session(ctx context.Context, server *dittov1.DittoServer) (*dittofs.Client, string, error) {
	r, id := sp.p.r, &sp.id
	now := sp.p.clock.Now()
	client, err := r.apiClient(ctx, server, id)
	if err != nil {
		return nil, "", err
	}
	if err := r.loadCredentials(ctx, server, id); err != nil {
		return nil, "", err
	}
	if id.creds != nil && id.creds.tokenFresh(now) && id.creds.ServerURL == client.BaseURL() {
		return client, id.creds.AccessToken, nil
	}
	if err := sp.renewSession(ctx, server, client); err != nil {
		return nil, "", sp.identityFailed(ctx, server, err)
	}
	return client, id.creds.AccessToken, nil
}

// recoverSession is called after the API refused the operator's token: it
// refreshes, logs in again, or provisions the account again.
func (sp *serverPoll) recoverSession(ctx context.Context, server *dittov1.DittoServer, client *dittofs.Client) (string, error) {
	if sp.id.creds != nil {
		sp.id.creds.AccessToken = ""
	}
	if err := sp.renewSession(ctx, server, client); err != nil {
		return "", sp.identityFailed(ctx, server, err)
	}
	return sp.id.creds.AccessToken, nil
}

// renewSession gets new tokens the cheapest way that works: refresh, then
// log in with the stored password, then provision the account again (the
// user is gone, for example after a database reset).
func (sp *serverPoll) renewSession(ctx context.Context, server *dittov1.DittoServer, client *dittofs.Client) error {
	r, id := sp.p.r, &sp.id
	creds := id.creds
	if creds != nil && creds.RefreshToken != "" && creds.ServerURL == client.BaseURL() {
		tokens, err := client.Refresh(ctx, creds.RefreshToken)
		if err == nil {
			creds.setTokens(tokens)
			identityCalls.WithLabelValues("refresh").Inc()
			return r.storeCredentials(ctx, server, id)
		}
		if !dittofs.IsUnauthorized(err) {
			return fmt.Errorf("refreshing the operator's token: %w", err)
		}
	}
	if creds != nil && creds.Password != "" {
		tokens, err := client.Login(ctx, creds.Username, creds.Password)
		if err == nil {
			creds.setTokens(tokens)
			creds.ServerURL = client.BaseURL()
			identityCalls.WithLabelValues("login").Inc()
			return r.storeCredentials(ctx, server, id)
		}
		if !dittofs.IsUnauthorized(err) {
			return fmt.Errorf("logging in as %s: %w", creds.Username, err)
		}
	}
	return sp.provision(ctx, server, client)
}

// provision creates (or takes back) the operator's account with the admin
// password. The admin token serves these calls only and is never stored.
// It waits for /health/ready, which an initialised DittoFS answers with 200
// whether or not an adapter runs.
func (sp *serverPoll) provision(ctx context.Context, server *dittov1.DittoServer, client *dittofs.Client) error {
	r, id := sp.p.r, &sp.id
	if _, err := client.Ready(ctx); err != nil {
		return &apiNotReadyError{err: err}
	}
	adminToken, err := r.adminLogin(ctx, server, client)
	if err != nil {
		return err
	}
	password, err := randomString(24)
	if err != nil {
		return err
	}
	_, err = client.CreateUser(ctx, adminToken, dittofs.NewUser{Username: OperatorUsername, Password: password, Role: dittofs.RoleOperator})
	if dittofs.IsConflict(err) {
		err = client.ResetPassword(ctx, adminToken, OperatorUsername, password)
	}
	if err != nil {
		return fmt.Errorf("creating the DittoFS account %s: %w", OperatorUsername, err)
	}
	tokens, err := client.Login(ctx, OperatorUsername, password)
	if err != nil {
		return fmt.Errorf("logging in as %s: %w", OperatorUsername, err)
	}
	id.creds = &credentials{Username: OperatorUsername, Password: password, ServerURL: client.BaseURL()}
	id.creds.setTokens(tokens)
	identityCalls.WithLabelValues("provision").Inc()
	r.event(server, nil, corev1.EventTypeNormal, "Provisioned", "Provision",
		"Provisioned DittoFS account %s with role %s", OperatorUsername, dittofs.RoleOperator)
	return r.storeCredentials(ctx, server, id)
}

// adminLogin logs in as admin with the password of the admin Secret.
func (r *DittoServerReconciler) adminLogin(ctx context.Context, server *dittov1.DittoServer, client *dittofs.Client) (string, error) {
	ref := adminPasswordRef(server)
	password, err := r.secretValue(ctx, server, ref)
	if err != nil {
		return "", err
	}
	tokens, err := client.Login(ctx, "admin", password)
	if dittofs.IsUnauthorized(err) {
		return "", &adminRejectedError{ref: ref}
	}
	if err != nil {
		return "", fmt.Errorf("logging in as admin: %w", err)
	}
	if tokens.User.MustChangePassword {
		return "", &adminMustChangePasswordError{ref: ref}
	}
	return tokens.AccessToken, nil
}

// secretValue reads one key of a Secret: from the cache for the Secrets the
// operator generated, from the API server for the user's own.
func (r *DittoServerReconciler) secretValue(ctx context.Context, server *dittov1.DittoServer, ref corev1.SecretKeySelector) (string, error) {
	var secret corev1.Secret
	key := types.NamespacedName{Namespace: server.Namespace, Name: ref.Name}
	err := r.Get(ctx, key, &secret)
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, key, &secret)
	}
	if err != nil {
		return "", fmt.Errorf("reading Secret %s: %w", ref.Name, err)
	}
	value := string(secret.Data[ref.Key])
	if value == "" {
		return "", &invalidSpecError{reason: "SecretKeyMissing", msg: fmt.Sprintf("Secret %q has no key %q", ref.Name, ref.Key)}
	}
	return value, nil
}

// identityFailed turns a rejected or blocked admin password into a single
// Warning event per episode; the poll's backoff schedules the retry.
func (sp *serverPoll) identityFailed(ctx context.Context, server *dittov1.DittoServer, err error) error {
	var rejected *adminRejectedError
	var mustChange *adminMustChangePasswordError
	switch {
	case sp.id.rejectedWarned:
	case errors.As(err, &rejected):
		sp.id.rejectedWarned = true
		sp.p.r.event(server, nil, corev1.EventTypeWarning, "AdminCredentialsRejected", "Provision", "%s", rejected.Error())
	case errors.As(err, &mustChange):
		sp.id.rejectedWarned = true
		sp.p.r.event(server, nil, corev1.EventTypeWarning, "AdminPasswordChangeRequired", "Provision", "%s", mustChange.Error())
	}
	log.FromContext(ctx).Info("the operator's DittoFS account is not usable", "server", server.Namespace+"/"+server.Name, "reason", err.Error())
	return err
}

// identitySucceeded ends a failure episode.
func identitySucceeded(id *identityState) {
	id.rejectedWarned = false
	id.condition = condition{metav1.ConditionTrue, "Authenticated",
		fmt.Sprintf("the operator holds a working DittoFS account %s with role operator", OperatorUsername)}
}

// removeAccount deletes the operator's DittoFS account when its DittoServer
// goes away. It is best effort and bounded by ctx: an unreachable API must
// not keep the DittoServer from being deleted.
func (sp *serverPoll) removeAccount(ctx context.Context, server *dittov1.DittoServer) {
	r := sp.p.r
	var secret corev1.Secret
	if err := r.Get(ctx, types.NamespacedName{Namespace: server.Namespace, Name: CredentialsSecretName(server)}, &secret); apierrors.IsNotFound(err) {
		return // the account was never provisioned
	}
	err := sp.deleteOperatorUser(ctx, server)
	if err == nil || dittofs.IsNotFound(err) {
		return
	}
	log.FromContext(ctx).Info("could not remove the operator's DittoFS account; deleting the DittoServer anyway",
		"server", server.Namespace+"/"+server.Name, "reason", err.Error())
	r.event(server, nil, corev1.EventTypeWarning, "AccountNotRemoved", "Cleanup",
		"Could not remove DittoFS account %s: %s", OperatorUsername, err.Error())
}

func (sp *serverPoll) deleteOperatorUser(ctx context.Context, server *dittov1.DittoServer) error {
	r := sp.p.r
	client, err := r.apiClient(ctx, server, &sp.id)
	if err != nil {
		return err
	}
	adminToken, err := r.adminLogin(ctx, server, client)
	if err != nil {
		return err
	}
	return client.DeleteUser(ctx, adminToken, OperatorUsername)
}
