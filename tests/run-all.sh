#!/bin/sh
# The whole suite, as `make test` runs it: unit tests in the default build
# and under ASan+UBSan, then the integration tests. Ends with one line
# "N passed, N failed".
#
# Each step runs beside its twin of the other build (the two builds' unit
# tests, then the two integration passes); a step's output is kept and
# printed whole, in the order below, so that the log reads as if they had
# run one after the other. Each title ends with how long its step took.
#
# CERTLC_BUILD_LATER="COMMAND": the builds that the default build's tests
# do not need (make test: the clang check and the ASan+UBSan build) are
# made here by COMMAND (at nice -n CERTLC_BUILD_NICE, default 0: the
# sanitizer tests wait for it, and they are the longer tail) while the
# default build's unit and integration tests run: these mostly wait on
# servers and clocks, and the build takes the CPU they leave. The
# ASan+UBSan steps start once it succeeded.
cd "$(dirname "$0")/.." || exit 1
CERTLC_TALLY=$(mktemp)
export CERTLC_TALLY
status=0
echo "== layers of framework/ (scripts/check-layers.sh)"
sh scripts/check-layers.sh || status=1
steps=$(mktemp -d)
CERTLC_SLOTS=$(mktemp -d)
trap 'rm -rf "$steps" "$CERTLC_SLOTS"' EXIT

# start NAME COMMAND...: runs the command in the background into $steps/NAME
# (its wall time into $steps/NAME.secs).
start() {
    name=$1; shift
    { t0=$(date +%s); "$@" > "$steps/$name" 2>&1; echo $? > "$steps/$name.rc"
      echo $(($(date +%s) - t0)) > "$steps/$name.secs"; } &
}
# report NAME TITLE: once the steps started have ended, the output of one
# under "== TITLE (N s)".
report() {
    wait
    [ -f "$steps/$1.rc" ] || echo 1 > "$steps/$1.rc"
    [ -f "$steps/$1" ] || echo "(not run)" > "$steps/$1"
    echo "== $2 ($(cat "$steps/$1.secs" 2>/dev/null || echo 0) s)"
    cat "$steps/$1"
    [ "$(cat "$steps/$1.rc")" -eq 0 ] || status=1
}

san() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}
unit() {
    sh tests/run-unit.sh build/tests/test_*; u=$?
    echo "== fuzz corpus replay (build/)"; sh tests/fuzz/run-replay.sh build && [ $u -eq 0 ]
}
unit_san() {
    san sh tests/run-unit.sh build-san/tests/test_*; u=$?
    echo "== fuzz corpus replay under ASan+UBSan (build-san/)"
    san sh tests/fuzz/run-replay.sh build-san && [ $u -eq 0 ]
}

# The two integration passes share CERTLC_JOBS slots (default: the number
# of cores, plus one: most scripts wait on servers and clocks).
CERTLC_JOBS=${CERTLC_JOBS:-$(( $(nproc 2>/dev/null || echo 2) + 1 ))}
export CERTLC_SLOTS CERTLC_JOBS
integration() {
    bash tests/run-integration.sh "$(pwd)/build/certlc"
}
# The tests that mostly wait for a clock (expiry, lease takeover) or repeat
# one path many times (crash rounds, concurrent run --once trials) run
# once, in the default build: under the sanitizers they would add minutes
# and no new code. So does the completion test, which types into shells
# on a terminal and tests their script more than certlc's C.
integration_san() {
    ASAN_OPTIONS=detect_leaks=1 CERTLC_SAN=1 \
    CERTLC_SKIP="test_rotation test_etcd_expiry test_store_etcd_replicas test_crash test_one_writer test_etcd_one_writer test_completion" \
        bash tests/run-integration.sh "$(pwd)/build-san/certlc"
}

if [ -n "${CERTLC_BUILD_LATER:-}" ]; then
    # The default build's steps now; the sanitizer steps after the build
    # they need (its unit tests then beside its integration pass).
    start unit unit
    start integration integration
    start build-later nice -n "${CERTLC_BUILD_NICE:-0}" sh -c "$CERTLC_BUILD_LATER"
    # after_build COMMAND...: runs the command once that build succeeded.
    after_build() {
        while [ ! -f "$steps/build-later.rc" ]; do sleep 1; done
        [ "$(cat "$steps/build-later.rc")" -eq 0 ] || { echo "not run: the build above failed"; return 1; }
        "$@"
    }
    start unit-san after_build unit_san
    start integration-san after_build integration_san
    report build-later "the clang check and the ASan+UBSan build (beside the tests, at nice ${CERTLC_BUILD_NICE:-0})"
    # A failed build counts as one failure in the last line.
    [ "$(cat "$steps/build-later.rc")" -eq 0 ] || echo "0 1" >> "$CERTLC_TALLY"
    report unit "unit tests (build/)"
    report unit-san "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (build-san/)"
else
    start unit unit
    start unit-san unit_san
    report unit "unit tests (build/)"
    report unit-san "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (build-san/)"
    start integration integration
    start integration-san integration_san
fi
report integration "integration tests (real openssl peers and servers on 127.0.0.1)"
report integration-san "integration tests under ASan+UBSan"

total_p=0 total_f=0
while read -r p f; do
    total_p=$((total_p + p)); total_f=$((total_f + f))
done < "$CERTLC_TALLY"
rm -f "$CERTLC_TALLY"
[ "$total_f" -ne 0 ] && status=1
echo "$total_p passed, $total_f failed"
exit $status
