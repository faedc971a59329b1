#!/usr/bin/env bash
# Installs the peer routers bench/proxy-overhead --peers compares against, from PyPI, into a venv
# cached outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/peers-vllm-router<v>-sglang-router<v>-py<v>/
# the Rust vllm-router (the vllm-project fork of SGLang's router) and sglang-router. Keyed by the
# pins, built under a lock into a temporary name and renamed when complete (as
# test/cluster/build.sh). Prints the venv's directory last (stdout); everything else to stderr.
set -euo pipefail

VLLM_ROUTER_VERSION=0.1.17
SGLANG_ROUTER_VERSION=0.3.2

python="${VLLM_ROUTER_PYTHON:-python3}"
log() { echo "install-peers: $*" >&2; }
command -v "$python" >/dev/null || { log "$python is not on PATH"; exit 1; }
py_version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

cache_root="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}"
key="peers-vllm-router${VLLM_ROUTER_VERSION}-sglang-router${SGLANG_ROUTER_VERSION}-py${py_version}"
venv="$cache_root/$key"
mkdir -p "$cache_root"
exec 9>"$cache_root/.$key.lock"
flock 9
if [[ -f "$venv/.complete" ]]; then
  log "cached: $venv"
  echo "$venv"
  exit 0
fi

start=$SECONDS
rm -rf "$cache_root/.tmp-$key".*
tmp="$(mktemp -d "$cache_root/.tmp-$key.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "installing vllm-router==$VLLM_ROUTER_VERSION and sglang-router==$SGLANG_ROUTER_VERSION into $key ..."
"$python" -m venv "$tmp/venv"
if ! out="$("$tmp/venv/bin/pip" install --no-input --progress-bar off "vllm-router==$VLLM_ROUTER_VERSION" "sglang-router==$SGLANG_ROUTER_VERSION" 2>&1)"; then
  echo "$out" | tail -n 30 >&2
  grep -qE 'No matching distribution found|Could not find a version' <<<"$out" && log "a pinned version is no longer served; update the pins in ${BASH_SOURCE[0]}"
  exit 1
fi
"$tmp/venv/bin/python" -c 'import sglang_router' || { log "the venv does not import sglang_router"; exit 1; }
rm -rf "$venv"
mv "$tmp/venv" "$venv"
sed -i "s#$tmp/venv#$venv#g" "$venv/bin/activate" "$venv/pyvenv.cfg" 2>/dev/null || true
for script in "$venv"/bin/*; do
  [[ -f "$script" && ! -L "$script" ]] && head -c 2 "$script" | grep -q '#!' && sed -i "1s#$tmp/venv#$venv#" "$script"
done
touch "$venv/.complete"
log "installed $key in $((SECONDS - start))s ($(du -sh "$venv" | cut -f1)) at $venv"
echo "$venv"
