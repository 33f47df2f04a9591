# A CA near its end is reported, never rotated: with ca_validity = 10d the
# CAs are within 30 days of expiry from the start.
. "$(dirname "$0")/lib.sh"

write_conf "ca_validity = 10d" "leaf_validity = 2d"
tenant alpha

certlc run --once > run1 2>&1
check "provisioning succeeds" test $? -eq 0
contains "the log warns that the CA expires" run1 "alpha-ca expires in"
contains "and says how to rotate it" run1 "delete its Secret to rotate it"
data alpha-ca ca.crt > ca1.crt
certlc run --once > run2 2>&1
data alpha-ca ca.crt > ca2.crt
check "the CA is not rotated for its age" cmp ca1.crt ca2.crt
contains "nothing is reissued" run2 "default/alpha: ready (0 created, 0 reissued"
lacks "the warning is not repeated on every pass" run2 "expires in"
jq -r '.conditions[] | select(.type == "CertificateAuthorityExpiring") | .message' \
    "$T/state/default/tcp/alpha.json" > cond
contains "the status carries the CertificateAuthorityExpiring condition" cond "alpha-ca expires in"
certlc check-expiration alpha > exp
contains "check-expiration warns about the CA" exp "WARNING: alpha-ca expires"
contains "and about the front-proxy CA" exp "WARNING: alpha-front-proxy-ca-certificate expires"

# With ten-year CAs (the default) there is no such condition.
write_conf
certlc delete secret alpha-ca alpha-front-proxy-ca-certificate > /dev/null
certlc run --once > run3 2>&1
jq -r '[.conditions[] | select(.type == "CertificateAuthorityExpiring")] | length' \
    "$T/state/default/tcp/alpha.json" > n
check "a rotated ten-year CA clears the condition" test "$(cat n)" = 0
certlc check-expiration alpha > exp2
lacks "check-expiration has no warning then" exp2 "WARNING"

finish
