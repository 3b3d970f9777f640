#!/usr/bin/env bash
# Writes specs/kubernetes-v1.35-protobuf.json, the protobuf field table of the built-in types,
# from the Go types of k8s.io/api and apimachinery (tools/protofields). With --check, fails
# when the committed table differs from what the Go types give, or when the Go types and the
# generated.proto files disagree (tools/protofields/main_test.go).
#
# The Go modules are read from the module cache (filled by tests/control-plane/build.sh, or
# fetched through the Go module proxy on first use).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
table="$root/specs/kubernetes-v1.35-protobuf.json"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
(cd "$root/tools/protofields" && GOFLAGS=-mod=readonly go run . >"$tmp")
if [[ "${1:-}" == "--check" ]]; then
    # The table agrees with the generated.proto files, field by field.
    (cd "$root/tools/protofields" && GOFLAGS=-mod=readonly go test ./... >/dev/null)
    if ! cmp -s "$tmp" "$table"; then
        echo "specs/kubernetes-v1.35-protobuf.json is stale: run scripts/protofields.sh" >&2
        exit 1
    fi
    echo "protobuf field table is current"
else
    cat "$tmp" >"$table"
    echo "wrote $table"
fi
