#!/bin/sh
# Replays each fuzz harness's corpus (tests/fuzz/corpus/NAME/) through its
# plain build BUILD/tests/fuzz_NAME: one pass or fail per harness, counted
# into $CERTLC_TALLY when set. Usage: run-replay.sh BUILD
cd "$(dirname "$0")/../.." || exit 1
build=${1:-build}
passed=0 failed=0
for t in "$build"/tests/fuzz_*; do
    [ -x "$t" ] || continue
    name=${t##*/fuzz_}
    out=$("$t" "tests/fuzz/corpus/$name" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok   $t ($(printf '%s\n' "$out" | tail -n 1))"
        passed=$((passed + 1))
    else
        # The last "replay: FILE" line names the input that failed.
        printf '%s\n' "$out" | tail -n 40
        echo "FAIL $t (exit $rc)"
        failed=$((failed + 1))
    fi
done
if [ $((passed + failed)) -eq 0 ]; then
    echo "FAIL no fuzz replay programs in $build/tests (make fuzz-replay)"
    failed=1
fi
[ -n "${CERTLC_TALLY:-}" ] && echo "$passed $failed" >> "$CERTLC_TALLY"
echo "fuzz corpus replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
