#!/usr/bin/env bash
# Stops real engines a real-engine run left behind (a crashed Jest, a killed make), by the process
# groups named in test-results/real-engine/pids/*.pid: only what this checkout started.
set -uo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/test-results/real-engine/pids"
for f in "$dir"/*.pid; do
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    echo "stop-engines: stopping $(basename "$f" .pid) (process group $pid)" >&2
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$f"
done
