#!/usr/bin/env bash
# Starts a local Kubernetes control plane on loopback, in the background:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and kwok playing the kubelet for
# fake Nodes whose pods get loopback IPs (127.1.<node>.x by default).
# Binaries come from test/cluster/build.sh's cache (built on first use).
# Writes under $VLLM_ROUTER_CLUSTER_DIR (default <repo>/.cluster):
#   kubeconfig        admin (system:masters) client-certificate kubeconfig
#   env               shell-sourceable ports, paths and versions
#   bin/              kubectl, helm (and the other binaries), linked from the cache
#   state/            pki, etcd data, pid files      logs/   one log per component
# A cluster that is already up and healthy is reused; a broken one is torn down and started afresh.
# Settings (environment): VLLM_ROUTER_CLUSTER_NODES (2), VLLM_ROUTER_CLUSTER_POD_PREFIX (127.1),
# VLLM_ROUTER_CLUSTER_{ETCD,ETCD_PEER,APISERVER,KCM,SCHEDULER,KWOK}_PORT (free loopback ports).
# Stop with test/cluster/down.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${VLLM_ROUTER_CLUSTER_DIR:-$repo/.cluster}"
state="$dir/state"
logs="$dir/logs"
pki="$state/pki"
nodes="${VLLM_ROUTER_CLUSTER_NODES:-2}"
pod_prefix="${VLLM_ROUTER_CLUSTER_POD_PREFIX:-127.1}"
service_cidr="10.0.0.0/24" # a setting only: nothing routes to it
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || { echo "up.sh: VLLM_ROUTER_CLUSTER_NODES must be 1-99" >&2; exit 2; }

t0=$SECONDS
log() { echo "up.sh: [$((SECONDS - t0))s] $*" >&2; }
die() { echo "up.sh: $*" >&2; exit 1; }

# One up/down at a time per cluster dir (parallel test workers may all call up.sh).
mkdir -p "$dir"
if [[ -z "${VLLM_ROUTER_CLUSTER_LOCKED:-}" ]]; then
  exec 9>"$dir/.lock"
  flock 9
  export VLLM_ROUTER_CLUSTER_LOCKED=1 # down.sh, run from here, must not wait for our own lock
fi

# --- reuse a running cluster --------------------------------------------------------------------
# alive NAME: the process in state/NAME.pid runs and is not a zombie.
alive() {
  local stat
  stat="$(cat "/proc/$(cat "$state/$1.pid" 2>/dev/null)/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat:0:1}" != Z ]]
}
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
if [[ -f "$dir/env" || -d "$state" ]]; then
  all=1
  [[ -f "$dir/env" ]] || all=0 # an up.sh killed half-way: its processes must still be stopped
  for c in "${components[@]}"; do alive "$c" || all=0; done
  if ((all)) && "$dir/bin/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    log "cluster already running ($dir/env)"
    echo running
    exit 0
  fi
  log "found a stale or partial cluster in $dir: stopping it"
  bash "$here/down.sh"
fi

# --- binaries --------------------------------------------------------------------------------------
cache_bin="$(bash "$here/build.sh")"
log "binaries ready in $cache_bin"

