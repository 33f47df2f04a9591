# The operator on a worker pool: a bulk deletion of every Secret of four
# tenants, queued while the operator was stopped (SIGSTOP), is drained in
# one go when it continues: each tenant is re-created in one pass (one
# "ready (9 created" per tenant, no pass creating a part), and what comes
# back chains to the tenant CA (openssl verify). Then a live bulk deletion
# (certlc delete -l, while the operator runs) re-creates everything too,
# and SIGHUP applies new workers and key_pool settings.
. "$(dirname "$0")/lib.sh"

write_conf "workers = 2" "log_level = debug"
for t in t1 t2 t3 t4; do tenant "$t"; done

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"

all_ready() { [ "$(certlc get tcp | grep -c ' Ready ')" -eq 4 ] && [ "$(certlc get secrets -o name | wc -l)" -eq 36 ]; }
check "the operator provisions four tenants" until_ok 60 all_ready
contains "the operator says how many workers it runs" "$T/op.log" "2 worker(s)"

# --- a deletion queued while the operator is stopped
sleep 0.5 # the follow-up passes of its own writes end
mark=$(wc -l < "$T/op.log")
kill -STOP "$OP"
rm -f "$T/state/default/"t[1-4]-*.json
check "the bulk deletion removed all 36 Secret files" test "$(ls "$T/state/default/" | grep -c '\.json$')" -eq 0
kill -CONT "$OP"
check "the operator re-creates all 36 Secrets" until_ok 60 all_ready
sleep 0.5
tail -n +$((mark + 1)) "$T/op.log" > after.log
for t in t1 t2 t3 t4; do
    check "$t is re-created in one pass" test "$(grep -c "default/$t: ready (9 created, 0 reissued)" after.log)" -eq 1
done
check "no pass re-created a part of a tenant" test "$(grep -c ': ready (' after.log)" -eq 4
check "36 creations, one per Secret" test "$(grep -c 'secret "t[1-4]-.*" created' after.log)" -eq 36

mkdir -p pem
for t in t1 t2 t3 t4; do
    data "$t-ca" ca.crt > "pem/$t-ca.crt"
    data "$t-api-server-certificate" apiserver.crt > "pem/$t-api.crt"
    check "openssl verify: $t's new API server certificate chains to its new CA" \
        openssl verify -CAfile "pem/$t-ca.crt" "pem/$t-api.crt"
done

# --- a live bulk deletion through the command line
certlc delete secret -A -l kamaji.clastix.io/certificate_lifecycle_controller=x509 > del.out
check "delete -A -l takes the 12 x509 Secrets (3 a tenant)" test "$(grep -c 'deleted$' del.out)" -eq 12
check "the operator re-creates them" until_ok 60 all_ready

# --- SIGHUP applies workers and key_pool at once
write_conf "workers = 1" "key_pool = 3" "log_level = debug"
kill -HUP "$OP"
check "after SIGHUP the operator runs 1 worker" until_ok 20 grep -q "1 worker(s)" "$T/op.log"
check "after SIGHUP it keeps 3 ecdsa-p256 keys ready" until_ok 20 grep -q "key pool: 3 ecdsa-p256 key(s) kept ready" "$T/op.log"
certlc delete secret t2-api-server-certificate > /dev/null
check "a deleted Secret comes back with the pool" until_ok 60 all_ready
data t2-ca ca.crt > pem/t2-ca2.crt
data t2-api-server-certificate apiserver.crt > pem/t2-api2.crt
check "openssl verify: the re-created certificate chains to t2's CA" \
    openssl verify -CAfile pem/t2-ca2.crt pem/t2-api2.crt
check_fails "the re-created certificate has a new key" cmp -s pem/t2-api.crt pem/t2-api2.crt

finish
