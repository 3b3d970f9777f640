#!/usr/bin/env bash
# Regenerates the crates kept in the repository from their inputs:
#   generated/     (kubegen-api: the bundled Kubernetes v1.35 spec)
#   tests/crd-api/ (kubegen-test-crds: two cert-manager CRDs, on top of kubegen-api's types)
#   tests/foreign-api/ (kubegen-foreign-api: a spec in another generator's style, no extensions)
#   examples/configset/api/ (configset-api: the example controller's own CRD)
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
