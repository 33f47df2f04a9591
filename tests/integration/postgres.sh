# A real PostgreSQL 15 (Debian postgresql-15) for the integration tests:
# source it after lib.sh and extpki.sh.
#
#   pg_start        initdb into $T/pg (owned by the postgres user: the server
#                   refuses to run as root), ssl = on, only
#                   "hostssl all all 127.0.0.1/32 scram-sha-256
#                   clientcert=verify-ca" in pg_hba.conf, on a free loopback
#                   port, no Unix socket. Sets PG_PORT, PG_PID, PG_DIR,
#                   PG_PKI (ca, server, admin certificates), PG_ADMIN_PASS
#                   (also in $PG_PKI/admin.pass); the PID goes to $PIDS.
#   pg_stop         stops it by PID (SIGINT: "fast" shutdown), keeping data
#   pg_restart      starts it again on the same port and data
#   pg_admin SQL    psql as the superuser with the admin certificate
#   pg_datastore NAME [LINE...]  $CONF/datastores.d/NAME.ini for the driver

PG_BIN=/usr/lib/postgresql/15/bin
PG_ADMIN_PASS=${PG_ADMIN_PASS:-pg-admin-s3cret}

pg_start() {
    PG_DIR=$T/pg
    PG_PKI=$T/pg-pki
    # The postgres user must reach its data directory under $T.
    chmod 711 "$T"
    pki_ca "$PG_PKI" pg-test-ca && pki_server "$PG_PKI" &&
        pki_client "$PG_PKI" admin postgres ||
        { not_ok "postgres: cannot make certificates"; return 1; }
    printf '%s\n' "$PG_ADMIN_PASS" > "$PG_PKI/admin.pass"
    chmod 600 "$PG_PKI/admin.pass"
    mkdir -p "$PG_DIR" && chown postgres:postgres "$PG_DIR" && chmod 700 "$PG_DIR"
    runuser -u postgres -- sh -c "umask 077; printf '%s\n' '$PG_ADMIN_PASS' > '$PG_DIR/pw'"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
        --auth=scram-sha-256 --pwfile="$PG_DIR/pw" -E UTF8 --locale=C.UTF-8 \
        > "$PG_DIR/initdb.log" 2>&1 ||
        { not_ok "postgres: initdb failed"; tail -5 "$PG_DIR/initdb.log" | sed 's/^/    /'; return 1; }
    rm -f "$PG_DIR/pw"
    for f in ca.crt server.crt server.key; do
        install -o postgres -g postgres -m 0600 "$PG_PKI/$f" "$PG_DIR/data/$f"
    done
    PG_PORT=$(free_port)
    cat >> "$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
ssl = on
ssl_ca_file = 'ca.crt'
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = scram-sha-256
fsync = off
shared_buffers = 16MB
max_connections = 30
CONF
    echo "hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca" \
        > "$PG_DIR/data/pg_hba.conf"
    pg_restart
}

pg_restart() {
    # setpriv execs: $! is the postmaster itself, so signals reach it.
    setpriv --reuid=postgres --regid=postgres --init-groups \
        "$PG_BIN/postgres" -D "$PG_DIR/data" >> "$PG_DIR/postgres.log" 2>&1 &
    PG_PID=$!
    PIDS="$PIDS $PG_PID"
    i=0
    while [ $i -lt 100 ]; do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && return 0
        sleep 0.2; i=$((i + 1))
    done
    not_ok "postgres did not start"; tail -5 "$PG_DIR/postgres.log" | sed 's/^/    /'; return 1
}

pg_stop() {
    # SIGINT is the postmaster's fast shutdown.
    kill -INT "$PG_PID" 2>/dev/null
    i=0
    while kill -0 "$PG_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# pg_conn USER DB CRT KEY: a libpq connection string, verify-full.
pg_conn() {
    echo "host=localhost hostaddr=127.0.0.1 port=$PG_PORT user=$1 dbname=$2 sslmode=verify-full sslrootcert=$PG_PKI/ca.crt sslcert=$3 sslkey=$4 connect_timeout=5"
}

pg_admin() {
    PGPASSWORD=$PG_ADMIN_PASS "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        "$(pg_conn postgres postgres "$PG_PKI/admin.crt" "$PG_PKI/admin.key")" -c "$1"
}

pg_datastore() {
    name=$1; shift
    mkdir -p "$CONF/datastores.d"
    {
        echo "[datastore $name]"
        echo "driver = postgresql"
        echo "endpoints = 127.0.0.1:$PG_PORT"
        echo "ca_cert = $PG_PKI/ca.crt"
        echo "client_cert = $PG_PKI/admin.crt"
        echo "client_key = $PG_PKI/admin.key"
        echo "username = postgres"
        echo "password_file = $PG_PKI/admin.pass"
        for l in "$@"; do echo "$l"; done
    } > "$CONF/datastores.d/$name.ini"
}
