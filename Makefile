# dittofs-operator Makefile. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -o errexit -o nounset -o pipefail -c
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := help

GO ?= go
export GOTOOLCHAIN ?= local

# Tools are built from pinned sources into a per-user cache, keyed by version
# (or by the hash of their tool module), so every clone on a machine shares
# them and a fresh machine builds them once.
XDG_CACHE_HOME ?=
TOOLS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dittofs-operator/tools
BIN_DIR ?= bin

CONTROLLER_TOOLS_VERSION := v0.23.0
GOLANGCI_LINT_VERSION := v2.15.0
HELM_VERSION := v3.22.0
KUBECONFORM_VERSION := v0.8.0
ACTIONLINT_VERSION := v1.7.12
# The Kubernetes version helm assumes offline (helm template, lint): Helm's own
# build sets it from its client-go version, v0.37 for helm v3.22.
HELM_KUBE_MINOR := 37
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_KUBE_MINOR) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_KUBE_MINOR)

hash_of = $(shell cat $(1) | sha256sum | cut -c1-12)
# The Kubernetes binaries report this version (kubectl version, helm's
# kubeVersion checks): a build from the module proxy is not stamped otherwise.
KUBE_VERSION := v1.37.2
KUBE_VERSION_PKGS := k8s.io/component-base/version k8s.io/client-go/pkg/version
KUBE_LDFLAGS := $(foreach pkg,$(KUBE_VERSION_PKGS),-X $(pkg).gitVersion=$(KUBE_VERSION) \
	-X $(pkg).gitMajor=$(word 1,$(subst ., ,$(KUBE_VERSION:v%=%))) -X $(pkg).gitMinor=$(word 2,$(subst ., ,$(KUBE_VERSION))) \
	-X $(pkg).gitTreeState=clean -X $(pkg).buildDate=1970-01-01T00:00:00Z)
KUBE_ASSETS := $(TOOLS_CACHE)/kube-$(KUBE_VERSION)-$(call hash_of,hack/tools/kube/go.mod hack/tools/kube/tools.go)-etcd-$(call hash_of,hack/tools/etcd/go.mod)
KUBE_APISERVER := $(KUBE_ASSETS)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(KUBE_ASSETS)/kube-controller-manager
KUBE_SCHEDULER := $(KUBE_ASSETS)/kube-scheduler
KUBE_BINARIES := $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(KUBE_SCHEDULER)
ETCD := $(KUBE_ASSETS)/etcd
CONTROLLER_GEN := $(TOOLS_CACHE)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT := $(TOOLS_CACHE)/golangci-lint-$(GOLANGCI_LINT_VERSION)
# helm lives in a folder of its own because ct runs it as `helm` from PATH.
HELM_DIR := $(TOOLS_CACHE)/helm-$(HELM_VERSION)-kube1.$(HELM_KUBE_MINOR)
HELM := $(HELM_DIR)/helm
KUBECONFORM := $(TOOLS_CACHE)/kubeconform-$(KUBECONFORM_VERSION)
ACTIONLINT := $(TOOLS_CACHE)/actionlint-$(ACTIONLINT_VERSION)
CHART_TOOLS := $(TOOLS_CACHE)/chart-$(call hash_of,hack/tools/chart/go.mod)
CT := $(CHART_TOOLS)/ct
HELM_UNITTEST := $(CHART_TOOLS)/helm-unittest
# kubeconform's schemas, generated offline from the OpenAPI document of the
# kube-apiserver the tests run.
KUBE_SCHEMAS := $(TOOLS_CACHE)/kubeconform-schemas-$(call hash_of,hack/tools/kube/go.mod)

CRD_DIR := operator/config/crd
RBAC_DIR := operator/config/rbac
GENERATED := operator/api/v1alpha1/zz_generated.deepcopy.go $(CRD_DIR) $(RBAC_DIR)

