# The etcd store. The mission's example against a real 3-member
# etcd cluster (TLS, client certificates, etcd auth): provision, delete by
# label, watch them come back, CA rotation through
# CertificateAuthorityRotating (seen with get tcp -w), endpoint failover,
# compare-and-swap between two writers, and certlc migrate from the file
# store.
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
. "$HERE/etcd.sh"

etcd_cluster 3 auth || exit 1
write_conf "store = etcd" "$(etcd_store_conf)"
tenant alpha konnectivity=true
tenant beta

ready_count() { certlc get tcp | grep -c ' Ready '; }
n_secrets() { certlc get secrets -l "$1" -o name | wc -l; }

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator provisions both tenants in etcd" until_ok 30 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -c ' Ready ') -eq 2 ]"
etcdc get --prefix /certlc/secrets/ --keys-only > keys.txt
check "one key per Secret under /certlc/secrets/<ns>/<name>" test "$(grep -c '^/certlc/secrets/default/' keys.txt)" -eq 20
check "the status lives under /certlc/status/<ns>/<tenant>" sh -c "etcdctl --endpoints '$ETCDC_ENDPOINTS' --cacert '$ETCDC_DIR/pki/ca.crt' --cert '$ETCDC_DIR/pki/admin.crt' --key '$ETCDC_DIR/pki/admin.key' --user 'root:$ETCD_ROOT_PASSWORD' get /certlc/status/default/alpha --print-value-only | jq -e .phase"
etcdc get /certlc/secrets/default/alpha-ca --print-value-only > ca.value
check "the value is the Kubernetes Secret JSON the file store writes" sh -c "jq -e '.kind == \"Secret\" and .apiVersion == \"v1\" and .metadata.name == \"alpha-ca\"' ca.value"
rv=$(certlc get secret alpha-ca -o json | jq -r .metadata.resourceVersion)
mod=$(etcdc get /certlc/secrets/default/alpha-ca -w json | jq -r '.kvs[0].mod_revision')
check "resourceVersion is the key's etcd mod_revision ($rv)" test "$rv" = "$mod"
certlc get leader > leader.txt
contains "get leader names this operator" leader.txt "/$OP "

# --- delete by label: exactly those come back.
"$CERTLC_BIN" -c "$CONF/certlc.ini" get tcp -w > watch.out 2>&1 & # not the function: $! must be certlc
W=$!
PIDS="$PIDS $W"
certlc get secrets -o json | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion)"' | sort > s1
certlc delete secret -l kamaji.clastix.io/certificate_lifecycle_controller=x509,kamaji.clastix.io/name=alpha > del.out
check "delete -l deletes alpha's 4 x509 Secrets" test "$(grep -c '^secret "alpha-.*" deleted$' del.out)" -eq 4
start=$(date +%s%N)
check "the operator issues them again (watch through etcd)" until_ok 10 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -l kamaji.clastix.io/name=alpha -o name | wc -l) -eq 11 ]"
echo "# recreated after $(( ($(date +%s%N) - start) / 1000000 )) ms"
until_ok 10 sh -c "certlc() { '$CERTLC_BIN' -c '$CONF/certlc.ini' \"\$@\"; }; [ \$(certlc get tcp | grep -c ' Ready ') -eq 2 ]"
certlc get secrets -o json | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion)"' | sort > s2
changed=$(comm -13 s1 s2 | awk '{print $1}' | sort | tr '\n' ' ')
check "exactly the deleted Secrets changed ($changed)" test "$changed" = "$(sed 's/^secret "\(.*\)" deleted$/\1/' del.out | sort | tr '\n' ' ')"

# --- CA rotation, watched with get tcp -w.
certlc delete secret alpha-ca > /dev/null
check "get tcp -w shows CertificateAuthorityRotating" until_ok 15 grep -q "^alpha .*CertificateAuthorityRotating" watch.out
check "then Ready again" until_ok 20 sh -c "grep -A100 CertificateAuthorityRotating watch.out | grep -q '^alpha .* Ready '"
kill "$W" 2>/dev/null
data alpha-ca ca.crt > ca.crt
for s in api-server-certificate:apiserver api-server-kubelet-client-certificate:apiserver-kubelet-client; do
    data "alpha-${s%%:*}" "${s#*:}.crt" > leaf.crt
    check "alpha-${s%%:*} verifies against the new CA in etcd" openssl verify -CAfile ca.crt leaf.crt
done
data alpha-admin-kubeconfig admin.conf > admin.conf
kubeconfig_field admin.conf client-certificate-data > admin.crt
check "the admin kubeconfig verifies against the new CA" openssl verify -CAfile ca.crt admin.crt

# --- failover: the first endpoint's member stops; the operator goes on.
etcdc_stop 1
certlc delete secret beta-api-server-certificate > /dev/null
check "with member 1 stopped, a deleted Secret comes back (other endpoints)" until_ok 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret beta-api-server-certificate -o name"
etcdc_start 1
contains "the watch said it resumed elsewhere" "$T/op.log" "resuming from revision"

