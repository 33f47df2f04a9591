# CA rotation without an outage (ca_rotation = overlap): a real nginx
# serves the tenant's API server certificate and asks for client
# certificates under the CA Secret's ca.crt; the rollout hook rewrites its
# files from the Secrets and reloads it. An "old node" keeps the client
# certificate it had before the rotation and takes its trust from ca.crt
# as it stands; the admin kubeconfig is read from the store at every poll
# (with openssl s_client, and with kubectl when it is installed). Neither
# may be refused before "retire"; the old node is refused after. A second
# rotation has its operator SIGKILLed inside each phase and ends the same.
# --abort returns to the old CA; replace mode is test_rotation's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

command -v nginx > /dev/null || { not_ok "nginx is not installed (scripts/deps.sh installs nginx-light)"; finish; exit; }

port=$(free_port)
mport=$(free_port)
N=$T/nginx
mkdir -p "$N/logs" "$N/tmp"
cat > "$N/nginx.conf" <<CONF
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $N/tmp; proxy_temp_path $N/tmp;
    fastcgi_temp_path $N/tmp; uwsgi_temp_path $N/tmp; scgi_temp_path $N/tmp;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $N/apiserver.crt;
        ssl_certificate_key $N/apiserver.key;
        ssl_client_certificate $N/ca.crt;
        ssl_verify_client on;
        ssl_verify_depth 2;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
}
CONF
# The rollout hook: nginx's files from the Secrets, then a reload (HUP).
# A SIGKILLed operator leaves its hook running beside the next one's: the
# hooks take turns (flock), and the certificate and its key come from one
# read of their Secret, so that nginx never gets a pair that does not match.
cat > "$T/hook.sh" <<HOOK
#!/bin/sh
set -e
exec 9> "$N/hook.lock"
flock 9
g() { "$CERTLC_BIN" -c "$CONF/certlc.ini" get secret "\$1" -o json; }
f() { jq -r --arg k "\$2" '.data[\$k]' "\$1" | base64 -d; }
g alpha-api-server-certificate > "$N/api.json"
g alpha-ca > "$N/ca.json"
f "$N/api.json" apiserver.crt > "$N/apiserver.crt.new"
f "$N/api.json" apiserver.key > "$N/apiserver.key.new"
f "$N/ca.json" ca.crt > "$N/ca.crt.new"
chmod 600 "$N/apiserver.key.new"
mv "$N/apiserver.crt.new" "$N/apiserver.crt"; mv "$N/apiserver.key.new" "$N/apiserver.key"; mv "$N/ca.crt.new" "$N/ca.crt"
if [ -s "$N/nginx.pid" ]; then kill -HUP "\$(cat "$N/nginx.pid")"; sleep 0.2; fi
echo "\${CERTLC_CA_PHASE:-none}" >> "$T/phases"
# A slow retire rollout, for the operator to be killed inside retire.
if [ "\${CERTLC_CA_PHASE:-}" = retire ] && [ -f "$T/slow-retire" ]; then sleep 1.5; fi
HOOK
chmod 755 "$T/hook.sh"

write_conf "rollout_hook = $T/hook.sh" "ca_overlap = 1h" "metrics_listen = 127.0.0.1:$mport"
# The tenant's own ca_rotation makes Kamaji's plain rotate annotation an
# overlap (the front-proxy CA below); --overlap does it for the main CA.
tenant alpha address=127.0.0.1 port=$port ca_rotation=overlap ca_overlap=1s
certlc run --once > run1 2>&1
check "provisioning ran the hook (nginx's files are there)" test -s "$N/ca.crt"
nginx -p "$N" -e "$N/logs/error.log" -c "$N/nginx.conf" -g 'daemon off;' > "$N/logs/stdout" 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" || not_ok "nginx did not start"

KUBECTL=""
command -v kubectl > /dev/null && KUBECTL=kubectl

