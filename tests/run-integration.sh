#!/bin/sh
# Runs every tests/integration/test_*.sh with the certlc binary given as $1.
# Each script prints "ok ..." / "not ok ..." lines; its exit code counts too.
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
for t in "$here"/integration/test_*.sh; do
    [ -n "${CERTLC_ONLY:-}" ] && case "$t" in *"$CERTLC_ONLY"*) ;; *) continue ;; esac
    name=$(basename "$t" .sh)
    case " ${CERTLC_SKIP:-} " in *" $name "*) echo "skip $name (CERTLC_SKIP)"; continue ;; esac
    log=$(mktemp)
    start=$(date +%s)
    CERTLC_BIN="$bin" sh "$t" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then
        cat "$log"
        echo "FAIL $name ($p passed, $f failed, exit $rc)"
    else
        echo "ok   $name ($p passed, $(( $(date +%s) - start ))s)"
    fi
    rm -f "$log"
    passed=$((passed + p)); failed=$((failed + f))
done
[ -n "${CERTLC_TALLY:-}" ] && echo "$passed $failed" >> "$CERTLC_TALLY"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
