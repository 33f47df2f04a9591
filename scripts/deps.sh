#!/bin/sh
# Installs the Debian packages that building, testing and running certlc need,
# and only those that are missing. Called by the Makefile; safe to run again.
set -eu

PACKAGES="gcc make pkg-config clang openssl ca-certificates \
libssl-dev libinih-dev libjansson-dev libyaml-dev libcmocka-dev \
valgrind util-linux procps iproute2 jq coreutils"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "certlc: missing Debian packages:$missing" >&2
    echo "certlc: run 'make deps' as root, or: apt-get install$missing" >&2
    exit 1
fi

echo "certlc: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
