#!/usr/bin/env bash
# Everything the real-engine tests need, built once into the cache outside the repo:
#   1. vLLM's CPU build in a venv (install-vllm.sh; about 3-4 minutes and 6.3 GB cold),
#   2. the tiny model (build_model.py; seconds), cached under a key made of its recipe's hash and
#      the venv's key, built under a lock into a temporary name and renamed when complete,
#   3. with REAL_ENGINE_LLAMACPP=1 (the default), llama.cpp's server (install-llamacpp.sh) and the
#      same model as GGUF; a failure there is reported and leaves the vLLM part usable.
# Prints shell assignments on stdout (VLLM_VENV=..., TINY_MODEL=..., LLAMACPP_VENV=..., TINY_GGUF=...)
# and how long each part took on stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "real-engine: $*" >&2; }

start=$SECONDS
vllm_venv="$(bash "$here/install-vllm.sh")"
log "vLLM venv ready in $((SECONDS - start))s: $vllm_venv"

cache_root="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine"
recipe="$(cat "$here/build_model.py" "$here/convert_gguf.py" | sha256sum | cut -c1-12)"
model="$cache_root/models/tiny-llama-$recipe-$(basename "$vllm_venv")"
mkdir -p "$cache_root/models"
(
  exec 9>"$model.lock"
  flock 9
  if [[ ! -f "$model/.complete" ]]; then
    t=$SECONDS
    rm -rf "$model".tmp-*
    tmp="$(mktemp -d "$model.tmp-XXXXXX")"
    HF_HUB_OFFLINE=1 "$vllm_venv/bin/python" "$here/build_model.py" "$tmp" 2>&1 | grep -v 'Writing model shards' >&2
    touch "$tmp/.complete"
    rm -rf "$model"
    mv "$tmp" "$model"
    log "tiny model built in $((SECONDS - t))s: $model"
  else
    log "tiny model cached: $model"
  fi
)
echo "VLLM_VENV=$vllm_venv"
echo "TINY_MODEL=$model"

if [[ "${REAL_ENGINE_LLAMACPP:-1}" == 1 ]]; then
  t=$SECONDS
  if llama_venv="$(bash "$here/install-llamacpp.sh")"; then
    gguf="$model/tiny.gguf"
    (
      exec 9>"$model.lock"
      flock 9
      if [[ ! -f "$gguf" ]]; then
        "$llama_venv/bin/python" "$here/convert_gguf.py" "$model" "$gguf.tmp" >&2
        mv "$gguf.tmp" "$gguf"
      fi
    )
    log "llama.cpp server and GGUF model ready in $((SECONDS - t))s"
    echo "LLAMACPP_VENV=$llama_venv"
    echo "TINY_GGUF=$gguf"
  else
    log "llama.cpp server could not be installed (see above); its tests will report it"
    echo "LLAMACPP_ERROR=install-llamacpp.sh failed after $((SECONDS - t))s"
  fi
fi
