# A real MariaDB (Debian mariadb-server) for the integration tests: source
# it after lib.sh and extpki.sh.
#
#   my_start        mariadb-install-db into $T/my, then mariadbd on a free
#                   loopback port with require-secure-transport = ON and the
#                   test CA's server certificate; the password-less root
#                   accounts install-db makes for TCP are dropped, and an
#                   admin user (REQUIRE X509, password in $MY_PKI/admin.pass)
#                   is made. Sets MY_PORT, MY_PID, MY_DIR, MY_PKI; the PID
#                   goes to $PIDS.
#   my_stop         stops it by PID, keeping its data
#   my_restart      starts it again on the same port and data
#   my_admin SQL    the mariadb client as the admin, over TLS with its cert
#   my_datastore NAME [LINE...]  $CONF/datastores.d/NAME.ini for the driver

MY_ADMIN_PASS=${MY_ADMIN_PASS:-my-admin-s3cret}

# mariadb-install-db into $MY_DIR/data, its output in install.log.
my_install() {
    mariadb-install-db --no-defaults --user=root --datadir="$MY_DIR/data" \
        --auth-root-authentication-method=normal --skip-test-db \
        > "$MY_DIR/install.log" 2>&1
}

my_start() {
    MY_DIR=$T/my
    MY_PKI=$T/my-pki
    pki_ca "$MY_PKI" mariadb-test-ca && pki_server "$MY_PKI" &&
        pki_client "$MY_PKI" admin certlc_admin ||
        { not_ok "mariadb: cannot make certificates"; return 1; }
    printf '%s\n' "$MY_ADMIN_PASS" > "$MY_PKI/admin.pass"
    chmod 600 "$MY_PKI/admin.pass"
    mkdir -p "$MY_DIR" && chmod 700 "$MY_DIR"
    # Once more from an empty directory if the bootstrap server dies (seen
    # once on a loaded machine, with only MariaDB's bug-report footer in
    # the log); the second failure is reported with the log's error lines.
    my_install || { rm -rf "$MY_DIR/data"; my_install; } ||
        { not_ok "mariadb: mariadb-install-db failed"
          { grep -i 'error\|abort\|signal' "$MY_DIR/install.log" | head -10
            tail -5 "$MY_DIR/install.log"; } | sed 's/^/    /'; return 1; }
    MY_PORT=$(free_port)
    my_restart || return 1
    # Over the socket (the only way in without TLS): no password-less root
    # over TCP, an admin that needs a certificate and a password.
    my_socket <<SQL > "$MY_DIR/setup.log" 2>&1 ||
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
CREATE USER 'certlc_admin'@'127.0.0.1' IDENTIFIED BY '$MY_ADMIN_PASS' REQUIRE X509;
GRANT ALL PRIVILEGES ON *.* TO 'certlc_admin'@'127.0.0.1' WITH GRANT OPTION;
SQL
        { not_ok "mariadb: setup failed"; sed 's/^/    /' "$MY_DIR/setup.log"; return 1; }
}

my_restart() {
    mariadbd --no-defaults --user=root --datadir="$MY_DIR/data" \
        --socket="$MY_DIR/sock" --pid-file="$MY_DIR/pid" \
        --bind-address=127.0.0.1 --port="$MY_PORT" --skip-name-resolve \
        --ssl-ca="$MY_PKI/ca.crt" --ssl-cert="$MY_PKI/server.crt" \
        --ssl-key="$MY_PKI/server.key" --require-secure-transport=ON \
        --innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
        --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
        --log-error="$MY_DIR/error.log" > /dev/null 2>&1 &
    MY_PID=$!
    PIDS="$PIDS $MY_PID"
    i=0
    while [ $i -lt 150 ]; do
        my_socket -e 'SELECT 1' > /dev/null 2>&1 && wait_port "$MY_PORT" 1 && return 0
        kill -0 "$MY_PID" 2>/dev/null || break
        sleep 0.2; i=$((i + 1))
    done
    not_ok "mariadb did not start"; tail -5 "$MY_DIR/error.log" | sed 's/^/    /'; return 1
}

my_stop() {
    kill "$MY_PID" 2>/dev/null
    i=0
    while kill -0 "$MY_PID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
}

my_socket() {
    mariadb --no-defaults -uroot --socket="$MY_DIR/sock" "$@"
}

# my_as USER PASSWORD CRT KEY [ARGS...]: the mariadb client over TLS,
# verifying the server's certificate.
my_as() {
    u=$1 pw=$2 crt=$3 key=$4; shift 4
    set -- --ssl-cert="$crt" --ssl-key="$key" "$@"
    [ -n "$crt" ] || shift 2
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MY_PORT" -u "$u" --password="$pw" \
        --ssl --ssl-ca="$MY_PKI/ca.crt" --ssl-verify-server-cert \
        --connect-timeout=5 "$@"
}

my_admin() {
    my_as certlc_admin "$MY_ADMIN_PASS" "$MY_PKI/admin.crt" "$MY_PKI/admin.key" -N -B -e "$1"
}

my_datastore() {
    name=$1; shift
    mkdir -p "$CONF/datastores.d"
    {
        echo "[datastore $name]"
        echo "driver = mysql"
        echo "endpoints = 127.0.0.1:$MY_PORT"
        echo "ca_cert = $MY_PKI/ca.crt"
        echo "client_cert = $MY_PKI/admin.crt"
        echo "client_key = $MY_PKI/admin.key"
        echo "username = certlc_admin"
        echo "password_file = $MY_PKI/admin.pass"
        for l in "$@"; do echo "$l"; done
    } > "$CONF/datastores.d/$name.ini"
}
