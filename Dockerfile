# A minimal image for CI outside GitHub (GitLab CI, Jenkins, Buildkite): the static burnkey binary
# and CA certificates, nothing else, run as a non-root user.
#   docker build --target source -t burnkey .
#   docker run --rm -v "$PWD:/src:ro" burnkey scan /src
# The image has no git: `--git`, `--staged` and ranges need a job image that has it (use the
# release archive there, README "Install").
#
# The release workflow builds the published image (ghcr.io/burnkey/burnkey) from the binaries it
# already built, checked and sealed: `--target release` with dist/burnkey-amd64 and
# dist/burnkey-arm64 in the context. A plain `docker build .` compiles from source.
FROM rust:1.89-alpine AS build
RUN apk add --no-cache build-base
WORKDIR /build
COPY . .
RUN cargo build --locked --profile dist && install -m 0755 target/dist/burnkey /burnkey

FROM alpine:3.22 AS certs
RUN apk add --no-cache ca-certificates

FROM scratch AS base
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/burnkey"]
CMD ["--help"]

FROM base AS release
ARG TARGETARCH
COPY --chmod=0755 dist/burnkey-${TARGETARCH} /usr/local/bin/burnkey

FROM base AS source
COPY --from=build /burnkey /usr/local/bin/burnkey
