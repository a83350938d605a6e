#!/usr/bin/env bash
# Installs a real Kubernetes control plane for the tests and `raas sandbox` (docs/design.md, Real parts):
# kube-apiserver and kube-controller-manager at a pinned release, built from the Go module
# proxy, plus etcd (Debian's etcd-server, or built from go.etcd.io/etcd when apt is not
# usable). Results land in .tools/bin and in a per-user cache outside the clone
# (${XDG_CACHE_HOME:-~/.cache}/raas/kube/<version>), so a second clean clone on the same
# machine (as CI makes) copies instead of rebuilding. Idempotent.
#
#   scripts/install-kube.sh                   # KUBE_VERSION (default below)
#   KUBEBUILDER_ASSETS=/path scripts/install-kube.sh   # use binaries a user already has
#
# Why a wrapper module: k8s.io/kubernetes pins its staging modules (k8s.io/api, ...) to
# "v0.0.0" with replace directives pointing into its own tree; those replaces do not apply
# to a module that requires it, so we replace each staging module with its published
# v0.<minor>.<patch> tag. The list is read from that release's own go.mod.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
CACHE_DIR="${RAAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raas}/kube/$KUBE_VERSION"
mkdir -p "$BIN_DIR"

# shellcheck source=lib/apt-install.sh
. "$ROOT/scripts/lib/apt-install.sh"

have_version() { # $1 binary -> 0 when it reports KUBE_VERSION
  [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q "Kubernetes $KUBE_VERSION\$"
}

install_etcd() {
  if [[ -x "$BIN_DIR/etcd" ]]; then return 0; fi
  if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    ln -sf "$KUBEBUILDER_ASSETS/etcd" "$BIN_DIR/etcd"; return 0
  fi
  local etcd_path
  etcd_path="$(command -v etcd || true)"
  if [[ -z "$etcd_path" && -x /usr/bin/etcd ]]; then etcd_path=/usr/bin/etcd; fi
  if [[ -z "$etcd_path" ]] && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    echo "install-kube: installing etcd-server from Debian"
    # The package would start a system etcd on :2379; the tests use their own ports and
    # nothing should listen that the project did not start. Installed with its service kept
    # stopped; should a local policy-rc.d have let it start anyway, that service is stopped,
    # and only it: never another process named etcd (a kind cluster's, a developer's own).
    apt_install_quiet etcd-server || true
    "$ROOT/scripts/stop-package-etcd.sh" || echo "install-kube: could not stop the etcd service the package started" >&2
    etcd_path="$(command -v etcd || true)"
  fi
  if [[ -z "$etcd_path" ]]; then
    echo "install-kube: building etcd from the Go module proxy"
    GOBIN="$CACHE_DIR" CGO_ENABLED=0 go install -trimpath "go.etcd.io/etcd/server/v3@v3.6.5"
    mv "$CACHE_DIR/server" "$CACHE_DIR/etcd" 2>/dev/null || true
    etcd_path="$CACHE_DIR/etcd"
  fi
  ln -sf "$etcd_path" "$BIN_DIR/etcd"
}

install_etcd

# The control plane, plus the real node's kubelet and the scheduler that binds pods to it.
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]]; then
  for b in "${BINARIES[@]}"; do
    [[ -x "$KUBEBUILDER_ASSETS/$b" ]] && ln -sf "$KUBEBUILDER_ASSETS/$b" "$BIN_DIR/$b"
  done
  echo "install-kube: using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  exit 0
fi

have_all() { # $1 folder -> 0 when every binary there reports KUBE_VERSION
  local b
  for b in "${BINARIES[@]}"; do have_version "$1/$b" || return 1; done
}

if have_all "$BIN_DIR"; then
  echo "install-kube: Kubernetes $KUBE_VERSION already in $BIN_DIR"
  exit 0
fi

if have_all "$CACHE_DIR"; then
  for b in "${BINARIES[@]}"; do cp "$CACHE_DIR/$b" "$BIN_DIR/"; done
  echo "install-kube: Kubernetes $KUBE_VERSION copied from $CACHE_DIR"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-kube: 'go' is not on PATH; install Go, or set KUBEBUILDER_ASSETS to a folder with kube-apiserver, kube-controller-manager and etcd" >&2
  exit 1
fi

mkdir -p "$CACHE_DIR/src"
cd "$CACHE_DIR/src"
echo "install-kube: building Kubernetes $KUBE_VERSION with $(go version) (about 15 minutes)"
start=$(date +%s)
export GOFLAGS="-mod=mod -buildvcs=false"

staging_version="v0.${KUBE_VERSION#v1.}"
cat > go.mod <<MOD
module raas.dev/kube-tools

go 1.26
MOD
gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$gomod" || ! -f "$gomod" ]]; then
  echo "install-kube: could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy" >&2
  exit 1
fi
{
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  # Lines like "	k8s.io/api => ./staging/src/k8s.io/api" inside the replace block.
  sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\) => \./staging/src/.*#\1#p' "$gomod" |
    while read -r mod; do echo "replace $mod => $mod $staging_version"; done
} >> go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
go mod tidy -e >/dev/null 2>&1 || true
go mod download
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for v in "gitVersion=$KUBE_VERSION" "gitMajor=1" "gitMinor=$minor" "gitTreeState=clean" "buildDate=1970-01-01T00:00:00Z"; do
  ldflags+=" -X k8s.io/component-base/version.$v -X k8s.io/client-go/pkg/version.$v"
done
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$CACHE_DIR/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet
for b in "${BINARIES[@]}"; do cp "$CACHE_DIR/$b" "$BIN_DIR/"; done
echo "install-kube: built in $(( $(date +%s) - start ))s"
"$BIN_DIR/kube-apiserver" --version
