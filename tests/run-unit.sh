#!/bin/sh
# Runs cmocka unit test binaries; prints one summary line per binary and
# appends "passed failed" counts to $CERTLC_TALLY when set.
passed=0 failed=0
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL $t ($p passed, $f failed)"
    else
        echo "ok   $t ($p passed)"
    fi
    passed=$((passed + p)); failed=$((failed + f))
done
[ -n "${CERTLC_TALLY:-}" ] && echo "$passed $failed" >> "$CERTLC_TALLY"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
