# problemfirst in a container: a small, non-root runtime image whose store lives in the /data
# volume.
#
#   docker build -t problemfirst .
#
# builds the binary in the official Rust image and copies it into a distroless runtime. Both base
# images are build arguments, so a mirrored or locally made base can stand in:
#
#   docker build --build-arg RUNTIME_IMAGE=my-registry/distroless-cc:nonroot -t problemfirst .
#
# Where the Rust image can't be had, build the binary on a Debian 12 (bookworm) host or one with
# an older glibc, and let the `prebuilt` target copy it in instead; no Rust image is needed then:
#
#   CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked
#   docker build --target prebuilt -t problemfirst .

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# The base as it comes, for its empty /tmp (below).
FROM ${RUNTIME_IMAGE} AS base

# Everything the running image needs but the binary, shared by both ways of getting one.
FROM ${RUNTIME_IMAGE} AS runtime-base
# No settings file is needed: the binary carries its defaults and the classifier's rules. Settings
# come from the environment (PROBLEMFIRST_TRACKS__EXECUTION__LEADS=U…, see README), or mount a
# file from `problemfirst config init` and set PROBLEMFIRST_CONFIG to it.
# An empty /data owned by the bot's user: a named volume mounted there starts with this owner.
# (The base image's empty /tmp is the one empty directory every base has; the runtime has no
# shell to mkdir with.)
COPY --from=base --chown=65532:65532 /tmp/ /data/
# The ops endpoints (/healthz, /readyz, /metrics) listen on every interface of the container, so
# a scraper on the container network reaches them; publish 9090 only to a private network (see
# README, "Keeping the ops endpoints private").
ENV PROBLEMFIRST_DATA_DIR=/data \
    PROBLEMFIRST_HTTP__LISTEN=0.0.0.0:3000 \
    PROBLEMFIRST_OPS__LISTEN=0.0.0.0:9090
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# 3000: the HTTP Events API listener (Slack's one request URL, /slack/events). 9090: the ops
# endpoints, in both modes.
EXPOSE 3000 9090
# The bot's own binary asks /healthz on the ops listener: the runtime has no curl or shell.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/problemfirst", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/problemfirst"]
CMD ["serve"]

# The runtime with a binary built on the host (see the top of this file).
FROM runtime-base AS prebuilt
COPY target/release/problemfirst /usr/local/bin/problemfirst

# The binary built from source in the official Rust image.
FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY config config
# Declared in Cargo.toml, so cargo wants them present even though only the binary is built.
COPY benches benches
# Symbols are not needed in the image and are a fifth of the binary.
RUN CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked --bin problemfirst \
    && cp target/release/problemfirst /problemfirst

# The default: the runtime with the binary built from source.
FROM runtime-base AS runtime
COPY --from=builder /problemfirst /usr/local/bin/problemfirst
