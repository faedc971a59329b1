#!/usr/bin/env bash
# Runs every suite (type-check and build, lint, Jest) and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
passed=0; failed=0
step() { # name, command...
  local name=$1; shift
  local start=$(date +%s)
  if "$@"; then passed=$((passed + 1)); echo "== $name: ok ($(( $(date +%s) - start ))s)"
  else failed=$((failed + 1)); echo "== $name: FAILED ($(( $(date +%s) - start ))s)"; fi
}
step "lockfile" bash scripts/lint-lockfile.sh
step "type-check and build" npm run -s build
step "type-check tests" npx tsc -p tsconfig.tests.json
step "lint" npx eslint .
# One local control plane (etcd, kube-apiserver, ...) shared by every Jest file that needs it; a cold
# machine builds it from Go modules first (about 15 min on 2 cores, then cached outside the repo).
step "control plane build" bash test/cluster/build.sh
step "control plane up" bash test/cluster/up.sh
# The OpenTelemetry Collector the tracing tests export to (otlp receiver, file exporter; about
# 2 minutes cold, then cached outside the repo like the control plane).
step "OTel collector build" bash test/otel/build.sh
trap 'bash test/real-engine/stop-engines.sh; bash test/cluster/down.sh >/dev/null 2>&1' EXIT
# jest_counts FILE: "passed failed" from a Jest --json file (a run that wrote none counts as 1 failed).
jest_counts() {
  node -e '
  const fs = require("node:fs");
  try { const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        const failedSuites = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
        console.log(r.numPassedTests, r.numFailedTests + failedSuites); }
  catch { console.log(0, 1); }' "$1"
}
jest=(node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js)
start=$(date +%s)
rm -f test-results/jest.json
"${jest[@]}" --json --outputFile=test-results/jest.json "$@"
echo "== jest ($(( $(date +%s) - start ))s)"
read -r jp jf < <(jest_counts test-results/jest.json)
passed=$((passed + jp)); failed=$((failed + jf))

# The real-engine layer (test/real-engine): a real vLLM (CPU build, from a venv cached outside the
# repo: about 3 minutes to install on a cold machine) with a tiny local model, two engines at a
# time, after the main run so they don't compete with it for the 2 cores. VLLM_ROUTER_REAL_ENGINE=0
# skips it (said below, and not counted).
if [[ "${VLLM_ROUTER_REAL_ENGINE:-1}" == 0 ]]; then
  echo "== real engines: SKIPPED (VLLM_ROUTER_REAL_ENGINE=0)"
else
  start=$(date +%s)
  rm -f test-results/jest-real-engine.json
  "${jest[@]}" -c jest.real-engine.config.js --json --outputFile=test-results/jest-real-engine.json
  bash test/real-engine/stop-engines.sh
  echo "== real engines ($(( $(date +%s) - start ))s)"
  read -r jp jf < <(jest_counts test-results/jest-real-engine.json)
  passed=$((passed + jp)); failed=$((failed + jf))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
