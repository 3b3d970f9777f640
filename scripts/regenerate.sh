#!/usr/bin/env bash
# Regenerates the crates kept in the repository from their inputs:
#   generated/     (kubegen-api: the bundled Kubernetes v1.35 spec)
#   tests/crd-api/ (kubegen-test-crds: two cert-manager CRDs, on top of kubegen-api's types)
#   tests/foreign-api/ (kubegen-foreign-api: a spec in another generator's style, no extensions)
#   examples/configset/api/ (configset-api: the example controller's own CRD)
# and checks that tests/cluster-crds/ (written only by the from_cluster test, from a real API
# server) still matches tests/crd-api/.
#
#   scripts/regenerate.sh            write what changed
#   scripts/regenerate.sh --check    write nothing; fail naming the stale files
#
# KUBEGEN_PROFILE=release uses a release build of the generator (default: dev, which the test
# suite builds anyway).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=()
[[ ${KUBEGEN_PROFILE:-dev} == release ]] && profile=(--release)
kubegen() { cargo run --quiet "${profile[@]}" -p kubegen -- "$@"; }

kubegen generate --out generated "$@"
kubegen generate --out tests/crd-api --crate-name kubegen-test-crds \
  --crd specs/crds/cert-manager-v1.21.1-cert-manager.io_certificates.yaml \
  --crd specs/crds/cert-manager-v1.21.1-cert-manager.io_issuers.yaml \
  --extern-types kubegen-api --extern-path ../../generated "$@"
kubegen generate --out tests/foreign-api --crate-name kubegen-foreign-api \
  --spec tests/fixtures/foreign/widgets-swagger.json \
  --extern-types kubegen-api --extern-path ../../generated "$@"
kubegen generate --out examples/configset/api --crate-name configset-api \
  --crd examples/configset/crd.yaml \
  --extern-types kubegen-api --extern-path ../../../generated "$@"

# tests/cluster-crds is what a live cluster serving the same two CRDs generates (the
# from_cluster test checks it against a real API server; only that test can rewrite it). Its
# sources equal tests/crd-api's but for the header naming the input, so a generator change
# that rewrote tests/crd-api shows here, before the end-to-end run does.
stale=$(diff -rq --exclude=lib.rs tests/crd-api/src tests/cluster-crds/src || true)
if ! diff -q <(tail -n +2 tests/crd-api/src/lib.rs) <(tail -n +2 tests/cluster-crds/src/lib.rs) >/dev/null; then
  stale+=$'\n'"lib.rs differs below its header"
fi
if [[ -n $stale ]]; then
  printf '%s\n' "tests/cluster-crds is stale against tests/crd-api:" "$stale" \
    "rewrite it from a real API server: KUBEGEN_UPDATE=1 cargo test -p kubegen-tests --test from_cluster the_committed_cluster_crate" >&2
  exit 1
fi
