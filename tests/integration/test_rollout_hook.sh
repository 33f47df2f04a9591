# The rollout hook runs in the background: a slow hook of one tenant does
# not hold back the others. Two tenants; alpha's hook sleeps far beyond
# rollout_hook_timeout. While it runs, a Secret of beta is deleted and must
# come back at once, with beta's own hook run for it. Then alpha's hook is
# killed at its timeout together with the process it started, and the
# status and the events say so, with the end of its output; its digests are
# not recorded, so it is retried. A hook that exits non-zero is recorded
# with its exit status. SIGTERM ends a hook still running.
. "$(dirname "$0")/lib.sh"

TIMEOUT=8
cat > "$T/hook.sh" <<EOF
#!/bin/sh
echo "\$CERTLC_TCP start \$(date +%s.%N)" >> "$T/hook.log"
if [ "\$CERTLC_TCP" = alpha ]; then
    echo "alpha hook: waiting for the control plane"
    sleep 600 &
    echo \$! > "$T/sleep.pid"
    wait
fi
if [ "\$CERTLC_TCP" = beta ] && [ -f "$T/beta.fail" ]; then
    echo "beta hook: kubectl said no"
    exit 3
fi
echo "\$CERTLC_TCP end" >> "$T/hook.log"
EOF
chmod +x "$T/hook.sh"
write_conf "rollout_hook = $T/hook.sh" "rollout_hook_timeout = ${TIMEOUT}s"
tenant alpha
tenant beta

# gone PID: no such process, or a zombie not yet reaped by init.
gone() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -z "$s" ] || [ "${s#Z}" != "$s" ]; }
status() { cat "$T/state/default/tcp/$1.json"; }
cleanup_sleep() { [ -f "$T/sleep.pid" ] && kill "$(cat "$T/sleep.pid")" 2>/dev/null; }
trap 'cleanup_sleep; cleanup' EXIT

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
started=$(date +%s)

check "both tenants are provisioned" until_ok 20 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get tcp | grep -c ' Ready ' | grep -qx 2"
check "alpha's hook is running" until_ok 10 test -s "$T/sleep.pid"
check "beta's hook ran to its end meanwhile" until_ok 10 grep -q "^beta end" "$T/hook.log"
certlc describe tcp alpha > describe.running
contains "alpha's status says its hook is running" describe.running "HookRunning"

# --- beta goes on being reconciled while alpha's hook sleeps.
certlc delete secret beta-api-server-certificate > /dev/null
t0=$(date +%s%N)
check "beta's deleted Secret is issued again within 3 s" until_ok 3 certlc get secret beta-api-server-certificate
t1=$(date +%s%N)
echo "# re-created in $(((t1 - t0) / 1000000)) ms"
check "and beta's hook runs for it" until_ok 5 sh -c "[ \$(grep -c '^beta end' '$T/hook.log') -ge 2 ]"
check "while alpha's hook still runs" kill -0 "$(cat "$T/sleep.pid")"
lacks "alpha's hook has not ended yet" "$T/hook.log" "alpha end"

# --- alpha's hook is killed at its timeout, with its process group.
SLEEP=$(cat "$T/sleep.pid")
check "alpha's hook is killed after rollout_hook_timeout" until_ok $((TIMEOUT + 5)) gone "$SLEEP"
ended=$(date +%s)
check "not before the timeout (${TIMEOUT}s)" test $((ended - started)) -ge $TIMEOUT
# The operator records the hook's end once it has reaped it: a moment after
# the process group is gone, longer on a loaded machine.
check "the status records the timeout" until_ok 10 sh -c "cat '$T/state/default/tcp/alpha.json' > '$T/alpha.json' && jq -e '.rolloutError | test(\"killed with its process group after the timeout of 8s\")' '$T/alpha.json'"
check "and the end of the hook's output" jq -e '.rolloutOutput | test("alpha hook: waiting for the control plane")' alpha.json
check "the RolledOut condition says HookTimedOut" jq -e '.conditions[] | select(.type == "RolledOut") | .reason == "HookTimedOut"' alpha.json
certlc get events --for alpha > alpha.events
contains "a RolloutFailed event records it" alpha.events "RolloutFailed"
contains "the event has the hook's output" alpha.events "alpha hook: waiting"
check "alpha's digests were not recorded: no lastRollout" jq -e '.lastRollout == null or .lastRollout == ""' alpha.json
check "the failed rollout of alpha is retried" until_ok 10 sh -c "[ \$(grep -c '^alpha start' '$T/hook.log') -ge 2 ]"

# --- a hook that exits non-zero: exit status and output recorded.
touch "$T/beta.fail"
certlc delete secret beta-front-proxy-client-certificate > /dev/null
check "beta's failing hook is recorded with its exit status" until_ok 10 sh -c "jq -e '.rolloutError | test(\"exited with status 3\")' '$T/state/default/tcp/beta.json'"
status beta > beta.json
check "with its output" jq -e '.rolloutError | test("kubectl said no")' beta.json
certlc describe tcp beta > describe.beta
contains "describe shows the hook's output" describe.beta "Rollout Output:      beta hook: kubectl said no"
rm -f "$T/beta.fail"
check "and retried until it succeeds" until_ok 20 sh -c "jq -e '.rolloutError == \"\" and (.conditions[] | select(.type == \"RolledOut\") | .status == \"True\")' '$T/state/default/tcp/beta.json'"

# --- SIGTERM ends the operator and the hook it runs.
check "alpha's hook runs again" until_ok 15 sh -c "[ -s '$T/sleep.pid' ] && kill -0 \$(cat '$T/sleep.pid')"
SLEEP=$(cat "$T/sleep.pid")
kill -TERM "$OP"
check "SIGTERM stops the operator within 10 s" until_ok 10 sh -c "! kill -0 $OP"
wait "$OP"; rc=$?
check "with exit 0" test "$rc" -eq 0
check "and the hook it ran is gone with it" until_ok 2 gone "$SLEEP"
contains "the log says the hook runs again at the next start" "$T/op.log" "runs again at the next start"
lacks "no sanitizer report" "$T/op.log" "Sanitizer"
lacks "no undefined behaviour" "$T/op.log" "runtime error"

finish
