# A real NATS server (Debian nats-server 2.9) for the integration tests:
# source it after lib.sh and extpki.sh.
#
#   nats_start      nats-server on a free loopback port with
#                   tls { verify: true } (client certificates required and
#                   verified), JetStream enabled (store under $T/nats), and
#                   one user with a password ($NATS_PKI/admin.pass). Sets
#                   NATS_PORT, NATS_PID, NATS_DIR, NATS_PKI; the PID goes to
#                   $PIDS. Readiness is probed with a NATS client (natscli):
#                   NATS sends its INFO line in clear before TLS starts, so
#                   openssl s_client cannot tell.
#   nats_stop / nats_restart
#   nats_as CRT KEY ARGS...   natscli with a client certificate, as the user
#   nats_datastore NAME [LINE...]  $CONF/datastores.d/NAME.ini for the driver

NATS_USER=${NATS_USER:-certlc}
NATS_PASS=${NATS_PASS:-nats-s3cret}
NATSCLI=${NATSCLI:-$(dirname "$CERTLC_BIN")/tools/natscli}

nats_start() {
    NATS_DIR=$T/nats
    NATS_PKI=$T/nats-pki
    pki_ca "$NATS_PKI" nats-test-ca && pki_server "$NATS_PKI" &&
        pki_client "$NATS_PKI" admin certlc-admin ||
        { not_ok "nats: cannot make certificates"; return 1; }
    printf '%s\n' "$NATS_PASS" > "$NATS_PKI/admin.pass"
    chmod 600 "$NATS_PKI/admin.pass"
    mkdir -p "$NATS_DIR" && chmod 700 "$NATS_DIR"
    NATS_PORT=$(free_port)
    cat > "$NATS_DIR/nats.conf" <<CONF
listen: 127.0.0.1:$NATS_PORT
server_name: certlc_test
tls {
  cert_file: "$NATS_PKI/server.crt"
  key_file: "$NATS_PKI/server.key"
  ca_file: "$NATS_PKI/ca.crt"
  verify: true
  timeout: 3
}
jetstream {
  store_dir: "$NATS_DIR/js"
  max_memory_store: 64MB
  max_file_store: 256MB
}
authorization {
  users = [ { user: "$NATS_USER", password: "$NATS_PASS" } ]
}
CONF
    chmod 600 "$NATS_DIR/nats.conf"
    nats_restart
}

nats_restart() {
    nats-server -c "$NATS_DIR/nats.conf" >> "$NATS_DIR/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS="$PIDS $NATS_PID"
    i=0
    while [ $i -lt 100 ]; do
        nats_as "$NATS_PKI/admin.crt" "$NATS_PKI/admin.key" ping > /dev/null 2>&1 && return 0
        kill -0 "$NATS_PID" 2>/dev/null || break
        sleep 0.2; i=$((i + 1))
    done
    not_ok "nats-server did not start"; tail -5 "$NATS_DIR/nats.log" | sed 's/^/    /'; return 1
}

nats_stop() {
    kill "$NATS_PID" 2>/dev/null
    i=0
    while kill -0 "$NATS_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# nats_as CRT KEY ARGS...: natscli with that certificate ("" for none), as
# the user, trusting the test CA.
nats_as() {
    crt=$1 key=$2; shift 2
    if [ -n "$crt" ]; then set -- -cert "$crt" -key "$key" "$@"; fi
    "$NATSCLI" -s "tls://127.0.0.1:$NATS_PORT" -ca "$NATS_PKI/ca.crt" \
        -user "$NATS_USER" -pass-file "$NATS_PKI/admin.pass" "$@"
}

nats_datastore() {
    name=$1; shift
    mkdir -p "$CONF/datastores.d"
    {
        echo "[datastore $name]"
        echo "driver = nats"
        echo "endpoints = 127.0.0.1:$NATS_PORT"
        echo "ca_cert = $NATS_PKI/ca.crt"
        echo "client_cert = $NATS_PKI/admin.crt"
        echo "client_key = $NATS_PKI/admin.key"
        echo "username = $NATS_USER"
        echo "password_file = $NATS_PKI/admin.pass"
        for l in "$@"; do echo "$l"; done
    } > "$CONF/datastores.d/$name.ini"
}
