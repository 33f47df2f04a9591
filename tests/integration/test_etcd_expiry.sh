# Rotation of the datastore certificate by expiry: with leaf_validity = 40s
# and renew_before = 20s, every certificate is due 20 s after it is
# issued, and the operator's timer (no polling) renews it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

etcd_start exp auth || { finish; exit 1; }
install_drivers etcd
write_conf "leaf_validity = 40s" "renew_before = 20s" \
    "rollout_hook = echo \"\$CERTLC_CHANGED\" >> $T/hook.log"
etcd_datastore main
tenant alpha datastore=main

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator provisions the tenant" \
    wait_for 20 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-datastore-certificate -o json"
secret_pem alpha-datastore-certificate server.crt a1.crt
secret_pem alpha-datastore-certificate server.key a1.key
s1=$(openssl x509 -in a1.crt -noout -serial)
check "the first certificate is valid for about 40 s" \
    sh -c "openssl x509 -in a1.crt -noout -checkend 20 && ! openssl x509 -in a1.crt -noout -checkend 60"
check "etcdctl accepts it" etcd_as a1.crt a1.key put /default_alpha/k v
: > hook.log
renewed() {
    secret_pem alpha-datastore-certificate server.crt a2.crt &&
    [ "$(openssl x509 -in a2.crt -noout -serial)" != "$s1" ]
}
check "about 20 s later the operator renews it (due: notAfter - renew_before)" wait_for 45 renewed
secret_pem alpha-datastore-certificate server.key a2.key
certlc get secret alpha-datastore-certificate -o json > a2.json
contains "the rotation reason says it was due" a2.json "due for renewal"
check "etcdctl accepts the renewed certificate" etcd_as a2.crt a2.key get /default_alpha/k
check "the rollout hook ran for it" wait_for 10 grep -q alpha-datastore-certificate hook.log
lacks "no rotation failed" operator.log "datastore-certificate\" failed"

finish
