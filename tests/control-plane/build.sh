#!/usr/bin/env bash
# Builds kube-apiserver, etcd and the fake kubelet from the Go module proxy, once per
# version, into a cache outside the work tree, and prints the directory that holds them.
#
#   tests/control-plane/build.sh            # build what is missing, print the bin dir
#
# Cache: ${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/control-plane/<name>-<version>-<content hash>/,
# the hash of go.mod and go.sum (and, for the fake kubelet, of its Go files).
# A binary is reused when present; a failed build names the module and leaves no
# half-written binary behind (it is built to a temporary name and renamed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/control-plane
bin_dir=$cache_root/bin
mkdir -p "$bin_dir"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

# module_version DIR MODULE: the version DIR's go.mod requires of MODULE.
module_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# build NAME DIR PACKAGE VERSION LDFLAGS [SOURCES...]: build PACKAGE from module DIR
# into the cache unless a binary for this version, go.sum and SOURCES (the package's own
# files, when it is in DIR) is already there, then link it into $bin_dir/NAME.
build() {
  local name=$1 dir=$2 pkg=$3 version=$4 ldflags=$5
  shift 5
  local sum key out log start
  # The key hashes the files' contents only: sha256sum's listing would add their absolute
  # paths, and every checkout location (each CI clone) would build and keep its own copy.
  sum=$(cat "$dir/go.mod" "$dir/go.sum" "$@" | sha256sum | cut -c1-12)
  key=$name-$version-$sum
  out=$cache_root/$key/$name
  if [[ ! -x $out ]]; then
    mkdir -p "$cache_root/$key"
    log=$cache_root/$key/build.log
    echo "control-plane: building $name $version from $pkg (cold builds take minutes; log: $log)" >&2
    start=$(date +%s)
    if ! (cd "$dir" && go build -trimpath -pgo=off -tags=selinux,notest,grpcnotrace \
        -ldflags "$ldflags" -o "$out.tmp" "$pkg") >"$log" 2>&1; then
      echo "control-plane: building $name $version failed (module $dir, package $pkg):" >&2
      tail -n 40 "$log" >&2
      rm -f "$out.tmp"
      exit 1
    fi
    mv "$out.tmp" "$out"
    echo "control-plane: built $name $version in $(( $(date +%s) - start )) s" >&2
  fi
  ln -sfn "$out" "$bin_dir/$name"
}

k8s_version=$(module_version "$here/kube-apiserver" k8s.io/kubernetes)
k8s_minor=$(echo "$k8s_version" | cut -d. -f2)
build kube-apiserver "$here/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version" \
  "-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version \
   -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$k8s_minor \
   -X k8s.io/component-base/version.gitTreeState=clean \
   -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

etcd_version=$(module_version "$here/etcd" go.etcd.io/etcd/server/v3)
build etcd "$here/etcd" . "$etcd_version" "-s -w"

# The fake kubelet lives in the kube-apiserver module, so it is built from the same module
# set (no download of its own) and mostly from packages that build already compiled.
# -mod=readonly: with -mod=mod, go would rewrite go.mod to list the packages it imports as
# direct requirements, which would change kube-apiserver's cache key.
kubelet_version=$(module_version "$here/kube-apiserver" k8s.io/kubelet)
kubelet_sources=("$here"/kube-apiserver/fakekubelet/*.go)
GOFLAGS=-mod=readonly build fakekubelet "$here/kube-apiserver" ./fakekubelet "$kubelet_version" "-s -w" "${kubelet_sources[@]}"

echo "$bin_dir"
