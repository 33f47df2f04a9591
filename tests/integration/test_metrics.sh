# /metrics, /healthz and /readyz of a running operator, read with curl:
# the exposition passes promtool, every expiry timestamp is the notAfter
# openssl reads from the Secret, deletions count exactly, /readyz follows
# the store, and events and describe tell the same story.
. "$(dirname "$0")/lib.sh"

MPORT=$(free_port)
write_conf "metrics_listen = 127.0.0.1:$MPORT"
tenant alpha konnectivity=true
tenant beta namespace=team-b address=192.0.2.10

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"

url() { echo "http://127.0.0.1:$MPORT$1"; }
scrape() { curl -fsS "$(url /metrics)"; }
# sample FILE NAME LABELS-SUBSTRING: the value of the first matching series.
sample() { grep "^$2{" "$1" | grep -F -- "$3" | head -n 1 | awk '{print $NF}'; }
rotations() { scrape | awk '/^certlc_rotations_total\{/ {s += $NF} END {print s + 0}'; }

check "the operator listens on metrics_listen" wait_port "$MPORT" 10
check "both tenants become Ready" until_ok 20 sh -c \
    "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp -A | grep -c ' Ready ' | grep -qx 2"
# The pass that made them Ready has been observed once the phase says so.
check "the phase metric shows both Ready" until_ok 10 sh -c \
    "curl -fsS '$(url /metrics)' | grep -c '^certlc_tenant_phase{.*phase=\"Ready\"} 1' | grep -qx 2"

curl -fsS -D "$T/headers" "$(url /metrics)" > "$T/m1.txt"
check "/metrics answers 200" grep -q "^HTTP/1.1 200" "$T/headers"
contains "/metrics is the text exposition format 0.0.4" "$T/headers" "text/plain; version=0.0.4"
if command -v promtool > /dev/null; then
    check "promtool check metrics accepts the exposition" sh -c "promtool check metrics < '$T/m1.txt'"
else
    not_ok "promtool is missing (Debian package prometheus: make deps)"
fi
for m in certlc_certificate_expiration_timestamp_seconds certlc_certificate_renewal_timestamp_seconds \
         certlc_certificates certlc_rotations_total certlc_tenant_phase certlc_reconcile_duration_seconds \
         certlc_build_info process_cpu_seconds_total process_resident_memory_bytes process_open_fds \
         process_start_time_seconds; do
    contains "the exposition has $m" "$T/m1.txt" "# TYPE $m "
done
contains "build info names the version and driver ABI" "$T/m1.txt" 'certlc_build_info{version="'

# Every expiry timestamp is the notAfter that openssl reads.
n=0 bad=0
grep '^certlc_certificate_expiration_timestamp_seconds{' "$T/m1.txt" > "$T/expiry"
while read -r series value; do
    ns=$(echo "$series" | sed 's/.*namespace="\([^"]*\)".*/\1/')
    secret=$(echo "$series" | sed 's/.*secret="\([^"]*\)".*/\1/')
    key=$(echo "$series" | sed 's/.*key="\([^"]*\)".*/\1/')
    data "$secret" "$key" "$ns" > "$T/blob"
    case "$key" in
        *.conf) kubeconfig_field "$T/blob" client-certificate-data > "$T/cert.pem" ;;
        *) cp "$T/blob" "$T/cert.pem" ;;
    esac
    end=$(openssl x509 -in "$T/cert.pem" -noout -enddate | sed 's/^notAfter=//')
    want=$(date -u -d "$end" +%s)
    n=$((n + 1))
    if [ "$want" != "$value" ]; then
        bad=$((bad + 1))
        echo "    $ns/$secret $key: metric $value, openssl notAfter=$end ($want)"
    fi
    if [ "$key" != ca.crt ] && [ "$key" != front-proxy-ca.crt ]; then
        r=$(sample "$T/m1.txt" certlc_certificate_renewal_timestamp_seconds "secret=\"$secret\",key=\"$key\"")
        [ "$r" = "$((want - 86400))" ] || { bad=$((bad + 1)); echo "    $secret: renewal $r, want $((want - 86400))"; }
    fi
