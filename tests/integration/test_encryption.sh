# Encryption at rest of the Secrets (encryption_config, kube-apiserver's
# EncryptionConfiguration): on a real etcd, the raw values carry the
# k8s:enc:aesgcm:v1:<key>: envelope and no key material, the command line
# sees plaintext, a restart reads everything back; key rotation with
# rewrite-secrets beside a running operator; a missing key leaves the
# Secrets alone and the tenant not ready, naming the Secret and the key;
# the same envelope in the file store; a badly protected or kms
# configuration is refused.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/etcd.sh"

etcd_cluster 1 || { finish; exit 1; }

KEY1=$(head -c 32 /dev/urandom | base64)
KEY2=$(head -c 32 /dev/urandom | base64)
KEY3=$(head -c 16 /dev/urandom | base64)

# enc_conf NAME...: encryption.yaml with aesgcm keys NAME (key1, key2,
# key3) in that order, the way kube-apiserver reads it.
enc_conf() {
    {
        echo "apiVersion: apiserver.config.k8s.io/v1"
        echo "kind: EncryptionConfiguration"
        echo "resources:"
        echo "  - resources:"
        echo "      - secrets"
        echo "    providers:"
        echo "      - aesgcm:"
        echo "          keys:"
        for k in "$@"; do
            case $k in key1) s=$KEY1 ;; key2) s=$KEY2 ;; *) s=$KEY3 ;; esac
            echo "            - name: $k"
            echo "              secret: $s"
        done
    } > "$CONF/encryption.yaml"
    chmod 600 "$CONF/encryption.yaml"
}

# The raw etcd values of every Secret, one "<key> <first 23 bytes>" a line.
raw_prefixes() {
    etcdc get --prefix /certlc/secrets/ -w json |
        jq -r '.kvs[] | "\(.key) \(.value)"' |
        while read -r k v; do
            printf '%s %s\n' "$(printf '%s' "$k" | base64 -d)" \
                "$(printf '%s' "$v" | base64 -d | head -c 23)"
        done
}
# Every Secret's etcd key and mod_revision: changes when anything is written.
revisions() {
    etcdc get --prefix /certlc/secrets/ -w json |
        jq -r '.kvs[] | "\(.key) \(.mod_revision)"' | sort
}
all_name() { # KEYNAME: every raw value names that key
    raw_prefixes > raw.txt
    [ -s raw.txt ] && ! grep -v " k8s:enc:aesgcm:v1:$1:\$" raw.txt
}

mkdir -p "$CONF"
enc_conf key1
write_conf "store = etcd" "encryption_config = encryption.yaml" "$(etcd_store_conf)"
tenant alpha

# --- the envelope on etcd.
certlc run --once > once1.out 2>&1
check "the operator provisions the tenant with encryption_config set" grep -q "created" once1.out
check "every Secret value in etcd starts k8s:enc:aesgcm:v1:key1:" all_name key1
NSEC=$(wc -l < raw.txt)
check "all $NSEC of them" test "$NSEC" -eq 9
etcdc get /certlc/secrets/default/alpha-ca --print-value-only > ca.raw
lacks "the raw CA value holds no PEM" ca.raw "PRIVATE KEY"
lacks "the raw CA value holds no base64 PEM" ca.raw "LS0tLS1CRUdJTi"
lacks "the raw CA value holds no Secret JSON" ca.raw '"kind"'
data alpha-ca ca.key > ca.key
check "get secret -o json shows the plaintext key" openssl pkey -in ca.key -noout
data alpha-ca ca.crt > ca1.crt
revisions > rev1.txt

# --- a restart reads everything back, nothing is reissued.
certlc run --once > once2.out 2>&1
contains "a second pass reads every Secret back" once2.out "0 created, 0 reissued, 9 unchanged, 0 failed"
revisions > rev2.txt
check "nothing was written" cmp rev1.txt rev2.txt
certlc get tcp > tcp.txt
contains "the tenant is Ready" tcp.txt " Ready "