# hs CERT KEY CAFILE: 0 when the TLS handshake succeeds both ways (the
# server verified against CAFILE, for the tenant's address) and nginx
# answers: a client certificate it refuses gets a 400, not "ok".
hs() {
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "127.0.0.1:$port" \
        -cert "$1" -key "$2" -CAfile "$3" -verify_return_error -verify_ip 127.0.0.1 \
        -ign_eof 2>/dev/null | grep -q '^ok$'
}
phase_of() { certlc get tcp alpha -o json 2>/dev/null | jq -r '.status.caRotation.phase // "none"' 2>/dev/null; }
# take_old: the old node, as it is before a rotation.
take_old() {
    data alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > old.crt
    data alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.key > old.key
    chmod 600 old.key
    data alpha-ca ca.crt > ca-before.crt
}
# poll_once FILE: one round of both clients; appends "PHASE old:0|1
# admin:0|1|k" (k: kubectl refused it). Quick, to poll every few hundred
# ms: the phase from the status document (as test_rollout_hook reads it),
# both Secrets in one get; kubectl every other round.
n_poll=0
poll_once() {
    ph=$(jq -r '.caRotation.phase // "none"' "$T/state/default/tcp/alpha.json" 2>/dev/null)
    certlc get secret alpha-ca alpha-admin-kubeconfig -o json > both.json 2>/dev/null
    # Both values from one jq (a jq a value was most of a poll's CPU): one
    # line each, empty for a Secret that is not there.
    jq -r '(first(.items[] | select(.metadata.name == "alpha-ca") | .data["ca.crt"]) // ""),
           (first(.items[] | select(.metadata.name == "alpha-admin-kubeconfig") | .data["admin.conf"]) // "")' \
        both.json > both.b64 2>/dev/null
    sed -n 1p both.b64 | base64 -d > trust.crt
    sed -n 2p both.b64 | base64 -d > admin.conf
    kubeconfig_field admin.conf client-certificate-data > admin.crt
    kubeconfig_field admin.conf client-key-data > admin.key
    kubeconfig_field admin.conf certificate-authority-data > admin-ca.crt
    chmod 600 admin.key
    o=1; hs old.crt old.key trust.crt || o=0
    a=1; hs admin.crt admin.key admin-ca.crt || a=0
    n_poll=$((n_poll + 1))
    if [ -n "$KUBECTL" ] && [ $a = 1 ] && [ $((n_poll % 2)) = 0 ]; then
        kubectl --kubeconfig admin.conf get --raw / 2>/dev/null | grep -q '^ok$' || a=k
    fi
    echo "$ph old:$o admin:$a" >> "$1"
}
start_op() {
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run > "op.$1.log" 2>&1 &
    OP=$!
    PIDS="$PIDS $OP"
}
# rotate_and_poll LOG [kill]: polls until the rotation is done; with kill,
# the operator is SIGKILLed on entering each phase and started again.
rotate_and_poll() {
    seen=""
    i=0
    while [ $i -lt 300 ]; do
        poll_once "$1"
        ph=$(tail -n 1 "$1" | cut -d' ' -f1)
        # "done" is the last rotation's until this one is picked up.
        [ "$ph" = done ] && [ -n "$seen" ] && break
        [ "$ph" = done ] && { sleep 0.1; i=$((i + 1)); continue; }
        case " $seen " in *" $ph "*) ;; *)
            seen="$seen $ph"
            if [ "${2:-}" = kill ] && [ "$ph" != none ]; then
                kill -9 "$OP"; wait "$OP" 2>/dev/null
                echo "$ph" >> killed
                start_op "$ph"
            fi ;;
        esac
        # Each phase waits for its rollout: once it is seen, move on.
        case "$ph" in trust-both|move) certlc rotate ca alpha --continue > /dev/null 2>&1 ;; esac
        sleep 0.1; i=$((i + 1))
    done
}

take_old
check "before the rotation the old node is accepted" hs old.crt old.key ca-before.crt
start_op first
sleep 1
check "rotate ca --overlap starts the rotation" certlc rotate ca alpha --overlap 3s
: > polls
# The first rotation lets each phase run its 3 s (no --continue), polled
# from its start.
i=0
while [ $i -lt 150 ]; do
    poll_once polls
    tail -n 1 polls | grep -q '^done ' && break
    sleep 0.1; i=$((i + 1))
done
# retire lasts as long as its rollout: the hook's log shows it below.
check "the polls saw trust-both, move and done" \
    sh -c "cd '$T' && grep -q '^trust-both ' polls && grep -q '^move ' polls && grep -q '^done ' polls || { cat polls phases; false; }"
check "the admin kubeconfig was never refused ($(wc -l < polls) polls)" sh -c "cd '$T'; ! grep -E 'admin:[0k]' polls || { cat polls phases; false; }"
check "the old node was accepted in every phase before retire" \
    sh -c "! grep -E '^(none|trust-both|move) old:0' polls"
check "the old node is refused once it is done" sh -c "tail -n 1 polls | grep -q 'old:0'"
check_fails "and refused again now" hs old.crt old.key trust.crt
check "at the end ca.crt holds only the new CA" test "$(grep -c 'BEGIN CERTIFICATE' trust.crt)" -eq 1
check_fails "and the new CA is not the old one" cmp -s trust.crt ca-before.crt
check "the admin kubeconfig trusts the new CA alone" cmp -s admin-ca.crt trust.crt
check "the API server certificate nginx serves is under the new CA" \
    openssl verify -CAfile trust.crt "$N/apiserver.crt"