done < "$T/expiry"
check "the expiry of all 18 certificates and CAs is their notAfter ($n compared)" test "$n" -eq 18 -a "$bad" -eq 0
check "alpha has 10 valid certificates" test "$(sample "$T/m1.txt" certlc_certificates 'tcp="alpha",status="valid"')" = 10
check "beta has 8 valid certificates" test "$(sample "$T/m1.txt" certlc_certificates 'tcp="beta",status="valid"')" = 8
check "no certificate is invalid" test "$(grep '^certlc_certificates{.*invalid' "$T/m1.txt" | awk '{s += $NF} END {print s + 0}')" -eq 0
check "the reconcile histogram counted passes" test "$(awk '/^certlc_reconcile_duration_seconds_count / {print $2}' "$T/m1.txt")" -ge 2

# Deleting N Secrets adds exactly N rotations, reason deleted.
before=$(rotations)
certlc delete secret alpha-api-server-certificate alpha-front-proxy-client-certificate > /dev/null
certlc delete secret beta-admin-kubeconfig -n team-b > /dev/null
check "the rotation counter grows by 3 after 3 deletions" until_ok 10 sh -c \
    "[ \$(curl -fsS '$(url /metrics)' | awk '/^certlc_rotations_total\\{/ {s += \$NF} END {print s + 0}') -eq $((before + 3)) ]"
sleep 1
check "and stays there (exactly 3: $before -> $(rotations))" test "$(rotations)" -eq $((before + 3))
scrape > "$T/m2.txt"
contains "the rotation is counted for its Secret and reason" "$T/m2.txt" \
    'certlc_rotations_total{namespace="team-b",tcp="beta",secret="beta-admin-kubeconfig",reason="deleted"} 1'
new_exp=$(sample "$T/m2.txt" certlc_certificate_expiration_timestamp_seconds 'secret="alpha-api-server-certificate"')
data alpha-api-server-certificate apiserver.crt > "$T/new.crt"
want=$(date -u -d "$(openssl x509 -in "$T/new.crt" -noout -enddate | sed 's/^notAfter=//')" +%s)
check "the new certificate's expiry is its notAfter" test "$new_exp" = "$want"

# Events: the same rotations, with the serials openssl reads.
certlc get events --for alpha -o json > "$T/ev.json"
serial=$(openssl x509 -in "$T/new.crt" -noout -serial | sed 's/^serial=//')
check "get events records the rotation with the new serial" sh -c \
    "jq -e --arg s '$serial' '.items[] | select(.secret == \"alpha-api-server-certificate\" and .reason == \"Rotated\" and .cause == \"deleted\" and .new.serial == \$s and .old.serial != null)' '$T/ev.json'"
certlc get events -A > "$T/ev.txt"
contains "get events -A lists beta's rotation" "$T/ev.txt" "secret/beta-admin-kubeconfig"
contains "get events has kubectl's header" "$T/ev.txt" "LAST SEEN"
certlc describe tcp alpha > "$T/describe.txt"
for s in "Phase:               Ready" "Conditions:" "Certificates:" "alpha-api-server-certificate" "Events:" "Rotated"; do
    contains "describe tcp alpha shows $s" "$T/describe.txt" "$s"
done
check "describe shows the new serial" grep -q "$serial" "$T/describe.txt"
check_fails "describe of an unknown tenant fails" certlc describe tcp nosuch

# Endpoints.
check "/healthz answers 200 ok" sh -c "curl -fsS '$(url /healthz)' | grep -qx ok"
check "/readyz answers 200 ok" sh -c "curl -fsS '$(url /readyz)' | grep -qx ok"
check "an unknown path is 404" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$(url /nope)') = 404 ]"
check "POST is 405" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST '$(url /metrics)') = 405 ]"

