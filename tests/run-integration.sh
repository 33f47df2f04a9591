#!/bin/bash
# Runs every tests/integration/test_*.sh with the certlc binary given as $1.
# Each script prints "ok ..." / "not ok ..." lines; its exit code counts too.
#
# Most of these tests wait on servers and clocks rather than compute, so
# CERTLC_JOBS of them (default: the number of cores) run at once; each one's
# output is kept and printed whole when it ends. CERTLC_ONLY=PART runs the
# scripts whose path contains PART; CERTLC_SKIP="test_a test_b" skips some.
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
jobs=${CERTLC_JOBS:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run_one() {  # SCRIPT NAME: runs it, leaves NAME.log, NAME.rc, NAME.secs
    local start=$SECONDS
    CERTLC_BIN="$bin" sh "$1" > "$out/$2.log" 2>&1
    echo $? > "$out/$2.rc"
    echo $((SECONDS - start)) > "$out/$2.secs"
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
