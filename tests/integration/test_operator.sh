# certlc run as the operator, driven only through the command line: deleted
# Secrets come back, the CA rotates through CertificateAuthorityRotating,
# and the rollout hook restarts a real TLS server (openssl s_server) that
# must then accept the current admin kubeconfig and refuse the old one.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
# The rollout hook: log what it was told, then restart s_server with the
# API server certificate now in the store, trusting the current CA.
cat > "$T/hook.sh" <<EOF
#!/bin/sh
echo "\$CERTLC_NAMESPACE/\$CERTLC_TCP \$CERTLC_CHECKSUM \$CERTLC_CHANGED" >> "$T/hook.log"
[ "\$CERTLC_TCP" = alpha ] || exit 0
[ -d "\$CERTLC_STATE_DIR" ] || exit 1
get() { "$CERTLC_BIN" -c "$CONF/certlc.ini" get secret "\$1" -o json | jq -r --arg k "\$2" '.data[\$k]' | base64 -d; }
mkdir -p "$T/live"
get alpha-api-server-certificate apiserver.crt > "$T/live/tls.crt" || exit 1
get alpha-api-server-certificate apiserver.key > "$T/live/tls.key" || exit 1
get alpha-ca ca.crt > "$T/live/ca.crt" || exit 1
if [ -f "$T/s_server.pid" ]; then
    kill "\$(cat "$T/s_server.pid")" 2>/dev/null
    while kill -0 "\$(cat "$T/s_server.pid")" 2>/dev/null; do sleep 0.05; done
fi
openssl s_server -accept 127.0.0.1:$PORT -cert "$T/live/tls.crt" -key "$T/live/tls.key" \\
    -CAfile "$T/live/ca.crt" -Verify 1 -verify_return_error -www -quiet </dev/null >/dev/null 2>&1 &
echo \$! > "$T/s_server.pid"
EOF
chmod +x "$T/hook.sh"

write_conf "rollout_hook = $T/hook.sh"
tenant alpha konnectivity=true
tenant beta

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
cleanup_s_server() { [ -f "$T/s_server.pid" ] && kill "$(cat "$T/s_server.pid")" 2>/dev/null; }
trap 'cleanup_s_server; cleanup' EXIT

# until COMMAND succeeds, at most SECONDS (default 10).
ready() { certlc get tcp "$1" | grep -q " Ready "; }
check "the operator provisions both tenants" until_ok 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -c ' Ready ' | grep -qx 2"
check "the rollout hook ran for alpha" until_ok 10 grep -q "^default/alpha " "$T/hook.log"
check "the rollout hook started s_server" until_ok 10 wait_port "$PORT" 1

certlc run > second.log 2>&1; rc=$?
check "a second operator on the same state directory is refused" test "$rc" -eq 1
contains "the refusal names the running operator's PID" second.log "another operator (PID $OP)"

# handshake CERT KEY CA: the HTTP answer of s_server -www through s_client.
handshake() {
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" \
        -cert "$1" -key "$2" -CAfile "$3" -verify_return_error \
        -verify_hostname alpha.default.svc -ign_eof 2>&1
}
admin_material() {  # DIR: the admin kubeconfig's certificate, key and CA
    mkdir -p "$1"
    data alpha-admin-kubeconfig admin.conf > "$1/admin.conf"
    kubeconfig_field "$1/admin.conf" client-certificate-data > "$1/crt"
    kubeconfig_field "$1/admin.conf" client-key-data > "$1/key"
    kubeconfig_field "$1/admin.conf" certificate-authority-data > "$1/ca"
}
admin_material old
handshake old/crt old/key old/ca > hs.txt
contains "the served API server accepts the admin kubeconfig" hs.txt "HTTP/1.0 200 ok"

