// Package charttest holds the Go tests of the dittofs-operator Helm chart:
// rendering with the Helm SDK (determinism, values schema, RBAC against the
// controllers' markers, generated files, policies), and installing, upgrading
// and uninstalling every ci values file on a local Kubernetes API server.
package charttest
