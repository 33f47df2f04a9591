#!/bin/bash
# Runs every tests/integration/test_*.sh with the certlc binary given as $1.
# Each script prints "ok ..." / "not ok ..." lines; its exit code counts too.
#
# Most of these tests wait on servers and clocks rather than compute, so
# CERTLC_JOBS of them (default: the number of cores) run at once; each one's
# output is kept and printed whole when it ends. The slowest start first
# ($slow_first below), so that the run does not end on one long script.
# CERTLC_ONLY=PART runs the scripts whose path contains PART;
# CERTLC_SKIP="test_a test_b" skips some.
#
# CERTLC_SLOTS=DIR shares the CERTLC_JOBS slots with other runs given the
# same DIR (tests/run-all.sh runs the default and the sanitizer pass side
# by side): a script starts when it holds the lock of one of DIR/slot.N.
# A script that leaves a process running after it ended fails (each process
# it starts carries CERTLC_TEST_RUN=<its own marker> in its environment).
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
jobs=${CERTLC_JOBS:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The scripts that take longest (about 15 s or more in either build), the
# longest first; the others follow in name order.
slow_first="test_crash test_store_etcd_replicas test_store_etcd test_etcd_expiry
    test_rotation test_ca_overlap test_store_etcd_hang test_ca_validity test_rollout_hook
    test_one_writer test_operator test_etcd_bad_input test_nats test_mysql
    test_postgresql test_byo_pki test_etcd test_etcd_one_writer"

# survivors MARKER: the processes still running with CERTLC_TEST_RUN=MARKER
# in their environment, one "PID command line" a line. Every process a
# script starts inherits it, so what a script leaves behind is found even
# after its parent died. (One grep reads every environment: a pipeline
# for each process took seconds on a loaded machine.)
survivors() {
    for e in $(grep -lxzF "CERTLC_TEST_RUN=$1" /proc/[0-9]*/environ 2>/dev/null); do
        pid=${e#/proc/}; pid=${pid%/environ}
        [ "$pid" = "$$" ] && continue
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
        [ -z "$state" ] || [ "$state" = Z ] && continue
        echo "$pid $({ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null)"
    done
}

# stop_survivors FILE: SIGTERM (and SIGCONT) then SIGKILL each PID listed.
stop_survivors() {
    [ -s "$1" ] || return 0
    while read -r pid _; do kill -TERM "$pid" 2>/dev/null; kill -CONT "$pid" 2>/dev/null; done < "$1"
    sleep 1
    while read -r pid _; do kill -KILL "$pid" 2>/dev/null; done < "$1"
}

# take_slot: with CERTLC_SLOTS, waits until this subshell holds one of
# the shared slots (the lock is on fd 9: the script itself does not
# inherit it, and run_one lets it go as soon as the script has ended).
take_slot() {
    [ -n "${CERTLC_SLOTS:-}" ] || return 0
    while :; do
        for ((slot = 1; slot <= jobs; slot++)); do
            exec 9> "$CERTLC_SLOTS/slot.$slot"
            flock -n 9 && return 0
            exec 9>&-
        done
        sleep 0.2
    done
}

run_one() {  # SCRIPT NAME: runs it, leaves NAME.log, NAME.rc, NAME.secs, NAME.left
    take_slot
    local start=$SECONDS marker="$2.$$.$RANDOM$RANDOM"
    CERTLC_TEST_RUN=$marker CERTLC_BIN="$bin" sh "$1" > "$out/$2.log" 2>&1 9>&-
    echo $? > "$out/$2.rc"
    # Wall time, then the CPU time (user + sys) of the script and all it
    # waited for: on a loaded machine the second says more.
    # (times in this shell itself: in a pipe it would count a fork's.)
    times > "$out/$2.times"
    echo "$((SECONDS - start))s, $(awk 'NR == 2 {
        for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); cpu += t[1] * 60 + t[2] }
        printf "%.0fs CPU", cpu }' "$out/$2.times")" > "$out/$2.secs"
    exec 9>&- # the slot is free for the next script
    # A test stops what it starts, pass or fail: whatever is left is a bug
    # of the test (or of what it ran), reported, then stopped here.
    sleep 0.5 # what was killed at the very end may still be exiting
    survivors "$marker" > "$out/$2.left"
    stop_survivors "$out/$2.left"
}

scripts=()
for n in $slow_first; do [ -f "$here/integration/$n.sh" ] && scripts+=("$here/integration/$n.sh"); done
for t in "$here"/integration/test_*.sh; do
    case " $(echo $slow_first) " in *" $(basename "$t" .sh) "*) continue ;; esac
    scripts+=("$t")
done

names=()
for t in "${scripts[@]}"; do
    [ -n "${CERTLC_ONLY:-}" ] && case "$t" in *"$CERTLC_ONLY"*) ;; *) continue ;; esac
    name=$(basename "$t" .sh)
    case " ${CERTLC_SKIP:-} " in *" $name "*) echo "skip $name (CERTLC_SKIP)"; continue ;; esac
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_one "$t" "$name" &
    names+=("$name")
done
wait

passed=0 failed=0
for name in $(printf '%s\n' "${names[@]}" | sort); do
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
        echo "ok   $name ($p passed, $(cat "$out/$name.secs"))"
    fi
    passed=$((passed + p)); failed=$((failed + f))
done
[ -n "${CERTLC_TALLY:-}" ] && echo "$passed $failed" >> "$CERTLC_TALLY"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
