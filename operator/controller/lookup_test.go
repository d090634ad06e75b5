package controller

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// TestLookupOwned: the cache holds only labelled objects, so lookupOwned
// confirms a miss against the API server; what it finds there is the
// operator's own exactly when it carries this server's controller reference.
func TestLookupOwned(t *testing.T) {
	server := testServer()
	ours := []metav1.OwnerReference{ownerReferenceObject(server)}
	other := testServer()
	other.UID = "another-server"
	managed := dittov1.ManagedLabels(server.Name, "adapter-service")
	for _, tc := range []struct {
		name         string
		inCache      bool
		labels       map[string]string
		owners       []metav1.OwnerReference
		wantExists   bool
		wantConflict bool
	}{
		{"in the cache, ours", true, managed, ours, true, false},
		{"in the cache, another server's", true, managed, []metav1.OwnerReference{ownerReferenceObject(other)}, false, true},
		{"only in the API: the cache lags behind its creation", false, managed, ours, true, false},
		{"only in the API: someone removed its managed-by label", false, map[string]string{"app": "x"}, ours, true, false},
		{"only in the API: a user's Service of that name", false, map[string]string{"mine": "yes"}, nil, false, true},
		{"only in the API: another server's", false, managed, []metav1.OwnerReference{ownerReferenceObject(other)}, false, true},
		{"nowhere", false, nil, nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestReconciler(t)
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{
				Name: "fs1-nfs", Namespace: server.Namespace, Labels: tc.labels, OwnerReferences: tc.owners,
			}}
			api := fake.NewClientBuilder().WithScheme(r.Scheme)
			cache := fake.NewClientBuilder().WithScheme(r.Scheme)
			if tc.name != "nowhere" {
				api.WithObjects(svc.DeepCopy())
				if tc.inCache {
					cache.WithObjects(svc.DeepCopy())
				}
			}
			r.Client, r.APIReader = cache.Build(), api.Build()

			var got corev1.Service
			exists, err := r.lookupOwned(context.Background(), server, client.ObjectKeyFromObject(svc), &got)
			var conflict *nameConflictError
			if errors.As(err, &conflict) != tc.wantConflict || (err != nil && !tc.wantConflict) {
				t.Fatalf("err = %v, want a name conflict: %v", err, tc.wantConflict)
			}
			if exists != tc.wantExists {
				t.Errorf("exists = %v, want %v", exists, tc.wantExists)
			}
			if exists && got.Name != svc.Name {
				t.Errorf("the object was not read: %+v", got.ObjectMeta)
			}
		})
	}
}
