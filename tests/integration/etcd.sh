# A real etcd for the integration tests: source it after lib.sh.
#
#   etcd_pki DIR            CA, server and CN-less admin certificates (openssl)
#   etcd_start NAME [auth]  starts etcd on free loopback ports, TLS only,
#                           --client-cert-auth; with "auth", a root user
#                           (password in $ETCD_DIR/root.pass) and auth enabled.
#                           Sets ETCD_PORT, ETCD_PID, ETCD_DIR; its PID goes
#                           to $PIDS, so lib.sh stops it at exit, pass or fail.
#   etcd_stop               stops it (by PID), keeping its data
#   etcd_restart            starts it again on the same port and data
#   etcd_admin ARGS...      etcdctl as root with the admin certificate
#   etcd_as CRT KEY ARGS... etcdctl with a tenant's certificate
#   etcd_datastore NAME [extra lines]  writes $CONF/datastores.d/NAME.ini
#   secret_pem SECRET KEY FILE        a Secret's data value into a file

ETCD_ROOT_PASSWORD=${ETCD_ROOT_PASSWORD:-s3cret-root}

# etcd_cert DIR NAME SUBJECT EXT: a certificate signed by DIR/ca.
etcd_cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/$2.key" -out "$1/$2.csr" -subj "$3" 2>/dev/null &&
    printf '%b' "$4" > "$1/$2.ext" &&
    openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
        -CAcreateserial -days 30 -extfile "$1/$2.ext" -out "$1/$2.crt" 2>/dev/null &&
    chmod 600 "$1/$2.key"
}

etcd_pki() {
    mkdir -p "$1" && chmod 700 "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/ca.key" -out "$1/ca.crt" -subj "/CN=etcd-ca-$(basename "$1")" \
        -days 30 2>/dev/null || return 1
    chmod 600 "$1/ca.key"
    etcd_cert "$1" server /CN=etcd-server \
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' &&
    # No CN: etcd 3.4's gateway refuses client certificates that carry one.
    etcd_cert "$1" admin /O=certlc-admin 'extendedKeyUsage=clientAuth\n'
}

etcd_start() {
    ETCD_DIR=$T/etcd-$1
    etcd_pki "$ETCD_DIR/pki" || { not_ok "etcd: cannot make certificates"; return 1; }
    ETCD_PORT=$(free_port)
    ETCD_PEER=$(free_port)
    ETCD_NAME=$1
    etcd_restart || return 1
    if [ "${2:-}" = auth ]; then
        printf '%s\n' "$ETCD_ROOT_PASSWORD" > "$ETCD_DIR/root.pass"
        chmod 600 "$ETCD_DIR/root.pass"
        e="etcdctl --endpoints https://127.0.0.1:$ETCD_PORT --cacert $ETCD_DIR/pki/ca.crt"
        e="$e --cert $ETCD_DIR/pki/admin.crt --key $ETCD_DIR/pki/admin.key"
        { $e user add "root:$ETCD_ROOT_PASSWORD" &&
          { $e role add root || true; } &&
          $e user grant-role root root && $e auth enable; } > "$ETCD_DIR/setup.log" 2>&1 ||
            { not_ok "etcd: cannot enable auth"; sed 's/^/    /' "$ETCD_DIR/setup.log"; return 1; }
    fi
}

etcd_restart() {
    p=$ETCD_DIR/pki
    etcd --name "$ETCD_NAME" --data-dir "$ETCD_DIR/data" \
        --listen-client-urls "https://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "https://127.0.0.1:$ETCD_PEER" \
        --initial-advertise-peer-urls "https://127.0.0.1:$ETCD_PEER" \
        --initial-cluster "$ETCD_NAME=https://127.0.0.1:$ETCD_PEER" \
        --cert-file "$p/server.crt" --key-file "$p/server.key" \
        --trusted-ca-file "$p/ca.crt" --client-cert-auth \
        --peer-cert-file "$p/server.crt" --peer-key-file "$p/server.key" \
        --peer-trusted-ca-file "$p/ca.crt" --peer-client-cert-auth \
        >> "$ETCD_DIR/etcd.log" 2>&1 &
    ETCD_PID=$!
    PIDS="$PIDS $ETCD_PID"
    if ! wait_port "$ETCD_PORT" 20; then
        not_ok "etcd did not start"; tail -5 "$ETCD_DIR/etcd.log" | sed 's/^/    /'; return 1
    fi
    # Listening is not serving yet: wait for /health.
    i=0
    while [ $i -lt 50 ]; do
        curl -sf --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
            "https://127.0.0.1:$ETCD_PORT/health" > /dev/null 2>&1 && return 0
        sleep 0.2; i=$((i + 1))
    done
    not_ok "etcd is not healthy"; return 1
}

