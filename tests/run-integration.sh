#!/bin/bash
# Runs every tests/integration/test_*.sh with the certlc binary given as $1.
# Each script prints "ok ..." / "not ok ..." lines; its exit code counts too.
#
# Most of these tests wait on servers and clocks rather than compute, so
# CERTLC_JOBS of them (default: the number of cores) run at once; each one's
# output is kept and printed whole when it ends. CERTLC_ONLY=PART runs the
# scripts whose path contains PART; CERTLC_SKIP="test_a test_b" skips some.
# A script that leaves a process running after it ended fails (each process
# it starts carries CERTLC_TEST_RUN=<its own marker> in its environment).
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
jobs=${CERTLC_JOBS:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# survivors MARKER: the processes still running with CERTLC_TEST_RUN=MARKER
# in their environment, one "PID command line" a line. Every process a
# script starts inherits it, so what a script leaves behind is found even
# after its parent died.
survivors() {
    for e in /proc/[0-9]*/environ; do
        pid=${e#/proc/}; pid=${pid%/environ}
        [ "$pid" = "$$" ] && continue
        { tr '\0' '\n' < "$e"; } 2>/dev/null | grep -qxF "CERTLC_TEST_RUN=$1" || continue
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
        [ -z "$state" ] || [ "$state" = Z ] && continue
        echo "$pid $({ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null)"
    done
}

# stop_survivors FILE: SIGTERM (and SIGCONT) then SIGKILL each PID listed.
stop_survivors() {
    while read -r pid _; do kill -TERM "$pid" 2>/dev/null; kill -CONT "$pid" 2>/dev/null; done < "$1"
    sleep 1
    while read -r pid _; do kill -KILL "$pid" 2>/dev/null; done < "$1"
}

run_one() {  # SCRIPT NAME: runs it, leaves NAME.log, NAME.rc, NAME.secs, NAME.left
    local start=$SECONDS marker="$2.$$.$RANDOM$RANDOM"
    CERTLC_TEST_RUN=$marker CERTLC_BIN="$bin" sh "$1" > "$out/$2.log" 2>&1
    echo $? > "$out/$2.rc"
    echo $((SECONDS - start)) > "$out/$2.secs"
    # A test stops what it starts, pass or fail: whatever is left is a bug
    # of the test (or of what it ran), reported, then stopped here.
    sleep 0.5 # what was killed at the very end may still be exiting
    survivors "$marker" > "$out/$2.left"
    stop_survivors "$out/$2.left"
}

names=()
for t in "$here"/integration/test_*.sh; do
    [ -n "${CERTLC_ONLY:-}" ] && case "$t" in *"$CERTLC_ONLY"*) ;; *) continue ;; esac
    name=$(basename "$t" .sh)
    case " ${CERTLC_SKIP:-} " in *" $name "*) echo "skip $name (CERTLC_SKIP)"; continue ;; esac
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_one "$t" "$name" &
    names+=("$name")
done
wait

passed=0 failed=0
for name in "${names[@]}"; do
    log=$out/$name.log
    rc=$(cat "$out/$name.rc")
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ -s "$out/$name.left" ]; then
        echo "not ok - $name left $(wc -l < "$out/$name.left") process(es) running after it ended (stopped now):" >> "$log"
        sed 's/^/    /' "$out/$name.left" >> "$log"
        f=$((f + 1))
    fi
    if [ "$f" -ne 0 ]; then
        cat "$log"
        echo "FAIL $name ($p passed, $f failed, exit $rc)"
    else
        echo "ok   $name ($p passed, $(cat "$out/$name.secs")s)"
    fi
    passed=$((passed + p)); failed=$((failed + f))
done
[ -n "${CERTLC_TALLY:-}" ] && echo "$passed $failed" >> "$CERTLC_TALLY"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
