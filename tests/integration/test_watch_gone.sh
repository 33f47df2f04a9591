# `get tcp -w` on the file store ends with an error when its state
# directory is removed under it, instead of waiting forever on an inotify
# descriptor that has nothing left to watch.
. "$(dirname "$0")/lib.sh"

write_conf
tenant alpha
certlc run --once > once.out 2>&1
check "run --once provisions alpha" grep -q "alpha: ready" once.out

"$CERTLC_BIN" -c "$CONF/certlc.ini" get tcp -w > watch.out 2> watch.err &
W=$!
PIDS="$PIDS $W"
check "get tcp -w prints the table" sh -c "sleep 0.5; grep -q '^alpha ' watch.out"
check "and keeps watching" kill -0 "$W"

rm -rf "$T/state"
i=0
while kill -0 "$W" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
check "get tcp -w ends within 15 s of its state directory being removed" sh -c "! kill -0 $W"
kill "$W" 2>/dev/null # still there: the check above failed; do not wait forever
wait "$W"; rc=$?
check "with exit status 1 (got $rc)" test "$rc" -eq 1
contains "saying that the store is gone" watch.err "the store is gone"
contains "and naming the state directory" watch.err "$T/state"

finish
