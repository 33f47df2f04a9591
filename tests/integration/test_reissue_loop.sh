# A reissue loop is bounded and loud: a hostile rollout hook that breaks
# the API server certificate's Secret every time it is rolled out makes the
# operator reissue it again and again. After 10 reissues for the same
# reason within the hour the operator stops, and the tenant is Failed with
# the reason, instead of looping quietly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

F=$T/state/default/alpha-api-server-certificate.json
write_conf "rollout_hook = echo broken > $F"
tenant alpha
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
phase() { jq -r .phase "$T/state/default/tcp/alpha.json" 2>/dev/null; }
failed() { [ "$(phase)" = Failed ]; }
check "the tenant ends Failed" wait_for 60 failed
n=$(grep -c 'secret "alpha-api-server-certificate" reissued' op.log)
check "after 10 reissues for one reason ($n)" test "$n" -eq 10
jq -r '.conditions[] | select(.type == "Ready") | .reason + ": " + .message' \
    "$T/state/default/tcp/alpha.json" > cond
contains "the Ready condition says ReissueLoop" cond "ReissueLoop: "
# Attempts: at least the 10 reissues, more when a write lost a race with
# the (background) hook.
check "and names the Secret and the reason" \
    grep -Eq 'alpha-api-server-certificate: 1[0-9] attempts to issue it again within 3600s for the same reason \(invalid\)' cond
sleep 3
m=$(grep -c 'secret "alpha-api-server-certificate" reissued' op.log)
check "then it stays stopped ($m reissues)" test "$m" -eq "$n"
certlc get events --for alpha -o json > ev.json
check "a Warning event with cause reissue-loop" jq -e \
    '.items[] | select(.type == "Warning" and .cause == "reissue-loop" and .secret == "alpha-api-server-certificate")' ev.json
certlc get tcp > tcp.txt
contains "get tcp shows Failed" tcp.txt "Failed"

finish
