// Package framework runs the DittoFS operator the way a cluster would, on a
// developer machine: a local control plane (kube-apiserver, etcd and
// kube-controller-manager, with an audit log), the Helm chart installed with
// the Helm SDK, and the operator binary as separate processes that act as the
// chart's ServiceAccount, so that only the chart's RBAC applies.
//
// What a cluster adds around a pod is played here by small stand-ins:
//
//   - Projection writes a ConfigMap's or Secret's data into a folder with the
//     kubelet's atomic "..data" symlink layout (the operator's policy folder
//     and webhook certificate folder);
//   - ServiceProxy is the webhook Service: the API server calls one address
//     and each connection goes to an operator process that accepts it;
//   - KeepPodReady reports a StatefulSet's pod ready whenever it is
//     (re)created, as the kubelet would (kubetest.MarkPodReady, once).
//
// DittoFS itself is the in-process simulator (package dittofstest) or a real
// server; AdminAPI changes its adapters the way `dfsctl adapter` does.
//
// The end-to-end suites in e2e/ and the demo program in e2e/demo use it.
package framework
