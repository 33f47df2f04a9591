# An etcd member that hangs with its connections open (SIGSTOP: the kernel
# still answers TCP, the process says nothing) must not blind the
# operator's watch. Three members; the operator's watch is on one of them;
# that member is stopped; a Secret is deleted through the other two; the
# operator notices (its watch probes the silent member, gives it up and
# resumes on another from the last revision) and issues the Secret again
# within a bound. The member is continued at the end (lib.sh also sends
# SIGCONT to whatever it stops at exit).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/etcd.sh"

etcd_cluster 3 || exit 1
write_conf "store = etcd" "$(etcd_store_conf)"
tenant alpha


"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator provisions alpha" until_ok 30 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp alpha | grep -q ' Ready '"
check "the watch says which member it is on" until_ok 10 grep -q "etcd watch on https://127.0.0.1:[0-9]* from revision" "$T/op.log"
port=$(sed -n 's|.*etcd watch on https://127.0.0.1:\([0-9]*\) from revision.*|\1|p' "$T/op.log" | tail -n 1)
# Without that line: the first endpoint, where a watch starts.
[ -n "$port" ] || port=$ETCDC_PORT_1
hung="" others=""
m=1
while [ $m -le 3 ]; do
    eval "p=\$ETCDC_PORT_$m pid=\$ETCDC_PID_$m"
    if [ "$p" = "$port" ]; then hung=$pid; else others="${others:+$others,}https://127.0.0.1:$p"; fi
    m=$((m + 1))
done
check "the watch's member is one of the three (port $port)" test -n "$hung"
KEY=/certlc/secrets/default/alpha-api-server-certificate
check "the Secret is in etcd" sh -c "[ -n \"\$(etcdctl --endpoints '$others' --cacert '$ETCDC_DIR/pki/ca.crt' --cert '$ETCDC_DIR/pki/admin.crt' --key '$ETCDC_DIR/pki/admin.key' get --keys-only $KEY)\" ]"

kill -STOP "$hung"
echo "# SIGSTOP to the member on port $port (PID $hung)"
sleep 1
check "a Secret is deleted through the other members" sh -c "etcdctl --endpoints '$others' --cacert '$ETCDC_DIR/pki/ca.crt' --cert '$ETCDC_DIR/pki/admin.crt' --key '$ETCDC_DIR/pki/admin.key' del $KEY | grep -qx 1"
t0=$(date +%s%N)
BOUND=30
check "the operator issues it again within ${BOUND}s" until_ok $BOUND sh -c "[ -n \"\$(etcdctl --endpoints '$others' --cacert '$ETCDC_DIR/pki/ca.crt' --cert '$ETCDC_DIR/pki/admin.crt' --key '$ETCDC_DIR/pki/admin.key' get --keys-only $KEY)\" ]"
echo "# issued again after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
contains "the log says the watch gave up the silent member" "$T/op.log" "etcd watch on https://127.0.0.1:$port: nothing for"
check "and resumed on another one" sh -c "sed -n '/watch on https:\/\/127.0.0.1:$port: nothing for/,\$p' '$T/op.log' | grep 'etcd watch on https://127.0.0.1:[0-9]* from revision' | grep -vq ':$port '"
grep "etcd watch" "$T/op.log" | sed 's/^/    /'
echo "# $(grep -c "etcd watch" "$T/op.log") watch log lines"

kill -CONT "$hung"
check "the member continues and is healthy again" until_ok 20 sh -c "etcdctl --endpoints https://127.0.0.1:$port --cacert '$ETCDC_DIR/pki/ca.crt' --cert '$ETCDC_DIR/pki/admin.crt' --key '$ETCDC_DIR/pki/admin.key' endpoint health"
check "alpha is Ready" until_ok 30 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp alpha | grep -q ' Ready '"
kill -TERM "$OP"
check "the operator stops" until_ok 10 sh -c "! kill -0 $OP"
lacks "no sanitizer report" "$T/op.log" "Sanitizer"
lacks "no undefined behaviour" "$T/op.log" "runtime error"
finish
