# syntax=docker/dockerfile:1
#
# helpbot: a static, non-root image of about 20 MiB (the ~18 MiB static
# binary, with the sample KB built in, on distroless/static's ~2 MiB).
#
#   docker build -t helpbot:dev --build-arg VERSION=$(git describe --tags --always) .
#
# There is no shell in the image: the HEALTHCHECK runs `helpbot probe`,
# which GETs /readyz (Redis answers, not shutting down). Kubernetes uses
# its own probes on /healthz and /readyz instead; see docs/DEPLOY.md.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
      -ldflags "-s -w -X github.com/helpbot/helpbot/handlers/metrics.Version=${VERSION}" \
      -o /out/helpbot ./cmd/helpbot
# The sample KB also as files in /kb, so KB_DIR=/kb answers out of the box;
# mount the district's KB over /kb to replace it.
RUN mkdir -p /out/kb && cp -r kb/. /out/kb/ && rm -f /out/kb/*.go

# distroless/static: CA certificates, /etc/passwd with "nonroot" (65532),
# no shell, no package manager. Pin by digest in production
# (docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/helpbot /helpbot
COPY --from=build /out/kb /kb
ENV KB_DIR=/kb \
    HTTP_ADDR=:8080 \
    LOG_FORMAT=json
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/helpbot", "probe"]
ENTRYPOINT ["/helpbot"]
CMD ["serve"]
