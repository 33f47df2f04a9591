# The driver loader: the example driver works, every broken fixture is
# refused with its message, and the tenants on good datastores keep being
# served. No etcd needed: the example driver keeps nothing outside.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

bindir=$(dirname "$CERTLC_BIN")
write_conf
install_drivers example
etcd_pki "$T/pki"

check "the example driver exports exactly one symbol" \
    sh -c "[ \"\$(nm -D --defined-only '$T/plugins.d/example.so' | awk '{print \$3}')\" = certlc_driver_entry ]"
check "the etcd driver exports exactly one symbol" \
    sh -c "[ \"\$(nm -D --defined-only '$bindir/plugins.d/etcd.so' | awk '{print \$3}')\" = certlc_driver_entry ]"

# ds NAME DRIVER [LINE...]: a datastore for the example driver.
ds() {
    name=$1 drv=$2; shift 2
    {
        echo "[datastore $name]"
        echo "driver = $drv"
        echo "endpoints = 127.0.0.1:1"
        echo "ca_cert = $T/pki/ca.crt"
        echo "ca_key = $T/pki/ca.key"
        for l in "$@"; do echo "$l"; done
    } > "$CONF/datastores.d/$name.ini"
}

ds good example "greeting = hi"
tenant a-fine datastore=good
for f in bad-magic abi-major short-struct no-entry no-method init-fails dup-name missing-dep \
         ctrl-name long-name huge-size; do
    cp "$bindir/fixtures/$f.so" "$T/plugins.d/$f.so"
    chmod 0755 "$T/plugins.d/$f.so"
    ds "$f" "$f"
    tenant "z-$f" datastore="$f"
done
cp "$bindir/fixtures/group-writable.so" "$T/plugins.d/group-writable.so"
chmod 0664 "$T/plugins.d/group-writable.so"
ds group-writable group-writable
tenant z-group-writable datastore=group-writable
mkdir "$T/plugins.d/dir.so"
ds dir dir
tenant z-dir datastore=dir
ds unknown-key example "colour = blue"
tenant z-unknown-key datastore=unknown-key
ds no-ca-key example
sed -i '/^ca_key/d' "$CONF/datastores.d/no-ca-key.ini"
tenant z-no-ca-key datastore=no-ca-key
ds absent absent
tenant z-absent datastore=absent

certlc run --once > run.out 2> run.err
check_fails "run --once exits non-zero while some datastores are broken" test $? -eq 0
contains "the tenant on the example driver is ready" run.out "default/a-fine: ready (11 created"
data a-fine-datastore-config DB_CONNECTION_STRING > conn
check "the example driver's connection string" grep -qx "example://127.0.0.1:1/default_a_fine" conn
secret_pem a-fine-datastore-certificate server.crt fine.crt
check "the example driver's certificate chains to the DataStore CA" openssl verify -CAfile "$T/pki/ca.crt" fine.crt

# expect TENANT TEXT...: the tenant is incomplete and its failure says TEXT.
expect() {
    t=$1; shift
    contains "z-$t is not ready" run.out "default/z-$t: incomplete"
    for txt in "$@"; do
        contains "z-$t refused: $txt" run.out "$txt"
    done
}
P=$T/plugins.d
expect bad-magic "$P/bad-magic.so: refused: bad magic: expected 0x434c4452, found 0xdeadbeef"
expect abi-major "$P/abi-major.so: refused: incompatible driver ABI: host is version 1, driver is version 2"
expect short-struct "$P/short-struct.so: refused: driver descriptor too short: expected at least"
expect no-entry "$P/no-entry.so: refused: no entry symbol: expected an exported function certlc_driver_entry(), found none"
expect no-method "$P/no-method.so: refused: driver 'broken-fixture': required method 'rotate' is missing: expected a function, found NULL"
expect init-fails "driver 'broken-fixture': init failed: init-fails: this fixture's init always fails"
expect dup-name "$P/dup-name.so: refused: a driver named 'example' is already loaded from $P/example.so"
expect missing-dep "$P/missing-dep.so: refused: dlopen failed:" "libcertlc-gone.so: cannot open shared object file" "check with 'ldd $P/missing-dep.so'"
expect ctrl-name "$P/ctrl-name.so: refused: the driver name holds the control character 0x1b at byte 4: expected printable characters"
expect long-name "$P/long-name.so: refused: the driver name is longer than 64 bytes"
expect huge-size "$P/huge-size.so: refused: driver descriptor size 2147483647 is beyond any sane bound: expected at most 65536 bytes"
expect group-writable "$P/group-writable.so: refused: writable by group (mode 0664): expected no write permission for group and others"
expect dir "$P/dir.so: refused: expected a regular file, found a directory"
expect unknown-key "unknown-key.ini:6: [datastore unknown-key] unknown key 'colour' for driver 'example'"
expect no-ca-key "[datastore no-ca-key] missing key 'ca_key': driver 'example' rotates in mode issue"
expect absent "$P/absent.so: No such file or directory"
lacks "a refused driver never gets a datastore-certificate" run.out 'secret "z-bad-magic-datastore-certificate" created'

certlc get tcp > tcp.txt
check "get tcp: the good tenant is Ready" grep -Eq '^a-fine +v1.26.0 +Ready' tcp.txt
check "get tcp: a broken one is NotReady" grep -Eq '^z-bad-magic +v1.26.0 +NotReady' tcp.txt
certlc get secret z-no-method-ca -o json > /dev/null
check "the rest of a tenant with a broken driver is still issued" test $? -eq 0

certlc plugins > plugins.out 2> plugins.err
check_fails "certlc plugins exits 1 when a file is refused" test $? -eq 0
check "certlc plugins lists a loadable driver with name, version, ABI, mode" grep -Eq '^broken-fixture +1\.0\.0 +1\.1 +issue +ok +init-fails\.so$' plugins.out
check "certlc plugins lists dup-name.so under the name it claims" grep -Eq '^example +1\.0\.0 +1\.1 +issue +ok +dup-name\.so$' plugins.out
check "certlc plugins shows bad-magic refused" grep -Eq '^- .* refused +bad-magic\.so$' plugins.out
contains "certlc plugins says why" plugins.err "bad-magic.so: refused: bad magic"
contains "certlc plugins: dup-name sorts before example, so example is the duplicate" plugins.err "example.so: refused: a driver named 'example' is already loaded from $P/dup-name.so"

# The operator keeps serving the good tenant while the others fail.
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
sleep 1
certlc delete secret a-fine-datastore-certificate a-fine-api-server-certificate > /dev/null 2>&1
check "the operator brings back the good tenant's datastore certificate" \
    wait_for 15 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret a-fine-datastore-certificate -o json"
check "and its API server certificate" \
    wait_for 15 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret a-fine-api-server-certificate -o json"
check "the operator is still running" kill -0 "$OP"
contains "the operator logs the refusals" operator.log "refused: bad magic"

finish
