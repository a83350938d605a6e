#!/usr/bin/env bash
# Fetches the jars of a real Apache Kafka broker into .tools/kafka-libs/ for the Kafka
# tests (test/support/kafka/broker.ts runs `java -cp '.tools/kafka-libs/*' kafka.Kafka`).
# The versions live in test/support/kafka/pom.xml; Maven downloads from Maven Central and
# caches in ~/.m2, because only package registries are reachable from dev/CI machines.
#
#   bash scripts/install-kafka.sh      # from anywhere; does nothing when already complete
#
# Idempotent: the jar directory holds a stamp with the pom's hash and the jar list, written
# last, so an interrupted or outdated copy is fetched again. Needs `mvn` (and Java 17 to
# run the broker later).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/test/support/kafka/pom.xml"
LIB_DIR="$ROOT/.tools/kafka-libs"
# broker.ts reads this stamp too (same name and format): keep them in step.
STAMP="$LIB_DIR/.installed"
MVN="${MVN:-mvn}"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

pom_hash="$(sha256 "$POM")"

is_complete() {
  [[ -f "$STAMP" ]] || return 1
  [[ "$(head -n1 "$STAMP")" == "pom-sha256 $pom_hash" ]] || return 1
  local jar count=0
  while IFS= read -r jar; do
    [[ -s "$LIB_DIR/$jar" ]] || return 1
    count=$((count + 1))
  done < <(tail -n +2 "$STAMP")
  ((count > 0))
}

summary() {
  local jars size kafka_jar
  jars="$(find "$LIB_DIR" -maxdepth 1 -name '*.jar' | wc -l | tr -d ' ')"
  size="$(du -sh "$LIB_DIR" | cut -f1)"
  kafka_jar="$(cd "$LIB_DIR" && ls kafka_2.13-*.jar 2>/dev/null | head -n1)"
  echo "$jars jars, $size, ${kafka_jar%.jar} in ${LIB_DIR#"$ROOT"/}"
}

if is_complete; then
  echo "install-kafka: already installed: $(summary)"
  exit 0
fi

if [[ -d "$LIB_DIR" ]]; then
  echo "install-kafka: ${LIB_DIR#"$ROOT"/} is incomplete or was fetched for another pom.xml; fetching again"
fi
if ! command -v "$MVN" >/dev/null 2>&1; then
  echo "install-kafka: '$MVN' is not on PATH; install Maven (e.g. apt-get install maven) and re-run" >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1 && [[ -z "${JAVA_HOME:-}" ]]; then
  echo "install-kafka: warning: no 'java' on PATH; the broker needs Java 17 to run" >&2
fi

# Copy into a sibling directory and swap it in at the end, so a failed or interrupted
# fetch never leaves a directory that looks usable.
mkdir -p "$ROOT/.tools"
TMP_DIR="$(mktemp -d "$ROOT/.tools/kafka-libs.tmp.XXXXXX")"
trap 'rm -rf "$TMP_DIR"' EXIT

echo "install-kafka: fetching Kafka jars with Maven (cache: ~/.m2) into ${LIB_DIR#"$ROOT"/}"
start=$(date +%s)
# Maven's output goes to a log shown only on failure: with -q a success prints nothing
# useful, and Debian's Maven 3.8 prints bare colour codes even with -Dstyle.color=never.
mvn_log="$ROOT/.tools/kafka-libs-mvn.log"
if ! "$MVN" -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$TMP_DIR" >"$mvn_log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" >&2
  echo "install-kafka: mvn failed (log above, also in ${mvn_log#"$ROOT"/})" >&2
  exit 1
fi
rm -f "$mvn_log"

{
  echo "pom-sha256 $pom_hash"
  (cd "$TMP_DIR" && ls -1 -- *.jar)
} >"$TMP_DIR/.installed.part"
mv "$TMP_DIR/.installed.part" "$TMP_DIR/.installed"

rm -rf "$LIB_DIR"
mv "$TMP_DIR" "$LIB_DIR"
trap - EXIT
echo "install-kafka: fetched in $(($(date +%s) - start))s: $(summary)"
