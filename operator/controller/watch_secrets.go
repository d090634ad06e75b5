package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// The Secrets a user gives a DittoServer (admin password, token key,
// PostgreSQL DSN, control-plane TLS) are watched so that a rotation takes
// effect at once: a new CA reaches the DittoFS client and a corrected admin
// password is tried without waiting for the backoff. They are watched by
// metadata only, in a cache of their own: the manager's cache holds only the
// Secrets the operator manages, and Secret contents of the whole cluster
// must never enter the operator's memory.

// secretRefIndex indexes DittoServers by the names of the Secrets they
// reference.
const secretRefIndex = "dittofs.io/secret-refs"

var secretMetadata = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}

// referencedSecrets lists the user Secrets a DittoServer references, sorted.
// The Secrets the operator generates are watched through ownership.
func referencedSecrets(server *dittov1.DittoServer) []string {
	spec := &server.Spec
	set := map[string]bool{}
	if ref := spec.Identity.Admin.PasswordSecretRef; ref != nil {
		set[ref.Name] = true
	}
	if ref := spec.Identity.JWTSecretRef; ref != nil {
		set[ref.Name] = true
	}
	if pg := spec.Database.Postgres; pg != nil && spec.DatabaseTypeOrDefault() == dittov1.DatabasePostgres {
		set[pg.DSNSecretRef.Name] = true
	}
	if tls := spec.ControlPlane.TLS; tls != nil {
		set[tls.SecretName] = true
	}
	names := make([]string, 0, len(set))
	for name := range set {
		if name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func indexSecretRefs(obj client.Object) []string {
	server, ok := obj.(*dittov1.DittoServer)
	if !ok {
		return nil
	}
	return referencedSecrets(server)
}

// newSecretMetadataCache is a cache of Secret metadata reduced to identity
// and resourceVersion: even annotations go, since `kubectl apply` copies a
// Secret's whole content into one.
func newSecretMetadataCache(mgr ctrl.Manager, namespaces []string) (cache.Cache, error) {
	opts := cache.Options{
		Scheme:           mgr.GetScheme(),
		Mapper:           mgr.GetRESTMapper(),
		HTTPClient:       mgr.GetHTTPClient(),
		DefaultTransform: secretIdentityOnly,
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the Secret metadata cache: %w", err)
	}
	return c, nil
}

func secretIdentityOnly(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta: m.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		},
	}, nil
}

// watchReferencedSecrets indexes DittoServers by the Secrets they reference
// and returns the source that reconciles them when one of those changes.
func (r *DittoServerReconciler) watchReferencedSecrets(mgr ctrl.Manager) (source.Source, error) {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dittov1.DittoServer{}, secretRefIndex, indexSecretRefs); err != nil {
		return nil, fmt.Errorf("indexing DittoServers by Secret: %w", err)
	}
	secrets, err := newSecretMetadataCache(mgr, r.WatchNamespaces)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(secrets); err != nil {
		return nil, fmt.Errorf("adding the Secret metadata cache: %w", err)
	}
	r.secretMeta = secrets
	return source.Kind(cache.Cache(secrets), &metav1.PartialObjectMetadata{TypeMeta: secretMetadata},
		handler.TypedEnqueueRequestsFromMapFunc(r.serversReferencing)), nil
}

// serversReferencing lists the DittoServers that reference a Secret.
func (r *DittoServerReconciler) serversReferencing(ctx context.Context, secret *metav1.PartialObjectMetadata) []reconcile.Request {
	var list dittov1.DittoServerList
	if err := r.List(ctx, &list, client.InNamespace(secret.Namespace), client.MatchingFields{secretRefIndex: secret.Name}); err != nil {
		log.FromContext(ctx).Error(err, "listing the DittoServers that reference a Secret", "secret", secret.Name)
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return requests
}

// referencedSecretVersions fingerprints the Secrets a server references by
// their resourceVersions ("-" for one that does not exist), read from the
// metadata cache; "" when there is no such cache (tests of a bare
// reconciler).
func (r *DittoServerReconciler) referencedSecretVersions(ctx context.Context, server *dittov1.DittoServer) string {
	if r.secretMeta == nil {
		return ""
	}
	var b strings.Builder
	for _, name := range referencedSecrets(server) {
		meta := &metav1.PartialObjectMetadata{TypeMeta: secretMetadata}
		version := "-"
		if err := r.secretMeta.Get(ctx, types.NamespacedName{Namespace: server.Namespace, Name: name}, meta); err == nil {
			version = meta.ResourceVersion
		}
		fmt.Fprintf(&b, "%s=%s;", name, version)
	}
	return b.String()
}

// followSecretChanges makes a change to a referenced Secret take effect at
// once: the DittoFS client is built again (a rotated CA), the Secrets are
// checked again, and a poll waiting out a backoff (a rejected admin
// password) is tried now.
func (r *DittoServerReconciler) followSecretChanges(ctx context.Context, server *dittov1.DittoServer, st *serverState) {
	versions := r.referencedSecretVersions(ctx, server)
	if versions == st.secretVersions {
		return
	}
	first := st.secretVersions == ""
	st.secretVersions = versions
	if first {
		return
	}
	log.FromContext(ctx).Info("a Secret the server references changed; using it now")
	st.secretsChecked = 0
	r.polls().secretsChanged(server.UID)
}
