#!/usr/bin/env bash
# Installs llama.cpp's OpenAI server through llama-cpp-python[server] (built from its sdist: PyPI
# has no prebuilt CPU wheels) and the gguf package, into a venv cached outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine/llama-cpp-python<v>-gguf<v>-py<v>/
# Same pattern as install-vllm.sh: keyed by the pins, built under a lock into a temporary name and
# renamed when complete. Needs cmake and a C++ compiler. Prints the venv's directory last (stdout).
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
GGUF_VERSION=0.19.0

python="${VLLM_ROUTER_PYTHON:-python3}"
log() { echo "install-llamacpp: $*" >&2; }
for tool in "$python" cmake c++; do command -v "$tool" >/dev/null || { log "$tool is not on PATH"; exit 1; }; done
py_version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

cache_root="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine"
key="llama-cpp-python${LLAMA_CPP_PYTHON_VERSION}-gguf${GGUF_VERSION}-py${py_version}"
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
log "building $key (compiles llama.cpp: several minutes on 2 cores) ..."
"$python" -m venv "$tmp/venv"
if ! out="$(CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  "$tmp/venv/bin/pip" install --no-input --progress-bar off "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" "gguf==$GGUF_VERSION" "numpy<3" 2>&1)"; then
  echo "$out" | tail -n 30 >&2
  grep -qE 'No matching distribution found|Could not find a version' <<<"$out" && log "a pinned version is no longer served; update the pins in ${BASH_SOURCE[0]}"
  exit 1
fi
"$tmp/venv/bin/python" -c 'import llama_cpp, llama_cpp.server, gguf' || { log "the venv does not import llama_cpp.server and gguf"; exit 1; }
rm -rf "$venv"
mv "$tmp/venv" "$venv"
sed -i "s#$tmp/venv#$venv#g" "$venv/bin/activate" "$venv/pyvenv.cfg" 2>/dev/null || true
for script in "$venv"/bin/*; do
  [[ -f "$script" && ! -L "$script" ]] && head -c 2 "$script" | grep -q '#!' && sed -i "1s#$tmp/venv#$venv#" "$script"
done
touch "$venv/.complete"
log "built $key in $((SECONDS - start))s ($(du -sh "$venv" | cut -f1)) at $venv"
echo "$venv"
