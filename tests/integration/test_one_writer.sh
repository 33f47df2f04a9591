# One writer at a time, and no CA used before it is stored:
#  - 20 trials of two concurrent `run --once` on an empty store (half of
#    them with --wait): afterwards every leaf verifies against the CA in
#    the store, with no repair pass in between; the one that lost the race
#    for the lock either waited or was refused naming the holder's PID;
#  - `run --once` beside a running operator is refused with its PID, and
#    with --wait runs once the operator stops;
#  - a new CA that the file store cannot write (a directory where its
#    temp file goes) stops the tenant's pass with cause ca-unstored:
#    nothing it would have signed is written.
# leaves_chain checks every leaf against its own CA and every kubeconfig
# (alpha is a v1.30 tenant with konnectivity: super-admin.conf and the
# konnectivity Secrets too).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

write_conf
tenant alpha version=v1.30.2 konnectivity=true
tenant beta

broken=0 refused=0 waited=0
for i in $(seq 1 20); do
    rm -rf "$T/state"
    w=""; [ $((i % 2)) -eq 0 ] && w=--wait
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run --once $w > a.log 2>&1 & A=$!
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run --once $w > b.log 2>&1 & B=$!
    PIDS="$PIDS $A $B"
    wait "$A"; ra=$?
    wait "$B"; rb=$?
    for t in alpha beta; do
        if ! why=$(leaves_chain "$t"); then
            broken=$((broken + 1)); echo "# trial $i: $t: $why"
        fi
    done
    if [ -z "$w" ]; then
        # One ran, the other was refused at once, naming the first.
        if [ $((ra + rb)) -eq 1 ] && grep -q "another operator (PID [0-9]*)" a.log b.log; then
            refused=$((refused + 1))
        elif [ $((ra + rb)) -eq 0 ]; then
            refused=$((refused + 1)) # one finished before the other began
        else
            echo "# trial $i: exit $ra and $rb"; sed 's/^/#   /' a.log b.log
        fi
    elif [ $ra -eq 0 ] && [ $rb -eq 0 ]; then
        waited=$((waited + 1))
    else
        echo "# trial $i (--wait): exit $ra and $rb"; sed 's/^/#   /' a.log b.log
    fi
done
check "in 20 trials of two concurrent run --once, every leaf chains to the stored CA ($broken broken)" test "$broken" -eq 0
check "without --wait one of the two runs and the other is refused (10 of 10: $refused)" test "$refused" -eq 10
check "with --wait both complete (10 of 10: $waited)" test "$waited" -eq 10

# ---- beside a running operator ----
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator starts" wait_for 10 grep -q "operator started" op.log
certlc delete secret alpha-ca > /dev/null
certlc run --once > once.log 2>&1
check "run --once beside the operator fails" test $? -ne 0
contains "and names the operator's PID" once.log "another operator (PID $OP)"
"$CERTLC_BIN" -c "$CONF/certlc.ini" run --once --wait > wait.log 2>&1 &
W=$!
PIDS="$PIDS $W"
sleep 1
check "run --once --wait waits while the operator runs" kill -0 "$W"
contains "and says for whom" wait.log "waiting for the operator (PID $OP)"
kill "$OP"; wait "$OP" 2>/dev/null
wait "$W"; rw=$?
check "then it runs once the operator stopped" test "$rw" -eq 0
contains "and completes" wait.log "default/alpha: ready"
for t in alpha beta; do
    if why=$(leaves_chain "$t"); then ok "$t: every leaf chains to the stored CA"; else not_ok "$t: $why"; fi
done

# ---- a CA that cannot be stored is not used ----
rm -rf "$T/state"
mkdir -p "$T/state/default" && chmod 700 "$T/state" "$T/state/default"
# The file store writes <name>.json.tmp.<its PID> then renames it: a
# directory at that path makes the CA's write fail (as a full disk would)
# while its Secret reads as missing. exec keeps the PID the shell had.
sh -c 'mkdir "$1/alpha-ca.json.tmp.$$" && exec "$2" -c "$3" run --once' sh \
    "$T/state/default" "$CERTLC_BIN" "$CONF/certlc.ini" > nostore.log 2>&1
check "the pass fails" test $? -ne 0
contains "the CA's write failed, and the pass says it stopped" nostore.log \
    'secret "alpha-ca" FAILED: the new CA was not stored, so nothing else of this tenant is issued in this pass'
contains "naming what the store could not do" nostore.log "alpha-ca.json.tmp."
check_fails "the CA is not in the store" certlc get secret alpha-ca
check_fails "no leaf signed by the unstored CA was written" certlc get secret alpha-api-server-certificate
check_fails "no kubeconfig either" certlc get secret alpha-admin-kubeconfig
check "nothing of alpha at all" sh -c "! ls '$T/state/default' | grep -q '^alpha-.*\.json\$'"
contains "beta is not affected" nostore.log "default/beta: ready"
certlc get events --for alpha > nostore-events.txt 2>&1
contains "the event says the cause: ca-unstored" nostore-events.txt "(ca-unstored) the new CA was not stored"
rmdir "$T"/state/default/alpha-ca.json.tmp.*
certlc run --once > fixed.log 2>&1
contains "once the path is free the pass completes" fixed.log "default/alpha: ready"
if why=$(leaves_chain alpha); then ok "and every leaf chains to the stored CA"; else not_ok "$why"; fi

finish
