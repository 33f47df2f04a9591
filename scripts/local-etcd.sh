#!/bin/sh
# Runs a command beside a local etcd, as `make run` does:
#
#   sh scripts/local-etcd.sh COMMAND [ARGS...]
#
# On the first run it makes, under var-etcd/pki (0700; keys 0600), a CA, the
# server certificate (127.0.0.1, localhost), a CN-less admin client
# certificate (etcd 3.4's JSON gateway refuses client certificates that
# carry a CN) and a random root password. It starts etcd (Debian
# etcd-server) on 127.0.0.1:2379 (peers on :2380), TLS only, with
# --client-cert-auth; on the first run it adds the root user and enables
# auth. The command then runs in the foreground; when it exits (or on
# Ctrl-C), etcd is stopped by its PID. conf/datastores.d/default.ini points
# at these files.
set -eu
cd "$(dirname "$0")/.."
D=var-etcd
P=$D/pki
PORT=${CERTLC_ETCD_PORT:-2379}
PEER=${CERTLC_ETCD_PEER_PORT:-2380}

cert() { # NAME SUBJECT EXTENSIONS
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" 2>/dev/null
    printf '%b' "$3" > "$P/$1.ext"
    openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
        -CAcreateserial -days 3650 -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
    chmod 600 "$P/$1.key"
    rm -f "$P/$1.csr" "$P/$1.ext"
}

if [ ! -f "$P/admin.crt" ]; then
    echo "local-etcd: making certificates in $P"
    umask 077
    mkdir -p "$P"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$P/ca.key" -out "$P/ca.crt" -subj /CN=certlc-local-etcd-ca \
        -days 3650 2>/dev/null
    cert server /CN=local-etcd \
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n'
    cert admin /O=certlc-admin 'extendedKeyUsage=clientAuth\n'
    openssl rand -hex 16 > "$P/root.pass"
    umask 022
fi

etcd --name local --data-dir "$D/data" \
    --listen-client-urls "https://127.0.0.1:$PORT" \
    --advertise-client-urls "https://127.0.0.1:$PORT" \
    --listen-peer-urls "https://127.0.0.1:$PEER" \
    --initial-advertise-peer-urls "https://127.0.0.1:$PEER" \
    --initial-cluster "local=https://127.0.0.1:$PEER" \
    --cert-file "$P/server.crt" --key-file "$P/server.key" \
    --trusted-ca-file "$P/ca.crt" --client-cert-auth \
    --peer-cert-file "$P/server.crt" --peer-key-file "$P/server.key" \
    --peer-trusted-ca-file "$P/ca.crt" --peer-client-cert-auth \
    >> "$D/etcd.log" 2>&1 &
ETCD=$!
trap 'kill "$ETCD" 2>/dev/null; wait "$ETCD" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

ctl() {
    etcdctl --endpoints "https://127.0.0.1:$PORT" --cacert "$P/ca.crt" \
        --cert "$P/admin.crt" --key "$P/admin.key" "$@"
}
i=0
until ctl endpoint health > /dev/null 2>&1 || ctl --user "root:$(cat "$P/root.pass")" endpoint health > /dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 50 ] || ! kill -0 "$ETCD" 2>/dev/null; then
        echo "local-etcd: etcd did not start; see $D/etcd.log" >&2
        tail -5 "$D/etcd.log" >&2
        exit 1
    fi
    sleep 0.2
done
if [ ! -f "$D/auth-enabled" ]; then
    ctl user add "root:$(cat "$P/root.pass")" > /dev/null
    ctl role add root > /dev/null 2>&1 || true
    ctl user grant-role root root > /dev/null
    ctl auth enable > /dev/null
    touch "$D/auth-enabled"
fi
echo "local-etcd: etcd (PID $ETCD) serving https://127.0.0.1:$PORT with client-certificate auth; log in $D/etcd.log"
"$@"
