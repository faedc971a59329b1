#!/usr/bin/env bash
# make demo-cluster: the whole operator path on the local control plane, for a person to watch.
# Cluster up (test/cluster/up.sh), CRD applied, engine Deployments whose kwok pods are played by
# vllm-engine-sim on their 127.1.x.y IPs, vllm-router-operator, a VLLMRouter, vllm-router in
# ConfigMap mode, requests through the OpenAI SDK, a scale-up, and `kubectl get vllmrouters`.
# Everything it started is stopped on exit (the cluster too, unless it was already running or
# VLLM_ROUTER_CLUSTER_KEEP=1). Needs `make build` first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${VLLM_ROUTER_CLUSTER_DIR:-$repo/.cluster}"
ns=vllm-router-demo
engine_port=18200
logs="$(mktemp -d /tmp/vllm-router-demo.XXXXXX)"

say() { printf '%s\n' "$*"; }
section() { printf '\n== %s %s\n' "$1" "$(printf '=%.0s' $(seq 1 $((70 - ${#1}))))"; }

for f in proxy/dist/cli.js operator/dist/cli.js test/dist/sim/cli.js; do
  [[ -f "$repo/$f" ]] || { echo "demo-cluster: $f is missing; run make build first" >&2; exit 1; }
done

pids=()
started_cluster=0
cleanup() {
  set +e
  section "Cleaning up"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  [[ -n "${kubectl:-}" ]] && "${kubectl[@]}" delete namespace "$ns" --wait=false >/dev/null 2>&1
  if ((started_cluster)) && [[ "${VLLM_ROUTER_CLUSTER_KEEP:-}" != 1 ]]; then bash "$repo/test/cluster/down.sh" 2>/dev/null; say "   cluster stopped"; fi
  say "   logs kept in $logs"
}
trap cleanup EXIT

section "1. Local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)"
[[ "$(bash "$repo/test/cluster/up.sh" 2>"$logs/up.log")" == started ]] && started_cluster=1
kubectl=("$dir/bin/kubectl" --kubeconfig "$dir/kubeconfig")
"${kubectl[@]}" get nodes

section "2. The VLLMRouter CRD"
"${kubectl[@]}" apply --server-side --force-conflicts -f "$repo/crds/vllmrouters.router.vllm.ai.yaml"
"${kubectl[@]}" wait --for condition=Established --timeout 30s crd/vllmrouters.router.vllm.ai

section "3. vllm-router-operator (a local process, watching namespace $ns)"
"${kubectl[@]}" create namespace "$ns" >/dev/null 2>&1 || true
node "$repo/operator/bin/vllm-router-operator.js" --kubeconfig "$dir/kubeconfig" --namespace "$ns" --metrics-port 0 --metrics-host 127.0.0.1 >"$logs/operator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'metrics listening' "$logs/operator.log" && break; sleep 0.1; done
grep 'metrics listening' "$logs/operator.log" | sed 's/^/   /'

section "4. Engine Deployments and the VLLMRouter"
"${kubectl[@]}" -n "$ns" apply -f "$here/demo/cluster-objects.yaml"

# start_sims: one vllm-engine-sim per pod IP not yet served (the pod's `model` label is its model).
declare -A served=()
start_sims() {
  local name ip model
  while read -r name ip model; do
    [[ -z "$ip" || -n "${served[$ip]:-}" ]] && continue
    node "$repo/test/bin/vllm-engine-sim.js" --host "$ip" --port "$engine_port" --model "$model" --engine-id "$name" --output-tokens 4 >"$logs/sim-$name.log" 2>&1 &
    pids+=($!)
    served[$ip]=$name
    say "   simulator for pod $name on $ip:$engine_port serving $model"
  done < <("${kubectl[@]}" -n "$ns" get pods -l app=engine -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.metadata.labels.model}{"\n"}{end}')
}
for _ in $(seq 1 100); do
  [[ "$("${kubectl[@]}" -n "$ns" get pods -l app=engine -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | grep -c .)" -ge 3 ]] && break
  sleep 0.2
done
start_sims
"${kubectl[@]}" -n "$ns" wait --for condition=Ready --timeout 30s vllmrouter/llm
"${kubectl[@]}" -n "$ns" get vllmrouters

section "5. vllm-router in ConfigMap mode (a local process, watching $ns/llm-routing)"
KUBECONFIG="$dir/kubeconfig" node "$repo/proxy/dist/cli.js" --host 127.0.0.1 --port 0 --service-discovery configmap \
  --routing-configmap "$ns/llm-routing" --routing-logic roundrobin >"$logs/proxy.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$logs/proxy.log" | head -n1 | sed 's/listening on //')" && [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$logs/proxy.log" >&2; exit 1; }
for _ in $(seq 1 50); do curl -fs "$url/health" >/dev/null && break; sleep 0.1; done
say "   $url"
curl -s "$url/health" | head -c 300; echo

section "6. Requests through the proxy (OpenAI SDK), routed by model"
node "$here/demo/client.mjs" "$url/v1" llama gpt4 opt-125m

section "7. Scale llama to 3: the new pod gets requests as soon as it is Ready"
"${kubectl[@]}" -n "$ns" scale deployment llama --replicas=3
for _ in $(seq 1 100); do
  [[ "$("${kubectl[@]}" -n "$ns" get pods -l model=llama -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | grep -c .)" -ge 3 ]] && break
  sleep 0.1
done
start_sims
for _ in $(seq 1 100); do [[ "$("${kubectl[@]}" -n "$ns" get vllmrouter llm -o jsonpath='{.status.engines}')" == 4/4 ]] && break; sleep 0.1; done
node "$here/demo/client.mjs" "$url/v1" llama

section "8. kubectl get vllmrouters"
"${kubectl[@]}" -n "$ns" get vllmrouters
say
"${kubectl[@]}" -n "$ns" get vllmrouter llm -o jsonpath='{range .status.conditions[*]}   {.type}={.status} ({.reason}): {.message}{"\n"}{end}'
say
say "   events:"
"${kubectl[@]}" -n "$ns" get events --field-selector involvedObject.kind=VLLMRouter -o jsonpath='{range .items[*]}   {.reason}: {.message}{"\n"}{end}'
say
say "   owned objects:"
"${kubectl[@]}" -n "$ns" get configmap/llm-routing deployment/llm service/llm serviceaccount/llm-router role/llm-router rolebinding/llm-router -o name | sed 's/^/   /'
