# Sourced (not run) by the installers of Python venvs we cache outside the repo: the real engines'
# (test/real-engine/install-vllm.sh, install-llamacpp.sh) and the peer routers'
# (bench/proxy-overhead/install-peers.sh). One venv per key (the pinned versions), built under a lock
# into a temporary name and moved into place when complete, so an interrupted or concurrent run never
# leaves a half venv that looks finished.
#
#   venv_begin NAME DIR KEY   log() prefixed NAME; takes KEY's lock in DIR; a complete venv is printed
#                             and the script exits 0; otherwise "$tmp/venv" is created (venv, tmp,
#                             start and key are set)
#   venv_pip WHAT ARGS...     pip install into the new venv; on failure pip's last lines, and which pin
#                             the index no longer serves, then exit 1
#   venv_finish               move into place, fix the recorded paths, mark complete, print the venv
#   venv_python NAME [TOOL...]  the base interpreter ($VLLM_ROUTER_PYTHON, else python3) as `python`,
#                             its major.minor as `py_version` (part of every key); exits with one line
#                             when it or another needed TOOL is not on PATH. Called before venv_begin.

venv_python() {
  local name=$1 tool
  shift
  python="${VLLM_ROUTER_PYTHON:-python3}"
  for tool in "$python" "$@"; do
    if ! command -v "$tool" >/dev/null; then
      local hint=''
      [[ $tool != "$python" ]] || hint=' (set VLLM_ROUTER_PYTHON)'
      echo "$name: $tool is not on PATH$hint" >&2
      exit 1
    fi
  done
  py_version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
}

venv_begin() {
  local name=$1 dir=$2
  key=$3
  venv_name=$name
  venv_script=${BASH_SOURCE[1]}
  venv="$dir/$key"
  mkdir -p "$dir"
  # One build per key at a time (checkouts and helpers share the cache).
  exec 9>"$dir/.$key.lock"
  flock 9
  if [[ -f "$venv/.complete" ]]; then
    log "cached: $venv"
    echo "$venv"
    exit 0
  fi
  start=$SECONDS
  rm -rf "$dir/.tmp-$key".* # left by an interrupted run (we hold the lock)
  tmp="$(mktemp -d "$dir/.tmp-$key.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m venv "$tmp/venv"
}

log() { echo "${venv_name:-venv}: $*" >&2; }

venv_pip() {
  local what=$1 out
  shift
  if ! out="$("$tmp/venv/bin/pip" install --no-input --progress-bar off "$@" 2>&1)"; then
    echo "$out" | tail -n 30 >&2
    if grep -qE 'No matching distribution found|Could not find a version that satisfies' <<<"$out"; then
      log "a pinned version is no longer served by the package index while installing $what:"
      grep -E 'No matching distribution found|Could not find a version' <<<"$out" | sed "s/^/$venv_name:   /" >&2
      log "update the pins at the top of $venv_script"
    fi
    exit 1
  fi
}

venv_finish() {
  # A venv records its own path in activate, pyvenv.cfg and the scripts' #! lines: point them at the
  # final path after the move (bin/python itself is a symlink to the base interpreter).
  rm -rf "$venv"
  mv "$tmp/venv" "$venv"
  sed -i "s#$tmp/venv#$venv#g" "$venv/bin/activate" "$venv/pyvenv.cfg" 2>/dev/null || true
  local script
  for script in "$venv"/bin/*; do
    [[ -f "$script" && ! -L "$script" ]] && head -c 2 "$script" | grep -q '#!' && sed -i "1s#$tmp/venv#$venv#" "$script"
  done
  "$venv/bin/python" -m pip --version >/dev/null
  touch "$venv/.complete"
  log "built $key in $((SECONDS - start))s ($(du -sh "$venv" | cut -f1)) at $venv"
  echo "$venv"
}
