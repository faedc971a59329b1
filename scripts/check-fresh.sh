#!/usr/bin/env bash
# `make check-fresh`: what a new user meets. A fresh clone of this checkout's HEAD, an empty npm cache,
# a Node cache of its own (the pinned Node is fetched even when the machine's would do, as on a machine
# whose Node is older), the machine's own PATH, then `make demo`. Prints each phase's duration.
# Only committed work is tested: the clone is of HEAD, as `git clone` would give a user.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vllm-router-fresh.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# The machine's PATH: drop what this repo's make put in front (its Node cache and node_modules/.bin).
clean_path="$(tr ':' '\n' <<<"$PATH" | grep -v -e '/vllm-router/node-' -e "^$repo/node_modules/.bin$" | paste -sd: -)"

start=$SECONDS
git clone --quiet --no-local "$repo" "$work/repo"
echo "check-fresh: cloned $(git -C "$work/repo" rev-parse --short HEAD) into $work/repo"
status=0
(
  cd "$work/repo"
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$clean_path" \
    npm_config_cache="$work/npm-cache" VLLM_ROUTER_CACHE="$work/cache" VLLM_ROUTER_PINNED_NODE=1 \
    make demo
) >"$work/make-demo.log" 2>&1 || status=$?
if [[ $status -ne 0 ]] || ! grep -q "Demo finished" "$work/make-demo.log"; then
  tail -n 60 "$work/make-demo.log" >&2
  echo "check-fresh: make demo in a fresh clone FAILED (exit $status, $((SECONDS - start))s); its last lines are above" >&2
  exit 1
fi
# The durations each step printed (ensure-node, lockfile check, npm ci, build, demo).
grep -E '^(ensure-node:|.* took [0-9]+s$)' "$work/make-demo.log" | sed 's/^/check-fresh:   /'
echo "check-fresh: make demo in a fresh clone with cold caches passed in $((SECONDS - start))s"