CHART_DIR := charts/dittofs-operator
CHART_CRD_DIR := $(CHART_DIR)/templates/crds
CHART_README := $(CHART_DIR)/README.md
CHART_CI_VALUES := $(sort $(wildcard $(CHART_DIR)/ci/*-values.yaml))
# The chart's CRD template and values table are generated too.
GENERATED += $(CHART_CRD_DIR) $(CHART_DIR)/templates/_rules.tpl $(CHART_README)

# What an image and a chart are built from: the commit, its time and a
# version naming it (the release tag on a tagged commit, else git describe).
# Every file and the image carry the commit's time, so that one commit gives
# one image digest. Outside a git checkout, set all three (the Dockerfile's
# build arguments are the same).
ifeq ($(origin VERSION),undefined)
VERSION := $(shell git describe --tags --match 'v[0-9]*' --always --dirty 2>/dev/null)
endif
ifeq ($(origin COMMIT),undefined)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
endif
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct HEAD 2>/dev/null)
endif
VERSION_PKG := github.com/dittofs/dittofs-operator/operator/version
VERSION_LDFLAGS := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT)

IMAGE_REPO ?= ghcr.io/dittofs/dittofs-operator
IMAGE_TAG ?= $(VERSION)
IMAGE ?= $(IMAGE_REPO):$(IMAGE_TAG)
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_DIR := $(BIN_DIR)/image
IMAGE_LAYOUT := $(IMAGE_DIR)/oci
IMAGE_TOOL := $(BIN_DIR)/image-tool
# A release binary depends only on the source and the Go release: no cgo,
# no local paths, no VCS probe (the commit is stamped explicitly), the
# baseline instruction sets, and none of the caller's GOFLAGS (a non-empty
# GOFLAGS also replaces the one of `go env -w`).
RELEASE_GO_ENV := CGO_ENABLED=0 GOFLAGS=-mod=readonly GOEXPERIMENT= GOAMD64=v1 GOARM64=v8.0
RELEASE_GO_FLAGS := -trimpath -buildvcs=false -ldflags '-s -w $(VERSION_LDFLAGS)'

CHART_VERSION := $(shell sed -n 's/^version: *//p' $(CHART_DIR)/Chart.yaml)
CHART_DIST := $(BIN_DIR)/chart
CHART_PACKAGE := $(CHART_DIST)/dittofs-operator-$(CHART_VERSION).tgz
CHART_REGISTRY ?= oci://ghcr.io/dittofs/charts
CHART_PUSH_FLAGS ?=

TEST_TIMEOUT ?= 30m

# The Go modules: the operator's, and those kept apart so that what only
# tests and tools use stays out of the operator's go.mod.
GO_MODULES := . e2e bench charts/charttest hack/chart hack/image
# chartgen is built from its module, and run from the repository's root.
CHARTGEN := $(BIN_DIR)/chartgen
GO_TEST_FLAGS ?=

export KUBEBUILDER_ASSETS := $(abspath $(KUBE_ASSETS))
# The release tests run helm as a user would.
export DITTOFS_HELM := $(abspath $(HELM))

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

# The demo runs from the repository root and stops everything it started at
# the end or on Ctrl-C. DEMO_HOLD=10m (or forever) keeps the cluster up to
# look around; DITTOFS_URL and DITTOFS_ADMIN_PASSWORD use a real DittoFS.
.PHONY: demo
demo: tools ## Show the operator at work on a local control plane: chart, operator, a DittoServer, an adapter toggled.
	$(GO) -C e2e build -o $(abspath $(BIN_DIR))/dittofs-demo ./demo
	$(BIN_DIR)/dittofs-demo

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./operator/api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) $(CHARTGEN) ## Generate the CRD and the operator's RBAC role from markers.
	$(CONTROLLER_GEN) crd paths=./operator/api/... output:crd:dir=$(CRD_DIR)
	$(CONTROLLER_GEN) rbac:roleName=dittofs-operator paths="./operator/...;./webhooks/..." output:rbac:dir=$(RBAC_DIR)
	$(CHARTGEN) manifests -chart $(CHART_DIR) -crds $(CRD_DIR) -role $(RBAC_DIR)/role.yaml

.PHONY: verify-generated
verify-generated: generate manifests chart-docs ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- $(GENERATED) || { echo "generated files are stale: run 'make generate manifests chart-docs' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
		if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet in every module.
	@for m in $(GO_MODULES); do echo "go vet ($$m)"; $(GO) -C $$m vet ./... || exit 1; done

.PHONY: check-fmt
check-fmt: ## Fail when Go files are not gofmt-formatted.
	@files=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$files" ]; then echo "not gofmt-formatted:"; echo "$$files"; exit 1; fi

.PHONY: lint
lint: $(GOLANGCI_LINT) check-fmt vet ## Run golangci-lint, gofmt and go vet.
	$(GOLANGCI_LINT) run ./...

.PHONY: chart-crds
chart-crds: $(CHARTGEN) ## Regenerate the chart's CRD template and RBAC rules from operator/config (manifests does too).
	$(CHARTGEN) manifests -chart $(CHART_DIR) -crds $(CRD_DIR) -role $(RBAC_DIR)/role.yaml

.PHONY: chart-docs
chart-docs: $(CHARTGEN) ## Regenerate the values table of the chart's README from values.yaml.
	$(CHARTGEN) docs -chart $(CHART_DIR)

##@ Test

# The operator's module runs beside the others (test modules and tools),
# each one package at a time: as many packages at once as a single
# `go test ./...` would run on two cores, with the operator's long suite
# and the end-to-end suites side by side. TEST_PARALLELISM raises both.
TEST_PARALLELISM ?= 1
TEST_SIDE_MODULES := e2e charts/charttest bench hack/chart hack/image

.PHONY: test
test: tools check-fmt vet lint-workflows test-chart ## Run every test suite against a real local control plane.
	@$(MAKE) --no-print-directory -j2 test-operator-module test-side-modules

.PHONY: test-operator-module
test-operator-module:
	$(GO) test -race -p $(TEST_PARALLELISM) -timeout $(TEST_TIMEOUT) $(GO_TEST_FLAGS) ./...

.PHONY: test-side-modules
test-side-modules:
	@for m in $(TEST_SIDE_MODULES); do \
		echo "go test ($$m)"; \
		$(GO) -C $$m test -race -p $(TEST_PARALLELISM) -timeout $(TEST_TIMEOUT) $(GO_TEST_FLAGS) ./... || exit 1; \
	done

.PHONY: test-unit
test-unit: ## Run the unit tests of every module: no control plane, seconds (the edit-test loop).
	@for m in $(GO_MODULES); do $(GO) -C $$m test -short ./... || exit 1; done

# The image builder is a module of its own (hack/image).
.PHONY: test-image-tool
test-image-tool: ## Run the image builder's unit tests.
	$(GO) -C hack/image test -count=1 $(GO_TEST_FLAGS) ./...

# Without shellcheck and pyflakes, which actionlint would run only where
# they happen to be installed: the result must not depend on the machine.
.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT) ## Check the GitHub workflows with actionlint.
	$(ACTIONLINT) -shellcheck= -pyflakes=


.PHONY: test-e2e
test-e2e: $(KUBE_BINARIES) $(ETCD) ## Run only the end-to-end suites: the operator binary and the chart on a local control plane.
	$(GO) -C e2e test -timeout $(TEST_TIMEOUT) $(GO_TEST_FLAGS) ./...

# ct runs helm from PATH. The render of every ci values file must be
# byte-identical twice over and valid for kubeconform; the cert-manager and
# Prometheus Operator kinds have no schema here and are skipped (the install
# test in charts/charttest has a real API server accept every object).
.PHONY: test-chart
test-chart: yamllint $(HELM) $(CT) $(HELM_UNITTEST) $(KUBECONFORM) $(KUBE_SCHEMAS) $(KUBE_APISERVER) $(ETCD) ## Lint, unit-test, validate and install the Helm chart.
	PATH="$(abspath $(HELM_DIR)):$$PATH" $(CT) lint --config ct.yaml --all
	@for values in $(CHART_CI_VALUES); do \
		echo "helm lint --strict $(CHART_DIR) -f $$values"; \
		$(HELM) lint --strict $(CHART_DIR) -f $$values; \
	done
	$(HELM_UNITTEST) --strict $(CHART_DIR)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		for values in $(CHART_CI_VALUES); do \
			echo "helm template + kubeconform: $$values"; \
			$(HELM) template dittofs-operator $(CHART_DIR) -n dittofs-system -f $$values >$$tmp/a.yaml; \
			$(HELM) template dittofs-operator $(CHART_DIR) -n dittofs-system -f $$values >$$tmp/b.yaml; \
			cmp -s $$tmp/a.yaml $$tmp/b.yaml || { echo "helm template is not deterministic for $$values"; diff $$tmp/a.yaml $$tmp/b.yaml; exit 1; }; \
			$(KUBECONFORM) -strict -summary -schema-location '$(KUBE_SCHEMAS)/{{.ResourceKind}}{{.KindSuffix}}.json' \
				-skip Issuer,Certificate,ServiceMonitor $$tmp/a.yaml; \
		done
# `make test` runs the chart's Go tests with every other module.
ifeq ($(filter test,$(MAKECMDGOALS)),)
	$(GO) -C charts/charttest test -race -timeout $(TEST_TIMEOUT) $(GO_TEST_FLAGS) ./...
endif

##@ Benchmarks

BENCH_SIZES ?= 50,200,1000
BENCH_FLAGS ?=
BENCH_RESULTS := bench/results
# The commit whose operator the scale run measures beside this one (the
# design before the DittoFS poller); empty skips the comparison.
BENCH_BASELINE ?= 008747e
BASELINE_BIN := $(if $(BENCH_BASELINE),$(BIN_DIR)/dittofs-operator-$(BENCH_BASELINE))

# Not a prerequisite of test: the scale run takes about 40 minutes at the
# default sizes with the baseline (BENCH_SIZES=50,200 about ten). See
# bench/README.md.
.PHONY: bench
bench: $(KUBE_APISERVER) $(ETCD) build $(BASELINE_BIN) ## Run the micro-benchmarks and the scale run (BENCH_SIZES=50,200,1000, beside BENCH_BASELINE); results in bench/results/.
	@mkdir -p $(BENCH_RESULTS)
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout $(TEST_TIMEOUT) ./operator/networking/ ./operator/controller/ | tee $(BENCH_RESULTS)/micro.txt
	BENCH_COMMAND='make bench BENCH_SIZES=$(BENCH_SIZES) BENCH_BASELINE=$(BENCH_BASELINE)' $(GO) -C bench run ./cmd/scale -sizes $(BENCH_SIZES) \
		-operator $(abspath $(BIN_DIR))/dittofs-operator -micro $(abspath $(BENCH_RESULTS))/micro.txt -out $(abspath $(BENCH_RESULTS)) \
		$(if $(BASELINE_BIN),-baseline-operator $(abspath $(BASELINE_BIN)) -baseline-label $(BENCH_BASELINE)) $(BENCH_FLAGS)

# The baseline operator, built from the commit's own tree (git archive), so
# the working tree and its worktrees stay untouched.
$(BIN_DIR)/dittofs-operator-%:
	@mkdir -p $(BIN_DIR)
	tree=$$(mktemp -d) && trap 'rm -rf "$$tree"' EXIT && \
		git archive --format=tar $* | tar -x -C "$$tree" && \
		(cd "$$tree" && $(GO) build -trimpath -o $(abspath $@) ./operator/cmd/dittofs-operator)

##@ Build

# Always rebuilt (Go's build cache makes it quick), so it follows its sources.
.PHONY: $(CHARTGEN)
$(CHARTGEN):
	$(GO) -C hack/chart build -o $(abspath $@) ./chartgen

.PHONY: build
build: ## Build the operator binary into bin/.
	$(GO) build -trimpath -ldflags '$(VERSION_LDFLAGS)' -o $(BIN_DIR)/dittofs-operator ./operator/cmd/dittofs-operator

RUN_NAMESPACE ?= dittofs-system
RUN_ARGS ?=

.PHONY: run
run: manifests ## Run the operator against the current kubeconfig (no webhook; RUN_NAMESPACE, RUN_ARGS).
	$(GO) run ./operator/cmd/dittofs-operator --leader-elect=false --webhook-enabled=false \
		--operator-namespace=$(RUN_NAMESPACE) --metrics-bind-address=:8080 $(RUN_ARGS)

##@ Release

.PHONY: image
image: image-binaries image-tool ## Build the operator's OCI image (linux/amd64, linux/arm64) into bin/image/oci, without a container engine.
	$(IMAGE_TOOL) build -out $(IMAGE_LAYOUT) -tag $(IMAGE_TAG) -version $(VERSION) -revision $(COMMIT) -created $(SOURCE_DATE_EPOCH) \
		$(foreach platform,$(IMAGE_PLATFORMS),-binary $(platform)=$(IMAGE_DIR)/$(subst /,-,$(platform))/dittofs-operator)

# The Dockerfile runs this target too, for its one platform.
.PHONY: image-binaries
image-binaries: ## Build the release binaries of IMAGE_PLATFORMS into bin/image/OS-ARCH/.
	@$(call require-build-info)
	@for platform in $(IMAGE_PLATFORMS); do \
		echo "go build $$platform: $(VERSION) ($(COMMIT))"; \
		$(RELEASE_GO_ENV) GOOS=$${platform%%/*} GOARCH=$${platform#*/} $(GO) build $(RELEASE_GO_FLAGS) \
			-o $(IMAGE_DIR)/$${platform/\//-}/dittofs-operator ./operator/cmd/dittofs-operator || exit 1; \
	done

.PHONY: image-tool
image-tool:
	cd hack/image && $(GO) build -o $(abspath $(IMAGE_TOOL)) .

.PHONY: image-push
image-push: image ## Push the image to IMAGE (default ghcr.io/dittofs/dittofs-operator:VERSION), with docker login's credentials.
	$(IMAGE_TOOL) push -layout $(IMAGE_LAYOUT) -image $(IMAGE)

.PHONY: chart-package
chart-package: image $(CHARTGEN) ## Package the chart into bin/chart/: appVersion the image tag, the image pinned by digest.
	$(CHARTGEN) package -chart $(CHART_DIR) -out $(CHART_DIST) -image $(IMAGE) \
		-digest $$($(IMAGE_TOOL) digest -layout $(IMAGE_LAYOUT)) -created $(SOURCE_DATE_EPOCH)

.PHONY: chart-push
chart-push: chart-package $(HELM) ## Push the packaged chart to CHART_REGISTRY (default oci://ghcr.io/dittofs/charts), with helm registry login's credentials.
	$(HELM) push $(CHART_PACKAGE) $(CHART_REGISTRY) $(CHART_PUSH_FLAGS)

define require-build-info
	if [ -z "$(VERSION)" ] || [ -z "$(COMMIT)" ] || [ -z "$(SOURCE_DATE_EPOCH)" ]; then \
		echo "VERSION, COMMIT and SOURCE_DATE_EPOCH come from git: build from a git checkout or set all three" >&2; exit 1; \
	fi
endef

.PHONY: clean
clean: ## Remove build output (the shared tool cache stays; see clean-tools).
	rm -rf $(BIN_DIR)

.PHONY: clean-tools
clean-tools: ## Remove every tool built into the per-user cache.
	rm -rf $(TOOLS_CACHE)

##@ Tools

.PHONY: tools
tools: $(KUBE_BINARIES) $(ETCD) $(CONTROLLER_GEN) $(HELM) $(CT) $(HELM_UNITTEST) $(KUBECONFORM) $(KUBE_SCHEMAS) $(ACTIONLINT) yamllint ## Build every pinned tool the tests need (and install yamllint).

# ct lints YAML with yamllint, which neither the Go module proxy nor a Go
# module provides: it comes from the system's packages. Installed with
# apt-get where there is one (as root, or with sudo that asks no password).
.PHONY: yamllint
yamllint:
	@command -v yamllint >/dev/null 2>&1 && exit 0; \
	missing="yamllint is missing (ct lint runs it): install it with your package manager (apt-get install yamllint, dnf install yamllint, brew install yamllint) or pipx install yamllint"; \
	if ! command -v apt-get >/dev/null 2>&1; then echo "$$missing" >&2; exit 1; fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "$$missing; apt-get needs root or sudo without a password here" >&2; exit 1; fi; \
	echo "installing yamllint with apt-get"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -qq yamllint >/dev/null 2>&1 || \
		{ $$sudo apt-get update -qq && $$sudo apt-get install -y -qq yamllint; } || \
		{ echo "$$missing; apt-get could not install it" >&2; exit 1; }; \
	command -v yamllint >/dev/null 2>&1 || { echo "$$missing; apt-get installed it outside PATH" >&2; exit 1; }

.PHONY: tools-path
tools-path: ## Print the folder holding kube-apiserver and etcd (KUBEBUILDER_ASSETS).
	@echo $(KUBEBUILDER_ASSETS)

# kube-apiserver and kube-controller-manager build from k8s.io/kubernetes in
# their own module (its staging modules need replace lines); the first build
# takes about ten minutes, later ones reuse Go's build cache.
$(KUBE_BINARIES) &:
	@mkdir -p $(KUBE_ASSETS)
	cd hack/tools/kube && for cmd in kube-apiserver kube-controller-manager kube-scheduler; do \
		$(GO) build -ldflags '$(KUBE_LDFLAGS)' -o $(abspath $(KUBE_ASSETS))/$$cmd k8s.io/kubernetes/cmd/$$cmd || exit 1; \
	done

$(ETCD):
	@mkdir -p $(KUBE_ASSETS)
	cd hack/tools/etcd && $(GO) build -o $(abspath $(ETCD)) go.etcd.io/etcd/server/v3

$(CONTROLLER_GEN):
	@mkdir -p $(TOOLS_CACHE)
	GOBIN=$(abspath $(TOOLS_CACHE))/.gobin-controller-gen $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(TOOLS_CACHE)/.gobin-controller-gen/controller-gen $@

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS_CACHE)
	GOBIN=$(abspath $(TOOLS_CACHE))/.gobin-golangci-lint $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS_CACHE)/.gobin-golangci-lint/golangci-lint $@

