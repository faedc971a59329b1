# syntax=docker/dockerfile:1
# vllm-router (the proxy) and, as a second target, vllm-engine-sim (a simulated engine for kind
# end-to-end runs). Build from the repository root:
#   docker build -f docker/proxy.Dockerfile -t ghcr.io/vllm-router/vllm-router:0.1.0 .
#   docker build -f docker/proxy.Dockerfile --target engine-sim -t ghcr.io/vllm-router/vllm-engine-sim:0.1.0 .
# Stages: build (all dependencies, TypeScript compiled), *-deps (production dependencies of one
# workspace), then node:24-slim runtimes with tini as PID 1 running as uid 1000.
ARG NODE_IMAGE=node:24-slim
# The npm scripts/ensure-node.sh pins (the lockfile is checked complete, so any npm 10+ installs it).
ARG NPM_VERSION=11.21.2

FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION
RUN npm install -g npm@${NPM_VERSION} --no-audit --no-fund
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY common/package.json common/
COPY proxy/package.json proxy/
COPY operator/package.json operator/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY common/ common/
COPY proxy/ proxy/
COPY test/ test/
RUN npx tsc -b proxy/tsconfig.json test/tsconfig.json

FROM ${NODE_IMAGE} AS workspaces
ARG NPM_VERSION
RUN npm install -g npm@${NPM_VERSION} --no-audit --no-fund
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY proxy/package.json proxy/
COPY operator/package.json operator/
COPY test/package.json test/
COPY bench/package.json bench/

FROM workspaces AS proxy-deps
RUN npm ci --omit=dev --workspace @vllm-router/proxy --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

FROM workspaces AS sim-deps
RUN npm ci --omit=dev --workspace @vllm-router/test --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime-base
# tini forwards SIGTERM to node, so the proxy drains in-flight requests before exiting, and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app

FROM runtime-base AS engine-sim
COPY --from=sim-deps /app/package.json ./
COPY --from=sim-deps /app/node_modules/ node_modules/
COPY --from=build /src/common/package.json common/
COPY --from=build /src/common/dist/ common/dist/
COPY --from=build /src/test/package.json test/
COPY --from=build /src/test/bin/ test/bin/
COPY --from=build /src/test/dist/sim/ test/dist/sim/
USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/test/bin/vllm-engine-sim.js"]
CMD ["--host", "0.0.0.0", "--port", "8000"]

# The default target (last): the proxy the operator runs for every VLLMRouter.
FROM runtime-base AS proxy
COPY --from=proxy-deps /app/package.json ./
COPY --from=proxy-deps /app/node_modules/ node_modules/
COPY --from=build /src/common/package.json common/
COPY --from=build /src/common/dist/ common/dist/
COPY --from=build /src/proxy/package.json proxy/
COPY --from=build /src/proxy/bin/ proxy/bin/
COPY --from=build /src/proxy/dist/ proxy/dist/
USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/proxy/bin/vllm-router.js"]
