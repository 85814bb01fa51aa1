#!/usr/bin/env bash
# Installs the tools the tests (and `pulumi up`) need, when missing: age,
# dnsmasq (the DNS server of the verify tests) and openssl from Debian's
# packages, and sops, pinned, with `go install`. ensure_old_external_dns (called
# by .ci/run for the e2e suite only) builds external-dns 0.14.2, the old
# installation that e2e/migration.test.ts adopts.
# Usable alone (bash .ci/install-tools.sh) or sourced by .ci/run.
set -euo pipefail

SOPS_VERSION=v3.13.3 # keep in step with SOPS_VERSION in components/sopsSecret.ts
OLD_EXTERNAL_DNS_VERSION=v0.14.2 # the app version of chart 1.14.5 (e2e/migration.test.ts)

ensure_debian_packages() {
  local missing=()
  command -v age >/dev/null && command -v age-keygen >/dev/null || missing+=(age)
  command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
  command -v openssl >/dev/null || missing+=(openssl)
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
