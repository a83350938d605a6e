# syntax=docker/dockerfile:1
# One image for the operator (`raas operator`) and the runner (`raas run`).
#   docker build -t raas:0.1.0 .
# The TypeScript sources run through tsx at runtime (a production dependency), so there is
# no build step: `npm ci --omit=dev` is the whole install (docs/adr/0002).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Prebuilt native packages (DuckDB bindings, esbuild) are picked for this platform/glibc.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TMPDIR=/tmp
RUN groupadd --system --gid 10001 raas \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin raas
WORKDIR /app
# Everything stays owned by root and read-only for the runtime user; only /tmp (an emptyDir
# in the pod, the root filesystem is read-only) is written to.
COPY --from=deps /app/node_modules ./node_modules
# tsconfig.json is read by tsx/esbuild at runtime (e.g. verbatimModuleSyntax import handling).
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY runner ./runner
COPY operator ./operator
# The quick-start example, so the image can run it and the kind e2e has data in the pod.
COPY examples ./examples
USER 10001:10001
ENTRYPOINT ["node", "/app/bin/raas.js"]
CMD ["--help"]
