// Package e2e holds the end-to-end suites of the operator: the operator
// binary runs as separate processes against a local control plane
// (kube-apiserver, etcd, kube-controller-manager) where the Helm chart is
// installed, and reaches simulated DittoFS APIs. See package framework for
// how the pieces stand in for a cluster.
//
// Run with `make test` or `make test-e2e`; `go test -short` skips it.
package e2e
