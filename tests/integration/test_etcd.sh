# The etcd driver against a real etcd 3.4 (Debian etcd-server): TLS only,
# client certificates required, auth enabled with a root user. etcdctl, a
# client nobody here wrote, proves what the tenants' certificates may do.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

etcd_start main auth || { finish; exit 1; }
install_drivers etcd
write_conf "rollout_hook = echo \"\$CERTLC_TCP: \$CERTLC_CHANGED\" >> $T/hook.log"
etcd_datastore main
tenant alpha datastore=main
tenant beta datastore=main namespace=other

certlc run --once > run1 2>&1
check "run --once provisions both tenants in etcd and exits 0" test $? -eq 0
contains "alpha's datastore-config is created" run1 'secret "alpha-datastore-config" created'
contains "alpha's datastore-certificate is created" run1 'secret "alpha-datastore-certificate" created'
contains "alpha is ready with 11 Secrets" run1 "default/alpha: ready (11 created"
contains "the rollout hook saw the datastore Secrets" hook.log "alpha-datastore-certificate"

certlc get secrets -l 'kamaji.clastix.io/certificate_lifecycle_controller=x509,kamaji.clastix.io/component=datastore-certificate' -o name > x509
contains "the datastore certificate carries the x509 lifecycle label" x509 "secret/alpha-datastore-certificate"
data alpha-datastore-config DB_SCHEMA > schema
check "DB_SCHEMA is <namespace>_<name>" grep -qx default_alpha schema
data alpha-datastore-config DB_USER > user
check "DB_USER is the etcd user" grep -qx default_alpha user
data alpha-datastore-config DB_CONNECTION_STRING > conn
check "DB_CONNECTION_STRING names the endpoint" grep -qx "https://127.0.0.1:$ETCD_PORT" conn
certlc get secret alpha-datastore-config -o json > dsconfig.json
check "DB_PASSWORD is there and empty (the etcd user has no password)" \
    jq -e '.data | has("DB_PASSWORD") and .DB_PASSWORD == ""' dsconfig.json

secret_pem alpha-datastore-certificate server.crt a.crt
secret_pem alpha-datastore-certificate server.key a.key
secret_pem alpha-datastore-certificate ca.crt a-ca.crt
secret_pem beta-datastore-certificate server.crt b.crt other
secret_pem beta-datastore-certificate server.key b.key other
check "ca.crt is the DataStore CA" cmp a-ca.crt "$ETCD_DIR/pki/ca.crt"
check "server.key is 0600 when written out by the test (and never group-readable in the store)" \
    sh -c "[ -z \"\$(find '$T/state' -type f ! -perm 0600)\" ]"
openssl x509 -in a.crt -noout -subject -ext extendedKeyUsage > a.txt 2>&1
contains "the certificate's CN is the tenant's etcd user" a.txt "CN = default_alpha"
contains "the certificate is for client authentication" a.txt "TLS Web Client Authentication"
check "openssl verify: it chains to the DataStore CA" openssl verify -CAfile "$ETCD_DIR/pki/ca.crt" a.crt

# etcdctl with the tenant's own certificate (gRPC: CN = etcd user).
check "etcdctl as alpha puts a key under /default_alpha/" etcd_as a.crt a.key put /default_alpha/k1 v1
etcd_as a.crt a.key get /default_alpha/k1 --print-value-only > got 2>&1
check "etcdctl as alpha gets it back" grep -qx v1 got
etcd_as a.crt a.key put /other_beta/x y > denied1 2>&1
contains "etcdctl as alpha is refused under beta's prefix" denied1 "permission denied"
etcd_as a.crt a.key get / --prefix > denied2 2>&1
contains "etcdctl as alpha is refused at the root" denied2 "permission denied"
check "etcdctl as beta puts under /other_beta/" etcd_as b.crt b.key put /other_beta/k v
etcd_as b.crt b.key get /default_alpha/k1 > denied3 2>&1
contains "etcdctl as beta is refused under alpha's prefix" denied3 "permission denied"
etcd_pki "$T/otherca"
etcd_cert "$T/otherca" rogue /CN=default_alpha 'extendedKeyUsage=clientAuth\n'
etcd_as "$T/otherca/rogue.crt" "$T/otherca/rogue.key" get /default_alpha/k1 > rogue 2>&1
check "a certificate from another CA (same CN) is refused at the handshake" \
    sh -c "! grep -q v1 rogue && grep -Eqi 'certificate|tls|handshake|deadline' rogue"

etcd_admin role get default_alpha > role 2>&1
contains "role default_alpha has READWRITE on the prefix" role "[/default_alpha/, /default_alpha0)"
etcd_admin user get default_alpha > user.txt 2>&1
contains "user default_alpha has the role" user.txt "Roles: default_alpha"

certlc run --once > run2 2>&1
contains "a second pass changes nothing (provision is idempotent)" run2 "default/alpha: ready (0 created, 0 reissued, 11 unchanged, 0 failed)"

# Rotation by deletion, with the operator running.
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
sleep 1
serial_before=$(openssl x509 -in a.crt -noout -serial)
: > hook.log
certlc delete secret alpha-datastore-certificate > del.txt 2>&1
contains "delete prints kubectl's line" del.txt 'secret "alpha-datastore-certificate" deleted'
check "the operator issues a new datastore certificate" \
    wait_for 20 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-datastore-certificate -o json"
secret_pem alpha-datastore-certificate server.crt a2.crt
secret_pem alpha-datastore-certificate server.key a2.key
check "it is a new certificate" test "$(openssl x509 -in a2.crt -noout -serial)" != "$serial_before"
check "etcdctl accepts the new certificate" etcd_as a2.crt a2.key get /default_alpha/k1
check "the rollout hook ran for it" wait_for 10 grep -q "alpha: .*alpha-datastore-certificate" hook.log
contains "the operator logged the rotation" operator.log "alpha-datastore-certificate"

# A broken Secret (key of another certificate) is replaced too.
data alpha-datastore-certificate server.crt > /dev/null
certlc get secret alpha-datastore-certificate -o json |
    jq --arg k "$(base64 -w0 < b.key)" '.data["server.key"] = $k' > broken.json
cp broken.json "$T/state/default/alpha-datastore-certificate.json"
check "a datastore certificate whose key does not match is issued again" \
    wait_for 20 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-datastore-certificate -o json | jq -r '.metadata.annotations[\"certlc.io/rotation-reason\"]' | grep -q 'does not match'"
kill "$OP"; wait "$OP" 2>/dev/null

# Deprovision on removal.
rm "$CONF/tenants.d/beta.ini"
certlc run --once --prune > prune 2>&1
check "run --once --prune exits 0" test $? -eq 0
contains "prune says beta was deprovisioned" prune "other/beta: deprovisioned from datastore 'main' (driver etcd)"
contains "prune removes beta's Secrets" prune 'secret "beta-datastore-certificate" deleted'
etcd_admin role list > roles 2>&1
lacks "beta's role is gone from etcd" roles "other_beta"
etcd_admin user list > users 2>&1
lacks "beta's user is gone from etcd" users "other_beta"
etcd_admin get /other_beta/ --prefix --keys-only > keys 2>&1
check "beta's keys are gone from etcd" test ! -s keys
contains "alpha's role is still there" roles "default_alpha"
certlc get secrets -n other -o name > left
check "beta has no Secrets left" test ! -s left

finish
