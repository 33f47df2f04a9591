# The postgresql driver against a real PostgreSQL 15 (TLS only, client
# certificates verified, scram-sha-256), and the external-PKI flow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpki.sh"
. "$(dirname "$0")/postgres.sh"
. "$(dirname "$0")/extflow.sh"

DRV=postgresql
srv_stop() { pg_stop; }
srv_restart() { pg_restart; }
mk_datastore() { pg_datastore "$@"; }
space_exists() {
    [ "$(pg_admin "SELECT count(*) FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = '$1' AND r.rolname = '$1'")" = 1 ]
}
client_as() {
    PGPASSWORD=$(cfg "$1" "$2" DB_PASSWORD) "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        "$(pg_conn "$(cfg "$1" "$2" DB_USER)" "$(cfg "$1" "$2" DB_SCHEMA)" "$3" "$4")" \
        -c "CREATE TABLE IF NOT EXISTS t (a int); INSERT INTO t VALUES (1); SELECT count(*) FROM t"
}

pg_start || { finish; exit 1; }
X_PKI=$PG_PKI
ext_flow
# The running operator: a rotation asked for with the rotate annotation,
# then a delivery, which the operator sees through its watch.
pki_client "$T/pki" c4 tenant-client 50
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
# A reload first: the DataStore instance of the external driver must not
# keep pointing into the configuration the reload frees (under ASan, the
# operator would stop on a heap use-after-free at the next delivery).
check "the operator starts" wait_for 20 grep -q "operator started" operator.log
echo "; reloaded" >> "$CONF/certlc.ini"
kill -HUP "$OP"
check "SIGHUP reloads the configuration" wait_for 10 grep -q "configuration reloaded" operator.log
certlc rotate secret alpha-datastore-certificate > rotate.txt 2>&1
check "the operator removes the referenced Secret on the rotate annotation" wait_for 20 ext_gone
check "and keeps the old one as -previous" wait_for 5 sh -c \
    "$CERTLC_BIN -c $CONF/certlc.ini get secret $EXT_NAME-previous -n $EXT_NS -o json | jq -r '.data[\"tls.crt\"]' | base64 -d | cmp -s - $T/pki/c3.crt"
: > hook.log
deliver op "$T/pki/c4.crt" "$T/pki/c4.key" > /dev/null 2>&1
check "the operator sees the delivery, verifies it and copies it" wait_for 20 copy_is alpha default "$T/pki/c4.crt"
check "and rolls it out" wait_for 10 grep -q "alpha: .*alpha-datastore-certificate" hook.log
kill "$OP"; wait "$OP" 2>/dev/null
contains "the operator logged the acceptance" operator.log "is accepted and verified"
lacks "no sanitizer report from the operator" operator.log "ERROR: AddressSanitizer"
tenant_cert alpha default "$T/cur-alpha"

# Tenants are kept apart: alpha's role cannot reach another database.
PGPASSWORD=$(cfg alpha default DB_PASSWORD) "$PG_BIN/psql" -X -A -t \
    "$(pg_conn "$(cfg alpha default DB_USER)" postgres "$T/cur-alpha.crt" "$T/cur-alpha.key")" \
    -c "CREATE TABLE x (a int)" > other-db 2>&1
contains "alpha may not create in another database" other-db "permission denied"
finish
