#!/usr/bin/env bash
# Stops the processes test/cluster/up.sh started (by their pid files) and removes the cluster's
# state, kubeconfig, env and bin links. Logs stay in <cluster dir>/logs until the next up.sh.
# Safe to run when nothing is up.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${VLLM_ROUTER_CLUSTER_DIR:-$repo/.cluster}"
state="$dir/state"
[[ -d "$dir" ]] || exit 0
if [[ -z "${VLLM_ROUTER_CLUSTER_LOCKED:-}" ]]; then
  exec 9>"$dir/.lock"
  flock 9
fi

# running PID: the process exists and is not a zombie (our processes are reparented to init,
# which may reap them late).
running() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# stop NAME...: TERM each pid in state/NAME.pid that still runs our binary of that name (a recycled
# pid belongs to someone else), then wait for all of them, KILLing what is left after 15s.
stop() {
  local name pidfile pid exe i pids=() names=()
  for name in "$@"; do
    pidfile="$state/$name.pid"
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    rm -f "$pidfile"
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [[ "$(basename "$exe")" == "$name" ]] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    pids+=("$pid")
    names+=("$name")
  done
  for ((i = 0; i < ${#pids[@]}; i++)); do
    local deadline=$((SECONDS + 15))
    while running "${pids[i]}" && ((SECONDS < deadline)); do sleep 0.05; done
    if running "${pids[i]}"; then
      kill -KILL "${pids[i]}" 2>/dev/null || true
      echo "down.sh: killed ${names[i]} (${pids[i]}) after 15s" >&2
    else
      echo "down.sh: stopped ${names[i]} (${pids[i]})" >&2
    fi
  done
}

# Clients first, etcd last.
stop kwok kube-scheduler kube-controller-manager kube-apiserver
stop etcd
rm -rf "$state" "${dir:?}/bin" "$dir/env" "$dir/kubeconfig"
