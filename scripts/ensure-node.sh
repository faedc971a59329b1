#!/usr/bin/env bash
# Prints the bin directory of a Node.js 24 + npm 11.13 install, installed from the npm registry (the node
# binary ships inside the `node` package) into a cache outside the repo. npm is pinned because npm
# 11.16+ rejects its own lockfiles for unavailable optional dependencies in `npm ci` (npm/cli#9846).
set -euo pipefail
want=24
cache="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}"
dir="$cache/node$want"
npm_version=11.13.0
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]')" != "$want" ]; then
  start=$(date +%s)
  mkdir -p "$dir"
  npm i -g --prefix "$dir" --allow-scripts=node "node@$want" >&2 || npm i -g --prefix "$dir" "node@$want" >&2
  echo "installed Node $("$dir/bin/node" --version) in $dir ($(( $(date +%s) - start ))s)" >&2
fi
if [ "$(PATH="$dir/bin:$PATH" "$dir/bin/npm" --version 2>/dev/null)" != "$npm_version" ]; then
  PATH="$dir/bin:$PATH" npm i -g --prefix "$dir" "npm@$npm_version" >&2
fi
echo "$dir/bin"
