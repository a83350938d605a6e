#!/bin/sh
# The raas-spark image's entrypoint. Spark's Kubernetes scheduler starts executor pods from
# this image with the single argument `executor` and describes the executor in env
# (SPARK_DRIVER_URL, SPARK_EXECUTOR_ID, ...); that starts Spark's executor backend. Anything
# else is a raas command, as in the default image.
set -eu
if [ "${1:-}" != executor ]; then
  exec node /app/bin/raas.js "$@"
fi
# Spark passes the executor's JVM options as SPARK_JAVA_OPT_0, _1, ... (one option each, in
# order); they may contain spaces, so they are collected one per line.
opts_file="$(mktemp)"
env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//' > "$opts_file"
set --
while IFS= read -r opt; do set -- "$@" "$opt"; done < "$opts_file"
rm -f "$opts_file"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" "$@" \
  -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
  -cp "${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*" \
  org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
  --driver-url "$SPARK_DRIVER_URL" \
  --executor-id "$SPARK_EXECUTOR_ID" \
  --cores "$SPARK_EXECUTOR_CORES" \
  --app-id "$SPARK_APPLICATION_ID" \
  --hostname "$SPARK_EXECUTOR_POD_IP" \
  --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
  --podName "$SPARK_EXECUTOR_POD_NAME"
