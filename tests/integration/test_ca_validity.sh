# A CA's validity dates, against the real clock: CAs made with openssl
# (dated in the past or the future) are applied with `certlc apply -f`.
#  - expired: rotated as if deleted (CertificateAuthorityRotating, then
#    Ready), once, with a Warning CAExpired event;
#    never a reissue loop under it, in run --once or in the operator;
#  - not valid yet: never used to sign; the tenant is not ready with a
#    condition naming the CA and its notBefore, nothing is reissued, and
#    the operator recovers by itself once the clock passes notBefore;
#  - near its end: the leaves it signs end with it (clamped, logged), and
#    are not reissued on every pass for being within renew_before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

write_conf
tenant alpha
certlc run --once > /dev/null 2>&1 || not_ok "provisioning"

# ---- expired, run --once ----
mk_ca "$T/old1" 20200101000000Z "$(utc yesterday)" || not_ok "openssl makes an expired CA"
apply_ca alpha "$T/old1" > /dev/null
certlc run --once > r1 2>&1
check "run --once completes after an expired CA" grep -q "default/alpha: ready" r1
contains "the expired CA is rotated, and says why" r1 'secret "alpha-ca" reissued: the CA expired at'
check "it is rotated once" test "$(grep -c 'secret "alpha-ca" reissued' r1)" -eq 1
data alpha-ca ca.crt > new1.pem
check "the stored CA is a new one, valid now" sh -c "! cmp -s new1.pem '$T/old1/ca.crt' && openssl x509 -in new1.pem -noout -checkend 0"
if why=$(leaves_chain alpha); then ok "every leaf chains to the new CA"; else not_ok "$why"; fi
certlc get events --for alpha -o json > ev1.json
check "one Warning CAExpired event for alpha-ca" test "$(jq '[.items[] | select(.reason == "CAExpired" and .type == "Warning" and .secret == "alpha-ca")] | length' ev1.json)" -eq 1
check "its cause is ca-expired" jq -e '.items[] | select(.reason == "CAExpired") | select(.cause == "ca-expired")' ev1.json
certlc run --once > r2 2>&1
contains "the next pass reissues nothing" r2 "default/alpha: ready (0 created, 0 reissued"

# ---- expired, under the operator: rotated once, then quiet ----
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator starts" wait_for 10 grep -q "operator started" op.log
mk_ca "$T/old2" 20200101000000Z "$(utc '2 hours ago')" || not_ok "openssl makes an expired CA"
"$CERTLC_BIN" -c "$CONF/certlc.ini" get tcp -w > watch.out 2>&1 & # $! must be certlc
W=$!
PIDS="$PIDS $W"
sleep 0.3
apply_ca alpha "$T/old2" > /dev/null
check "the operator rotates the expired CA" wait_for 20 grep -q 'secret "alpha-ca" reissued: the CA expired' op.log
check "get tcp -w shows CertificateAuthorityRotating" until_ok 10 grep -q "^alpha .*CertificateAuthorityRotating" watch.out
check "then Ready again" until_ok 15 sh -c "grep -A100 CertificateAuthorityRotating watch.out | grep -q '^alpha .* Ready '"
kill "$W" 2>/dev/null; wait "$W" 2>/dev/null
sleep 4 # a loop would show here: it reissued thousands of times in 25 s
check "the operator rotated the CA once" test "$(grep -c 'secret "alpha-ca" reissued' op.log)" -eq 1
check "and each leaf once (5 reissues besides the CA)" test "$(grep -c 'secret ".*" reissued' op.log)" -eq 6
check "alpha is Ready" sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -q '^alpha .* Ready'"
if why=$(leaves_chain alpha); then ok "every leaf chains to the operator's new CA"; else not_ok "$why"; fi