# --- rotation: key2 first (SIGHUP re-reads the keys), rewrite beside a
# running operator.
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator starts with key1" \
    wait_for 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -q ' Ready '"
# The tenant was Ready before this operator began: SIGHUP must wait for
# its start (logged once SIGHUP is its own), or it ends the operator.
check "the operator says it started" wait_for 20 grep -q "operator started" op.log
enc_conf key2 key1
kill -HUP "$OP"
check "SIGHUP reloads the configuration" wait_for 20 grep -q "configuration reloaded" op.log
certlc delete secret alpha-front-proxy-client-certificate > /dev/null 2>&1
fp_raw() {
    etcdc get /certlc/secrets/default/alpha-front-proxy-client-certificate --print-value-only |
        head -c 23 | grep -qx 'k8s:enc:aesgcm:v1:key2:'
}
check "after SIGHUP the operator writes with key2" wait_for 20 fp_raw
check "the operator with key2 first still reads key1's values" \
    wait_for 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -q ' Ready '"
certlc rewrite-secrets > rw1.out 2>&1
check "rewrite-secrets succeeds" test $? -eq 0
contains "rewrite-secrets says what it did (the Secret issued after SIGHUP already was)" rw1.out "$((NSEC - 1)) Secret(s) rewritten with aesgcm key \"key2\", 1 already were, 0 failed"
check "every raw value now names key2" all_name key2
certlc rewrite-secrets > rw2.out 2>&1
contains "a second run has nothing left to do (resumable)" rw2.out "0 Secret(s) rewritten with aesgcm key \"key2\", $NSEC already were"
sleep 1
lacks "the operator reissued nothing meanwhile" op.log '" reissued'
kill "$OP"
wait "$OP" 2>/dev/null
enc_conf key2
certlc run --once > once3.out 2>&1
contains "without key1, after a restart, everything still reads" once3.out "0 created, 0 reissued, 9 unchanged, 0 failed"
data alpha-ca ca.crt > ca2.crt
check "the CA is the same one" cmp ca1.crt ca2.crt

# --- a missing key: nothing reissued, the tenant not ready with the reason.
revisions > rev3.txt
enc_conf key3
certlc run --once > once4.out 2>&1
check "the pass fails" test $? -ne 0
revisions > rev4.txt
check "no Secret was written (no CA rotation)" cmp rev3.txt rev4.txt
contains "the pass names the Secret" once4.out 'secret "alpha-ca"'
contains "and the key its value names" once4.out 'aesgcm key "key2"'
etcdc get /certlc/status/default/alpha --print-value-only > status.json
check "the tenant is NotReady, naming alpha-ca and key2" \
    jq -e '.phase == "NotReady" and (.conditions[] | select(.type == "Ready") | .message | test("alpha-ca.*aesgcm key \"key2\""))' status.json
certlc get secret alpha-ca -o json > get.out 2>&1
check "get secret fails" test $? -ne 0
contains "get secret says which key is missing" get.out 'aesgcm key "key2", which is not listed in'
enc_conf key2
certlc run --once > once5.out 2>&1
contains "with the key back, everything reads again" once5.out "0 created, 0 reissued, 9 unchanged, 0 failed"
data alpha-ca ca.crt > ca3.crt
check "still the same CA" cmp ca1.crt ca3.crt

# --- the configuration file: 0600, of the operator's user, no kms.
chmod 644 "$CONF/encryption.yaml"
certlc get secrets > mode.out 2>&1
check "a group- or world-readable encryption_config is refused" test $? -ne 0
contains "naming the file and the fix" mode.out "encryption.yaml: mode 0644"
contains "with chmod" mode.out "chmod 600"
{
    echo "apiVersion: apiserver.config.k8s.io/v1"
    echo "kind: EncryptionConfiguration"
    echo "resources:"
    echo "  - resources: [secrets]"
    echo "    providers:"
    echo "      - kms:"
    echo "          apiVersion: v2"
    echo "          name: vault"
    echo "          endpoint: unix:///run/kms.sock"
} > "$CONF/encryption.yaml"
chmod 600 "$CONF/encryption.yaml"
certlc get secrets > kms.out 2>&1
check "kms is refused" test $? -ne 0
contains "with a clear message" kms.out "kms provider is not supported"

