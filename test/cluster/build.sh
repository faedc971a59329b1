#!/usr/bin/env bash
# Builds the local control plane's binaries from Go modules into a cache outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/cluster/<k8s>-etcd<v>-kwok<v>-helm<v>/bin/
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm.
# A binary already in the cache is not built again; each one is written to a temporary name and
# renamed when complete, under a lock, so an interrupted or concurrent run never leaves half a file.
# Go's module and build caches stay where `go env` puts them (outside the repo).
# Prints the cache's bin directory as its last line (stdout); everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Versions. Kubernetes and etcd come from the wrapper modules' go.mod (the single source of truth);
# kwok and helm are installed from their own modules at these tags.
# mod_version MODULE GO.MOD: the version GO.MOD requires MODULE at.
mod_version() { sed -nE "s#^(require)?[[:space:]]*$1[[:space:]]+(v[^[:space:]]+).*#\2#p" "$2" | head -n1; }
k8s_version="$(mod_version k8s.io/kubernetes "$here/go/kube/go.mod")"
etcd_version="$(mod_version go.etcd.io/etcd/server/v3 "$here/go/etcd/go.mod")"
kwok_version="v0.7.0" # last release with built-in default node/pod stages
helm_version="v3.22.0"
[[ -n "$k8s_version" && -n "$etcd_version" ]] || { echo "build.sh: cannot read versions from go/*/go.mod" >&2; exit 1; }

cache_root="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/cluster"
key="${k8s_version}-etcd${etcd_version}-kwok${kwok_version}-helm${helm_version}"
bin="$cache_root/$key/bin"
mkdir -p "$bin"

command -v go >/dev/null || { echo "build.sh: go is not on PATH" >&2; exit 1; }

log() { echo "build.sh: $*" >&2; }

# One build at a time per cache key (two checkouts may share the cache).
exec 9>"$cache_root/$key/.lock"
flock 9

# k8s version stamps, as upstream's hack/lib/version.sh sets them, so `kubectl version`, /version
# and helm's kubeVersion checks see a real release.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
kwok_ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$kwok_version -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$k8s_version"
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
helm_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
helm_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"

export CGO_ENABLED=0
built=0
total_start=$SECONDS

# build NAME DIR LDFLAGS TARGET: go build (in wrapper module DIR) or go install (DIR "-", TARGET pkg@version).
build() {
  local name="$1" dir="$2" ldflags="$3" target="$4"
  if [[ -x "$bin/$name" ]]; then
    return 0
  fi
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$bin/.tmp-$name.XXXXXX")"
  log "building $name ($target) ..."
  if [[ "$dir" == "-" ]]; then
    (cd "$tmp" && GOBIN="$tmp" nice -n 19 go install -trimpath -buildvcs=false -ldflags "$ldflags" "$target")
  else
    (cd "$dir" && nice -n 19 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tmp/$name" "$target")
  fi
  mv -f "$tmp/$name" "$bin/$name"
  rmdir "$tmp"
  built=$((built + 1))
  log "built $name in $((SECONDS - start))s ($(du -h "$bin/$name" | cut -f1))"
}

# Clear temporaries left by an interrupted run (safe: we hold the lock).
rm -rf "$bin"/.tmp-*

build etcd "$here/go/etcd" "-s -w" .
build kube-apiserver "$here/go/kube" "$kube_ldflags" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager "$here/go/kube" "$kube_ldflags" k8s.io/kubernetes/cmd/kube-controller-manager
build kube-scheduler "$here/go/kube" "$kube_ldflags" k8s.io/kubernetes/cmd/kube-scheduler
build kubectl "$here/go/kube" "$kube_ldflags" k8s.io/kubernetes/cmd/kubectl
build kwok - "$kwok_ldflags" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version"
build helm - "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$helm_version"

if ((built > 0)); then
  log "built $built binaries in $((SECONDS - total_start))s into $bin"
else
  log "all binaries cached in $bin"
fi
echo "$bin"
