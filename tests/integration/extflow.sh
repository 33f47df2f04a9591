# The external-PKI flow of issue 5, the same for every driver in mode
# external: source it after lib.sh, extpki.sh and the server's harness, and
# define first:
#   DRV                 the driver (postgresql, mysql, nats)
#   X_PKI               the server's CA directory (the DataStore CA)
#   srv_stop, srv_restart
#   mk_datastore NAME [LINE...]
#   space_exists SCHEMA     the tenant's database, user or bucket exists
#   client_as TCP NS CRT KEY   the real client logs in with TCP's
#                           datastore-config and the given certificate
# Then call ext_flow. Only the command line drives it: the test plays the
# external PKI with the openssl command line and `certlc apply -f`.

EXT_NS=certs
EXT_NAME=db-client

# tenant_cert TCP NS FILEPREFIX: the tenant's datastore-certificate pieces.
# (One read of the Secret; a piece it lacks leaves an empty file, as
# `data` did, never the previous one.)
tenant_cert() {
    data_to "$T/tenant-cert" "$1-datastore-certificate" "$2"
    cat "$T/tenant-cert/server.crt" > "$3.crt" 2>/dev/null
    cat "$T/tenant-cert/server.key" > "$3.key" 2>/dev/null
    cat "$T/tenant-cert/ca.crt" > "$3.ca" 2>/dev/null
    chmod 600 "$3.key"
}
cfg() { data "$1-datastore-config" "$3" "$2"; }

# deliver TAG CRT KEY [json]: the external PKI writes its Secret.
deliver() {
    f=$T/deliver-$1
    if [ "${4:-}" = json ]; then
        jq -n --arg n "$EXT_NAME" --arg ns "$EXT_NS" --arg c "$(base64 -w0 < "$2")" \
            --arg k "$(base64 -w0 < "$3")" --arg a "$(base64 -w0 < "$X_PKI/ca.crt")" \
            '{apiVersion:"v1",kind:"Secret",metadata:{name:$n,namespace:$ns},
              type:"kubernetes.io/tls",data:{"tls.crt":$c,"tls.key":$k,"ca.crt":$a}}' > "$f.json"
        f=$f.json
    else
        {
            echo "apiVersion: v1"
            echo "kind: Secret"
            echo "metadata:"
            echo "  name: $EXT_NAME"
            echo "  namespace: $EXT_NS"
            echo "type: kubernetes.io/tls"
            echo "data:"
            echo "  tls.crt: $(base64 -w0 < "$2")"
            echo "  tls.key: $(base64 -w0 < "$3")"
            echo "  ca.crt: $(base64 -w0 < "$X_PKI/ca.crt")"
        } > "$f.yaml"
        f=$f.yaml
    fi
    chmod 600 "$f"
    certlc apply -f "$f"
}

# rc_ok DESCRIPTION RC FILE: ok when RC is 0, else FILE is shown.
rc_ok() {
    if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1 (exit $2)"; sed 's/^/    /' "$3"; fi
}

copy_is() { tenant_cert "$1" "$2" "$T/cur-$1" && cmp -s "$T/cur-$1.crt" "$3"; }
ext_gone() { ! certlc get secret "$EXT_NAME" -n "$EXT_NS" -o json > /dev/null 2>&1; }

# refuse TAG CRT KEY REASON [KEPT]: a delivery that must be refused with
# REASON; alpha keeps KEPT (default: c1).
refuse() {
    : > "$T/hook.log"
    deliver "$1" "$2" "$3" > /dev/null 2>&1
    certlc run --once > "$T/run-$1" 2>&1
    contains "$1: refused, the reason in the log" "$T/run-$1" "is refused: $4"
    # Both tenants of the datastore say why, whichever of them judged it.
    certlc describe tcp alpha > "$T/describe-$1" 2>&1
    contains "$1: the reason in alpha's status" "$T/describe-$1" "$4"
    certlc describe tcp beta -n other > "$T/describe-beta-$1" 2>&1
    contains "$1: the reason in beta's status" "$T/describe-beta-$1" "$4"
    check "$1: the refused delivery is no longer under $EXT_NAME" ext_gone
    certlc get secrets -n "$EXT_NS" -o name > "$T/aside-$1"
    check "$1: it is kept aside as $EXT_NAME-refused-*" grep -q "secret/$EXT_NAME-refused-" "$T/aside-$1"
    check "$1: alpha keeps its certificate" copy_is alpha default "${5:-$T/pki/c1.crt}"
    check "$1: nothing is rolled out" test ! -s "$T/hook.log"
}