# --- the same envelope in the file store.
enc_conf key1
write_conf "encryption_config = encryption.yaml"
certlc run --once > f1.out 2>&1
contains "the file store provisions the tenant" f1.out "0 failed"
head -c 23 "$T/state/default/alpha-ca.json" > f.prefix
check "the file starts k8s:enc:aesgcm:v1:key1:" test "$(cat f.prefix)" = "k8s:enc:aesgcm:v1:key1:"
check "the file is 0600" test "$(stat -c %a "$T/state/default/alpha-ca.json")" = 600
lacks "the file holds no PEM" "$T/state/default/alpha-ca.json" "PRIVATE KEY"
lacks "the file holds no base64 PEM" "$T/state/default/alpha-ca.json" "LS0tLS1CRUdJTi"
data alpha-ca ca.key > fca.key
check "get secret shows the plaintext key" openssl pkey -in fca.key -noout
certlc run --once > f2.out 2>&1
contains "a restart reads it back" f2.out "0 created, 0 reissued, 9 unchanged, 0 failed"
enc_conf key2 key1
certlc rewrite-secrets > frw.out 2>&1
contains "rewrite-secrets on the file store" frw.out "rewritten with aesgcm key \"key2\", 0 already were, 0 failed"
check "every file names key2" sh -c "for f in '$T'/state/default/*.json; do [ \"\$(head -c 23 \"\$f\")\" = 'k8s:enc:aesgcm:v1:key2:' ] || exit 1; done"
sha256sum "$T"/state/default/*.json > f.sum
enc_conf key1
certlc run --once > f3.out 2>&1
check "without key2 the pass fails" test $? -ne 0
check "and no file was rewritten" sha256sum -c --quiet f.sum
contains "naming the Secret and key2" f3.out 'aesgcm key "key2"'
enc_conf key2
certlc run --once > f4.out 2>&1
contains "with key2 back everything reads" f4.out "0 created, 0 reissued, 9 unchanged, 0 failed"

# --- a datastore's Secrets: no new password, no new certificate.
etcd_start ds auth || { finish; exit 1; }
install_drivers etcd
etcd_datastore main
tenant gamma datastore=main
certlc run --once > d1.out 2>&1
contains "a tenant with an etcd datastore is provisioned" d1.out "default/gamma: ready"
serial() { data gamma-datastore-certificate server.crt | openssl x509 -noout -serial; }
sn1=$(serial)
check "its datastore certificate is stored" test -n "$sn1"
check "the datastore Secrets are encrypted too" sh -c "[ \"\$(head -c 23 '$T/state/default/gamma-datastore-config.json')\" = 'k8s:enc:aesgcm:v1:key2:' ]"
sha256sum "$T"/state/default/gamma-*.json > d.sum
enc_conf key1
certlc run --once > d2.out 2>&1
check "without key2 the pass fails" test $? -ne 0
check "and no Secret of gamma was rewritten" sha256sum -c --quiet d.sum
check "the datastore-config is reported, naming key2" grep -q 'secret "gamma-datastore-config" FAILED: .*aesgcm key "key2"' d2.out
enc_conf key2
certlc run --once > d3.out 2>&1
contains "with key2 back the tenant is ready again" d3.out "default/gamma: ready"
check "with the same datastore certificate" test "$(serial)" = "$sn1"
check "and the same Secrets" sha256sum -c --quiet d.sum

# --- nothing of a key, plaintext or ciphertext in any output or log.
cat ./*.out op.log > all.log
lacks "no key1 in the logs" all.log "$KEY1"
lacks "no key2 in the logs" all.log "$KEY2"
lacks "no key3 in the logs" all.log "$KEY3"
lacks "no PEM in the logs" all.log "PRIVATE KEY"
lacks "no envelope in the logs" all.log "k8s:enc:aesgcm:v1:key2:"

finish
