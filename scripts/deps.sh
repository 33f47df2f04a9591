#!/bin/sh
# Installs the Debian packages that building, testing and running certlc need,
# and only those that are missing. Called by the Makefile; safe to run again.
set -eu

PACKAGES="gcc make pkg-config clang openssl ca-certificates \
libssl-dev libinih-dev libjansson-dev libyaml-dev libcmocka-dev \
valgrind util-linux procps iproute2 jq coreutils \
libmicrohttpd-dev libsystemd-dev curl prometheus systemd man-db \
postgresql-15 postgresql-client-15 libpq-dev mariadb-server mariadb-client \
libmariadb-dev nats-server libnats-dev \
libcurl4-openssl-dev etcd-server etcd-client libsodium-dev"
# libsodium-dev: the secretbox provider of encryption at rest.
# libcurl4-openssl-dev (the etcd driver), etcd-server and
# etcd-client (the etcd integration tests, make run's local etcd).
# libmicrohttpd-dev (/metrics), libsystemd-dev (sd_notify; optional
# at build time), curl and prometheus's promtool (test_metrics), systemd's
# systemd-analyze and man-db (test_install).
# the PostgreSQL, MariaDB and NATS servers, clients and client
# libraries (the drivers build against libpq, libmariadb and libnats; the
# integration tests start the servers).
# kubectl (test_kamaji reads the kubeconfigs with `kubectl config view
# --raw`; test_kubectl_output compares certlc's output with kubectl's):
# Debian 12's kubernetes-client, unless a kubectl is installed
# already (another package owning /usr/bin/kubectl would conflict with it).
command -v kubectl > /dev/null 2>&1 || PACKAGES="$PACKAGES kubernetes-client"

# g++: test_sdk compiles certlc/driver.h as C++.
PACKAGES="$PACKAGES g++"
# `deps.sh deb`: also what `make deb` and `make deb-test` need to build the
# Debian packages and check them (make test does not need them).
DEB_PACKAGES="build-essential debhelper dpkg-dev fakeroot lintian"
if [ "${1:-}" = deb ]; then
    PACKAGES="$PACKAGES $DEB_PACKAGES"
fi

# libclang-rt-14-dev: clang's libFuzzer runtime (make fuzz, docs/fuzzing.md).
PACKAGES="$PACKAGES libclang-rt-14-dev"

# nginx-light: test_ca_overlap's API server stand-in (its own nginx on a
# free loopback port). Its package would start a system nginx on port 80:
# the install below runs with a policy-rc.d that forbids starting services.
PACKAGES="$PACKAGES nginx-light"

# zsh and python3: test_completion types TABs into a real bash and zsh on a
# pseudo-terminal (tests/integration/completion_tab.py).
PACKAGES="$PACKAGES zsh python3"

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
# No service is started by the packages (nginx-light's would take port 80);
# an existing policy-rc.d is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing || rc=$?
[ -n "$own_policy" ] && rm -f "$policy"
exit "${rc:-0}"
