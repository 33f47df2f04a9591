#!/bin/sh
# The whole suite, as `make test` runs it: unit tests in the default build
# and under ASan+UBSan, then the integration tests. Ends with one line
# "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
CERTLC_TALLY=$(mktemp)
export CERTLC_TALLY
status=0
echo "== layers of framework/ (scripts/check-layers.sh)"
sh scripts/check-layers.sh || status=1
echo "== unit tests (build/)"
sh tests/run-unit.sh build/tests/test_* || status=1
echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (build-san/)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    sh tests/run-unit.sh build-san/tests/test_* || status=1
echo "== fuzz corpus replay (build/)"
sh tests/fuzz/run-replay.sh build || status=1
echo "== fuzz corpus replay under ASan+UBSan (build-san/)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    sh tests/fuzz/run-replay.sh build-san || status=1
echo "== integration tests (real openssl peers and servers on 127.0.0.1)"
bash tests/run-integration.sh "$(pwd)/build/certlc" || status=1
echo "== integration tests under ASan+UBSan"
# The tests that mostly wait for a clock (expiry, lease takeover) or repeat
# one path many times (crash rounds, concurrent run --once trials) run
# once, in the default build: under the sanitizers they would add minutes
# and no new code.
ASAN_OPTIONS=detect_leaks=1 CERTLC_SAN=1 \
CERTLC_SKIP="test_rotation test_etcd_expiry test_store_etcd_replicas test_crash test_one_writer" \
    bash tests/run-integration.sh "$(pwd)/build-san/certlc" || status=1
total_p=0 total_f=0
while read -r p f; do
    total_p=$((total_p + p)); total_f=$((total_f + f))
done < "$CERTLC_TALLY"
rm -f "$CERTLC_TALLY"
[ "$total_f" -ne 0 ] && status=1
echo "$total_p passed, $total_f failed"
exit $status
