#!/usr/bin/env bash
# Prints (stdout, one line) the bin directory of a Node.js the programs can run on, and says on stderr
# in one line what it did:
#   - the machine's Node when it is already >= the major we need (its npm comes with it);
#   - otherwise a pinned Node + npm unpacked from the npm registry into a cache outside the repo,
#     keyed by both versions. The `node-<os>-<arch>` package carries the official binary and the `npm`
#     package is self-contained, so both are fetched with `npm pack` and unpacked with tar: no install
#     scripts, no global install, nothing that depends on the machine's npm version or its settings
#     (`npm pack` behaves the same in npm 7 through 11.19+).
# The result is verified (the binary runs and reports the pinned versions) before it is moved into
# place, under a lock, so an interrupted or concurrent run never leaves half an install.
set -euo pipefail

need_major=24                 # package.json "engines"
node_version=24.22.3          # the pinned Node 24 LTS release installed when the machine's is older
npm_version=11.21.2           # npm that installs our lockfile; see README "Requirements"

log() { echo "ensure-node: $*" >&2; }
fail() { log "$*"; exit 1; }

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. The machine's Node, when it is new enough (VLLM_ROUTER_PINNED_NODE=1 forces the pinned one).
if [[ "${VLLM_ROUTER_PINNED_NODE:-0}" != 1 ]] && machine_node="$(command -v node)" && \
   [[ "$(major_of "$machine_node")" -ge "$need_major" ]] && command -v npm >/dev/null; then
  where="the machine's"
  [[ "$machine_node" == "${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/"* ]] && where="the cached"
  log "using $where Node $("$machine_node" --version) and npm $(npm --version 2>/dev/null) ($(dirname "$machine_node"))"
  dirname "$machine_node"
  exit 0
fi

# 2. The pinned Node from the cache, installing it first when it is missing.
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail "no Node binary package for $(uname -s); install Node.js >= $need_major yourself" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no Node binary package for $(uname -m); install Node.js >= $need_major yourself" ;;
esac

cache="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}"
dir="$cache/node-$node_version-npm-$npm_version-$os-$arch"

installed_ok() { # DIR: the binaries run and report the pinned versions
  [[ -x "$1/bin/node" ]] &&
    [[ "$("$1/bin/node" --version 2>/dev/null)" == "v$node_version" ]] &&
    [[ "$(PATH="$1/bin:$PATH" "$1/bin/npm" --version 2>/dev/null)" == "$npm_version" ]]
}

if installed_ok "$dir"; then
  log "using cached Node v$node_version and npm $npm_version ($dir/bin)"
  echo "$dir/bin"
  exit 0
fi

command -v npm >/dev/null || fail "npm is needed once to fetch Node v$node_version from the npm registry (apt-get install npm), or install Node.js >= $need_major"

mkdir -p "$cache"
exec 9>"$cache/.node-install.lock"
flock 9
if ! installed_ok "$dir"; then
  start=$SECONDS
  work="$(mktemp -d "$cache/.node-install.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  npm_log="$work/npm.log"
  # `npm pack` runs in an empty directory so no project's .npmrc or lockfile takes part.
  fetch() { # SPEC: prints the downloaded tarball's path
    local name
    name="$(cd "$work" && npm pack "$1" --silent --pack-destination "$work" 2>>"$npm_log" | tail -n1)" ||
      { cat "$npm_log" >&2; fail "npm pack $1 failed (above)"; }
    [[ -f "$work/$name" ]] || { cat "$npm_log" >&2; fail "npm pack $1 wrote no tarball"; }
    echo "$work/$name"
  }
  node_tgz="$(fetch "node-$os-$arch@$node_version")"
  npm_tgz="$(fetch "npm@$npm_version")"
  mkdir -p "$work/node/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$work/node" --strip-components=1
  tar -xzf "$npm_tgz" -C "$work/node/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/bin/npx"
  installed_ok "$work/node" ||
    fail "the unpacked Node does not run or reports another version: $("$work/node/bin/node" --version 2>&1 || true)"
  "$work/node/bin/node" -e 'require("node:crypto").createHash("sha256"); require("node:zlib").gzipSync("x")' ||
    fail "the unpacked Node $node_version fails a smoke test"
  rm -rf "$dir"
  mv "$work/node" "$dir"
  log "installed Node v$node_version and npm $npm_version from the npm registry into $dir ($((SECONDS - start))s; the machine has $(node --version 2>/dev/null || echo 'no Node'), npm $(npm --version))"
else
  log "using cached Node v$node_version and npm $npm_version ($dir/bin)"
fi
echo "$dir/bin"
