#!/bin/sh
# The whole suite, as `make test` runs it: unit tests in the default build
# and under ASan+UBSan, then the integration tests. Ends with one line
# "N passed, N failed".
#
# Each step runs beside its twin of the other build (the two builds' unit
# tests, then the two integration passes); a step's output is kept and
# printed whole, in the order below, so that the log reads as if they had
# run one after the other.
cd "$(dirname "$0")/.." || exit 1
CERTLC_TALLY=$(mktemp)
export CERTLC_TALLY
status=0
echo "== layers of framework/ (scripts/check-layers.sh)"
sh scripts/check-layers.sh || status=1
steps=$(mktemp -d)
CERTLC_SLOTS=$(mktemp -d)
trap 'rm -rf "$steps" "$CERTLC_SLOTS"' EXIT

# start NAME COMMAND...: runs the command in the background into $steps/NAME.
start() {
    name=$1; shift
    { "$@" > "$steps/$name" 2>&1; echo $? > "$steps/$name.rc"; } &
}
# report NAME TITLE: once the steps started have ended, the output of one
# under "== TITLE".
report() {
    wait
    [ -f "$steps/$1.rc" ] || echo 1 > "$steps/$1.rc"
    echo "== $2"
    cat "$steps/$1"
    [ "$(cat "$steps/$1.rc")" -eq 0 ] || status=1
}

san() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}
start unit sh -c 'sh tests/run-unit.sh build/tests/test_*; u=$?;
    echo "== fuzz corpus replay (build/)"; sh tests/fuzz/run-replay.sh build && [ $u -eq 0 ]'
start unit-san san sh -c 'sh tests/run-unit.sh build-san/tests/test_*; u=$?;
    echo "== fuzz corpus replay under ASan+UBSan (build-san/)"; sh tests/fuzz/run-replay.sh build-san && [ $u -eq 0 ]'
report unit "unit tests (build/)"
report unit-san "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (build-san/)"

# The two integration passes share CERTLC_JOBS slots (default: the number
# of cores, plus one: most scripts wait on servers and clocks).
CERTLC_JOBS=${CERTLC_JOBS:-$(( $(nproc 2>/dev/null || echo 2) + 1 ))}
export CERTLC_SLOTS CERTLC_JOBS
start integration bash tests/run-integration.sh "$(pwd)/build/certlc"
# The tests that mostly wait for a clock (expiry, lease takeover) or repeat
# one path many times (crash rounds, concurrent run --once trials) run
# once, in the default build: under the sanitizers they would add minutes
# and no new code. So does the completion test, which types into shells
# on a terminal and tests their script more than certlc's C.
start integration-san env ASAN_OPTIONS=detect_leaks=1 CERTLC_SAN=1 \
    CERTLC_SKIP="test_rotation test_etcd_expiry test_store_etcd_replicas test_crash test_one_writer test_etcd_one_writer test_completion" \
    bash tests/run-integration.sh "$(pwd)/build-san/certlc"
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
