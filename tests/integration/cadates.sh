# CAs with chosen validity dates, made with the openssl command line (the
# req command cannot date a certificate in the past or the future; the ca
# command's -startdate/-enddate can), and put in place of a tenant's CA
# with `certlc apply -f`. Source it after lib.sh.
#
#   mk_ca DIR START END     DIR/ca.crt, DIR/ca.key: a self-signed CA for
#                           /CN=kubernetes (the plan's main CA), valid
#                           from START to END (YYYYMMDDHHMMSSZ)
#   utc WHEN                WHEN (as date -d takes it) as YYYYMMDDHHMMSSZ
#   apply_ca TENANT DIR     TENANT-ca becomes DIR's CA (Secret JSON, 0600)
#   leaves_chain TENANT     every leaf of TENANT verifies against its own
#                           stored CA (front-proxy-client against the
#                           front-proxy CA, konnectivity when there), and
#                           every kubeconfig's client certificate (each
#                           *.conf of each kubeconfig Secret, super-admin.conf
#                           included) against TENANT-ca; the first that does
#                           not (or is missing) is named on stdout

utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

mk_ca() {
    mkdir -p "$1/db" && chmod 700 "$1" && : > "$1/db/index" && echo 01 > "$1/db/serial"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/ca.key" -out "$1/ca.csr" -subj /CN=kubernetes 2>/dev/null || return 1
    chmod 600 "$1/ca.key"
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' > "$1/ext"
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\nserial=%s\nnew_certs_dir=%s\npolicy=p\ndefault_md=sha256\nunique_subject=no\n[p]\ncommonName=supplied\n' \
        "$1/db/index" "$1/db/serial" "$1/db" > "$1/db/ca.cnf"
    openssl ca -batch -selfsign -config "$1/db/ca.cnf" -keyfile "$1/ca.key" \
        -startdate "$2" -enddate "$3" -extfile "$1/ext" -in "$1/ca.csr" \
        -out "$1/ca.crt" -notext > /dev/null 2>&1
}

apply_ca() {
    jq -n --arg n "$1-ca" --arg t "$1" --arg c "$(base64 -w0 < "$2/ca.crt")" \
        --arg k "$(base64 -w0 < "$2/ca.key")" \
        '{apiVersion:"v1",kind:"Secret",metadata:{name:$n,namespace:"default",
          labels:{"kamaji.clastix.io/name":$t,"kamaji.clastix.io/component":"ca",
                  "app.kubernetes.io/managed-by":"certlc"}},
          type:"Opaque",data:{"ca.crt":$c,"ca.key":$k}}' > "$2/secret.json"
    chmod 600 "$2/secret.json"
    certlc apply -f "$2/secret.json"
}

leaves_chain() {
    d="$T/chain"
    secrets_to "$d" || { echo "cannot list the Secrets"; return 1; }
    ca="$d/$1-ca/ca.crt" fp="$d/$1-front-proxy-ca-certificate/front-proxy-ca.crt"
    [ -s "$ca" ] || { echo "$1-ca missing"; return 1; }
    [ -s "$fp" ] || { echo "$1-front-proxy-ca-certificate missing"; return 1; }
    # What to verify, one "CAFILE CERTFILE NAME" a line: the leaves, then
    # the kubeconfigs' client certificates. One openssl verify for all of
    # them under each CA; when that fails, one at a time names the first
    # that does not verify (an openssl a certificate was most of the CPU
    # of the scripts that call this in a loop).
    : > "$T/chain.list"
    # SECRET/KEY:CA; a "?" before the name: only when the Secret exists.
    for x in api-server-certificate/apiserver.crt:"$ca" \
             api-server-kubelet-client-certificate/apiserver-kubelet-client.crt:"$ca" \
             front-proxy-client-certificate/front-proxy-client.crt:"$fp" \
             ?konnectivity-certificate/tls.crt:"$ca"; do
        sk=${x%%:*} opt=""
        case $sk in \?*) opt=1; sk=${sk#\?} ;; esac
        leaf="$d/$1-$sk"
        if [ ! -s "$leaf" ]; then
            [ -n "$opt" ] && [ ! -d "${leaf%/*}" ] && continue
            echo "$1-$sk missing"; return 1
        fi
        echo "${x#*:} $leaf $1-$sk" >> "$T/chain.list"
    done
    for kc in admin controller-manager scheduler; do
        [ -d "$d/$1-$kc-kubeconfig" ] || { echo "$1-$kc-kubeconfig missing"; return 1; }
    done
    # Every kubeconfig of every kubeconfig Secret (super-admin.conf beside
    # admin.conf from v1.29, konnectivity-server.conf with konnectivity).
    n=0
    for conf in "$d/$1"-*-kubeconfig/*.conf; do
        n=$((n + 1))
        kubeconfig_field "$conf" client-certificate-data > "$T/chain-leaf.$n.pem"
        what="${conf#"$d/"}"
        [ -s "$T/chain-leaf.$n.pem" ] || { echo "$what has no client certificate"; return 1; }
        echo "$ca $T/chain-leaf.$n.pem $what" >> "$T/chain.list"
    done
    for c in "$ca" "$fp"; do
        # shellcheck disable=SC2046
        openssl verify -CAfile "$c" $(awk -v c="$c" '$1 == c {print $2}' "$T/chain.list") < /dev/null > /dev/null 2>&1 && continue
        while read -r cafile file name; do
            [ "$cafile" = "$c" ] || continue
            openssl verify -CAfile "$c" "$file" > /dev/null 2>&1 || {
                case $name in *.conf) echo "$name does not verify" ;; *) echo "$name does not verify against its CA" ;; esac
                return 1; }
        done < "$T/chain.list"
        echo "openssl verify under $c failed, yet each certificate verifies alone"; return 1
    done
}

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