ext_flow() {
    P=$T/pki
    mkdir -p "$P" && chmod 700 "$P"
    # The external PKI: the DataStore CA's certificates, and others.
    cp "$X_PKI/ca.crt" "$X_PKI/ca.key" "$P/"
    pki_client "$P" c1 tenant-client 2 &&      # 2 days: due under renew_before 72h
        pki_client "$P" c2 tenant-client 30 &&
        pki_client "$P" c3 tenant-client 40 &&
        pki_client "$P" short tenant-client 10 &&
        pki_expired "$P" old tenant-client &&
        pki_ca "$T/rogue" && pki_client "$T/rogue" rogue tenant-client ||
        { not_ok "cannot make the external PKI's certificates"; return 1; }

    install_drivers "$DRV"
    write_conf "renew_before = 72h" \
        "rollout_hook = echo \"\$CERTLC_TCP: \$CERTLC_CHANGED\" >> $T/hook.log"
    mk_datastore main "client_cert_secret = $EXT_NS/$EXT_NAME" "external_timeout = 4s"
    tenant alpha datastore=main
    tenant beta datastore=main namespace=other

    certlc run --once > run0 2>&1
    contains "before any delivery, alpha awaits the external PKI" run0 \
        "awaiting the external PKI: waiting for the external PKI to deliver $EXT_NS/$EXT_NAME"
    # The await is the external PKI's normal course: a Normal event, no
    # RotationFailed.
    certlc get events --for alpha -o json > ev0.json
    check "the await is a Normal AwaitingExternalPKI event" jq -e \
        '.items[] | select(.secret == "alpha-datastore-certificate" and .reason == "AwaitingExternalPKI" and .type == "Normal")' ev0.json
    check "and no RotationFailed event" jq -e \
        '[.items[] | select(.secret == "alpha-datastore-certificate" and .reason == "RotationFailed")] | length == 0' ev0.json
    check "provision made alpha's space in $DRV" space_exists default_alpha
    check "provision made beta's space in $DRV" space_exists other_beta
    check "DB_SCHEMA is <namespace>_<name>" test "$(cfg alpha default DB_SCHEMA)" = default_alpha
    check "DB_CONNECTION_STRING is the endpoint" test "$(cfg alpha default DB_CONNECTION_STRING)" = "$(sed -n 's/^endpoints = //p' "$CONF/datastores.d/main.ini")"

    check "certlc apply -f (YAML) delivers the first certificate" deliver first "$P/c1.crt" "$P/c1.key"
    : > hook.log
    certlc run --once > run1 2>&1
    rc_ok "run --once accepts it and exits 0" $? run1
    check "alpha's datastore-certificate is the delivered certificate" copy_is alpha default "$P/c1.crt"
    check "beta's too" copy_is beta other "$P/c1.crt"
    check "ca.crt is the DataStore CA" cmp "$T/cur-alpha.ca" "$X_PKI/ca.crt"
    check "the rollout hook saw it" grep -q "alpha: .*alpha-datastore-certificate" hook.log
    check "the real client logs in with alpha's Secrets" client_as alpha default "$T/cur-alpha.crt" "$T/cur-alpha.key"
    check "and with beta's" client_as beta other "$T/cur-beta.crt" "$T/cur-beta.key"
    check_fails "the real client without a certificate is refused" client_as alpha default "" ""
    check_fails "the real client with a certificate of another CA is refused" \
        client_as alpha default "$T/rogue/rogue.crt" "$T/rogue/rogue.key"
    certlc get tcp > tcp0
    lacks "get tcp: no await while the certificate is fresh" tcp0 AwaitingExternalPKI

    # The deadline passes: c1 expires within renew_before.
    : > hook.log
    certlc run --once > run2 2>&1
    contains "due: the log says why and where the old one is kept" run2 \
        "removed $EXT_NS/$EXT_NAME for the external PKI to deliver a new one; the old one is kept as $EXT_NS/$EXT_NAME-previous"
    check "the referenced Secret is gone" ext_gone
    data "$EXT_NAME-previous" tls.crt "$EXT_NS" > prev.crt
    check "$EXT_NAME-previous holds the old certificate" cmp prev.crt "$P/c1.crt"
    certlc get tcp > tcp1
    contains "get tcp shows AwaitingExternalPKI" tcp1 "Ready,AwaitingExternalPKI"
    check "alpha keeps its copy while awaiting" copy_is alpha default "$P/c1.crt"
    check "nothing is rolled out while awaiting" test ! -s hook.log
    rotated_at=$(date +%s)

    # The external PKI delivers, in turn, four certificates to refuse.
    refuse other-ca "$T/rogue/rogue.crt" "$T/rogue/rogue.key" "it does not chain to the CA of datastore 'main'"
    refuse bad-key "$P/c2.crt" "$T/rogue/rogue.key" "tls.key does not match the certificate in tls.crt"
    refuse expired "$P/old.crt" "$P/old.key" "it expired at"
    refuse previous "$P/c1.crt" "$P/c1.key" "it is the previous certificate"

    # Past external_timeout: overdue, and still waiting.
    while [ $(( $(date +%s) - rotated_at )) -lt 5 ]; do sleep 0.5; done
    certlc run --once > run3 2>&1
    contains "past external_timeout, a warning" run3 "the external PKI is overdue"
    certlc get tcp > tcp2
    contains "get tcp shows ExternalPKIOverdue" tcp2 "ExternalPKIOverdue"

    # Then a good one (JSON this time).
    : > hook.log
    check "certlc apply -f (JSON) delivers a good certificate" deliver good "$P/c2.crt" "$P/c2.key" json
    certlc run --once > run4 2>&1
    rc_ok "run --once exits 0" $? run4
    contains "the good one is accepted and verified" run4 "is accepted and verified; copied to alpha-datastore-certificate"
    check "it is copied to alpha" copy_is alpha default "$P/c2.crt"
    check "it is copied to beta" copy_is beta other "$P/c2.crt"
    check "it is rolled out" grep -q "alpha: .*alpha-datastore-certificate" hook.log
    check "beta's is rolled out too" grep -q "beta: .*beta-datastore-certificate" hook.log
    check "the real client logs in with the new certificate" client_as alpha default "$T/cur-alpha.crt" "$T/cur-alpha.key"
    certlc get tcp > tcp3
    lacks "the await is over" tcp3 "ExternalPKI"
    refuse older "$P/short.crt" "$P/short.key" \
        "its notAfter" "$P/c2.crt"
    contains "older: never back in time" "$T/run-older" "is not later than the current certificate's"

    # A delivery while the datastore is down: kept, verified once it is back.
    srv_stop
    : > hook.log
    deliver down "$P/c3.crt" "$P/c3.key" > /dev/null 2>&1
    certlc run --once > run5 2>&1
    check "with $DRV down, nothing is copied" copy_is alpha default "$P/c2.crt"
    check "nothing is rolled out" test ! -s hook.log
    data "$EXT_NAME" tls.crt "$EXT_NS" > kept.crt 2>/dev/null
    check "the delivery is kept" cmp kept.crt "$P/c3.crt"
    srv_restart
    certlc run --once > run6 2>&1
    check "once $DRV is back, the delivery is verified and copied" copy_is alpha default "$P/c3.crt"
    check "and rolled out" grep -q "alpha: .*alpha-datastore-certificate" hook.log
    check "the real client logs in with it" client_as alpha default "$T/cur-alpha.crt" "$T/cur-alpha.key"

    # Deprovisioning.
    rm "$CONF/tenants.d/beta.ini"
    certlc run --once --prune > prune 2>&1
    contains "prune deprovisions beta" prune "other/beta: deprovisioned from datastore 'main' (driver $DRV)"
    check_fails "beta's space is gone from $DRV" space_exists other_beta
    check "alpha's space stays" space_exists default_alpha
}
