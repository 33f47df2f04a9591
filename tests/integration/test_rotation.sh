# Automatic rotation without waiting a year: with leaf_validity = 40s and
# renew_before = 20s every tracked certificate is due 20 s after it was
# issued; the operator must reissue each one on its own, and leave the CAs.
. "$(dirname "$0")/lib.sh"

write_conf "leaf_validity = 40s" "renew_before = 20s"
tenant alpha konnectivity=true

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"

count() { certlc get secrets -o name 2>/dev/null | wc -l; }
check "the operator provisions alpha" until_ok 20 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -o name | wc -l) -eq 11 ]"
certlc check-expiration alpha > exp1.txt
contains "check-expiration shows the short validity" exp1.txt "alpha-api-server-certificate"
serial() { certlc get secret "$1" -o json | jq -r '.metadata.resourceVersion'; }
tracked=$(certlc get secrets -l kamaji.clastix.io/certificate_lifecycle_controller -o name | sed 's#^secret/##')
cas="alpha-ca alpha-front-proxy-ca-certificate alpha-sa-certificate"
for n in $tracked $cas; do serial "$n" > "rv.$n"; done
check "8 Secrets are tracked (x509 and kubeconfig)" test "$(echo $tracked | wc -w)" -eq 8

# Due at notAfter - renew_before, i.e. about 20 s after issue.
all_rotated() {
    for n in $tracked; do [ "$(serial "$n")" != "$(cat "rv.$n")" ] || return 1; done
}
check "every tracked certificate is reissued when due (within 40 s)" until_ok 40 all_rotated
for n in $cas; do
    check "$n was not rotated" test "$(serial "$n")" = "$(cat "rv.$n")"
done
check "the log says why they were reissued" grep -q 'reissued: due for renewal' op.log
certlc check-expiration alpha > exp2.txt; rc=$?
check "check-expiration agrees that nothing has expired" test "$rc" -eq 0
data alpha-api-server-certificate apiserver.crt > api.crt
check "the new API server certificate is valid for more than 20 s" openssl x509 -in api.crt -noout -checkend 20
data alpha-ca ca.crt > ca.crt
check "and chains to the unchanged CA" openssl verify -CAfile ca.crt api.crt
kill -TERM "$OP"
finish
