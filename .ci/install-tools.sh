#!/usr/bin/env bash
# Installs the tools the tests (and `pulumi up`) need, when missing: age,
# dnsmasq (the DNS server of the verify tests) and openssl from Debian's
# packages (as root, else through sudo), sops, pinned, with `go install` (so
# Go is needed unless that sops is on PATH already), and Node.js 20 from the
# npm registry into .ci/.cache/node20 (tests/nodeVersion.test.ts runs the
# commands under it to see the version message). ensure_old_external_dns (called
# by .ci/run for the e2e suite only) builds external-dns 0.14.2, the old
# installation that e2e/migration.test.ts adopts.
# Usable alone (bash .ci/install-tools.sh) or sourced by .ci/run.
set -euo pipefail

SOPS_VERSION=v3.13.3 # keep in step with SOPS_VERSION in components/sopsSecret.ts
OLD_EXTERNAL_DNS_VERSION=v0.14.2 # the app version of chart 1.14.5 (e2e/migration.test.ts)
OLD_NODE_MAJOR=20                 # older than the 22.12 the project needs (tests/nodeVersion.test.ts)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_debian_packages() {
  local missing=()
  command -v age >/dev/null && command -v age-keygen >/dev/null || missing+=(age)
  command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
  command -v openssl >/dev/null || missing+=(openssl)
  [ "${#missing[@]}" -eq 0 ] && return
  echo "==> installing ${missing[*]} from Debian's packages" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

ensure_sops() {
  if command -v go >/dev/null; then export PATH="$(go env GOPATH)/bin:$PATH"; fi
  if [ "$(sops --version --disable-version-check 2>/dev/null | head -n 1)" = "sops ${SOPS_VERSION#v}" ]; then return; fi
  if ! command -v go >/dev/null; then
    echo "sops $SOPS_VERSION is needed and is built with Go (go install), which is not on PATH: install Go (https://go.dev/dl/, or apt-get install golang-go), or put sops $SOPS_VERSION on PATH" >&2
    return 1
  fi
  echo "==> installing sops $SOPS_VERSION with go install (into $(go env GOPATH)/bin)" >&2
  GOFLAGS=-mod=mod go install "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION" >&2
}

ensure_old_node() {
  local arch prefix
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "no Node.js $OLD_NODE_MAJOR from npm for $(uname -m)" >&2; return 1 ;;
  esac
  prefix=".ci/.cache/node$OLD_NODE_MAJOR"
  if [ ! -x "$prefix/node_modules/node-linux-$arch/bin/node" ]; then
    echo "==> installing Node.js $OLD_NODE_MAJOR from the npm registry into $prefix (for tests/nodeVersion.test.ts)" >&2
    npm install --silent --no-save --no-package-lock --prefix "$prefix" "node-linux-$arch@$OLD_NODE_MAJOR" >&2
  fi
  export OLD_NODE="$PWD/$prefix/node_modules/node-linux-$arch/bin/node"
}

# external-dns 0.14.2 on PATH as external-dns-v0.14.2 (the realworld tools put 0.21 on PATH as
# external-dns). Built once into ~/.cache (about 8 minutes cold, seconds with Go's build cache).
ensure_old_external_dns() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/external-dns-$OLD_EXTERNAL_DNS_VERSION"
  local binary="$dir/external-dns-$OLD_EXTERNAL_DNS_VERSION"
  if [ ! -x "$binary" ]; then
    echo "==> building external-dns $OLD_EXTERNAL_DNS_VERSION with go install (into $dir)" >&2
    mkdir -p "$dir/build"
    GOFLAGS=-mod=mod GOBIN="$dir/build" go install "sigs.k8s.io/external-dns@$OLD_EXTERNAL_DNS_VERSION" >&2
    mv "$dir/build/external-dns" "$binary"
  fi
  export PATH="$dir:$PATH"
}

ensure_debian_packages
ensure_sops
ensure_old_node
