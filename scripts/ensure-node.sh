#!/usr/bin/env bash
# Prints the bin directory of a Node.js 24 install, installing it from the npm registry (the binary ships
# inside the `node` package) into a cache outside the repo when the machine's node is older.
set -euo pipefail
want=24
cache="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}"
dir="$cache/node$want"
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -ge "$want" ] 2>/dev/null; then dirname "$(command -v node)"; exit 0; fi
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]')" != "$want" ]; then
  start=$(date +%s)
  mkdir -p "$dir"
  npm i -g --prefix "$dir" --allow-scripts=node "node@$want" >&2 || npm i -g --prefix "$dir" "node@$want" >&2
  echo "installed Node $("$dir/bin/node" --version) in $dir ($(( $(date +%s) - start ))s)" >&2
fi
echo "$dir/bin"
