// Package webhooks is the admission webhook of DittoServer objects.
//
// It validates creates and updates (never deletes) in three layers, and
// reports every problem of a request at once:
//
//   - legacy static adapter fields (spec.nfsPort, spec.smb and an adapters
//     section in spec.config), with the dfsctl command that replaces them;
//   - checks of what can never work, most also CEL rules of the CRD with the
//     same message (a name that cannot prefix a Service name on Kubernetes
//     1.30, an unknown name template placeholder), and spec checks the CRD
//     schema cannot express (adapter Service names, annotations, CIDRs,
//     override keys, settings of spec.config the operator owns, storage that
//     a StatefulSet cannot change);
//   - the deny and warnings rules of the networking policy bundle, so that a
//     platform rule fails at `kubectl apply` rather than minutes later in the
//     controller.
//
// Updates ratchet: a problem the stored object already has is reported as a
// warning, and only a problem the update introduces or changes is refused.
// An update that only touches metadata (finalizers, labels of a deleting
// object) therefore always passes, so nothing stored can become impossible
// to update or delete.
//
// The package also wires the serving certificate: SetupCertRotation creates
// and rotates it with open-policy-agent/cert-controller and injects its CA
// into the ValidatingWebhookConfiguration, and SetupWhenReady starts the
// webhook server only once the certificate is in place.
package webhooks
