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
# Tenants are kept apart: alpha's role cannot reach another database.
PGPASSWORD=$(cfg alpha default DB_PASSWORD) "$PG_BIN/psql" -X -A -t \
    "$(pg_conn "$(cfg alpha default DB_USER)" postgres "$T/cur-alpha.crt" "$T/cur-alpha.key")" \
    -c "CREATE TABLE x (a int)" > other-db 2>&1
contains "alpha may not create in another database" other-db "permission denied"
finish
