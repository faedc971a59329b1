#!/usr/bin/env bash
# Installs llama.cpp's OpenAI server through llama-cpp-python[server] (built from its sdist: PyPI
# has no prebuilt CPU wheels) and the gguf package, into a venv cached outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine/llama-cpp-python<v>-gguf<v>-py<v>/
# Keyed by the pins, built under a lock into a temporary name and renamed when complete
# (scripts/cached-venv.sh). Needs cmake and a C++ compiler. Prints the venv's directory last (stdout).
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
GGUF_VERSION=0.19.0

# shellcheck source=../../scripts/cached-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cached-venv.sh"
venv_python install-llamacpp cmake c++

venv_begin install-llamacpp "${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/real-engine" "llama-cpp-python${LLAMA_CPP_PYTHON_VERSION}-gguf${GGUF_VERSION}-py${py_version}"
log "building $key (compiles llama.cpp: several minutes on 2 cores) ..."
CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  venv_pip "llama-cpp-python" "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" "gguf==$GGUF_VERSION" "numpy<3"
"$tmp/venv/bin/python" -c 'import llama_cpp, llama_cpp.server, gguf' || { log "the venv does not import llama_cpp.server and gguf"; exit 1; }
venv_finish
