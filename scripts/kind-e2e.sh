#!/usr/bin/env bash
# End to end on a real cluster (kind, so Docker is needed; CI here does not run it):
#   1. a kind cluster (KIND_CLUSTER, default vllm-router-e2e; created unless it exists),
#   2. the three images built (scripts/images.sh) and loaded into it,
#   3. helm install of charts/vllm-router with charts/vllm-router/ci/sim-values.yaml: two simulated
#      engine Deployments (vllm-engine-sim pods serving sim-llama x2 and sim-opt), the chart's sample
#      VLLMRouter (alias gpt4 -> sim-llama) and two operator replicas,
#   4. requests with curl through `kubectl port-forward`, and from a pod through the in-cluster
#      base URL, then `kubectl get vllmrouters`,
#   5. helm uninstall, checking nothing but the CRD is left; the cluster is deleted if this script
#      created it (KEEP=1 keeps it).
# E2E_POD_SECURITY (default restricted) is the namespace's enforced Pod Security level.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e.sh: $tool is not installed" >&2; exit 1; }
done
cluster="${KIND_CLUSTER:-vllm-router-e2e}"
ns="${E2E_NAMESPACE:-vllm-router-e2e}"
registry="${IMAGE_REGISTRY:-ghcr.io/vllm-router}"
tag="${IMAGE_TAG:-e2e}"
level="${E2E_POD_SECURITY:-restricted}"
release=vllm-router
local_port="${E2E_LOCAL_PORT:-18080}"
step() { echo; echo "== $*"; }

created=0
forward_pid=""
cleanup() {
  [[ -n "$forward_pid" ]] && kill "$forward_pid" 2>/dev/null || true
  if [[ "$created" == 1 && "${KEEP:-0}" != 1 ]]; then kind delete cluster --name "$cluster" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "kind cluster $cluster"
if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  kind create cluster --name "$cluster" --wait 180s
  created=1
fi
k() { kubectl --context "kind-$cluster" "$@"; }

step "images ($registry/*:$tag)"
mapfile -t images < <(IMAGE_REGISTRY="$registry" IMAGE_TAG="$tag" bash scripts/images.sh)
for image in "${images[@]}"; do kind load docker-image "$image" --name "$cluster"; done

step "namespace $ns (pod-security enforce=$level, warn=restricted)"
k create namespace "$ns" --dry-run=client -o yaml | k apply -f -
k label namespace "$ns" --overwrite "pod-security.kubernetes.io/enforce=$level" \
  pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted

step "helm install $release"
helm upgrade --install "$release" charts/vllm-router --kube-context "kind-$cluster" -n "$ns" \
  -f charts/vllm-router/ci/sim-values.yaml \
  --set operator.image.repository="$registry/vllm-router-operator" --set-string operator.image.tag="$tag" \
  --set proxy.image.repository="$registry/vllm-router" --set-string proxy.image.tag="$tag" \
  --set engines.defaults.image.repository="$registry/vllm-engine-sim" --set-string engines.defaults.image.tag="$tag" \
  --wait --timeout 5m
k wait -n "$ns" --for=condition=Ready "vllmrouter/$release" --timeout=180s
k get vllmrouters -n "$ns"

step "requests through kubectl port-forward svc/$release $local_port:80"
k port-forward -n "$ns" "svc/$release" "$local_port:80" >/dev/null &
forward_pid=$!
base="http://127.0.0.1:$local_port"
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$base/health" 2>/dev/null && break; sleep 0.2; done
curl -fsS "$base/v1/models"; echo
for model in sim-llama gpt4 sim-opt; do
  curl -fsS "$base/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}], \"max_tokens\": 4}"
  echo
done
curl -fsS "$base/engines"; echo

step "a request from a pod through the in-cluster base URL http://$release.$ns.svc/v1"
cat <<YAML | k apply -n "$ns" -f -
apiVersion: v1
kind: Pod
metadata: {name: e2e-client}
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: client
      image: ${images[2]}
      imagePullPolicy: IfNotPresent
      command: [node, --input-type=module, -e]
      args:
        - |
          const base = 'http://$release.$ns.svc/v1';
          const r = await fetch(base + '/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt4', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }) });
          console.log(r.status, await r.text());
          if (!r.ok) process.exit(1);
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
YAML
k wait -n "$ns" --for=jsonpath='{.status.phase}'=Succeeded pod/e2e-client --timeout=120s
k logs -n "$ns" e2e-client
k delete -n "$ns" pod e2e-client --wait=false

step "kubectl get vllmrouters"
k get vllmrouters -n "$ns"

step "helm uninstall $release"
kill "$forward_pid" 2>/dev/null || true; forward_pid=""
helm uninstall "$release" --kube-context "kind-$cluster" -n "$ns" --wait
for _ in $(seq 1 60); do
  left="$(k get deploy,svc,cm,sa,role,rolebinding,vllmrouters -n "$ns" -o name | grep -v -e 'configmap/kube-root-ca.crt' -e 'serviceaccount/default' || true)"
  [[ -z "$left" ]] && break
  sleep 1
done
[[ -z "$left" ]] || { echo "kind-e2e.sh: left behind after uninstall:"; echo "$left"; exit 1; }
k get crd vllmrouters.router.vllm.ai -o name # Helm keeps CRDs
echo "kind-e2e: ok"