etcd_stop() {
    kill "$ETCD_PID" 2>/dev/null
    i=0
    while kill -0 "$ETCD_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

etcd_admin() {
    etcdctl --endpoints "https://127.0.0.1:$ETCD_PORT" --cacert "$ETCD_DIR/pki/ca.crt" \
        --cert "$ETCD_DIR/pki/admin.crt" --key "$ETCD_DIR/pki/admin.key" \
        --user "root:$ETCD_ROOT_PASSWORD" "$@"
}

etcd_as() {
    crt=$1 key=$2; shift 2
    etcdctl --endpoints "https://127.0.0.1:$ETCD_PORT" --cacert "$ETCD_DIR/pki/ca.crt" \
        --cert "$crt" --key "$key" --dial-timeout 3s --command-timeout 5s "$@"
}

# etcd_datastore NAME [LINE...]: a datastore on the running etcd, with auth.
etcd_datastore() {
    name=$1; shift
    mkdir -p "$CONF/datastores.d"
    {
        echo "[datastore $name]"
        echo "driver = etcd"
        echo "endpoints = 127.0.0.1:$ETCD_PORT"
        echo "ca_cert = $ETCD_DIR/pki/ca.crt"
        echo "ca_key = $ETCD_DIR/pki/ca.key"
        echo "client_cert = $ETCD_DIR/pki/admin.crt"
        echo "client_key = $ETCD_DIR/pki/admin.key"
        echo "username = root"
        echo "password_file = $ETCD_DIR/root.pass"
        for l in "$@"; do echo "$l"; done
    } > "$CONF/datastores.d/$name.ini"
}

# The built drivers, copied into the test's plugins_dir (0755).
install_drivers() {
    mkdir -p "$T/plugins.d"
    bindir=$(dirname "$CERTLC_BIN")
    for d in "$@"; do
        cp "$bindir/plugins.d/$d.so" "$T/plugins.d/" && chmod 0755 "$T/plugins.d/$d.so"
    done
}

secret_pem() {
    data "$1" "$2" "${4:-default}" > "$3"
    case "$2" in *.key) chmod 600 "$3" ;; esac
}

# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
    n=$(($1 * 5)); shift
    i=0
    while [ $i -lt $n ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.2; i=$((i + 1))
    done
    return 1
}

# ---- issue 6: a cluster of several members, for the etcd store -------------
#
#   etcd_cluster [N] [auth]  N members (default 3) on free loopback ports,
#                            one PKI (etcd_pki), TLS and --client-cert-auth
#                            everywhere; with "auth", root user and auth on.
#                            Sets ETCDC_DIR, ETCDC_N, ETCDC_ENDPOINTS (the
#                            client URLs, comma-separated) and ETCDC_PID_i,
#                            ETCDC_PORT_i (i = 1..N); every PID goes to $PIDS.
#   etcdc_stop I / etcdc_start I   stop member I (by PID) / start it again
#   etcdc ARGS...            etcdctl on every endpoint, admin certificate
#                            (and root when auth is on)
#   etcd_store_conf          the [store.etcd] lines for write_conf
etcd_cluster() {
    ETCDC_N=${1:-3}
    ETCDC_AUTH=${2:-}
    ETCDC_DIR=$T/etcd-cluster
    etcd_pki "$ETCDC_DIR/pki" || { not_ok "etcd cluster: cannot make certificates"; return 1; }
    ETCDC_INITIAL="" ETCDC_ENDPOINTS=""
    # Loop variables are named apart: sh has no local variables.
    ec_m=1
    while [ $ec_m -le "$ETCDC_N" ]; do
        eval "ETCDC_PORT_$ec_m=$(free_port)"
        eval "ETCDC_PEER_$ec_m=$(free_port)"
        eval "ETCDC_INITIAL=\"\${ETCDC_INITIAL:+\$ETCDC_INITIAL,}m$ec_m=https://127.0.0.1:\$ETCDC_PEER_$ec_m\""
        eval "ETCDC_ENDPOINTS=\"\${ETCDC_ENDPOINTS:+\$ETCDC_ENDPOINTS,}https://127.0.0.1:\$ETCDC_PORT_$ec_m\""
        ec_m=$((ec_m + 1))
    done
    ec_m=1
    while [ $ec_m -le "$ETCDC_N" ]; do etcdc_launch $ec_m new; ec_m=$((ec_m + 1)); done
    ec_m=1
    while [ $ec_m -le "$ETCDC_N" ]; do etcdc_wait $ec_m || return 1; ec_m=$((ec_m + 1)); done
    if [ "$ETCDC_AUTH" = auth ]; then
        printf '%s\n' "$ETCD_ROOT_PASSWORD" > "$ETCDC_DIR/root.pass"
        chmod 600 "$ETCDC_DIR/root.pass"
        { ETCDC_AUTH= etcdc user add "root:$ETCD_ROOT_PASSWORD" &&
          { ETCDC_AUTH= etcdc role add root || true; } &&
          ETCDC_AUTH= etcdc user grant-role root root &&
          ETCDC_AUTH= etcdc auth enable; } > "$ETCDC_DIR/setup.log" 2>&1 ||
            { not_ok "etcd cluster: cannot enable auth"; sed 's/^/    /' "$ETCDC_DIR/setup.log"; return 1; }
    fi
}

