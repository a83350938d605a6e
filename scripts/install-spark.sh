#!/usr/bin/env bash
# Installs what `raas run --engine spark` and the Spark tests need, cached outside the clone:
#   ${XDG_CACHE_HOME:-~/.cache}/raas/spark/pyspark-<version>/   a Python venv with pyspark
#   ${XDG_CACHE_HOME:-~/.cache}/raas/spark/s3-jars/             hadoop-aws and the AWS SDK (for s3://)
#   .../pyspark-<version>/raas-driver.jsa                       the driver JVM's class archive (after npm ci)
# pyspark comes from PyPI (the wheel carries Spark itself); the S3A jars from Maven Central
# through mvn (scripts/spark/pom.xml). Java 17 must be on PATH to run Spark.
# Idempotent: each part writes a stamp last, so an interrupted install is redone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Keep in step with runner/engine/spark-install.ts (where the runner looks).
PYSPARK_VERSION=4.3.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/raas/spark"
VENV="$CACHE/pyspark-$PYSPARK_VERSION"
JARS="$CACHE/s3-jars"
POM="$ROOT/scripts/spark/pom.xml"

mkdir -p "$CACHE"
if [[ -f "$VENV/.installed" ]]; then
  echo "install-spark: pyspark $PYSPARK_VERSION already in $VENV"
else
  command -v python3 >/dev/null || { echo "install-spark: python3 is not on PATH; install Python 3.10+ (e.g. apt-get install python3-venv)" >&2; exit 1; }
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  nice -n 10 "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
  echo "pyspark==$PYSPARK_VERSION" > "$VENV/.installed"
  echo "install-spark: pyspark $PYSPARK_VERSION installed in $VENV"
fi

pom_hash="$(sha256sum "$POM" | cut -d' ' -f1)"
if [[ -f "$JARS/.installed" && "$(cat "$JARS/.installed")" == "$pom_hash" ]]; then
  echo "install-spark: S3A jars already in $JARS"
else
  command -v mvn >/dev/null || { echo "install-spark: mvn is not on PATH; install Maven (e.g. apt-get install maven) and re-run" >&2; exit 1; }
  tmp="$(mktemp -d "$CACHE/s3-jars.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  log="$CACHE/s3-jars-mvn.log"
  if ! nice -n 10 mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-spark: mvn failed (log above, also in $log)" >&2
    exit 1
  fi
  rm -rf "$JARS"
  mv "$tmp" "$JARS"
  trap - EXIT
  echo "$pom_hash" > "$JARS/.installed"
  echo "install-spark: $(ls "$JARS"/*.jar | wc -l) S3A jars in $JARS"
fi
command -v java >/dev/null || { echo "install-spark: warning: no 'java' on PATH; Spark needs Java 17 to run" >&2; exit 0; }

# The driver JVM's class-data-sharing archive (docs/adr/0171-spark-driver-jvm-start.md):
# made by one small Spark run of this checkout, so it needs `npm ci` first. Remade when Java,
# pyspark, the jars, the warm-up or the way the runner starts Spark's driver (its class path
# among others) change; without it Spark runs the same, only starts slower.
ARCHIVE="$VENV/raas-driver.jsa"
starts=("$ROOT/scripts/spark/warm-up.mjs")
for f in "$ROOT"/runner/engine/spark*.ts "$ROOT/runner/engine/spark_driver.py"; do [[ $f == *.test.ts ]] || starts+=("$f"); done
archive_key="$( { java -version 2>&1; cat "$VENV/.installed" "$JARS/.installed" 2>/dev/null; cat "${starts[@]}" | sha256sum; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$ARCHIVE" && -f "$ARCHIVE.key" && "$(cat "$ARCHIVE.key")" == "$archive_key" ]]; then
  echo "install-spark: driver class archive already in $ARCHIVE"
elif [[ ! -d "$ROOT/node_modules/@duckdb/node-api" ]]; then
  echo "install-spark: no driver class archive yet (Spark starts slower without it): run npm ci, then this script again"
else
  rm -f "$ARCHIVE" "$ARCHIVE.key"
  if nice -n 10 node "$ROOT/scripts/spark/warm-up.mjs" "$ARCHIVE"; then
    echo "$archive_key" > "$ARCHIVE.key"
    echo "install-spark: driver class archive in $ARCHIVE"
  else
    echo "install-spark: warning: no driver class archive (above); Spark runs without it, starting slower" >&2
  fi
fi