# --- deletion by label: exactly those come back, with new serials.
serials() { certlc get secrets -o json | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion) \(.metadata.annotations["certlc.io/last-rotation"])"' | sort; }
serials > s1
certlc delete secret -l kamaji.clastix.io/certificate_lifecycle_controller=x509,kamaji.clastix.io/name=alpha > del.out
check "delete by label deletes alpha's 4 x509 Secrets" test "$(grep -c '^secret "alpha-.*" deleted$' del.out)" -eq 4
start=$(date +%s%N)
check "the operator issues them again within a second or two" until_ok 5 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -l kamaji.clastix.io/name=alpha -o name | wc -l) -eq 11 ]"
echo "# recreated after $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "alpha is Ready again" until_ok 10 ready alpha
serials > s2
for n in $(sed 's/^secret "\(.*\)" deleted$/\1/' del.out); do
    check "$n has a new resourceVersion" sh -c "[ \"\$(grep '^$n ' s1)\" != \"\$(grep '^$n ' s2)\" ]"
done
grep -v -e api-server-certificate -e kubelet-client -e front-proxy-client -e konnectivity-certificate s1 > s1.rest
grep -v -e api-server-certificate -e kubelet-client -e front-proxy-client -e konnectivity-certificate s2 > s2.rest
check "the Secrets that were not deleted kept their resourceVersions" cmp s1.rest s2.rest
check "the rollout hook was told which Secrets changed" until_ok 10 grep -q "alpha-api-server-certificate.*alpha-front-proxy-client-certificate" "$T/hook.log"

# Deleting the front-proxy CA reissues the front-proxy client too.
data alpha-front-proxy-client-certificate front-proxy-client.crt > fpc-old.crt
certlc delete secret alpha-front-proxy-ca-certificate > /dev/null
check "the front-proxy CA comes back" until_ok 5 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret alpha-front-proxy-ca-certificate -o name"
until_ok 5 ready alpha
data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp-ca.crt
data alpha-front-proxy-client-certificate front-proxy-client.crt > fpc.crt
check "the front-proxy client was reissued under the new front-proxy CA" openssl verify -CAfile fp-ca.crt fpc.crt
check_fails "the old front-proxy client does not chain to the new front-proxy CA" openssl verify -CAfile fp-ca.crt fpc-old.crt

# Deleting the service-account Secret makes a new key pair.
data alpha-sa-certificate sa.pub > sa-old.pub
certlc delete secret alpha-sa-certificate > /dev/null
check "the service-account key pair comes back" until_ok 5 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret alpha-sa-certificate -o name"
data alpha-sa-certificate sa.pub > sa-new.pub
check_fails "with a new key" cmp sa-old.pub sa-new.pub

# --- CA rotation, watched with get tcp -w.
"$CERTLC_BIN" -c "$CONF/certlc.ini" get tcp -w > watch.out 2>&1 & # not the function: $! must be certlc
W=$!
PIDS="$PIDS $W"
sleep 0.3
certlc delete secret alpha-ca > /dev/null
check "get tcp -w shows CertificateAuthorityRotating" until_ok 10 grep -q "^alpha .*CertificateAuthorityRotating" watch.out
check "then Ready again" until_ok 15 sh -c "grep -A100 CertificateAuthorityRotating watch.out | grep -q '^alpha .* Ready '"
kill "$W" 2>/dev/null
sed 's/^/    /' watch.out
data alpha-ca ca.crt > new-ca.crt
for s in "alpha-api-server-certificate apiserver.crt" "alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.crt" \
         "alpha-konnectivity-certificate tls.crt"; do
    set -- $s
    data "$1" "$2" > leaf.crt
    check "after the CA rotation $1 verifies against the new CA" openssl verify -CAfile new-ca.crt leaf.crt
