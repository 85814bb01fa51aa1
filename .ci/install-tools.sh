#!/usr/bin/env bash
# Installs the tools the tests (and `pulumi up`) need, when missing: age and
# dnsmasq (the DNS server of the verify tests) from Debian's packages, and sops,
# pinned, with `go install`.
# Usable alone (bash .ci/install-tools.sh) or sourced by .ci/run.
set -euo pipefail

SOPS_VERSION=v3.13.3 # keep in step with SOPS_VERSION in components/sopsSecret.ts

ensure_debian_packages() {
  local missing=()
  command -v age >/dev/null && command -v age-keygen >/dev/null || missing+=(age)
  command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
  [ "${#missing[@]}" -eq 0 ] && return
  echo "==> installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

ensure_sops() {
  local gobin
  gobin="$(go env GOPATH)/bin"
  export PATH="$gobin:$PATH"
  if [ "$(sops --version --disable-version-check 2>/dev/null | head -n 1)" = "sops ${SOPS_VERSION#v}" ]; then return; fi
  echo "==> installing sops $SOPS_VERSION with go install (into $gobin)" >&2
  GOFLAGS=-mod=mod go install "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION" >&2
}

ensure_debian_packages
ensure_sops
