# syntax=docker/dockerfile:1
# vllm-router-operator. Build from the repository root:
#   docker build -f docker/operator.Dockerfile -t ghcr.io/vllm-router/vllm-router-operator:0.1.0 .
# Stages: build (all dependencies, TypeScript compiled), deps (production dependencies of the
# operator workspace only), runtime (node:24-slim, tini as PID 1, uid 1000, no npm cache, no sources).
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
COPY operator/ operator/
RUN npx tsc -b operator/tsconfig.json

FROM ${NODE_IMAGE} AS deps
ARG NPM_VERSION
RUN npm install -g npm@${NPM_VERSION} --no-audit --no-fund
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY proxy/package.json proxy/
COPY operator/package.json operator/
COPY test/package.json test/
COPY bench/package.json bench/
# Production dependencies of the operator workspace (and the common workspace it imports), no dev tools.
RUN npm ci --omit=dev --workspace @vllm-router/operator --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini forwards SIGTERM to node (which releases its Lease and stops) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /src/common/package.json common/
COPY --from=build /src/common/dist/ common/dist/
COPY --from=build /src/operator/package.json operator/
COPY --from=build /src/operator/bin/ operator/bin/
COPY --from=build /src/operator/dist/ operator/dist/
# Numeric, so runAsNonRoot can verify it; the node image's "node" user.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/operator/bin/vllm-router-operator.js"]
