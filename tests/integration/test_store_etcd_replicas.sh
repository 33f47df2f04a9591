# Three operator replicas on one 3-member etcd cluster (TLS,
# client certificates, no etcd auth). Exactly one leads; SIGKILL the leader
# in the middle of a bulk rotation; another takes over within leader_lease
# plus a few seconds; then every invariant holds: each leaf verifies against
# the CA in the store, each key matches its certificate, and each deleted
# Secret was issued again exactly once (its etcd key's version is 1: created
# once, never written again). Then quorum: one member stopped, the replicas
# go on; a second stopped, they say so and write nothing; quorum back, all
# is well.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/etcd.sh"

LEASE=5
NT=16
etcd_cluster 3 || exit 1
# A rollout hook that takes a moment, as real ones do: the leader runs them
# in the background while it goes on with the bulk rotation, and a SIGKILL
# in the middle leaves some of them unrecorded, to be run by the successor.
printf '#!/bin/sh\nsleep 0.3\n' > "$T/hook.sh"
chmod +x "$T/hook.sh"
write_conf "store = etcd" "leader_lease = ${LEASE}s" "rollout_hook = $T/hook.sh" "$(etcd_store_conf)"
i=1
while [ $i -le $NT ]; do tenant "$(printf 't%02d' $i)"; i=$((i + 1)); done

all_ready() { [ "$(certlc get tcp 2>/dev/null | grep -c ' Ready ')" -eq $NT ]; }
leader_pid() { certlc get leader -o json 2>/dev/null | jq -r '.identity' | sed 's|.*/||'; }

for r in 1 2 3; do
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/r$r.log" 2>&1 &
    eval "R$r=\$!"
    ln -s "$T/r$r.log" "$T/pid-$!.log"
    PIDS="$PIDS $!"
done
check "the replicas provision $NT tenants" until_ok 60 all_ready
L=$(leader_pid)
check "get leader names one of the replicas (PID $L)" sh -c "[ '$L' = '$R1' ] || [ '$L' = '$R2' ] || [ '$L' = '$R3' ]"
check "exactly one replica ever led" test "$(cat "$T"/r?.log | grep -c 'leads now')" -eq 1
check "only the leader issued certificates" test "$(grep -l 'created' "$T"/r?.log | wc -l)" -eq 1

# --- SIGKILL the leader during a bulk rotation.
certlc delete secret -l kamaji.clastix.io/certificate_lifecycle_controller=x509 > del.out
sed 's/^secret "\(.*\)" deleted$/\1/' del.out | sort > deleted
check "the bulk deletion took $((NT * 3)) x509 Secrets" test "$(wc -l < deleted)" -eq $((NT * 3))
x509() { certlc get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name 2>/dev/null | wc -l; }
until_ok 20 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name | wc -l) -ge 6 ]"
kill -9 "$L"
killed=$(date +%s%N)
before=$(x509)
echo "# SIGKILL of the leader (PID $L) with $before of $((NT * 3)) reissued"
check "the leader died in the middle of the rotation" test "$before" -lt $((NT * 3))
check "another replica takes over within leader_lease + 3s" until_ok $((LEASE + 3)) sh -c "p=\$('$CERTLC_BIN' -c '$CONF/certlc.ini' get leader -o json | jq -r .identity | sed 's|.*/||'); [ -n \"\$p\" ] && [ \"\$p\" != '$L' ]"
echo "# new leader after $(( ($(date +%s%N) - killed) / 1000000 )) ms: PID $(leader_pid)"
check "the new leader completes the rotation" until_ok 60 sh -c "[ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name | wc -l) -eq $((NT * 3)) ]"
check "every tenant is Ready" until_ok 30 all_ready