# ---- not valid yet, under the operator ----
NB=$(utc '+12 seconds')
mk_ca "$T/future" "$NB" 20360101000000Z || not_ok "openssl makes a CA valid from $NB"
before=$(grep -c 'secret ".*" reissued' op.log)
apply_ca alpha "$T/future" > /dev/null
status_has() { jq -e "$1" "$T/state/default/tcp/alpha.json" > /dev/null 2>&1; }
check "the tenant goes NotReady" wait_for 10 status_has '.phase == "NotReady"'
jq -r '.conditions[] | select(.type == "CertificateAuthorityNotYetValid") | .message' \
    "$T/state/default/tcp/alpha.json" > cond
NBTXT=$(date -u -d "$(openssl x509 -in "$T/future/ca.crt" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
contains "a condition names the CA and its notBefore" cond "alpha-ca is not valid before $NBTXT"
sleep 2
check "nothing is reissued while the CA is not valid yet" test "$(grep -c 'secret ".*" reissued' op.log)" -eq "$before"
data alpha-ca ca.crt > held.pem
check "the CA is kept, not replaced" cmp held.pem "$T/future/ca.crt"
check "after notBefore the operator recovers by itself: Ready" wait_for 40 status_has '.phase == "Ready"'
if why=$(leaves_chain alpha); then ok "every leaf then chains to that CA"; else not_ok "$why"; fi
data alpha-ca ca.crt > after.pem
check "which is still the applied CA" cmp after.pem "$T/future/ca.crt"
check "the condition is gone" status_has '[.conditions[] | select(.type == "CertificateAuthorityNotYetValid")] | length == 0'
kill "$OP"; wait "$OP" 2>/dev/null

# ---- near its end: leaves clamped, and not reissued on every pass ----
# Twelve hours left, under renew_before (24h): leaves of leaf_validity
# (a year) end with the CA.
mk_ca "$T/short" "$(utc yesterday)" "$(utc '+12 hours')" || not_ok "openssl makes a short CA"
apply_ca alpha "$T/short" > /dev/null
certlc run --once > r3 2>&1
contains "the clamp is logged" r3 "notAfter clamped to"
data alpha-api-server-certificate apiserver.crt > leaf.pem
check "the leaf's notAfter is its CA's" test "$(openssl x509 -in leaf.pem -noout -enddate)" = "$(openssl x509 -in "$T/short/ca.crt" -noout -enddate)"
if why=$(leaves_chain alpha); then ok "every leaf chains to the short CA"; else not_ok "$why"; fi
certlc run --once > r4 2>&1
contains "the clamped leaves are not reissued again" r4 "default/alpha: ready (0 created, 0 reissued"

# A leaf that outlives its CA (signed by openssl for a year under the
# twelve-hour CA, same subject, SANs and key) is issued again, clamped.
data alpha-api-server-certificate apiserver.key > leaf.key
openssl x509 -x509toreq -in leaf.pem -signkey leaf.key -copy_extensions copyall -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA "$T/short/ca.crt" -CAkey "$T/short/ca.key" -CAcreateserial \
    -copy_extensions copyall -days 365 -out long.pem 2>/dev/null
check "openssl made a leaf that outlives the CA" test "$(openssl x509 -in long.pem -noout -enddate)" != "$(openssl x509 -in "$T/short/ca.crt" -noout -enddate)"
certlc get secret alpha-api-server-certificate -o json |
    jq --arg c "$(base64 -w0 < long.pem)" 'del(.metadata.resourceVersion) | .data["apiserver.crt"] = $c' > long.json
chmod 600 long.json
certlc apply -f long.json > /dev/null
certlc run --once > r5 2>&1
contains "it is issued again for outliving its CA" r5 'secret "alpha-api-server-certificate" reissued: it outlives its CA alpha-ca'
data alpha-api-server-certificate apiserver.crt > leaf2.pem
check "the new one ends with the CA" test "$(openssl x509 -in leaf2.pem -noout -enddate)" = "$(openssl x509 -in "$T/short/ca.crt" -noout -enddate)"

finish
