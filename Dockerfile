# syntax=docker/dockerfile:1
#
# The operator image, for those who build with Docker:
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION="$(git describe --tags --match 'v[0-9]*' --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" \
#     --build-arg SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)" \
#     -t ghcr.io/dittofs/dittofs-operator:TAG .
#
# It holds what `make image` builds: the same binary (built by the same
# Makefile target, with the same Go release), the same files, user,
# entrypoint and labels. `make image` needs no container engine and gives one
# digest per commit, so releases are built with it; a Docker build differs in
# its image metadata.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS TARGETARCH VERSION COMMIT SOURCE_DATE_EPOCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY hack/image/go.mod hack/image/go.sum hack/image/
RUN cd hack/image && go mod download
COPY . .
RUN make image-binaries image-tool IMAGE_PLATFORMS="${TARGETOS}/${TARGETARCH}" \
      VERSION="${VERSION}" COMMIT="${COMMIT}" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH}" \
 && bin/image-tool rootfs -out /rootfs -binary "bin/image/${TARGETOS}-${TARGETARCH}/dittofs-operator"

FROM scratch
ARG VERSION COMMIT SOURCE_DATE_EPOCH
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /rootfs/home/nonroot /home/nonroot
LABEL org.opencontainers.image.source="https://github.com/dittofs/dittofs-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.title="dittofs-operator" \
      org.opencontainers.image.description="Kubernetes operator for DittoFS"
ENV HOME=/home/nonroot
WORKDIR /
USER 65532:65532
ENTRYPOINT ["/dittofs-operator"]
