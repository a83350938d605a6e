#!/usr/bin/env bash
# Installs the real `helm` (v3) into .tools/bin/helm for the chart tests
# (test/integration/helm-chart.test.ts). Idempotent: does nothing when the pinned
# version is already there. Builds from source through the Go module proxy, because
# only package registries are reachable from CI/dev machines (no get.helm.sh).
#
#   scripts/install-helm.sh            # installs HELM_VERSION (default below)
#   HELM_VERSION=v3.18.6 scripts/install-helm.sh
#
# Needs `go` on PATH. The first build takes a few minutes.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.21.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
HELM="$BIN_DIR/helm"

installed_version() {
  "$HELM" version --template '{{ .Version }}' 2>/dev/null || true
}

if [[ -x "$HELM" && "$(installed_version)" == "$HELM_VERSION" ]]; then
  echo "helm $HELM_VERSION already installed at $HELM"
  "$HELM" version --short
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-helm: 'go' is not on PATH; install Go or set HELM_BIN to an existing helm" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "building helm $HELM_VERSION with $(go version) into $BIN_DIR (this can take several minutes)"
start=$(date +%s)
export GOFLAGS="${GOFLAGS:-} -mod=mod"

# helm's Makefile stamps its version and the default Kubernetes version (used by
# `helm template`/`helm lint` for .Capabilities.KubeVersion and kubeVersion checks; the
# source default is v1.20) from the client-go version it is built with. Do the same.
gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
client_go="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v\([0-9][0-9]*\)\.\([0-9][0-9]*\)\..*/\1 \2/p' "$gomod" | head -n1)"
if [[ -z "$client_go" ]]; then
  echo "install-helm: could not read the k8s.io/client-go version from $gomod" >&2
  exit 1
fi
read -r cg_major cg_minor <<<"$client_go"
k8s_major=$((cg_major + 1)) # client-go v0.N <-> Kubernetes v1.N
k8s_minor="$cg_minor"

ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=$k8s_major -X $pkg.k8sVersionMinor=$k8s_minor"
done

GOBIN="$BIN_DIR" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
echo "built in $(( $(date +%s) - start ))s"

"$HELM" version --short