done
admin_material new
check "the new admin kubeconfig embeds the new CA" cmp new/ca new-ca.crt
check "the new admin certificate verifies against the new CA" openssl verify -CAfile new-ca.crt new/crt
check "the rollout hook ran after the CA rotation" until_ok 10 grep -q "alpha-ca" "$T/hook.log"
until_ok 10 wait_port "$PORT" 1
until_ok 10 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect 127.0.0.1:$PORT -cert new/crt -key new/key -CAfile new/ca -verify_return_error -verify_hostname alpha.default.svc -ign_eof 2>&1 | grep -q 'HTTP/1.0 200 ok'"
handshake new/crt new/key new/ca > hs-new.txt
contains "the restarted server accepts the new admin kubeconfig" hs-new.txt "HTTP/1.0 200 ok"
handshake old/crt old/key old/ca > hs-old.txt
lacks "the restarted server refuses the old admin kubeconfig" hs-old.txt "HTTP/1.0 200 ok"
lacks "the old kubeconfig's CA no longer verifies the server" hs-old.txt "Verify return code: 0 (ok)"
data beta-ca ca.crt > beta-ca.crt
certlc get secrets -l kamaji.clastix.io/name=beta -o json > beta.json

# --- rotation on request, without deleting: the rotate annotation.
serials > r1
certlc rotate secret alpha-controller-manager-kubeconfig > rot.out
contains "rotate secret annotates the Secret" rot.out "secret/alpha-controller-manager-kubeconfig annotated"
# Done, the request (the empty value) becomes the time of the rotation.
check "the annotated Secret is issued again" until_ok 5 sh -c \
    "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret alpha-controller-manager-kubeconfig -o json | jq -r '.metadata.annotations[\"certs.kamaji.clastix.io/rotate\"] // \"gone\"' | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'"
sleep 0.5
serials > r2
check "only the annotated Secret changed" sh -c "[ \$(diff r1 r2 | grep -c '^>') -eq 1 ] && diff r1 r2 | grep -q '^> alpha-controller-manager-kubeconfig '"
contains "the log gives the reason" "$T/op.log" 'reissued: rotation requested'

# --- a spec change (SIGHUP) reissues the API server certificate only.
serials > s3
echo "cert_sans = new.alpha.example" >> "$CONF/tenants.d/alpha.ini"
kill -HUP "$OP"
check "after SIGHUP the API server certificate carries the new SAN" until_ok 10 sh -c \
    "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret alpha-api-server-certificate -o json | jq -r '.data[\"apiserver.crt\"]' | base64 -d | openssl x509 -noout -ext subjectAltName | grep -q new.alpha.example"
sleep 1
serials > s4
check "nothing but the API server certificate changed" sh -c "[ \$(diff s3 s4 | grep -c '^>') -eq 1 ] && diff s3 s4 | grep -q '^> alpha-api-server-certificate '"
certlc get secrets -l kamaji.clastix.io/name=beta -o json > beta2.json
check "beta was untouched by alpha's rotations" cmp beta.json beta2.json

# --- a garbage Secret file is reissued by the running operator.
echo garbage > "$T/state/default/alpha-scheduler-kubeconfig.json"
check "a Secret file replaced by garbage is reissued" until_ok 5 sh -c \
    "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret alpha-scheduler-kubeconfig -o name"
contains "and reported in the log" "$T/op.log" 'secret "alpha-scheduler-kubeconfig" reissued: unreadable'

# --- a pass with nothing to do does nothing: no rotation loop.
# Hooks run in the background, one at a time per tenant: let the last ones end.
check "the rollout hooks have ended" until_ok 20 sh -c "! cat '$T'/state/default/tcp/*.json | grep -q HookRunning"
sleep 1
serials > s5
hooks=$(wc -l < "$T/hook.log")
sleep 2
serials > s6
check "an idle operator writes nothing" cmp s5 s6
check "an idle operator rolls nothing out" test "$(wc -l < "$T/hook.log")" -eq "$hooks"
cpu=$(awk '{print $14 + $15}' "/proc/$OP/stat")
sleep 2
cpu2=$(awk '{print $14 + $15}' "/proc/$OP/stat")
check "an idle operator uses no CPU (ticks over 2 s: $((cpu2 - cpu)))" test -n "$cpu" -a -n "$cpu2" -a $((cpu2 - cpu)) -le 2

kill -TERM "$OP"
wait "$OP"; rc=$?
check "SIGTERM stops the operator with exit 0" test "$rc" -eq 0
contains "the operator says it stopped" "$T/op.log" "operator stopped"
lacks "no private key reached the log" "$T/op.log" "PRIVATE KEY"

finish