# --- invariants, from one listing of the store.
# val SECRET KEY: a data value of that listing, decoded (secrets_to, in
# lib.sh: one jq for them all; a jq over the listing a value took seconds).
secrets_to "$T/all" || not_ok "cannot list the Secrets"
val() { cat "$T/all/$1/$2"; }
bad=0 badkey=0
i=1
while [ $i -le $NT ]; do
    t=$(printf 't%02d' $i)
    val "$t-ca" ca.crt > ca.crt
    val "$t-front-proxy-ca-certificate" front-proxy-ca.crt > fpca.crt
    for s in api-server-certificate:apiserver:ca.crt api-server-kubelet-client-certificate:apiserver-kubelet-client:ca.crt front-proxy-client-certificate:front-proxy-client:fpca.crt; do
        sec=${s%%:*} rest=${s#*:}
        f=${rest%%:*} ca=${rest#*:}
        val "$t-$sec" "$f.crt" > leaf.crt
        val "$t-$sec" "$f.key" > leaf.key
        openssl verify -CAfile "$ca" leaf.crt > /dev/null 2>&1 || { bad=$((bad + 1)); echo "    $t-$sec does not verify"; }
        keys_match leaf.crt leaf.key || { badkey=$((badkey + 1)); echo "    $t-$sec: key does not match"; }
    done
    i=$((i + 1))
done
check "every leaf verifies against the CA in the store" test $bad -eq 0
check "every key matches its certificate" test $badkey -eq 0
etcdc get --prefix /certlc/secrets/default/ -w json > kvs.json
# "NAME VERSION" of every key, from one jq.
jq -r '.kvs[] | "\(.key | @base64d | ltrimstr("/certlc/secrets/default/")) \(.version)"' kvs.json > versions
twice=0
while read -r n; do
    v=$(awk -v n="$n" '$1 == n {print $2}' versions)
    [ "$v" = 1 ] || { twice=$((twice + 1)); echo "    $n: etcd version $v"; }
done < deleted
check "each deleted Secret was issued again exactly once (etcd version 1, no double write)" test $twice -eq 0

# --- quorum.
etcdc_stop 3
certlc delete secret t01-api-server-certificate > /dev/null
check "one member stopped: the replicas go on with the quorum left" until_ok 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret t01-api-server-certificate -o name"
check "and t01 is Ready" until_ok 10 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp t01 | grep -q ' Ready '"
L2=$(leader_pid)
LOG2=$T/pid-$L2.log
etcdc_stop 2
certlc delete secret t02-api-server-certificate > q.out 2>&1; rc=$?
check "quorum lost: a write fails" test "$rc" -ne 0
contains "and says why" q.out "quorum"
sed 's/^/    /' q.out
check "the leader stops acting before its lease could expire" until_ok $((LEASE + 10)) grep -q "stopped acting as the leader" "$LOG2"
grep -E "lease|quorum|leader" "$LOG2" | tail -4 | sed 's/^/    /'
etcdc_start 2
etcdc_start 3
check "quorum back: a replica leads again" until_ok $((LEASE * 3 + 10)) sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get leader"
check "every tenant is Ready" until_ok 30 all_ready
certlc get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name | wc -l > n.after
check "nothing half-done: every x509 Secret is there" test "$(cat n.after)" -eq $((NT * 3))
secrets_to "$T/all" || not_ok "cannot list the Secrets"
i=1 bad=0
while [ $i -le $NT ]; do
    t=$(printf 't%02d' $i)
    val "$t-ca" ca.crt > ca.crt
    val "$t-api-server-certificate" apiserver.crt > leaf.crt
    openssl verify -CAfile ca.crt leaf.crt > /dev/null 2>&1 || bad=$((bad + 1))
    i=$((i + 1))
done
check "and every API server certificate verifies against its CA" test $bad -eq 0
for r in 1 2 3; do
    p=$(eval echo "\$R$r")
    [ "$p" = "$L" ] && continue
    kill "$p"
    until_ok 10 sh -c "! kill -0 $p"
    lacks "replica $r: no sanitizer report" "$T/r$r.log" "Sanitizer"
    lacks "replica $r: no undefined behaviour" "$T/r$r.log" "runtime error"
done
finish
