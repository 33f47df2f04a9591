#!/bin/sh
# make fuzz: runs each libFuzzer harness of BUILD/fuzz for SECONDS, niced
# (the machine is shared). New interesting inputs go to BUILD/corpus/NAME
# (the seed corpus tests/fuzz/corpus/NAME is only read). The fuzzer runs in
# fork mode and goes on after a crash or a broken round trip, so that one
# known bug does not hide the next; each such input is left in
# BUILD/artifacts/NAME-crash-*, to be copied into tests/fuzz/corpus/NAME/
# (replay it with BUILD-of-gcc/tests/fuzz_NAME FILE to see the message).
# Fails when a run left any. Usage: run-fuzz.sh BUILD SECONDS NAME...
cd "$(dirname "$0")/../.." || exit 1
build=$1 seconds=$2
shift 2
status=0
mkdir -p "$build/artifacts"
for name in "$@"; do
    mkdir -p "$build/corpus/$name"
    echo "== fuzz_$name for ${seconds}s"
    log="$build/fuzz-$name.log"
    start="$build/.fuzz-$name.start"
    touch "$start"
    nice -n 10 "$build/fuzz/fuzz_$name" -max_total_time="$seconds" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/artifacts/$name-" \
        "$build/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    found=$(find "$build/artifacts" -name "$name-*" -newer "$start" | sort)
    rm -f "$start"
    if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
        grep -E 'check failed|ERROR: (Address|Undefined|LeakSanitizer|libFuzzer)|runtime error' "$log" |
            sort | uniq -c | head -n 20
        printf '%s\n' $found
        echo "FAIL fuzz_$name (exit $rc): see $log"
        status=1
    else
        echo "ok   fuzz_$name ($(ls "$build/corpus/$name" | wc -l) inputs in $build/corpus/$name)"
    fi
done
exit $status
