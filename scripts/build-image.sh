#!/usr/bin/env bash
# Builds the raas image from the Dockerfile without a Docker daemon: buildah, onto the local
# Debian Node 20 base that scripts/install-node.sh makes (no registry needed). Users with
# Docker keep `docker build -t raas:0.1.0 .`; this is the same Dockerfile.
#
#   scripts/build-image.sh            # -> localhost/raas:0.1.0, printed on the last line
#   RAAS_IMAGE=localhost/raas:dev scripts/build-image.sh
#   scripts/build-image.sh --target raas-spark   # -> localhost/raas-spark:0.1.0 (Java + pyspark)
#   scripts/build-image.sh --print-content-tag   # prints localhost/raas:src-<hash> instead
#
# Reused when nothing the build reads has changed: the image is also tagged with a hash of
# the build context (Dockerfile, .dockerignore and the files it lets in), and a build whose
# hash already has an image only re-tags it. The version tag is shared by every checkout on
# the host (a build elsewhere re-tags it); --print-content-tag prints the content-addressed
# tag instead, which names this checkout's image until its files change: what the sandbox
# and the tests run.
#
# Host settings (docs/adr/0100-real-node.md): runc, since crun refuses a hybrid cgroup
# layout; rlimits (open files, processes) set below the host's, never above, since a
# host without CAP_SYS_RESOURCE cannot raise them; the host network for `npm ci`; the
# host's CA bundle as the build secret `npmca` when the registry is reached through a CA of
# the host's own. None of it lands in the image.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The Dockerfile target: raas (operator and runner) or raas-spark (runners of spark jobs).
TARGET=raas
PRINT_CONTENT_TAG=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET="${2:?--target needs a name (raas or raas-spark)}"; shift 2 ;;
    --print-content-tag) PRINT_CONTENT_TAG=1; shift ;;
    *) echo "build-image: unknown argument $1 (usage: build-image.sh [--target raas|raas-spark] [--print-content-tag])" >&2; exit 2 ;;
  esac
done
IMAGE="${RAAS_IMAGE:-localhost/$TARGET:$(node -p 'require("./package.json").version')}"
BASE_IMAGE="${RAAS_NODE_BASE_IMAGE:-localhost/raas-node-base:trixie}"
CA_BUNDLE="${RAAS_BUILD_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}"
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs --events-backend file)

for tool in buildah podman; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed; run scripts/install-node.sh (or use docker build .)" >&2; exit 1; }
done
if ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  RAAS_NODE_BASE_ONLY=1 bash "$ROOT/scripts/install-node.sh"
fi

# The context's content hash: every file the ignore file lets in, by content and path.
context_hash() {
  node --input-type=module -e '
    import dockerignore from "@balena/dockerignore";
    import { createHash } from "node:crypto";
    import { readFileSync, readdirSync, statSync } from "node:fs";
    const ig = dockerignore().add(readFileSync(".dockerignore", "utf8"));
    const h = createHash("sha256");
    const walk = (rel) => {
      for (const name of readdirSync(rel || ".").sort()) {
        const p = rel ? `${rel}/${name}` : name;
        if (name === "node_modules" || name === ".git" || name === ".tools" || name === "dist") continue;
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (!ig.ignores(p)) h.update(`${p}\0`).update(readFileSync(p)).update("\0");
      }
    };
    h.update("'"$TARGET"'\0").update(readFileSync("Dockerfile")).update(readFileSync(".dockerignore")).update(readFileSync("'"$BASE_TAR_ID"'"));
    walk("");
    console.log(h.digest("hex").slice(0, 16));
  '
}
# The base image's id is part of the key: a rebuilt base means a rebuilt image.
BASE_TAR_ID="$(mktemp)"
trap 'rm -f "$BASE_TAR_ID"' EXIT
"${PODMAN[@]}" image inspect --format '{{.Id}}' "$BASE_IMAGE" > "$BASE_TAR_ID"
HASH="$(context_hash)"
HASH_TAG="${IMAGE%:*}:src-$HASH"

if "${PODMAN[@]}" image exists "$HASH_TAG"; then
  "${PODMAN[@]}" tag "$HASH_TAG" "$IMAGE"
  echo "build-image: the build context is unchanged since $HASH_TAG; reusing it" >&2
  if [ "$PRINT_CONTENT_TAG" = 1 ]; then echo "$HASH_TAG"; else echo "$IMAGE"; fi
  exit 0
fi

secret=()
if [ -s "$CA_BUNDLE" ]; then secret=(--secret "id=npmca,src=$CA_BUNDLE"); fi
start=$(date +%s)
echo "build-image: building $IMAGE on $BASE_IMAGE (context $HASH)" >&2
nice -n 10 buildah build --runtime runc --cgroup-manager cgroupfs \
  --isolation oci --network host --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --layers \
  --build-arg "NODE_IMAGE=$BASE_IMAGE" "${secret[@]}" \
  --label "dev.raas.context-hash=$HASH" \
  --target "$TARGET" -t "$IMAGE" -t "$HASH_TAG" -f Dockerfile . >&2
echo "build-image: built in $(( $(date +%s) - start ))s" >&2
if [ "$PRINT_CONTENT_TAG" = 1 ]; then echo "$HASH_TAG"; else echo "$IMAGE"; fi
