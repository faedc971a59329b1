#!/usr/bin/env bash
# Installs the peer routers bench/proxy-overhead --peers compares against, from PyPI, into a venv
# cached outside the repo:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/peers-vllm-router<v>-sglang-router<v>-py<v>/
# the Rust vllm-router (the vllm-project fork of SGLang's router) and sglang-router. Keyed by the
# pins, built under a lock into a temporary name and renamed when complete (scripts/cached-venv.sh).
# Prints the venv's directory last (stdout); everything else to stderr.
set -euo pipefail

VLLM_ROUTER_VERSION=0.1.17
SGLANG_ROUTER_VERSION=0.3.2

# shellcheck source=../../scripts/cached-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cached-venv.sh"
venv_python install-peers

venv_begin install-peers "${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}" "peers-vllm-router${VLLM_ROUTER_VERSION}-sglang-router${SGLANG_ROUTER_VERSION}-py${py_version}"
log "installing vllm-router==$VLLM_ROUTER_VERSION and sglang-router==$SGLANG_ROUTER_VERSION into $key ..."
venv_pip "the peer routers" "vllm-router==$VLLM_ROUTER_VERSION" "sglang-router==$SGLANG_ROUTER_VERSION"
"$tmp/venv/bin/python" -c 'import sglang_router' || { log "the venv does not import sglang_router"; exit 1; }
venv_finish
