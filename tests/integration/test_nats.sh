# The nats driver against a real nats-server 2.9 (TLS with verify: true,
# JetStream, a user with a password), and the external-PKI flow. The real
# client is natscli, a libnats program of tests/tools.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpki.sh"
. "$(dirname "$0")/nats.sh"
. "$(dirname "$0")/extflow.sh"

DRV=nats
srv_stop() { nats_stop; }
srv_restart() { nats_restart; }
mk_datastore() { nats_datastore "$@"; }
space_exists() {
    nats_as "$NATS_PKI/admin.crt" "$NATS_PKI/admin.key" kv-status "$1"
}
client_as() {
    cfg "$1" "$2" DB_PASSWORD > "$T/pass-$1"
    set -- "$(cfg "$1" "$2" DB_SCHEMA)" "$(cfg "$1" "$2" DB_USER)" "$T/pass-$1" "$3" "$4"
    if [ -n "$4" ]; then tls="-cert $4 -key $5"; else tls=""; fi
    # shellcheck disable=SC2086
    "$NATSCLI" -s "tls://$(cfg alpha default DB_CONNECTION_STRING)" -ca "$NATS_PKI/ca.crt" \
        $tls -user "$2" -pass-file "$3" kv-put "$1" k v &&
    # shellcheck disable=SC2086
    "$NATSCLI" -s "tls://$(cfg alpha default DB_CONNECTION_STRING)" -ca "$NATS_PKI/ca.crt" \
        $tls -user "$2" -pass-file "$3" kv-get "$1" k | grep -qx v
}

nats_start || { finish; exit 1; }
X_PKI=$NATS_PKI
ext_flow

# The running operator, a rotation, and the await in /metrics.
MPORT=$(free_port)
write_conf "renew_before = 72h" "metrics_listen = 127.0.0.1:$MPORT"
certlc rotate secret alpha-datastore-certificate > /dev/null 2>&1
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator removes the referenced Secret on the rotate annotation" wait_for 20 ext_gone
check "certlc_external_pki_awaiting counts the tenant" wait_for 15 sh -c \
    "curl -sf http://127.0.0.1:$MPORT/metrics | grep -qx 'certlc_external_pki_awaiting{datastore=\"main\"} 1'"
check "the tenant's bucket still answers with its copy" client_as alpha default "$T/cur-alpha.crt" "$T/cur-alpha.key"
kill "$OP"; wait "$OP" 2>/dev/null

# A NATS server with JetStream off: provisioning says that JetStream must
# be enabled there, not only "No responders available for request".
NOJS_PORT=$(free_port)
sed -e "s/^listen: .*/listen: 127.0.0.1:$NOJS_PORT/" -e '/^jetstream {/,/^}/d' \
    "$NATS_DIR/nats.conf" > "$NATS_DIR/nojs.conf"
nats-server -c "$NATS_DIR/nojs.conf" > "$NATS_DIR/nojs.log" 2>&1 &
NOJS_PID=$!
PIDS="$PIDS $NOJS_PID"
check "a nats-server without JetStream starts" wait_port "$NOJS_PORT" 10
lacks "it has no JetStream" "$NATS_DIR/nojs.conf" "jetstream"
nats_datastore nojs
sed -i "s/^endpoints = .*/endpoints = 127.0.0.1:$NOJS_PORT/" "$CONF/datastores.d/nojs.ini"
tenant gamma datastore=nojs
certlc run --once > nojs.out 2>&1
contains "provisioning says JetStream must be enabled on that server" nojs.out \
    "JetStream must be enabled on the NATS server at tls://127.0.0.1:$NOJS_PORT"
certlc describe tcp gamma > nojs.describe 2>&1
contains "and so does the tenant's status" nojs.describe "JetStream must be enabled"
kill "$NOJS_PID"; wait "$NOJS_PID" 2>/dev/null
finish