# /readyz follows the store: the state directory moved away, then back.
mv "$T/state" "$T/state.away"
code=$(curl -s -o "$T/ready.txt" -w '%{http_code}' "$(url /readyz)")
check "/readyz is 503 while the state directory is gone (got $code)" test "$code" = 503
contains "and says why" "$T/ready.txt" "state directory"
check "/healthz still answers 200 meanwhile" sh -c "curl -fsS '$(url /healthz)' | grep -qx ok"
mv "$T/state.away" "$T/state"
check "/readyz is 200 again when it is back" sh -c "curl -fsS '$(url /readyz)' | grep -qx ok"
# Replaced by a file: root's permissions do not hide that.
mv "$T/state" "$T/state.away"; : > "$T/state"
code=$(curl -s -o /dev/null -w '%{http_code}' "$(url /readyz)")
check "/readyz is 503 while a file replaces the state directory (got $code)" test "$code" = 503
rm -f "$T/state"; mv "$T/state.away" "$T/state"
check "and 200 once the directory is back" sh -c "curl -fsS '$(url /readyz)' | grep -qx ok"
if [ "$(id -u)" != 0 ]; then
    chmod 000 "$T/state"
    code=$(curl -s -o /dev/null -w '%{http_code}' "$(url /readyz)")
    chmod 700 "$T/state"
    check "/readyz is 503 while the state directory is not accessible (got $code)" test "$code" = 503
fi

# An await is not a failure: a tenant whose CA is provided and not
# delivered yet waits (a Normal event), and no failure is counted for it.
tenant gamma ca_source=provided
kill -HUP "$OP"
awaits() { "$CERTLC_BIN" -c "$CONF/certlc.ini" get events --for gamma -o json |
    jq -e '.items[] | select(.secret == "gamma-ca" and .type == "Normal" and .cause == "awaiting")' > /dev/null; }
check "gamma awaits its CA (a Normal event with cause awaiting)" until_ok 15 awaits
scrape > "$T/m-await.txt"
check "the failures metric is exposed" grep -q '^# TYPE certlc_rotation_failures_total counter' "$T/m-await.txt"
check "and counts nothing for gamma's await" sh -c "! grep '^certlc_rotation_failures_total{' '$T/m-await.txt' | grep -q 'tcp=\"gamma\"'"

# A tenant that leaves the configuration leaves the exposition: its
# per-certificate and per-tenant gauges are drawn from what the observer
# keeps of it, which goes with it; the other tenants keep theirs.
rm -f "$CONF/tenants.d/beta.ini"
kill -HUP "$OP"
gone_beta() { ! scrape | grep -q 'tcp="beta"'; }
check "after beta leaves the configuration, no series names it" until_ok 10 gone_beta
scrape > "$T/m-nobeta.txt"
check "alpha still has its expiry gauges" grep -q '^certlc_certificate_expiration_timestamp_seconds{namespace="default",tcp="alpha",secret="alpha-ca",key="ca.crt"} ' "$T/m-nobeta.txt"
check "and its phase" grep -q '^certlc_tenant_phase{namespace="default",tcp="alpha",phase="Ready"} 1$' "$T/m-nobeta.txt"
check "and its counts by status" grep -q '^certlc_certificates{namespace="default",tcp="alpha",status="valid"} [1-9]' "$T/m-nobeta.txt"
# The gauges are sorted by label values, as the registry's own series.
grep '^certlc_certificate_expiration_timestamp_seconds{' "$T/m-nobeta.txt" | cut -d' ' -f1 > "$T/order"
check "the expiry series come sorted by their labels" sh -c "LC_ALL=C sort -c '$T/order'"

# SIGHUP with a new metrics_listen moves the server.
MPORT2=$(free_port)
sed -i "s/^metrics_listen = .*/metrics_listen = 127.0.0.1:$MPORT2/" "$CONF/certlc.ini"
kill -HUP "$OP"
check "after SIGHUP the server listens on the new port" wait_port "$MPORT2" 10
check "and the old port is closed" until_ok 5 sh -c "! ss -Hltn 'sport = :$MPORT' | grep -q ."
check "the new port serves the metrics" sh -c "curl -fsS http://127.0.0.1:$MPORT2/metrics | grep -q '^certlc_tenant_phase'"

kill -TERM "$OP"
wait "$OP"; rc=$?
check "SIGTERM stops the operator with exit 0" test "$rc" -eq 0
check "the port is closed after it stops" sh -c "! ss -Hltn 'sport = :$MPORT2' | grep -q ."
lacks "no private key reached the log" "$T/op.log" "PRIVATE KEY"

finish
