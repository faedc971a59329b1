# vllm-router: `make demo` runs the main job, `make test` runs every test.
SHELL := /bin/bash
# Every recipe line stops at its first failing command (pipes included).
.SHELLFLAGS := -euo pipefail -c
# A Node.js >= 24 (the machine's, or a pinned one unpacked into ~/.cache/vllm-router); it says on
# stderr what it did. Make stops here, with its message, when that fails.
NODE_BIN := $(shell bash scripts/ensure-node.sh)
ifneq ($(.SHELLSTATUS),0)
$(error make: step "Node.js" failed (scripts/ensure-node.sh, above); nothing else was run)
endif
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# step NAME COMMAND: runs COMMAND, prints how long it took, or one line naming NAME when it fails.
step = bash scripts/make-step.sh

.PHONY: all install build demo check-fresh test fuzz lint typecheck bench bench-proxy bench-routing bench-batch bench-operator bench-disagg bench-migration bench-overload demo-cluster operator-local cluster-build cluster-up cluster-down clean

all: build

# npm ci only when the lockfile or a package.json changed since the last install; the lockfile is
# checked first, so an incomplete one fails with its own message instead of npm's "Invalid Version:".
node_modules/.installed: package-lock.json package.json proxy/package.json operator/package.json test/package.json bench/package.json
	@$(step) "lockfile check" node scripts/check-lockfile.mjs
	@$(step) "npm ci" npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: install
	@$(step) "build (tsc)" npm run -s build

demo: build
	@$(step) "demo" node test/dist/demo/demo.js

# The README's two commands as a new user meets them: a fresh clone of HEAD, an empty npm cache and a
# Node cache of its own (so the pinned Node is fetched too), then `make demo`. .ci/run calls it.
check-fresh:
	@$(step) "check-fresh" bash scripts/check-fresh.sh

test: install
	@bash scripts/test-all.sh

# The fuzz suites (test/fuzz) longer than `make test` runs them, with a random seed unless FUZZ_SEED
# is given; the seed is printed first, so a failure replays with FUZZ_SEED=<seed> make fuzz.
fuzz: build
	@seed="$${FUZZ_SEED:-$$(node -e 'console.log(Math.floor(Math.random() * 2 ** 31))')}"; scale="$${FUZZ_SCALE:-10}"; \
	echo "make fuzz: FUZZ_SEED=$$seed FUZZ_SCALE=$$scale"; \
	status=0; FUZZ_SEED=$$seed FUZZ_SCALE=$$scale node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js test/fuzz || status=$$?; \
	echo "make fuzz: FUZZ_SEED=$$seed FUZZ_SCALE=$$scale (exit $$status)"; exit $$status

lint: install
	npx eslint .

typecheck: install
	npx tsc -b tsconfig.json

bench: bench-proxy bench-routing bench-batch bench-migration bench-overload

bench-proxy: build
	node bench/dist/proxy-overhead/run.js

bench-routing: build
	node bench/dist/routing-quality/run.js

bench-batch: build
	node bench/dist/batch/run.js

bench-migration: build
	node bench/dist/migration/run.js

bench-overload: build
	node bench/dist/overload/run.js

bench-operator: build
	node bench/dist/operator-latency/run.js

bench-disagg: build
	node bench/dist/disagg/run.js

# The Kubernetes path for a person to watch: local cluster, CRD, operator, simulated engine pods,
# a VLLMRouter, requests through the proxy in ConfigMap mode, `kubectl get vllmrouters`.
demo-cluster: build
	bash test/operator/demo-cluster.sh

# Run the operator locally against the local cluster (Ctrl-C to stop).
operator-local: build
	bash test/cluster/up.sh
	.cluster/bin/kubectl --kubeconfig .cluster/kubeconfig apply --server-side -f crds/
	node operator/bin/vllm-router-operator.js --kubeconfig .cluster/kubeconfig --metrics-host 127.0.0.1

# A real local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) on loopback;
# writes .cluster/kubeconfig and .cluster/bin/kubectl. Binaries are built once into ~/.cache/vllm-router.
cluster-build:
	bash test/cluster/build.sh

cluster-up:
	bash test/cluster/up.sh

cluster-down:
	bash test/cluster/down.sh

clean:
	rm -rf proxy/dist operator/dist test/dist bench/dist test-results

# ---------------------------------------------------------------------------------------------------
# Helm chart and container images (issue 6). `images` and `kind-e2e` need a Docker engine (and kind,
# kubectl, helm, curl for kind-e2e); CI does not run them. `chart-lint` needs only helm (the local
# control plane's, built by test/cluster/build.sh, when none is on PATH or in $HELM).
.PHONY: images kind-e2e chart-lint

images:
	bash scripts/images.sh

kind-e2e:
	bash scripts/kind-e2e.sh

chart-lint:
	@helm="$${HELM:-$$(command -v helm || echo "$$(bash test/cluster/build.sh | tail -n1)/helm")}"; \
	"$$helm" lint --strict charts/vllm-router && \
	"$$helm" lint --strict charts/vllm-router -f charts/vllm-router/ci/gpu-values.yaml && \
	"$$helm" template vllm-router charts/vllm-router -f charts/vllm-router/ci/gpu-values.yaml >/dev/null && \
	echo "chart-lint: ok"
