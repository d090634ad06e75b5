// Package networking decides, through a Rego policy, which Kubernetes objects
// publish the adapters of a DittoServer, and turns that decision into objects.
//
// The flow for one DittoServer is BuildInput (what the operator knows),
// Engine.Evaluate (the embedded default bundle plus platform modules, then the
// guardrails of CheckDecision) and Render (server-side-apply configurations
// with the namespace, owner reference and managed labels the policy cannot
// change). The package knows nothing of controller-runtime's manager: the
// Engine only offers a Start method with the shape of a manager.Runnable.
package networking