etcdc_launch() {
    p=$ETCDC_DIR/pki
    eval "port=\$ETCDC_PORT_$1 peer=\$ETCDC_PEER_$1"
    etcd --name "m$1" --data-dir "$ETCDC_DIR/m$1" \
        --listen-client-urls "https://127.0.0.1:$port" \
        --advertise-client-urls "https://127.0.0.1:$port" \
        --listen-peer-urls "https://127.0.0.1:$peer" \
        --initial-advertise-peer-urls "https://127.0.0.1:$peer" \
        --initial-cluster "$ETCDC_INITIAL" --initial-cluster-state "$2" \
        --initial-cluster-token "certlc-test-$$" \
        --heartbeat-interval 50 --election-timeout 500 \
        --cert-file "$p/server.crt" --key-file "$p/server.key" \
        --trusted-ca-file "$p/ca.crt" --client-cert-auth \
        --peer-cert-file "$p/server.crt" --peer-key-file "$p/server.key" \
        --peer-trusted-ca-file "$p/ca.crt" --peer-client-cert-auth \
        >> "$ETCDC_DIR/m$1.log" 2>&1 &
    eval "ETCDC_PID_$1=$!"
    PIDS="$PIDS $!"
}

etcdc_wait() {
    eval "port=\$ETCDC_PORT_$1"
    p=$ETCDC_DIR/pki
    wait_port "$port" 20 || { not_ok "etcd member m$1 did not start"; tail -5 "$ETCDC_DIR/m$1.log" | sed 's/^/    /'; return 1; }
    ec_w=0
    while [ $ec_w -lt 100 ]; do
        curl -sf --max-time 2 --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
            "https://127.0.0.1:$port/health" > /dev/null 2>&1 && return 0
        sleep 0.2; ec_w=$((ec_w + 1))
    done
    not_ok "etcd member m$1 is not healthy"; tail -5 "$ETCDC_DIR/m$1.log" | sed 's/^/    /'; return 1
}

etcdc_stop() {
    eval "pid=\$ETCDC_PID_$1"
    kill "$pid" 2>/dev/null
    ec_w=0
    while kill -0 "$pid" 2>/dev/null && [ $ec_w -lt 50 ]; do sleep 0.1; ec_w=$((ec_w + 1)); done
}

etcdc_start() {
    etcdc_launch "$1" existing
    eval "port=\$ETCDC_PORT_$1"
    wait_port "$port" 20
}

etcdc() {
    if [ "$ETCDC_AUTH" = auth ]; then
        set -- --user "root:$ETCD_ROOT_PASSWORD" "$@"
    fi
    etcdctl --endpoints "$ETCDC_ENDPOINTS" --cacert "$ETCDC_DIR/pki/ca.crt" \
        --cert "$ETCDC_DIR/pki/admin.crt" --key "$ETCDC_DIR/pki/admin.key" \
        --dial-timeout 3s --command-timeout 10s "$@"
}

etcd_store_conf() {
    echo "[store.etcd]"
    echo "endpoints = $ETCDC_ENDPOINTS"
    echo "ca_cert = $ETCDC_DIR/pki/ca.crt"
    echo "client_cert = $ETCDC_DIR/pki/admin.crt"
    echo "client_key = $ETCDC_DIR/pki/admin.key"
    if [ "$ETCDC_AUTH" = auth ]; then
        echo "username = root"
        echo "password_file = $ETCDC_DIR/root.pass"
    fi
}