$(HELM):
	@mkdir -p $(HELM_DIR)
	GOBIN=$(abspath $(HELM_DIR)) $(GO) install -ldflags '$(HELM_LDFLAGS)' helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

$(ACTIONLINT):
	@mkdir -p $(TOOLS_CACHE)
	GOBIN=$(abspath $(TOOLS_CACHE))/.gobin-actionlint $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TOOLS_CACHE)/.gobin-actionlint/actionlint $@

$(KUBECONFORM):
	@mkdir -p $(TOOLS_CACHE)
	GOBIN=$(abspath $(TOOLS_CACHE))/.gobin-kubeconform $(GO) install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	mv $(TOOLS_CACHE)/.gobin-kubeconform/kubeconform $@

# ct and helm-unittest cannot be installed with `go install pkg@version` (a
# version lookup the proxy refuses; a replace directive), so they build from a
# tool module of their own, keyed by the hash of its go.mod.
$(CT) $(HELM_UNITTEST) &:
	@mkdir -p $(CHART_TOOLS)
	cd hack/tools/chart && $(GO) build -o $(abspath $(CT)) github.com/helm/chart-testing/v3/ct
	cd hack/tools/chart && $(GO) build -o $(abspath $(HELM_UNITTEST)) github.com/helm-unittest/helm-unittest/cmd/helm-unittest

$(KUBE_SCHEMAS): | $(CHARTGEN)
	cd hack/tools/kube && $(GO) mod download k8s.io/kubernetes
	swagger=$$(cd hack/tools/kube && $(GO) list -m -f '{{.Dir}}' k8s.io/kubernetes)/api/openapi-spec/swagger.json; \
		rm -rf $@.tmp && $(CHARTGEN) schemas -swagger "$$swagger" -out $@.tmp && mv $@.tmp $@
