package controller

import (
	corev1 "k8s.io/api/core/v1"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// Components label what part of a DittoServer an object is.
const (
	componentConfig          = "config"
	componentJWTSecret       = "jwt-secret"
	componentAdminSecret     = "admin-secret"
	componentCredentials     = "operator-credentials"
	componentAPIService      = "api-service"
	componentHeadlessService = "headless-service"
	componentStatefulSet     = "server"
)

// Secret keys of the Secrets the operator generates.
const (
	jwtSecretKey     = "secret"
	adminPasswordKey = "password"
)

func configMapName(s *dittov1.DittoServer) string       { return s.Name + "-config" }
func jwtSecretName(s *dittov1.DittoServer) string       { return s.Name + "-jwt" }
func adminSecretName(s *dittov1.DittoServer) string     { return s.Name + "-admin" }
func apiServiceName(s *dittov1.DittoServer) string      { return s.Name + "-api" }
func headlessServiceName(s *dittov1.DittoServer) string { return s.Name + "-headless" }
func statefulSetName(s *dittov1.DittoServer) string     { return s.Name }

// CredentialsSecretName is the Secret holding the operator's DittoFS account.
func CredentialsSecretName(s *dittov1.DittoServer) string { return s.Name + "-operator-credentials" }

// legacyFileServiceName is the Service of the static-adapter design, removed
// once the adapters the API reports have been published.
func legacyFileServiceName(s *dittov1.DittoServer) string { return s.Name + "-file" }

// jwtSecretRef selects the token-signing key: the user's, or the generated one.
func jwtSecretRef(s *dittov1.DittoServer) corev1.SecretKeySelector {
	if ref := s.Spec.Identity.JWTSecretRef; ref != nil {
		return *ref
	}
	return corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: jwtSecretName(s)},
		Key:                  jwtSecretKey,
	}
}

// adminPasswordRef selects the admin password: the user's, or the generated one.
func adminPasswordRef(s *dittov1.DittoServer) corev1.SecretKeySelector {
	if ref := s.Spec.Identity.Admin.PasswordSecretRef; ref != nil {
		return *ref
	}
	return corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: adminSecretName(s)},
		Key:                  adminPasswordKey,
	}
}
