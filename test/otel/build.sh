#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the tracing tests export to, from Go modules, with only what
# they need (receiver: otlp; exporter: file), into a cache outside the repo keyed by its versions:
#   ${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/otelcol/<otelcol>-file<fileexporter>/otelcol-test
# Built under a lock to a temporary name and renamed when complete (as test/cluster/build.sh).
# Prints the binary's path as its last line (stdout); everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/collector/go.mod"
mod_version() { sed -nE "s#^(require)?[[:space:]]*$1[[:space:]]+(v[^[:space:]]+).*#\2#p" "$mod" | head -n1; }
otelcol_version="$(mod_version go.opentelemetry.io/collector/otelcol)"
file_version="$(mod_version github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter)"
[[ -n "$otelcol_version" && -n "$file_version" ]] || { echo "otel/build.sh: cannot read versions from $mod" >&2; exit 1; }

dir="${VLLM_ROUTER_CACHE:-$HOME/.cache/vllm-router}/otelcol/${otelcol_version}-file${file_version}"
bin="$dir/otelcol-test"
mkdir -p "$dir"
if [[ -x "$bin" ]]; then
  echo "otel/build.sh: collector cached in $dir" >&2
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "otel/build.sh: go is not on PATH" >&2; exit 1; }

exec 9>"$dir/.lock"
flock 9
if [[ ! -x "$bin" ]]; then
  start=$SECONDS
  tmp="$(mktemp "$dir/.tmp-otelcol.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  echo "otel/build.sh: building the OpenTelemetry Collector $otelcol_version (otlp receiver, file exporter) ..." >&2
  (cd "$here/collector" && CGO_ENABLED=0 nice -n 19 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$tmp" .)
  mv -f "$tmp" "$bin"
  trap - EXIT
  echo "otel/build.sh: built the collector in $((SECONDS - start))s ($(du -h "$bin" | cut -f1))" >&2
fi
echo "$bin"
