# Bad input gets a clear error naming the file, the line and the key, and
# loses nothing; broken Secrets are issued again and reported.
. "$(dirname "$0")/lib.sh"

write_conf
tenant alpha
tenant beta

# --- configuration errors: exit 1, file:line, key, reason.
cp "$CONF/certlc.ini" "$T/good.ini"
echo "renew_befor = 24h" >> "$CONF/certlc.ini"
certlc run --once > out 2>&1; rc=$?
check "an unknown key in certlc.ini fails with exit 1" test "$rc" -eq 1
contains "the error names the file, line and key" out "certlc.ini:6"
contains "the error names the unknown key" out "renew_befor"

cp "$T/good.ini" "$CONF/certlc.ini"
echo "leaf_validity = 12x" >> "$CONF/certlc.ini"
certlc run --once > out 2>&1
contains "a bad duration is named with its key" out "leaf_validity"
contains "a bad duration is quoted" out '"12x"'

cp "$T/good.ini" "$CONF/certlc.ini"
printf '[tenant ../evil]\nversion = v1.26.0\naddress = 127.0.0.1\n' > "$CONF/tenants.d/evil.ini"
certlc run --once > out 2>&1; rc=$?
check "a tenant named ../evil is refused" test "$rc" -eq 1
contains "the refusal names the tenants file" out "evil.ini:1"
printf '[tenant a/b]\nversion = v1.26.0\naddress = 127.0.0.1\n' > "$CONF/tenants.d/evil.ini"
certlc run --once > out 2>&1
contains "a tenant named a/b is refused as not a DNS-1123 label" out "DNS-1123"
check "nothing was written for a refused configuration" test ! -e "$T/state/default"
printf '[tenant gamma]\nversion = v1.26.0\naddress = 127.0.0.1\nprot = 6443\n' > "$CONF/tenants.d/evil.ini"
certlc run --once > out 2>&1
contains "an unknown tenant key names file:line and key" out "evil.ini:4"
contains "an unknown tenant key is quoted" out "prot"
rm -f "$CONF/tenants.d/evil.ini"

# --- a state directory that cannot be written.
: > "$T/not-a-dir"
sed "s#^state_dir = .*#state_dir = $T/not-a-dir/state#" "$T/good.ini" > "$CONF/certlc.ini"
certlc run --once > out 2>&1; rc=$?
check "an unwritable state_dir fails with exit 1" test "$rc" -eq 1
contains "the error names the state directory" out "$T/not-a-dir/state"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    # As root every directory is writable: drop to nobody to see EACCES.
    mkdir -p "$T/ro" && chmod 0555 "$T/ro" && chmod 0755 "$T"
    chmod -R a+rX "$CONF"
    sed "s#^state_dir = .*#state_dir = $T/ro/state#" "$T/good.ini" > "$CONF/certlc.ini"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$CERTLC_BIN" -c "$CONF/certlc.ini" run --once > out 2>&1
    contains "a read-only state_dir says permission denied" out "Permission denied"
    chmod 0700 "$T"
fi
cp "$T/good.ini" "$CONF/certlc.ini"

# --- broken Secrets are reissued and reported; the others stay untouched.
certlc run --once > out 2>&1
check "provisioning succeeds" test $? -eq 0
certlc get secret beta-api-server-certificate -o json > beta-before.json

f="$T/state/default/alpha-front-proxy-ca-certificate.json"
echo '{"apiVersion": "v1", "kind": "Secr' > "$f"
certlc get secrets > out 2>&1
contains "get secrets warns about the broken file by path" out "alpha-front-proxy-ca-certificate.json"
# A Secret asked for by name is read alone: the broken one beside it is not
# read, so not warned about; asked for by name, it is named with its fault.
certlc get secret beta-api-server-certificate > out 2>&1
check "get secret NAME answers beside a broken Secret" grep -q '^beta-api-server-certificate ' out
lacks "and reads no other Secret (no warning about the broken one)" out "alpha-front-proxy-ca-certificate.json"
certlc get secret alpha-front-proxy-ca-certificate > out 2>&1; rc=$?
check "get secret of the broken one fails" test "$rc" -ne 0
contains "naming its file" out "alpha-front-proxy-ca-certificate.json"
contains "and saying it is not found as a Secret" out 'secrets "alpha-front-proxy-ca-certificate" not found'
cp "$f" broken-ca.json
certlc run --once > out 2>&1
contains "a CA Secret file with broken JSON is reported" out 'secret "alpha-front-proxy-ca-certificate" FAILED: unreadable'
check "and left as it is: a CA is never replaced but by deletion" cmp "$f" broken-ca.json
contains "what the broken CA signs waits for it" out 'secret "alpha-front-proxy-client-certificate" FAILED: its CA'
check "delete removes the unreadable CA Secret" certlc delete secret alpha-front-proxy-ca-certificate
certlc run --once > out 2>&1
contains "once deleted, the CA is issued again" out 'secret "alpha-front-proxy-ca-certificate" created'
contains "and what it signed is reissued too" out 'secret "alpha-front-proxy-client-certificate" reissued'

