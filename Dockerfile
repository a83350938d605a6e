# syntax=docker/dockerfile:1
# One image for the operator (`raas operator`) and the runner (`raas run`).
#   docker build -t raas:0.1.0 .
# The TypeScript is compiled to dist/ in a build stage (esbuild, `npm run build`); the image
# runs that build and carries no sources and no transpiler (docs/adr/0020).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY bin ./bin
COPY runner ./runner
COPY operator ./operator
# `npm ci` runs the `prepare` step, which is the build; the stamp proves it finished.
RUN npm ci --no-audit --no-fund && test -f dist/build-stamp.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Prebuilt native packages (DuckDB bindings) are picked for this platform/glibc. No
# production dependency has an install script; --ignore-scripts skips `prepare` (the build
# happened above and needs the dev tools).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TMPDIR=/tmp
RUN groupadd --system --gid 10001 raas \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin raas
WORKDIR /app
# Everything stays owned by root and read-only for the runtime user; only /tmp (an emptyDir
# in the pod, the root filesystem is read-only) is written to.
# node_modules still holds what dist/ leaves external (DuckDB's native bindings, pino).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The quick-start example, so the image can run it and the kind e2e has data in the pod.
COPY examples ./examples
# Read at run time from the package root (operator/sandbox/binaries.ts packageRoot): the
# generated CRDs, and the results page's assets and OpenAPI document (raas web).
COPY crds ./crds
COPY operator/web/page ./operator/web/page
COPY operator/web/api/openapi.json ./operator/web/api/openapi.json
USER 10001:10001
ENTRYPOINT ["node", "/app/bin/raas.js"]
CMD ["--help"]
