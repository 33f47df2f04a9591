# A Secret is judged once per content: the verdict is kept in the tenant's
# status with digests of the Secret's data, of its CA and of what shapes
# it, so that a restart parses nothing that did not change; bytes changed
# behind certlc's back (the same resourceVersion) are judged again, a CA's
# change re-judges exactly what it signed, and time still makes a
# certificate due.
. "$(dirname "$0")/lib.sh"

MPORT=$(free_port)
write_conf "metrics_listen = 127.0.0.1:$MPORT"
tenant alpha
ST=$T/state/default

scrape() { curl -fsS "http://127.0.0.1:$MPORT/metrics"; }
parses() { scrape | awk '/^certlc_certificate_parses_total / {print $2}'; }
ready() { scrape | grep -q '^certlc_tenant_phase{.*phase="Ready"} 1'; }
start_op() {
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run >> "$T/op.log" 2>&1 &
    OP=$!
    PIDS="$PIDS $OP"
    wait_port "$MPORT" 10 && until_ok 20 ready
}
stop_op() { kill -TERM "$OP"; wait "$OP"; }

certlc run --once > run1 2>&1
contains "provisioning creates the Secrets" run1 "default/alpha: ready (9 created"
# What was just signed is known: its verdict is recorded at issuance.
check "provisioning already records a verdict for each Secret it issued" \
    sh -c "jq -e '[.validations[] | select(.verdict == \"valid\")] | length == 9' '$ST/tcp/alpha.json'"
check "with the leaf's notAfter, as the certificate says" sh -c "
    jq -r '.data[\"apiserver.crt\"]' '$ST/alpha-api-server-certificate.json' | base64 -d > api0.crt &&
    [ \"\$(jq -r '.validations[\"alpha-api-server-certificate\"].notAfter' '$ST/tcp/alpha.json')\" = \
      \"\$(date -u -d \"\$(openssl x509 -enddate -noout -in api0.crt | cut -d= -f2)\" +%s)\" ]"
certlc run --once > run2 2>&1
contains "the next pass leaves them" run2 "(0 created, 0 reissued, 9 unchanged"
check "the status records a verdict for each of the 9 Secrets" \
    sh -c "jq -e '.validations | length == 9' '$ST/tcp/alpha.json'"
check "each record has the data digest, resourceVersion and notAfter" \
    sh -c "jq -e '[.validations[] | select((.data | length) == 64 and .resourceVersion > 0 and .verdict == \"valid\")] | length == 9' '$ST/tcp/alpha.json'"
check "a leaf's record names the digest of its CA's Secret" \
    sh -c "jq -e '.validations[\"alpha-api-server-certificate\"].ca | length == 64' '$ST/tcp/alpha.json'"

# Without records (as before they existed), a start parses every Secret.
jq 'del(.validations)' "$ST/tcp/alpha.json" > st.json && mv st.json "$ST/tcp/alpha.json"
check "an operator without records becomes Ready" start_op
before=$(parses)
check "and judges all 9 Secrets in full ($before)" test "$before" = 9
stop_op

# With records in the store, a restart parses nothing that did not change.
check "the records are back in the status" \
    sh -c "jq -e '.validations | length == 9' '$ST/tcp/alpha.json'"
check "the restarted operator becomes Ready" start_op
after=$(parses)
check "and parses no unchanged Secret (certlc_certificate_parses_total = $after)" test "$after" = 0
# The observer's expiry gauges come from the same records, unparsed, and
# say what the certificates say.
gauge() {
    scrape | awk -v s="secret=\"$1\"" '/^certlc_certificate_expiration_timestamp_seconds\{/ && index($0, s) {printf "%d\n", $2}'
}
enddate() {
    jq -r ".data[\"$2\"]" "$ST/$1.json" | base64 -d > cert.pem &&
        date -u -d "$(openssl x509 -enddate -noout -in cert.pem | cut -d= -f2)" +%s
}
check "the API server certificate's expiry gauge is its notAfter" \
    test "$(gauge alpha-api-server-certificate)" = "$(enddate alpha-api-server-certificate apiserver.crt)"
check "the CA's expiry gauge is its notAfter" \
    test "$(gauge alpha-ca)" = "$(enddate alpha-ca ca.crt)"
check "every tracked certificate has its gauge (8)" \
    test "$(scrape | grep -c '^certlc_certificate_expiration_timestamp_seconds{')" = 8

# A CA that changes re-judges exactly what it signs: the front-proxy CA
# signs only the front-proxy client certificate.
f=$ST/alpha-front-proxy-ca-certificate.json
jq -c '.data.note = "eA=="' "$f" > new.json && mv new.json "$f"
check "the changed CA is judged again" until_ok 10 sh -c "grep -q 'alpha-front-proxy-ca-certificate\" completed' '$T/op.log'"
check "with the one certificate it signs, and nothing else (2 parses)" \
    until_ok 10 sh -c "[ \"\$(curl -fsS http://127.0.0.1:$MPORT/metrics | awk '/^certlc_certificate_parses_total / {print \$2}')\" = 2 ]"
sleep 1
check "and still 2 once the operator settled" test "$(parses)" = 2
lacks "nothing was reissued for it" "$T/op.log" "reissued"

# Bytes changed behind certlc's back, resourceVersion kept, while the
# operator was down: its start judges them again and reissues.
stop_op
a=$ST/alpha-api-server-certificate.json
b=$ST/alpha-front-proxy-client-certificate.json
rv=$(jq -r .metadata.resourceVersion "$a")
jq -c --slurpfile o "$b" '.data["apiserver.crt"] = $o[0].data["front-proxy-client.crt"] | .data["apiserver.key"] = $o[0].data["front-proxy-client.key"]' "$a" > new.json
mv new.json "$a"
check "the store still says resourceVersion $rv" test "$(jq -r .metadata.resourceVersion "$a")" = "$rv"
check "the operator starts and becomes Ready" start_op
contains "the swapped certificate was judged again and reissued" "$T/op.log" \
    'alpha-api-server-certificate" reissued: not valid under the current alpha-ca'
jq -r '.data["apiserver.crt"]' "$a" | base64 -d > api.crt
jq -r '.data["ca.crt"]' "$ST/alpha-ca.json" | base64 -d > ca.crt
check "the new one chains to the tenant's CA" openssl verify -CAfile ca.crt api.crt
stop_op
# The operator recorded its verdict on what it issued: not parsed back.
check "restarted, the operator becomes Ready" start_op
check "and parses nothing, not even the Secret it reissued ($(parses))" \
    test "$(parses)" = 0
stop_op

# Time is not in the digests: a recorded certificate still falls due.
rm -rf "$T/state"
write_conf "leaf_validity = 40s" "renew_before = 20s"
certlc run --once > run3 2>&1
contains "with leaf_validity = 40s a new tenant is provisioned" run3 "(9 created"
certlc run --once > run4 2>&1
contains "then left alone while not due" run4 "(0 created, 0 reissued, 9 unchanged"
check "with its verdicts recorded" sh -c "jq -e '.validations | length == 9' '$T/state/default/tcp/alpha.json'"
sleep 21
certlc run --once > run5 2>&1
contains "once due (renew_before = 20s), the recorded leaves are renewed" run5 "(0 created, 6 reissued"
contains "for their age" run5 "due for renewal"

lacks "no private key reached the log" "$T/op.log" "PRIVATE KEY"
finish