rm -rf "$state" "$logs" "${dir:?}/bin" "$dir/env" "$dir/kubeconfig"
mkdir -p "$state" "$logs" "$pki" "$dir/bin"
for b in "$cache_bin"/*; do ln -sfn "$b" "$dir/bin/$(basename "$b")"; done
kubectl=("$dir/bin/kubectl" --kubeconfig "$dir/kubeconfig")

# On any failure from here on, stop what was started and show the end of each log.
started=0
on_exit() {
  local rc=$?
  if ((rc != 0 && started)); then
    for f in "$logs"/*.log; do
      [[ -f "$f" ]] || continue
      echo "----- last lines of $f" >&2
      tail -n 15 "$f" >&2
    done
    echo "up.sh: failed; stopping what was started (logs kept in $logs)" >&2
    bash "$here/down.sh" >&2 || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM # run on_exit on Ctrl-C or a test runner's SIGTERM too

# --- ports -----------------------------------------------------------------------------------------
taken=" "
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port VAR: $VAR if set, else a random loopback port in 20000-32767 that nobody listens on
# and not yet in $taken (the caller adds it: this runs in a command substitution's subshell).
free_port() {
  local override="${!1:-}" p
  if [[ -n "$override" ]]; then echo "$override"; return; fi
  while :; do
    p=$((20000 + RANDOM % 12768))
    [[ "$taken" == *" $p "* ]] && continue
    port_in_use "$p" && continue
    echo "$p"
    return
  done
}
etcd_port=$(free_port VLLM_ROUTER_CLUSTER_ETCD_PORT); taken+="$etcd_port "
etcd_peer_port=$(free_port VLLM_ROUTER_CLUSTER_ETCD_PEER_PORT); taken+="$etcd_peer_port "
api_port=$(free_port VLLM_ROUTER_CLUSTER_APISERVER_PORT); taken+="$api_port "
kcm_port=$(free_port VLLM_ROUTER_CLUSTER_KCM_PORT); taken+="$kcm_port "
sched_port=$(free_port VLLM_ROUTER_CLUSTER_SCHEDULER_PORT); taken+="$sched_port "
kwok_port=$(free_port VLLM_ROUTER_CLUSTER_KWOK_PORT); taken+="$kwok_port "

# --- pki: CA, apiserver serving cert, admin client cert, service-account key pair ----------------
ossl() { openssl "$@" 2>/dev/null; }
key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
# cert NAME SUBJECT EXTENSIONS: a certificate for NAME.key signed by the CA, valid for a year.
cert() {
  key "$pki/$1.key"
  ossl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
  printf '%s\n' "$3" >"$pki/$1.ext"
  ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
key "$pki/ca.key"
ossl req -x509 -new -key "$pki/ca.key" -subj "/CN=vllm-router-test-ca" -days 365 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  -out "$pki/ca.crt"
cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=vllm-router-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
key "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
log "pki ready"

b64() { base64 -w0 <"$1"; }
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: vllm-router
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: vllm-router
  context: {cluster: vllm-router, user: admin}
current-context: vllm-router
EOF
chmod 600 "$dir/kubeconfig"

# --- processes -------------------------------------------------------------------------------------
# start NAME ARGS...: run $dir/bin/NAME detached (own session, so a test runner's signals to its
# process group do not reach it), logging to logs/NAME.log, pid in state/NAME.pid. It must not
# inherit fd 9, our lock, or the lock would outlive this script.
start() {
  local name="$1"
  shift
  started=1
  setsid "$dir/bin/$name" "$@" </dev/null >"$logs/$name.log" 2>&1 9>&- &
  echo $! >"$state/$name.pid"
}
# wait_for PROC WHAT SECONDS CMD...: poll CMD every 0.2s until it succeeds; fail if PROC died.
wait_for() {
  local proc="$1" what="$2" limit="$3" deadline
  shift 3
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    alive "$proc" || die "$proc exited (see $logs/$proc.log)"
    ((SECONDS < deadline)) || die "$what: not after ${limit}s (see $logs/$proc.log)"
    sleep 0.2
  done
  log "$what"
}
curl_ok() { [[ "$(curl -sS --max-time 2 "$@")" == ok ]]; }

start etcd --name vllm-router --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "vllm-router=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync --quota-backend-bytes 1073741824 --log-level warn
wait_for etcd "etcd healthy" 30 curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health"

# Endpoints and EndpointSlices may not hold loopback IPs, so the apiserver does not publish its own
# (endpoint-reconciler none). ServiceAccount admission is off, as in controller-runtime's envtest:
# no kubelet mounts tokens, and pods need not wait for a namespace's default ServiceAccount.
start kube-apiserver --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --cert-dir "$state/apiserver" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --authorization-mode RBAC --allow-privileged=true \
  --service-cluster-ip-range "$service_cidr" --endpoint-reconciler-type none \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --disable-admission-plugins ServiceAccount --profiling=false
api_curl=(--cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key")
wait_for kube-apiserver "kube-apiserver ready" 90 curl_ok "${api_curl[@]}" "https://127.0.0.1:$api_port/readyz"

# Cloud- and kubelet-bound controllers are off by themselves without --cloud-provider.
start kube-controller-manager --kubeconfig "$dir/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$state/kube-controller-manager" \
  --leader-elect=false --controllers '*' \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range "$service_cidr" --kube-api-qps 100 --kube-api-burst 200 --profiling=false
start kube-scheduler --kubeconfig "$dir/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$sched_port" --cert-dir "$state/kube-scheduler" \
  --leader-elect=false --kube-api-qps 100 --kube-api-burst 200 --profiling=false
start kwok --config "$here/kwok.yaml" --kubeconfig "$dir/kubeconfig" --server-address "127.0.0.1:$kwok_port"

# Fake Nodes (created while the controllers start): node i gives its pods $pod_prefix.i.x.
node_yaml() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$1
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    kubernetes.io/hostname: kwok-node-$1
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
spec:
  podCIDR: $pod_prefix.$1.0/24
  podCIDRs: [$pod_prefix.$1.0/24]
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "250", ephemeral-storage: 1Ti, nvidia.com/gpu: "8"}
  capacity: {cpu: "64", memory: 512Gi, pods: "250", ephemeral-storage: 1Ti, nvidia.com/gpu: "8"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
  phase: Running
EOF
}
for ((i = 0; i < nodes; i++)); do node_yaml "$i"; echo ---; done >"$state/nodes.yaml"
"${kubectl[@]}" apply -f "$state/nodes.yaml" >/dev/null
log "created $nodes fake node(s)"

wait_for kube-controller-manager "kube-controller-manager healthy" 60 curl_ok -k "https://127.0.0.1:$kcm_port/healthz"
wait_for kube-scheduler "kube-scheduler ready" 60 curl_ok -k "https://127.0.0.1:$sched_port/readyz"
wait_for kwok "kwok healthy" 60 curl_ok "http://127.0.0.1:$kwok_port/healthz"
wait_for kwok "nodes Ready" 60 "${kubectl[@]}" wait --for condition=Ready node --all --timeout 2s
# The default ServiceAccount shows the controllers act on the API; workloads created before this
# would still converge, this just makes "up" mean "settled".
wait_for kube-controller-manager "controllers acting (default ServiceAccount)" 60 "${kubectl[@]}" -n default get serviceaccount default

cat >"$dir/env" <<EOF
# Written by test/cluster/up.sh; removed by down.sh.
CLUSTER_DIR=$dir
KUBECONFIG=$dir/kubeconfig
KUBECTL=$dir/bin/kubectl
HELM=$dir/bin/helm
K8S_VERSION=$(basename "$(dirname "$cache_bin")" | cut -d- -f1)
APISERVER_URL=https://127.0.0.1:$api_port
APISERVER_PORT=$api_port
ETCD_PORT=$etcd_port
ETCD_PEER_PORT=$etcd_peer_port
KCM_PORT=$kcm_port
SCHEDULER_PORT=$sched_port
KWOK_PORT=$kwok_port
NODES=$nodes
POD_PREFIX=$pod_prefix
EOF
log "cluster up: KUBECONFIG=$dir/kubeconfig, kubectl at $dir/bin/kubectl"
echo started
