# syntax=docker/dockerfile:1
# One image for the operator (`raas operator`) and the runner (`raas run`), and a larger
# one for runners of engine: spark jobs (Java and pyspark; Spark's executors use it too).
#   docker build -t raas:0.1.0 .
#   docker build --target raas-spark -t raas-spark:0.1.0 .
# The TypeScript is compiled to dist/ in a build stage (esbuild, `npm run build`); the image
# runs that build and carries no sources and no transpiler (docs/adr/0020).
#
# Without a Docker daemon: scripts/build-image.sh builds this file with buildah onto a local
# Debian Node 20 base (NODE_IMAGE) and hands the build stages the host's CA bundle as the
# secret `npmca` (docs/adr/0100-real-node.md). Neither ends up in the image.
#
# Targets: `raas` (operator and runner) is the last stage, so a plain build makes it. Other
# images of this repo go above it as their own named stages (`--target NAME`) and may start
# FROM the shared stages here.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY bin ./bin
COPY runner ./runner
COPY operator ./operator
# `npm ci` runs the `prepare` step, which is the build; the stamp proves it finished.
# npmca (optional): the CA bundle of a host whose TLS to the registry goes through its own
# CA; mounted for this step only, never written to a layer.
RUN --mount=type=secret,id=npmca \
    if [ -s /run/secrets/npmca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npmca; fi \
 && npm ci --no-audit --no-fund && test -f dist/build-stamp.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Prebuilt native packages (DuckDB bindings) are picked for this platform/glibc. No
# production dependency has an install script; --ignore-scripts skips `prepare` (the build
# happened above and needs the dev tools).
RUN --mount=type=secret,id=npmca \
    if [ -s /run/secrets/npmca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npmca; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TMPDIR=/tmp
# Written directly: a minimal Debian base has no useradd (the passwd package is optional).
RUN echo 'raas:x:10001:' >> /etc/group \
 && echo 'raas:x:10001:10001:raas:/tmp:/usr/sbin/nologin' >> /etc/passwd
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

# The Spark runner's software (raas-spark target): pyspark in a venv, and the S3A jars on
# Spark's own classpath, so the driver and every executor read s3:// without fetching jars
# at run time. Keep the pyspark pin in step with scripts/install-spark.sh. Built from the
# base alone, so a change to the sources does not redo these downloads.
FROM ${NODE_IMAGE} AS spark-build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=secret,id=npmca \
    if [ -s /run/secrets/npmca ]; then export PIP_CERT=/run/secrets/npmca; fi \
 && python3 -m venv /opt/raas-spark \
 && /opt/raas-spark/bin/pip install --no-cache-dir --disable-pip-version-check pyspark==4.3.0 \
 && ln -s "$(/opt/raas-spark/bin/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/raas-spark/spark
COPY scripts/spark/s3-jars.txt scripts/spark/fetch-jars.mjs /tmp/spark/
RUN --mount=type=secret,id=npmca \
    if [ -s /run/secrets/npmca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npmca; fi \
 && node /tmp/spark/fetch-jars.mjs /tmp/spark/s3-jars.txt /opt/raas-spark/spark/jars

# Java for Spark: Debian trixie ships OpenJDK 21 (not 17), which Spark 4 supports.
FROM ${NODE_IMAGE} AS spark-os
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless python3 procps \
 && rm -rf /var/lib/apt/lists/*
COPY --from=spark-build /opt/raas-spark /opt/raas-spark

# The Spark runner: the same application as `raas`, plus Java and pyspark. The runner pod is
# the Spark driver; executor pods run this image too (spec.spark.image), started by Spark's
# own Kubernetes scheduler with the argument `executor`, which the entrypoint hands to
# Spark's executor backend (docs/adr/0160-spark-on-kubernetes.md).
FROM spark-os AS raas-spark
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    RAAS_SPARK_PYTHON=/opt/raas-spark/bin/python \
    SPARK_HOME=/opt/raas-spark/spark
# The same user as the runtime stage (no useradd in a minimal base).
RUN echo 'raas:x:10001:' >> /etc/group \
 && echo 'raas:x:10001:10001:raas:/tmp:/usr/sbin/nologin' >> /etc/passwd
WORKDIR /app
COPY --from=runtime /app ./
COPY runner/engine/spark_driver.py ./runner/engine/spark_driver.py
COPY scripts/spark/entrypoint.sh /opt/raas-spark/entrypoint.sh
# The driver JVM's class archive (docs/adr/0171-spark-driver-jvm-start.md), made by one small
# Spark run of this image's own application and classes, where the runner looks for it (next
# to the venv of RAAS_SPARK_PYTHON). An image whose warm-up fails still works, starting slower.
COPY scripts/spark/warm-up.mjs ./scripts/spark/warm-up.mjs
RUN SPARK_LOCAL_IP=127.0.0.1 HOME=/tmp node scripts/spark/warm-up.mjs /opt/raas-spark/raas-driver.jsa \
 || echo "raas-spark: no driver class archive (the warm-up above failed); Spark starts without it" >&2
USER 10001:10001
ENTRYPOINT ["/opt/raas-spark/entrypoint.sh"]
CMD ["--help"]

# `raas` (operator and runner), the default target: the last stage, without Java.
FROM runtime AS raas