# Broken PEM inside a well-formed Secret.
certlc get secret alpha-api-server-kubelet-client-certificate -o json |
    jq '.data["apiserver-kubelet-client.crt"] = ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" | @base64)' \
    > tmp.json && mv tmp.json "$T/state/default/alpha-api-server-kubelet-client-certificate.json"
certlc run --once > out 2>&1
contains "a Secret with a broken PEM certificate is reissued" out 'secret "alpha-api-server-kubelet-client-certificate" reissued'
contains "the report names the data key" out "apiserver-kubelet-client.crt"

# A key that does not match its certificate: take beta's key.
betakey=$(certlc get secret beta-api-server-certificate -o json | jq -r '.data["apiserver.key"]')
certlc get secret alpha-api-server-certificate -o json | jq --arg k "$betakey" '.data["apiserver.key"] = $k' \
    > tmp.json && mv tmp.json "$T/state/default/alpha-api-server-certificate.json"
certlc run --once > out 2>&1
contains "a certificate whose key does not match is reissued" out 'secret "alpha-api-server-certificate" reissued'
contains "the report says the key does not match" out "does not match"
certlc get secret alpha-api-server-certificate -o json > fixed.json
jq -r '.data["apiserver.crt"]' fixed.json | base64 -d > fixed.crt
jq -r '.data["apiserver.key"]' fixed.json | base64 -d > fixed.key
check "the reissued certificate and key belong together" \
    sh -c "[ \"\$(openssl x509 -in fixed.crt -noout -pubkey)\" = \"\$(openssl pkey -in fixed.key -pubout)\" ]"

# A certificate swapped in from another tenant.
certlc get secret beta-admin-kubeconfig -o json | jq '.metadata.name = "alpha-admin-kubeconfig"' \
    > tmp.json && mv tmp.json "$T/state/default/alpha-admin-kubeconfig.json"
certlc run --once > out 2>&1
contains "another tenant's kubeconfig is reissued" out "secret \"alpha-admin-kubeconfig\" reissued: cluster is 'beta'"

certlc get secret beta-api-server-certificate -o json > beta-after.json
check "beta's Secrets were not touched by alpha's repairs" cmp beta-before.json beta-after.json
certlc run --once > out 2>&1
check "after the repairs a pass is clean" test $? -eq 0
contains "after the repairs nothing is reissued" out "default/alpha: ready (0 created, 0 reissued"

# --- usage errors exit 2, unknown commands say so.
certlc frobnicate > out 2>&1; rc=$?
check "an unknown command exits 2" test "$rc" -eq 2
contains "an unknown command is named" out "unknown command 'frobnicate'"
certlc get secrets -l 'a in (b' > out 2>&1; rc=$?
check "a broken selector exits 2" test "$rc" -eq 2
"$CERTLC_BIN" -c "$T/missing.ini" get secrets > out 2>&1
contains "a missing configuration file is named" out "$T/missing.ini"
printf 'x\n' > "$T/scalar.yaml"
certlc apply -f "$T/scalar.yaml" > out 2>&1; rc=$?
check "apply -f of a document that is a single value fails" test "$rc" -ne 0
contains "and says the document is no Secret, naming the file" out "scalar.yaml: not a Secret: the document is a single value"
check "--help works on every command" sh -c "for c in run get delete check-expiration; do '$CERTLC_BIN' \$c --help | grep -q Usage || exit 1; done"

finish
