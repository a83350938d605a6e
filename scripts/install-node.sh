#!/usr/bin/env bash
# Installs what the real node needs besides kubelet and kube-scheduler (those come from
# scripts/install-kube.sh): Debian's containerd, runc and CNI plugins, and, to build the
# image without a Docker daemon, buildah, podman and mmdebstrap. Then makes the local
# Node 20 base image (Debian trixie minbase + nodejs, npm, ca-certificates), cached as a
# tarball outside the clone (${XDG_CACHE_HOME:-~/.cache}/raas/node/), so a second clone
# imports it instead of bootstrapping again. Idempotent. Needs root (apt-get, podman).
# Why each piece, and what a normal host can drop: docs/adr/0100-real-node.md.
#
#   scripts/install-node.sh            # packages + base image
#   RAAS_NODE_BASE_ONLY=1 scripts/...  # only the base image (packages already there)
set -euo pipefail
# shellcheck source=lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

CACHE_DIR="${RAAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raas}/node"
BASE_IMAGE="${RAAS_NODE_BASE_IMAGE:-localhost/raas-node-base:trixie}"
PAUSE_IMAGE="${RAAS_NODE_PAUSE_IMAGE:-localhost/raas-pause:trixie}"
BASE_TAR="$CACHE_DIR/node-base-trixie.tar"
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs --events-backend file)
mkdir -p "$CACHE_DIR"

if [ "$(id -u)" != 0 ]; then
  echo "install-node: needs root (apt-get, and containerd/kubelet run as root); skipping" >&2
  exit 0
fi

t0=$(date +%s)
if [ -z "${RAAS_NODE_BASE_ONLY:-}" ]; then
  need=()
  have() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; }
  have containerd || need+=(containerd)
  have runc || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  have buildah || need+=(buildah)
  have podman || need+=(podman)
  have mmdebstrap || need+=(mmdebstrap)
  # mmdebstrap needs the trixie signing keys; bookworm's keyring update carries them.
  if [ ${#need[@]} -gt 0 ]; then
    echo "install-node: installing ${need[*]}"
    # Services stay stopped during the install (containerd's package would start a system
    # containerd; the tests and the sandbox start their own, with their own socket and state).
    apt_install_quiet "${need[@]}" debian-archive-keyring
    # A system containerd the package may have started anyway would own /run/containerd.
    systemctl stop containerd 2>/dev/null || true
  fi
  echo "install-node: packages ready in $(( $(date +%s) - t0 ))s"
fi

# The base image: no registry is needed, Debian's nodejs 20 is bootstrapped into a tarball.
t1=$(date +%s)
if "${PODMAN[@]}" image exists "$BASE_IMAGE" 2>/dev/null && "${PODMAN[@]}" image exists "$PAUSE_IMAGE" 2>/dev/null; then
  echo "install-node: base image $BASE_IMAGE and pod sandbox image $PAUSE_IMAGE already present"
  exit 0
fi
if [ ! -s "$BASE_TAR" ]; then
  echo "install-node: bootstrapping Debian trixie + nodejs into $BASE_TAR (a few minutes)"
  nice -n 10 mmdebstrap --quiet --format=tar --variant=minbase --include=nodejs,npm,ca-certificates \
    --aptopt='Acquire::Retries "3"' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    trixie "$BASE_TAR.tmp"
  mv "$BASE_TAR.tmp" "$BASE_TAR"
fi
ENV_PATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
"${PODMAN[@]}" import --change "$ENV_PATH" --change 'CMD ["node"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
# The pod sandbox ("pause") image containerd starts for every pod: any local image whose
# command blocks. The same tarball, so it shares the base's layer.
"${PODMAN[@]}" import --change "$ENV_PATH" --change 'CMD ["sleep","infinity"]' "$BASE_TAR" "$PAUSE_IMAGE" >/dev/null
echo "install-node: base image $BASE_IMAGE and $PAUSE_IMAGE ready in $(( $(date +%s) - t1 ))s (node $("${PODMAN[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$BASE_IMAGE" node --version))"
