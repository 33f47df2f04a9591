# The DataStore CA's dates, through the example driver (mode issue: certlc
# signs each tenant's datastore certificate with the DataStore CA):
#  - an expired ca_cert is refused when the DataStore loads, naming the
#    file and its notAfter: the tenant is not ready, with that reason, and
#    no datastore certificate is issued (it would be clamped to the CA's
#    end, already past, and issued again on every pass);
#  - a ca_cert not valid yet (the clock is behind it) signs nothing: the
#    pass says its notBefore;
#  - a CA that ends before leaf_validity: the datastore certificate ends
#    with it, the clamp is logged, and the next pass leaves it (it cannot
#    be renewed for longer, even within renew_before of its end);
#  - the reissue guard: a rollout hook that breaks the datastore
#    certificate each time it is rolled out makes the operator stop after
#    10 reissues for one reason, and the tenant is Failed with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

mkdir -p "$T/plugins.d"
cp "$(dirname "$CERTLC_BIN")/plugins.d/example.so" "$T/plugins.d/" && chmod 0755 "$T/plugins.d/example.so"
# ds DIR: the DataStore ex, whose CA is DIR's.
ds() {
    printf '[datastore ex]\ndriver = example\nendpoints = 127.0.0.1:1\nca_cert = %s\nca_key = %s\n' \
        "$1/ca.crt" "$1/ca.key" > "$CONF/datastores.d/ex.ini"
}
# end FILE / start FILE: a certificate's notAfter / notBefore as certlc
# writes times (RFC 3339, UTC).
end() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
start() { date -u -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
phase() { jq -r .phase "$T/state/default/tcp/alpha.json"; }

write_conf
tenant alpha datastore=ex
tenant beta

# ---- expired ----
mk_ca "$T/old" "$(utc '-30 days')" "$(utc '-1 day')" || not_ok "mk_ca"
ds "$T/old"
certlc run --once > expired.log 2>&1
check "a DataStore CA that expired: run --once fails" test $? -ne 0
contains "refused at load, naming the file and its notAfter" expired.log \
    "[datastore ex] ca_cert $T/old/ca.crt expired at $(end "$T/old/ca.crt") (its notAfter)"
check_fails "no datastore certificate is issued" certlc get secret alpha-datastore-certificate
check "alpha is NotReady" test "$(phase)" = NotReady
contains "beta is not affected" expired.log "default/beta: ready"

# ---- not valid yet ----
mk_ca "$T/future" "$(utc '+2 days')" "$(utc '+400 days')" || not_ok "mk_ca"
ds "$T/future"
certlc run --once > future.log 2>&1
check "a DataStore CA not valid yet: run --once fails" test $? -ne 0
contains "the pass says its notBefore" future.log \
    "datastore 'ex': ca_cert $T/future/ca.crt is not valid before $(start "$T/future/ca.crt") (its notBefore)"
check_fails "no datastore certificate is issued" certlc get secret alpha-datastore-certificate
check "alpha is NotReady" test "$(phase)" = NotReady
jq -r '.conditions[] | select(.type == "DatastoreReady") | .reason' "$T/state/default/tcp/alpha.json" > reason
check "DatastoreReady says DataStoreCANotYetValid" grep -qx DataStoreCANotYetValid reason

# ---- a CA that ends within renew_before (24h) ----
mk_ca "$T/short" "$(utc '-1 day')" "$(utc '+12 hours')" || not_ok "mk_ca"
ds "$T/short"
certlc run --once > short.log 2>&1
check "a DataStore CA ending in 12 hours: run --once succeeds" test $? -eq 0
contains "the datastore certificate is issued" short.log 'secret "alpha-datastore-certificate" created'
contains "the clamp is logged" short.log \
    "alpha-datastore-certificate: notAfter clamped to $(end "$T/short/ca.crt"), the notAfter of the CA of datastore 'ex'"
data alpha-datastore-certificate server.crt > ds.crt
check "it ends with its CA" test "$(end ds.crt)" = "$(end "$T/short/ca.crt")"
certlc run --once > short2.log 2>&1
check "the next pass succeeds" test $? -eq 0
lacks "and does not issue it again (it cannot last longer)" short2.log "alpha-datastore-certificate\" reissued"
data alpha-datastore-certificate server.crt > ds2.crt
check "the same certificate" cmp ds.crt ds2.crt

# ---- the reissue guard ----
rm -rf "$T/state"
mk_ca "$T/good" "$(utc '-1 day')" "$(utc '+400 days')" || not_ok "mk_ca"
ds "$T/good"
F=$T/state/default/alpha-datastore-certificate.json
write_conf "rollout_hook = echo broken > $F"
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
failed() { [ "$(jq -r .phase "$T/state/default/tcp/alpha.json" 2>/dev/null)" = Failed ]; }
check "the tenant ends Failed" wait_for 90 failed
jq -r '.conditions[] | select(.type == "Ready") | .reason + ": " + .message' \
    "$T/state/default/tcp/alpha.json" > cond
contains "the Ready condition says ReissueLoop" cond "ReissueLoop: "
check "and names the datastore certificate and the reason" \
    grep -Eq 'alpha-datastore-certificate: 1[0-9] attempts to issue it again within 3600s for the same reason \(invalid\)' cond
n=$(grep -c 'secret "alpha-datastore-certificate" reissued' op.log)
sleep 3
m=$(grep -c 'secret "alpha-datastore-certificate" reissued' op.log)
check "then it stays stopped ($n, then $m reissues)" test "$m" -eq "$n"
kill "$OP"; wait "$OP" 2>/dev/null

finish
