// Package release tests what a release ships, as a user gets it: `make
// image` and `make chart-package` are run as the release workflow runs
// them, the image and the chart are pushed to an OCI registry on loopback
// (go-containerregistry's, in-process) with `make image-push` and `make
// chart-push`, pulled back and checked; the chart is installed from that
// registry with the helm command into a local kube-apiserver, and a cluster
// running the previous chart version is upgraded to it.
package release
