#!/usr/bin/env bash
# Builds the container images with Docker (BuildKit), from the repository root:
#   <registry>/vllm-router-operator:<tag>   docker/operator.Dockerfile
#   <registry>/vllm-router:<tag>            docker/proxy.Dockerfile (target proxy)
#   <registry>/vllm-engine-sim:<tag>        docker/proxy.Dockerfile (target engine-sim; for kind-e2e)
# IMAGE_REGISTRY (default ghcr.io/vllm-router) and IMAGE_TAG (default: the chart's appVersion, which
# is also the operator's default proxy tag) name them; PUSH=1 pushes them afterwards.
# Prints the three image references, one a line, on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v docker >/dev/null || { echo "images.sh: docker is not installed (make images needs a Docker engine)" >&2; exit 1; }
registry="${IMAGE_REGISTRY:-ghcr.io/vllm-router}"
app_version="$(sed -nE 's/^appVersion: *"?([^"]+)"?$/\1/p' charts/vllm-router/Chart.yaml)"
tag="${IMAGE_TAG:-$app_version}"
export DOCKER_BUILDKIT=1 # the Dockerfile-specific .dockerignore files need BuildKit

operator="$registry/vllm-router-operator:$tag"
proxy="$registry/vllm-router:$tag"
sim="$registry/vllm-engine-sim:$tag"

build() { # image, docker build args...
  local image=$1; shift
  local start=$SECONDS
  echo "images.sh: building $image" >&2
  docker build "$@" -t "$image" . >&2
  echo "images.sh: built $image in $((SECONDS - start))s" >&2
}
build "$operator" -f docker/operator.Dockerfile
build "$proxy" -f docker/proxy.Dockerfile --target proxy
build "$sim" -f docker/proxy.Dockerfile --target engine-sim

if [[ "${PUSH:-0}" == 1 ]]; then
  for image in "$operator" "$proxy" "$sim"; do docker push "$image" >&2; done
fi
printf '%s\n' "$operator" "$proxy" "$sim"