# --- compare-and-swap between two writers.
bindir=$(dirname "$CERTLC_BIN")
san=""
nm "$bindir/libcertlc.a" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
# Every folder of the framework (its layers, scripts/layers.sh).
fw_inc=$(for d in "$SRC"/framework/*/; do printf -- '-I%s ' "${d%/}"; done)
# shellcheck disable=SC2086
if cc -std=c11 -D_GNU_SOURCE $san $fw_inc \
    $(pkg-config --cflags jansson libcurl) -o "$T/store_cas" "$SRC/tests/integration/store_cas.c" \
    "$bindir/libcertlc.a" $(pkg-config --libs libcrypto inih jansson yaml-0.1 libmicrohttpd libcurl libsodium) \
    $(pkg-config --libs libsystemd 2>/dev/null) -ldl -lm -lpthread 2> cc.err; then
    "$T/store_cas" "$CONF/certlc.ini" stale > cas.out 2>&1
    cat cas.out
    FAILS=$((FAILS + $(grep -c '^not ok' cas.out)))
    "$T/store_cas" "$CONF/certlc.ini" prefix > prefix.out 2>&1
    cat prefix.out
    FAILS=$((FAILS + $(grep -c '^not ok' prefix.out)))
    "$T/store_cas" "$CONF/certlc.ini" race 25 > race.out 2> race.err
    read -r count conflicts < race.out
    check "two writers racing 25 increments each: no lost update (count $count, $conflicts conflicts retried)" test "$count" = 50
else
    not_ok "cannot build the CAS helper"; sed 's/^/    /' cc.err
fi

# --- migrate: a file store's tenant into etcd, under another prefix.
mkdir -p "$T/mig/tenants.d"
cat > "$T/mig/file.ini" <<EOF
[certlc]
state_dir = $T/filestate
tenants_dir = $T/mig/tenants.d
plugins_dir = $T/plugins.d
key_algorithm = ecdsa-p256
metrics_listen =
EOF
printf '[tenant gamma]\nversion = v1.26.0\naddress = 127.0.0.1\n' > "$T/mig/tenants.d/gamma.ini"
{ sed 's/^metrics_listen =$/metrics_listen =\nstore = etcd/' "$T/mig/file.ini"; etcd_store_conf; echo "prefix = /migrated"; } > "$T/mig/etcd.ini"
"$CERTLC_BIN" -c "$T/mig/file.ini" run --once > /dev/null 2>&1
"$CERTLC_BIN" -c "$T/mig/etcd.ini" migrate --from file --to etcd > mig.out 2>&1
contains "migrate copies every Secret and the status, and verifies" mig.out "migrated 9 Secret(s) and 1 status(es) from file to etcd; verified"
"$CERTLC_BIN" -c "$T/mig/etcd.ini" migrate --from file --to etcd > mig2.out 2>&1; rc=$?
check "a second migrate is refused" test "$rc" -eq 1
contains "naming what exists already, writing nothing" mig2.out "nothing was written"
"$CERTLC_BIN" -c "$T/mig/etcd.ini" get tcp gamma > gamma.txt 2>&1
contains "the migrated tenant's status reads from etcd" gamma.txt "Ready"
"$CERTLC_BIN" -c "$T/mig/etcd.ini" run --once > once.out 2>&1
contains "the migrated Secrets are valid where they landed (nothing reissued)" once.out "gamma: ready (0 created, 0 reissued, 9 unchanged, 0 failed)"

kill "$OP"
check "the operator stops on SIGTERM" until_ok 10 sh -c "! kill -0 $OP"
contains "and hands the leadership over (lease revoked)" "$T/op.log" "operator stopped"
lacks "no sanitizer report from the operator" "$T/op.log" "Sanitizer"
lacks "no undefined behaviour in the operator" "$T/op.log" "runtime error"

# --- compaction: an operator whose only endpoint is member 3 loses its
# watch while member 3 is down; meanwhile a Secret is deleted and the
# history compacted, so the watch cannot resume where it was: it relists.
eval "P3=\$ETCDC_PORT_3"
sed -e "s|^endpoints = .*|endpoints = https://127.0.0.1:$P3|" \
    -e 's/^store = etcd$/store = etcd\nleader_lease = 60s/' "$CONF/certlc.ini" > "$CONF/m3.ini"
"$CERTLC_BIN" -c "$CONF/m3.ini" run > "$T/op3.log" 2>&1 &
OP3=$!
PIDS="$PIDS $OP3"
check "an operator on member 3 alone leads" until_ok 10 grep -q "leads now" "$T/op3.log"
grep -q "leads now" "$T/op3.log" || sed "s/^/    /" "$CONF/m3.ini" "$T/op3.log"
sleep 1
etcdc_stop 3
certlc delete secret beta-front-proxy-client-certificate > /dev/null
certlc delete secret beta-sa-certificate > /dev/null
rev=$(etcdc get /certlc/leader -w json | jq -r .header.revision)
etcdc compact "$rev" > /dev/null
etcdc_start 3
check "after the compaction its watch relists" until_ok 20 grep -q "was compacted; relisting" "$T/op3.log"
check "and the deleted Secrets come back" until_ok 10 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret beta-front-proxy-client-certificate -o name && '$CERTLC_BIN' -c '$CONF/certlc.ini' get secret beta-sa-certificate -o name"
lacks "without losing the leadership (the relist did it)" "$T/op3.log" "stopped acting"
kill "$OP3"
until_ok 10 sh -c "! kill -0 $OP3"
lacks "no sanitizer report from the second operator" "$T/op3.log" "Sanitizer"
finish