check_fails "the -next Secret is gone" certlc get secret alpha-ca-next
# The status says done before the rollout of done has run: wait for it.
i=0
while [ "$(tail -n 1 "$T/phases")" != done ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
check "the hook heard every phase, in order" \
    sh -c "grep -v none '$T/phases' | uniq | tr '\n' ' ' | grep -qx 'trust-both move retire done ' || { cat '$T/phases'; false; }"
certlc get events > events.txt
for ph in trust-both move retire done; do
    contains "an event says phase $ph" events.txt "phase $ph:"
done
sleep 1
certlc get tcp alpha > tcp.txt
contains "alpha is Ready again" tcp.txt " Ready "

# --- The same with the operator SIGKILLed on entering each phase.
take_old
: > polls2
touch "$T/slow-retire"
check "a second rotation starts" certlc rotate ca alpha --overlap 2s
rotate_and_poll polls2 kill
rm -f "$T/slow-retire"
check "the operator was killed in trust-both, move and retire" \
    sh -c "grep -qx trust-both killed && grep -qx move killed && grep -qx retire killed"
check "the killed rotation went through to done" sh -c "tail -n 1 polls2 | grep -q '^done '"
check "with kills, the admin kubeconfig was never refused" sh -c "cd '$T'; ! grep -E 'admin:[0k]' polls2 || { cat polls2 killed phases; false; }"
check "with kills, the old node was accepted before retire" \
    sh -c "! grep -E '^(none|trust-both|move) old:0' polls2"
check_fails "with kills, the old node is refused at the end" hs old.crt old.key trust.crt
check "with kills, ca.crt holds only the new CA" test "$(grep -c 'BEGIN CERTIFICATE' trust.crt)" -eq 1
check_fails "with kills, the new CA is not the old one" cmp -s trust.crt ca-before.crt
check_fails "with kills, the -next Secret is gone" certlc get secret alpha-ca-next
data alpha-api-server-certificate apiserver.crt > api2.crt
check "with kills, the stored API server certificate is under the new CA" \
    openssl verify -CAfile trust.crt api2.crt

# --- --abort during trust-both: back to the old CA alone.
take_old
certlc rotate ca alpha --overlap 1h > /dev/null
i=0
while [ "$(phase_of)" != trust-both ] || [ "$(data alpha-ca ca.crt | grep -c 'BEGIN CERT')" != 2 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
data alpha-ca ca.crt > both.crt
check "trust-both: ca.crt holds the old and the new CA" test "$(grep -c 'BEGIN CERTIFICATE' both.crt)" -eq 2
check "trust-both: the old node is accepted" hs old.crt old.key both.crt
check_fails "a second rotate ca during the rotation is refused" certlc rotate ca alpha --overlap 2s
certlc rotate ca alpha > second.out 2>&1
contains "the refusal names the phase" second.out "in phase trust-both"
# The gauges follow the end of the pass that entered the phase.
i=0
until curl -fsS "http://127.0.0.1:$mport/metrics" > metrics.txt 2>&1 &&
    grep -q 'certlc_ca_rotation_phase{.*phase="trust-both"} 1' metrics.txt || [ $i -ge 30 ]; do
    sleep 0.1; i=$((i + 1))
done
contains "/metrics has the phase gauge" metrics.txt 'certlc_ca_rotation_phase{namespace="default",tcp="alpha",ca="ca",phase="trust-both"} 1'
contains "/metrics has the phase end time" metrics.txt 'certlc_ca_rotation_phase_end_timestamp_seconds{namespace="default",tcp="alpha",ca="ca"}'
certlc describe tcp alpha > describe.txt
contains "describe names the phase" describe.txt "CA Rotation:         alpha-ca: trust-both"
contains "describe has the condition with the phase's end" describe.txt "phase trust-both"
certlc get tcp alpha > tcp.txt
contains "the tenant is CertificateAuthorityRotating" tcp.txt "CertificateAuthorityRotating"
# Kamaji's annotation on the other CA meanwhile: one rotation at a time.
data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp0.crt
certlc rotate secret alpha-front-proxy-ca-certificate > /dev/null
i=0
until certlc get events 2>/dev/null | grep -q "rotation of alpha-front-proxy-ca-certificate refused" || [ $i -ge 50 ]; do
    sleep 0.1; i=$((i + 1))
done
certlc get events > events.txt
contains "a rotate request on the other CA is refused, naming the phase" events.txt \
    "rotation of alpha-front-proxy-ca-certificate refused: the CA rotation of alpha-ca is in phase trust-both"
data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp1.crt
check "and the front-proxy CA was left as it was" cmp -s fp0.crt fp1.crt
check "--abort is accepted during trust-both" certlc rotate ca alpha --abort
i=0
while [ "$(phase_of)" != done ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
data alpha-ca ca.crt > after-abort.crt
check "after --abort ca.crt is the old CA alone" cmp -s after-abort.crt ca-before.crt
check "after --abort the old node is accepted" hs old.crt old.key after-abort.crt
check_fails "after --abort the -next Secret is gone" certlc get secret alpha-ca-next
check_fails "--abort without a rotation is refused" certlc rotate ca alpha --abort
check_fails "--overlap takes a duration" certlc rotate ca alpha --overlap soon

# --- ca_rotation = overlap (the tenant's): Kamaji's rotate annotation on
# the front-proxy CA rotates it with an overlap of the tenant's ca_overlap.
data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp-before.crt
check "rotate secret on the front-proxy CA is accepted" certlc rotate secret alpha-front-proxy-ca-certificate
: > fp-phases
i=0
while [ $i -lt 100 ]; do
    ph=$(certlc get tcp alpha -o json | jq -r '.status.caRotation | "\(.ca) \(.phase)"')
    data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp.crt
    echo "$ph $(grep -c 'BEGIN CERT' fp.crt)" >> fp-phases
    [ "$ph" = "front-proxy-ca-certificate done" ] && break
    sleep 0.2; i=$((i + 1))
done
check "the front-proxy CA went through trust-both (two CAs) to done" \
    sh -c "cd '$T' && grep -qx 'front-proxy-ca-certificate trust-both 2' fp-phases && tail -n 1 fp-phases | grep -qx 'front-proxy-ca-certificate done 1' || { cat fp-phases; false; }"
check_fails "the front-proxy CA is a new one" cmp -s fp.crt fp-before.crt
data alpha-front-proxy-client-certificate front-proxy-client.crt > fpc.crt
check "the front-proxy client certificate is under the new front-proxy CA" \
    openssl verify -CAfile fp.crt fpc.crt

kill "$OP" 2>/dev/null; wait "$OP" 2>/dev/null

# --- Deleting the CA Secret under ca_rotation = overlap: its key is gone,
# so there is no trust-both; the rotation starts in move, the old CA (as
# the kubeconfigs carry it) still trusted, and retires it as before.
take_old
# hs_soon ...: hs, given a moment for nginx to load what the hook wrote.
hs_soon() {
    for _i in 1 2 3 4 5 6 7 8 9 10; do hs "$@" && return 0; sleep 0.3; done
    return 1
}
check "the CA Secret is deleted" certlc delete secret alpha-ca
certlc run --once > deleted.log 2>&1
data alpha-ca ca.crt > del-move.crt
check "after the deletion the rotation is in move" test "$(phase_of)" = move
check "and says a deletion started it" \
    test "$(certlc get tcp alpha -o json | jq -r .status.caRotation.startedBy)" = deletion
check "ca.crt holds the new CA and the old one" \
    test "$(grep -c 'BEGIN CERTIFICATE' del-move.crt)" -eq 2
openssl x509 -in del-move.crt > del-new.crt
check_fails "the first is a new CA" cmp -s del-new.crt ca-before.crt
check "the second is the old CA, taken from the kubeconfigs" \
    sh -c "cd '$T' && awk 'n>1{print} /END CERT/{n++} n==1&&/END CERT/{n=2}' del-move.crt | cmp -s - ca-before.crt"
check "the old node is still accepted" hs_soon old.crt old.key del-move.crt
data alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > del-leaf.crt
check "the leaves are already under the new CA" openssl verify -CAfile del-new.crt del-leaf.crt
poll_once del-polls
check "the admin kubeconfig is accepted in move" grep -q 'admin:1$' del-polls
check "--continue moves on to retire" certlc rotate ca alpha --continue
i=0
while [ "$(phase_of)" != done ] && [ $i -lt 6 ]; do
    certlc run --once >> deleted.log 2>&1; i=$((i + 1))
done
data alpha-ca ca.crt > del-end.crt
check "the rotation that the deletion started is done" test "$(phase_of)" = done
check "ca.crt is the new CA alone" cmp -s del-end.crt del-new.crt
check_fails "the old node is refused after retire" hs_soon old.crt old.key del-end.crt
: > del-polls
poll_once del-polls
check "the admin kubeconfig is accepted after retire" grep -q 'admin:1$' del-polls
check_fails "the -next Secret is gone" certlc get secret alpha-ca-next

# --- An expired CA is replaced, never overlapped: nothing to keep trusting.
mk_ca expired "$(utc '-3 days')" "$(utc '-1 day')"
apply_ca alpha expired
certlc rotate ca alpha --overlap 1h > /dev/null
certlc run --once > expired.log 2>&1
data alpha-ca ca.crt > after-expiry.crt
check "the expired CA was replaced by one CA alone" test "$(grep -c 'BEGIN CERTIFICATE' after-expiry.crt)" -eq 1
check_fails "by a new one" cmp -s after-expiry.crt expired/ca.crt
check_fails "without an overlap (no -next Secret)" certlc get secret alpha-ca-next
check "and no overlap phase started" test "$(phase_of)" = done
finish
