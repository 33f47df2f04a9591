# The driver ABI's minor versions: the example driver, built for this
# header (ABI 1.1), issues through issue_cert_in; abi10.so, the example
# driver built against ABI 1.0's header (tests/fixtures/abi10.c), has only
# issue_cert. Both load side by side, and both issue the datastore
# certificate with the operator's key_algorithm and leaf_validity.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

bindir=$(dirname "$CERTLC_BIN")
write_conf "leaf_validity = 100h" "renew_before = 10h"
sed -i 's/^key_algorithm = .*/key_algorithm = ecdsa-p384/' "$CONF/certlc.ini"
install_drivers example
cp "$bindir/fixtures/abi10.so" "$T/plugins.d/abi10.so" && chmod 0755 "$T/plugins.d/abi10.so"
etcd_pki "$T/pki"
for d in example abi10; do
    {
        echo "[datastore $d]"
        echo "driver = $d"
        echo "endpoints = 127.0.0.1:1"
        echo "ca_cert = $T/pki/ca.crt"
        echo "ca_key = $T/pki/ca.key"
    } > "$CONF/datastores.d/$d.ini"
done
tenant new datastore=example
tenant old datastore=abi10

certlc plugins > plugins 2>&1
check "certlc plugins lists the example driver with this header's ABI" \
    grep -Eq '^example +1\.0\.0 +1\.1 +issue +ok +example\.so$' plugins
check "and abi10.so with ABI 1.0" grep -Eq '^abi10 +1\.0\.0 +1\.0 +issue +ok +abi10\.so$' plugins
[ $FAILS -eq 0 ] || sed 's/^/    /' plugins

certlc run --once > run.out 2> run.err
check "run --once succeeds" test $? -eq 0
contains "the tenant on the 1.1 driver is ready" run.out "default/new: ready"
contains "the tenant on the 1.0 driver is ready" run.out "default/old: ready"

now=$(date +%s)
for t in new old; do
    secret_pem "$t-datastore-certificate" server.crt "$t.crt"
    secret_pem "$t-datastore-certificate" server.key "$t.key"
    check "$t: the certificate chains to the DataStore CA" openssl verify -CAfile "$T/pki/ca.crt" "$t.crt"
    openssl pkey -in "$t.key" -noout -text > "$t.keytext" 2>&1
    contains "$t: its key is the configured ecdsa-p384" "$t.keytext" "NIST CURVE: P-384"
    end=$(date -d "$(openssl x509 -in "$t.crt" -noout -enddate | cut -d= -f2)" +%s)
    check "$t: it ends leaf_validity (100h) from now" \
        sh -c "[ $((end - now)) -le 360000 ] && [ $((end - now)) -gt 359000 ]"
done

finish
