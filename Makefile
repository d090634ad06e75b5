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
TOOLS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dittofs-operator/tools
BIN_DIR := bin

CONTROLLER_TOOLS_VERSION := v0.23.0
GOLANGCI_LINT_VERSION := v2.15.0

hash_of = $(shell sha256sum $(1) | cut -c1-12)
KUBE_ASSETS := $(TOOLS_CACHE)/kube-$(call hash_of,hack/tools/kube/go.mod)-etcd-$(call hash_of,hack/tools/etcd/go.mod)
KUBE_APISERVER := $(KUBE_ASSETS)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(KUBE_ASSETS)/kube-controller-manager
ETCD := $(KUBE_ASSETS)/etcd
CONTROLLER_GEN := $(TOOLS_CACHE)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT := $(TOOLS_CACHE)/golangci-lint-$(GOLANGCI_LINT_VERSION)

CRD_DIR := operator/config/crd
RBAC_DIR := operator/config/rbac
GENERATED := operator/api/v1alpha1/zz_generated.deepcopy.go $(CRD_DIR) $(RBAC_DIR)

TEST_TIMEOUT ?= 30m
GO_TEST_FLAGS ?=

export KUBEBUILDER_ASSETS := $(abspath $(KUBE_ASSETS))

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./operator/api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD and the operator's RBAC role from markers.
	$(CONTROLLER_GEN) crd paths=./operator/api/... output:crd:dir=$(CRD_DIR)
	$(CONTROLLER_GEN) rbac:roleName=dittofs-operator paths=./operator/... output:rbac:dir=$(RBAC_DIR)

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- $(GENERATED) || { echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
		if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: check-fmt
check-fmt: ## Fail when Go files are not gofmt-formatted.
	@files=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$files" ]; then echo "not gofmt-formatted:"; echo "$$files"; exit 1; fi

.PHONY: lint
lint: $(GOLANGCI_LINT) check-fmt vet ## Run golangci-lint, gofmt and go vet.
	$(GOLANGCI_LINT) run ./...

##@ Test

.PHONY: test
test: tools check-fmt vet ## Run every test suite against a real local control plane.
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(GO_TEST_FLAGS) ./...

.PHONY: test-short
test-short: ## Run only the tests that need no control plane.
	$(GO) test -short ./...

##@ Build

.PHONY: build
build: ## Build the operator binary into bin/.
	$(GO) build -trimpath -o $(BIN_DIR)/dittofs-operator ./operator/cmd/dittofs-operator

.PHONY: run
run: manifests ## Run the operator against the cluster of the current kubeconfig.
	$(GO) run ./operator/cmd/dittofs-operator --leader-elect=false

.PHONY: clean
clean: ## Remove build output (the shared tool cache stays; see clean-tools).
	rm -rf $(BIN_DIR)

.PHONY: clean-tools
clean-tools: ## Remove every tool built into the per-user cache.
	rm -rf $(TOOLS_CACHE)

##@ Tools

.PHONY: tools
tools: $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(ETCD) $(CONTROLLER_GEN) ## Build every pinned tool the tests need.

.PHONY: tools-path
tools-path: ## Print the folder holding kube-apiserver and etcd (KUBEBUILDER_ASSETS).
	@echo $(KUBEBUILDER_ASSETS)

# kube-apiserver and kube-controller-manager build from k8s.io/kubernetes in
# their own module (its staging modules need replace lines); the first build
# takes about ten minutes, later ones reuse Go's build cache.
$(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) &:
	@mkdir -p $(KUBE_ASSETS)
	cd hack/tools/kube && $(GO) build -o $(abspath $(KUBE_APISERVER)) k8s.io/kubernetes/cmd/kube-apiserver
	cd hack/tools/kube && $(GO) build -o $(abspath $(KUBE_CONTROLLER_MANAGER)) k8s.io/kubernetes/cmd/kube-controller-manager

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
