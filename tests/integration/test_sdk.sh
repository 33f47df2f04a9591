# The driver SDK from outside the tree: make install DESTDIR=... PREFIX=/usr
# installs certlc/driver.h and certlc-driver.pc; the header compiles alone
# as C11 and as C++; examples/driver-skeleton, copied out of the checkout,
# builds with nothing but pkg-config (PKG_CONFIG_PATH and
# PKG_CONFIG_SYSROOT_DIR into the DESTDIR); the installed binary loads the
# .so it built and serves a tenant with it.
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
. "$HERE/etcd.sh"

B=$(basename "$(dirname "$CERTLC_BIN")")
# make install builds in the repo's $(BUILD): the binary under test must be
# one of the repo's build directories.
if [ "$(cd "$(dirname "$CERTLC_BIN")" && pwd)/certlc" != "$ROOT/$B/certlc" ]; then
    echo "# note: $CERTLC_BIN is not in a build directory of $ROOT; the SDK install not tested"
    exit 0
fi
SANFLAG=
[ "${CERTLC_SAN:-}" = 1 ] && SANFLAG=SAN=1
R=$T/root
check "make install DESTDIR=\$T/root PREFIX=/usr succeeds" \
    make -C "$ROOT" --no-print-directory BUILD="$B" $SANFLAG install DESTDIR="$R" PREFIX=/usr
check "certlc/driver.h is in /usr/include" cmp "$ROOT/framework/include/certlc/driver.h" "$R/usr/include/certlc/driver.h"
check "certlc-driver.pc is in /usr/lib/pkgconfig" test -f "$R/usr/lib/pkgconfig/certlc-driver.pc"

# From here on, only what is installed: pkg-config into the DESTDIR.
export PKG_CONFIG_PATH="$R/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$R"
pkg-config --cflags certlc-driver > cflags 2>&1
contains "pkg-config --cflags certlc-driver names the installed include dir" cflags "-I$R/usr/include"
pkg-config --libs certlc-driver > libs 2>&1
check "pkg-config --libs certlc-driver is empty (drivers never link against certlc)" \
    sh -c "[ -z \"\$(tr -d ' ' < libs)\" ]"
pkg-config --variable=plugindir certlc-driver > plugindir
check "its plugindir is the installed plugins directory" \
    grep -qx "$R/usr/lib/certlc/plugins.d" plugindir
"$R/usr/bin/certlc" --version > version
pkg-config --variable=abi certlc-driver > abi
check "its abi ($(cat abi)) is the binary's driver ABI" grep -qx "driver ABI $(cat abi)" version

# The header alone, as C11 and as C++, against the installed copy only.
cp "$ROOT/tests/fixtures/header_tu.c" "$T/header_tu.c"
TU=$T/header_tu.c
# shellcheck disable=SC2046
gcc -std=c11 -M $(pkg-config --cflags certlc-driver) "$TU" > deps 2>&1
contains "the compiler takes certlc/driver.h from the install, through pkg-config" deps "$R/usr/include/certlc/driver.h"
lacks "and nothing from the checkout" deps "$ROOT/"
W="-Wall -Wextra -Werror -pedantic"
# shellcheck disable=SC2046
check "certlc/driver.h compiles alone with gcc -std=c11 $W" \
    gcc -std=c11 $W $(pkg-config --cflags certlc-driver) -c -o tu-c.o "$TU"
if command -v g++ > /dev/null; then
    # shellcheck disable=SC2046
    check "certlc/driver.h compiles alone with g++ -std=c++11 $W" \
        g++ -x c++ -std=c++11 $W $(pkg-config --cflags certlc-driver) -c -o tu-cxx.o "$TU"
    check "the C++ entry point has C linkage" sh -c "nm tu-cxx.o | grep -q ' T certlc_driver_entry\$'"
else
    not_ok "g++ is missing (Debian package g++; make deps installs it)"
fi

# The out-of-tree example: a copy, far from the checkout, built by its own
# Makefile through pkg-config.
cp -r "$ROOT/examples/driver-skeleton" "$T/skeleton"
check "examples/driver-skeleton builds out of tree through pkg-config certlc-driver" \
    make -C "$T/skeleton" --no-print-directory
check "the skeleton exports exactly one symbol" \
    sh -c "[ \"\$(nm -D --defined-only '$T/skeleton/skeleton.so' | awk '{print \$3}')\" = certlc_driver_entry ]"
check "make install puts it in pkg-config's plugindir" make -C "$T/skeleton" --no-print-directory install
check "as a 0644 file" sh -c "[ \"\$(stat -c %a '$R/usr/lib/certlc/plugins.d/skeleton.so')\" = 644 ]"

# The installed binary with the installed drivers and the skeleton.
CERTLC_BIN=$R/usr/bin/certlc
write_conf
sed -i "s|^plugins_dir = .*|plugins_dir = $R/usr/lib/certlc/plugins.d|" "$CONF/certlc.ini"
etcd_pki "$T/pki"
{
    echo "[datastore sk]"
    echo "driver = skeleton"
    echo "endpoints = 127.0.0.1:1"
    echo "ca_cert = $T/pki/ca.crt"
    echo "ca_key = $T/pki/ca.key"
    echo "database_prefix = sk_"
} > "$CONF/datastores.d/sk.ini"
tenant alpha datastore=sk
certlc plugins > plugins 2>&1
check "certlc plugins loads the skeleton built out of tree" \
    grep -Eq "^skeleton +1\.0\.0 +$(cat abi) +issue +ok +skeleton\.so" plugins
[ $FAILS -eq 0 ] || sed 's/^/    /' plugins
certlc run --once > run.out 2> run.err
check "run --once succeeds" test $? -eq 0
contains "the tenant on the skeleton's datastore is ready" run.out "default/alpha: ready"
data alpha-datastore-config DB_CONNECTION_STRING > conn
check "the skeleton's connection string, with its own INI key" \
    grep -qx "skeleton://127.0.0.1:1/sk_default_alpha" conn
secret_pem alpha-datastore-certificate server.crt alpha.crt
check "the skeleton's certificate chains to the DataStore CA" openssl verify -CAfile "$T/pki/ca.crt" alpha.crt
openssl x509 -in alpha.crt -noout -subject > subject 2>&1
contains "for the tenant's user" subject "default_alpha"
contains "the skeleton logged its rotation" run.err "default/alpha: rotated"

finish
