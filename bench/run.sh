#!/usr/bin/env bash
# Runs kubegen's benchmarks beside kube-rs and client-go, in one run, and writes BENCHMARKS.md
# at the repository root. Not part of ./test.sh: these are measurements, not tests.
#
#   bench/run.sh                     # every workload
#   bench/run.sh decode heap         # some: fixtures decode heap sizes generate build cluster streams
#                                    # controller
#                                    # (the report keeps earlier results of the others)
#
# Environment:
#   KUBEGEN_BENCH_CACHE     fixtures, results, scratch projects, the Go binary
#                           (default ${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/bench)
#   KUBEGEN_BENCH_MAX_LOAD  wait before each workload until the 1-minute load is below this
#                           (default 1.5), at most KUBEGEN_BENCH_LOAD_WAIT seconds (default 600)
#   KUBEGEN_BENCH_COMMIT    the commit to name when the tree is not a git checkout
#   KUBEGEN_BENCH_BUILD_REPEATS  timed rebuilds per crate and profile in `build` (default 3)
#   CARGO_TARGET_DIR        where the bench binary is built (default bench/target)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cache=${KUBEGEN_BENCH_CACHE:-${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/bench}
results=$cache/results
fixtures=$cache/fixtures
max_load=${KUBEGEN_BENCH_MAX_LOAD:-1.5}
load_wait=${KUBEGEN_BENCH_LOAD_WAIT:-600}
target=${CARGO_TARGET_DIR:-$here/target}
bench=$target/release/kubegen-bench
go_bin=$cache/bin/kubegen-bench-go
export GOTOOLCHAIN=local CGO_ENABLED=0

all=(decode heap sizes generate build cluster streams controller)
if (($# == 0)); then workloads=("${all[@]}"); else workloads=("$@"); fi
for workload in "${workloads[@]}"; do
  case " fixtures ${all[*]} " in
    *" $workload "*) ;;
    *) echo "run.sh: unknown workload '$workload' (known: fixtures ${all[*]})" >&2; exit 2 ;;
  esac
done
wants() { [[ " ${workloads[*]} " == *" $1 "* ]]; }

mkdir -p "$results" "$cache/bin"
commands=$results/commands.txt
: >"$commands"
started=$(date +%s)

# run CMD...: logs the command (paths shortened) into the report's command list, then runs it.
run() {
  local line="$*"
  line=${line//$bench/kubegen-bench}
  line=${line//$go_bin/kubegen-bench-go}
  line=${line//$cache/\$CACHE}
  line=${line//$repo/.}
  printf '%s\n' "$line" >>"$commands"
  "$@"
}

# stage NAME: waits for a quiet machine, then records the load before workload NAME.
stage() {
  local waited=0
  while awk -v max="$max_load" '{ exit !($1 >= max) }' /proc/loadavg && ((waited < load_wait)); do
    echo "run.sh: load $(cut -d' ' -f1 /proc/loadavg) >= $max_load; waiting before $1" >&2
    sleep 15
    waited=$((waited + 15))
  done
  printf '# %s (%s s into the run)\n' "$1" "$(($(date +%s) - started))" >>"$commands"
  "$bench" load --stage "$1" --out "$results/load-$1.json"
}

echo "==> building the bench binary and the Go side" >&2
run cargo build --release --quiet --manifest-path "$here/Cargo.toml"
(cd "$here/go" && run go build -trimpath -o "$go_bin" .)
commit=$(git -C "$repo" describe --always --dirty --abbrev=12 2>/dev/null || echo "${KUBEGEN_BENCH_COMMIT:-unknown}")
"$bench" env --repo "$repo" --commit "$commit" --out "$results/env.json"
run "$bench" fixtures --dir "$fixtures"

if wants decode; then
  stage decode
  run "$go_bin" protofixtures --fixtures "$fixtures"
  run "$bench" decode --fixtures "$fixtures" --out "$results/decode-rust.json"
  run "$go_bin" decode --fixtures "$fixtures" --out "$results/decode-go.json"
fi
if wants heap; then
  stage heap
  run "$bench-heap" heap --fixtures "$fixtures" --out "$results/heap-rust.json"
  run "$go_bin" heap --fixtures "$fixtures" --out "$results/heap-go.json"
fi
if wants sizes; then
  run "$bench" sizes --out "$results/sizes-rust.json"
  run "$go_bin" sizes --out "$results/sizes-go.json"
fi
if wants generate; then
  run cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p kubegen
  stage generate
  run "$bench" generate --kubegen "${CARGO_TARGET_DIR:-$repo/target}/release/kubegen" --scratch "$cache/generate" \
    --out "$results/generate.json"
fi
if wants build; then
  stage build
  run "$bench" build-time --repo "$repo" --scratch "$cache/build-time" --repeats "${KUBEGEN_BENCH_BUILD_REPEATS:-3}" \
    --out "$results/build.json"
fi
if wants cluster; then
  KUBEGEN_CONTROL_PLANE_BIN=$("$repo/tests/control-plane/build.sh")
  export KUBEGEN_CONTROL_PLANE_BIN
  stage cluster
  run "$bench" cluster --fixtures "$fixtures" --out "$results/cluster.json" --go-bin "$go_bin"
fi

if wants streams; then
  KUBEGEN_CONTROL_PLANE_BIN=$("$repo/tests/control-plane/build.sh")
  export KUBEGEN_CONTROL_PLANE_BIN
  stage streams
  run "$bench" streams --out "$results/streams.json" --go-bin "$go_bin"
fi

if wants controller; then
  KUBEGEN_CONTROL_PLANE_BIN=$("$repo/tests/control-plane/build.sh")
  export KUBEGEN_CONTROL_PLANE_BIN
  stage controller
  run "$bench" controller --fixtures "$fixtures" --out "$results/controller.json"
fi

printf '# done in %s s\n' "$(($(date +%s) - started))" >>"$commands"
run "$bench" render --results "$results" --out "$repo/BENCHMARKS.md"
echo "==> wrote $repo/BENCHMARKS.md in $(($(date +%s) - started)) s" >&2
