#!/usr/bin/env bash
# The whole test suite, set-up included: what CI runs (.ci/run) and what a newcomer runs.
#
#   ./test.sh
#
# Builds kube-apiserver, etcd and a fake kubelet from Go modules the first time (cached under
# ~/.cache/kubegen, about 10 minutes cold on two cores), then checks formatting, that
# generated/ matches the generator, clippy, the docs, every test (unit, golden, end-to-end
# against the real API server), and that the generated crate builds feature by feature.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

step() { printf '\n==> %s\n' "$*" >&2; }
started=$(date +%s)

step "toolchains"
cargo --version
go version

step "control plane: kube-apiserver, etcd and the fake kubelet from Go modules (cached)"
KUBEGEN_CONTROL_PLANE_BIN=$(tests/control-plane/build.sh)
export KUBEGEN_CONTROL_PLANE_BIN

step "formatting"
cargo fmt -p kubegen -p kubegen-runtime -p kubegen-tests -p configset-controller -- --check

step "generated crates are what the generator makes (kubegen generate --check)"
scripts/regenerate.sh --check

step "the protobuf field table is what the Go types give (scripts/protofields.sh --check)"
scripts/protofields.sh --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "rustdoc: the library crates' docs build without warnings (broken or private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --all-features -p kubegen -p kubegen-runtime

step "tests"
cargo test --workspace

step "the generated crate builds one group/version at a time"
for feature in core_v1 apps_v1 core_v1,apply apps_v1,apply; do
  cargo check --quiet -p kubegen-api --no-default-features --features "$feature"
done

step "all green in $(( $(date +%s) - started )) s"
