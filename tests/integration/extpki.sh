# Certificates for the servers of the external-PKI drivers (PostgreSQL,
# MariaDB, NATS) and for the test playing the external PKI, made with the
# openssl command line. Source it after lib.sh.
#
#   pki_ca DIR [CN]                    DIR/ca.crt, DIR/ca.key (P-256, 30 days)
#   pki_cert DIR NAME SUBJECT EXT [DAYS|-SECONDS_AGO:SECONDS]
#                                      DIR/NAME.crt/.key signed by DIR/ca
#   pki_server DIR                     DIR/server.crt for 127.0.0.1/localhost
#   pki_client DIR NAME [CN]           a clientAuth certificate
#   pki_expired DIR NAME               a clientAuth certificate that expired

pki_ca() {
    mkdir -p "$1" && chmod 700 "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/ca.key" -out "$1/ca.crt" -subj "/CN=${2:-ca-$(basename "$1")}" \
        -days 30 2>/dev/null || return 1
    chmod 600 "$1/ca.key"
}

pki_cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/$2.key" -out "$1/$2.csr" -subj "$3" 2>/dev/null || return 1
    chmod 600 "$1/$2.key"
    printf '%b' "$4" > "$1/$2.ext"
    case "${5:-30}" in
    expired)
        # openssl x509 -req has no start date: sign with the ca command's
        # explicit dates, a validity that ended yesterday.
        mkdir -p "$1/db" && : > "$1/db/index" && echo 01 > "$1/db/serial.$2"
        printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\nserial=%s\nnew_certs_dir=%s\npolicy=p\ndefault_md=sha256\n[p]\ncommonName=supplied\n' \
            "$1/db/index" "$1/db/serial.$2" "$1/db" > "$1/db/ca.cnf"
        openssl ca -batch -config "$1/db/ca.cnf" -cert "$1/ca.crt" -keyfile "$1/ca.key" \
            -startdate 20200101000000Z -enddate "$(date -u -d yesterday +%Y%m%d%H%M%SZ)" \
            -extfile "$1/$2.ext" -in "$1/$2.csr" -out "$1/$2.crt" -notext 2>/dev/null
        ;;
    *)
        openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
            -CAcreateserial -days "${5:-30}" -extfile "$1/$2.ext" -out "$1/$2.crt" 2>/dev/null
        ;;
    esac
}

pki_server() {
    pki_cert "$1" server /CN=localhost \
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
}

pki_client() {
    pki_cert "$1" "$2" "/CN=${3:-$2}" 'extendedKeyUsage=clientAuth\n' "${4:-30}"
}

pki_expired() {
    pki_cert "$1" "$2" "/CN=${3:-$2}" 'extendedKeyUsage=clientAuth\n' expired
}

# The built drivers, copied into the test's plugins_dir (as etcd.sh does).
if ! command -v install_drivers > /dev/null 2>&1; then
install_drivers() {
    mkdir -p "$T/plugins.d"
    bindir=$(dirname "$CERTLC_BIN")
    for d in "$@"; do
        cp "$bindir/plugins.d/$d.so" "$T/plugins.d/" && chmod 0755 "$T/plugins.d/$d.so"
    done
}
fi

# wait_for SECONDS COMMAND...: until the command succeeds (as etcd.sh does).
if ! command -v wait_for > /dev/null 2>&1; then
wait_for() {
    n=$(($1 * 5)); shift
    i=0
    while [ $i -lt $n ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.2; i=$((i + 1))
    done
    return 1
}
fi
