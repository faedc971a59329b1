#!/usr/bin/env bash
# make-step.sh NAME COMMAND...: runs COMMAND; on success prints "NAME took Ns", on failure one line
# naming the step and its exit status, and exits with that status so make stops there.
set -uo pipefail
name=$1; shift
start=$SECONDS
"$@"
status=$?
if [[ $status -ne 0 ]]; then
  echo "make: step \"$name\" failed (exit $status, after $((SECONDS - start))s); the lines above say why" >&2
  exit "$status"
fi
echo "$name took $((SECONDS - start))s" >&2
