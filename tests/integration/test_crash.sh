# Crash safety: the operator is killed with SIGKILL at many points during a
# CA rotation, a bulk deletion and the rotation of an expired CA, and two
# concurrent `run --once` are killed together at many points of a CA
# rotation; then a pass runs again. Afterwards no
# Secret is half-written, every key matches its certificate, every leaf and
# kubeconfig verifies against the CA that is in the store, and the tenant is
# Ready again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

write_conf
tenant alpha konnectivity=true
tenant beta

certlc run --once > /dev/null 2>&1 || not_ok "provisioning"

# Every *.json in the store parses as a Secret (nothing half-written).
# One jq reads them all and says which file gave each value (a jq a file
# was a second a round); when one does not parse, one file at a time names it.
all_parse() {
    set -- "$T"/state/*/*.json
    if jq -r '"\(.kind == "Secret" and (.data | type == "object")) \(input_filename)"' "$@" > "$T/parse.out" 2>/dev/null &&
        ! grep -v '^true ' "$T/parse.out" > /dev/null &&
        [ "$(cut -d' ' -f2- "$T/parse.out" | sort -u | wc -l)" -eq $# ]; then
        return 0
    fi
    for f in "$@"; do
        jq -e '.kind == "Secret" and (.data | type == "object")' "$f" > /dev/null 2>&1 || { echo "$f"; return 1; }
    done
    grep -v '^true ' "$T/parse.out" || echo "a file gave no value"
    return 1
}

# invariants TENANT: every certificate of the tenant chains to the CA now
# in the store and matches its key; kubeconfigs embed that CA. Reads the
# Secrets from one listing of the store (secrets_to, in lib.sh): 25 rounds
# of a value at a time took most of this script's minute.
invariants() {
    t=$1 s=$T/secrets
    secrets_to "$s" || { echo "cannot list the Secrets"; return 1; }
    cp "$s/$t-ca/ca.crt" ca.pem || return 1
    cp "$s/$t-front-proxy-ca-certificate/front-proxy-ca.crt" fpca.pem || return 1
    for pair in "api-server-certificate apiserver ca" \
                "api-server-kubelet-client-certificate apiserver-kubelet-client ca" \
                "front-proxy-client-certificate front-proxy-client fpca"; do
        set -- $pair
        cp "$s/$t-$1/$2.crt" leaf.pem && cp "$s/$t-$1/$2.key" leaf.key || { echo "$t-$1 missing"; return 1; }
        openssl verify -CAfile "$3.pem" leaf.pem > /dev/null 2>&1 || { echo "$t-$1 does not verify"; return 1; }
        keys_match leaf.pem leaf.key || { echo "$t-$1 key mismatch"; return 1; }
    done
    for kc in admin controller-manager scheduler; do
        cp "$s/$t-$kc-kubeconfig/$kc.conf" kc.yaml || { echo "$t-$kc missing"; return 1; }
        kubeconfig_field kc.yaml certificate-authority-data > kcca.pem
        kubeconfig_field kc.yaml client-certificate-data > kccrt.pem
        kubeconfig_field kc.yaml client-key-data > kckey.pem
        cmp -s kcca.pem ca.pem || { echo "$t-$kc embeds another CA"; return 1; }
        openssl verify -CAfile ca.pem kccrt.pem > /dev/null 2>&1 || { echo "$t-$kc client cert does not verify"; return 1; }
        keys_match kccrt.pem kckey.pem || { echo "$t-$kc key mismatch"; return 1; }
    done
}

round() {  # DESCRIPTION DELAY_MS COMMAND...: start the operator, act, kill -9
    rdesc=$1 delay=$2; shift 2
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
    op=$!
    # Wait until the operator watches the store.
    i=0; while ! grep -q "operator started" op.log && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
    sleep 0.1
    "$@" > /dev/null 2>&1
    sleep "$(printf '0.%03d' "$delay")"
    kill -9 "$op" 2>/dev/null
    wait "$op" 2>/dev/null
    # Did the kill land halfway: something issued, the pass not finished?
    if grep -q 'created\|reissued' op.log && ! grep -q ': ready (' op.log; then
        MIDWAY=$((MIDWAY + 1))
    fi
    if bad=$(all_parse); then ok "$rdesc: killed after ${delay} ms, every Secret file parses"; else not_ok "$rdesc: half-written $bad"; fi
    certlc run --once > after.log 2>&1
    check "$rdesc: the restarted pass completes" grep -q "default/alpha: ready" after.log
    if why=$(invariants alpha); then ok "$rdesc: alpha's invariants hold"; else not_ok "$rdesc: alpha: $why"; fi
    if why=$(invariants beta); then ok "$rdesc: beta's invariants hold"; else not_ok "$rdesc: beta: $why"; fi
    certlc get tcp > tcp.txt
    check "$rdesc: both tenants are Ready" test "$(grep -c ' Ready ' tcp.txt)" -eq 2
}

MIDWAY=0
for d in 0 3 8 15 25 40 60 90; do
    round "CA rotation" "$d" "$CERTLC_BIN" -c "$CONF/certlc.ini" delete secret alpha-ca
done
for d in 0 5 12 25 45 80; do
    round "bulk deletion" "$d" "$CERTLC_BIN" -c "$CONF/certlc.ini" delete secret -A \
        -l 'kamaji.clastix.io/certificate_lifecycle_controller in (x509,kubeconfig)'
done
# The rotation of an expired CA (made by openssl, applied over alpha-ca).
mk_ca "$T/expired" 20200101000000Z "$(utc yesterday)" || not_ok "openssl makes an expired CA"
for d in 0 5 15 30 60; do
    round "expired CA" "$d" apply_ca alpha "$T/expired"
done

# Two run --once at once (one waiting for the other's lock), both killed.
round_once() {  # DELAY_MS
    certlc delete secret alpha-ca > /dev/null 2>&1
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run --once > o1.log 2>&1 & o1=$!
    "$CERTLC_BIN" -c "$CONF/certlc.ini" run --once --wait > o2.log 2>&1 & o2=$!
    sleep "$(printf '0.%03d' "$1")"
    kill -9 "$o1" "$o2" 2>/dev/null
    wait "$o1" "$o2" 2>/dev/null
    rdesc="two run --once"
    if bad=$(all_parse); then ok "$rdesc: killed after $1 ms, every Secret file parses"; else not_ok "$rdesc: half-written $bad"; fi
    certlc run --once > after.log 2>&1
    check "$rdesc: the next pass completes" grep -q "default/alpha: ready" after.log
    if why=$(invariants alpha); then ok "$rdesc: alpha's invariants hold"; else not_ok "$rdesc: alpha: $why"; fi
    if why=$(invariants beta); then ok "$rdesc: beta's invariants hold"; else not_ok "$rdesc: beta: $why"; fi
}
for d in 0 10 25 50 80 120; do
    round_once "$d"
done
echo "# $MIDWAY kills landed in the middle of a pass"
check "some kills landed in the middle of a pass ($MIDWAY)" test "$MIDWAY" -ge 2
check "no temporary files are left behind" sh -c "[ -z \"\$(find '$T/state' -name '*.tmp*')\" ]"

finish
