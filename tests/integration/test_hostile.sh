# Hostile or careless files: drivers someone else could have planted (the
# loader's StrictModes), a state tree with wrong modes, DataStore keys that
# are readable or do not match, a reload that changes keys needing a
# restart, a reload with a driver that does not load (refused whole), and
# a namespace directory that is a symbolic link.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpki.sh"

P=$T/plugins.d
write_conf
install_drivers example
pki_ca "$T/pki" || { not_ok "cannot make the DataStore CA"; finish; exit 1; }
{
    echo "[datastore main]"
    echo "driver = example"
    echo "endpoints = 127.0.0.1:1"
    echo "ca_cert = $T/pki/ca.crt"
    echo "ca_key = $T/pki/ca.key"
} > "$CONF/datastores.d/main.ini"
tenant alpha datastore=main

certlc plugins > plugins0 2>&1
rc_plugins=$?
check "a driver in a safe tree loads" test "$rc_plugins" -eq 0

# --- StrictModes: the plugins directory writable by everyone.
chmod 0777 "$P"
certlc plugins > plugins1 2>&1
check_fails "plugins_dir at 0777: certlc plugins exits non-zero" test $? -eq 0
contains "the refusal names the directory and its mode" plugins1 \
    "$P/example.so: refused: directory $P is writable by group and others (mode 0777)"
certlc run --once > run1 2>&1
contains "the operator refuses it too" run1 "directory $P is writable by group and others"
chmod 0755 "$P"

# --- a driver owned by another user.
if id nobody > /dev/null 2>&1; then
    chown nobody "$P/example.so"
    certlc plugins > plugins2 2>&1
    contains "a driver owned by nobody is refused, naming its owner" plugins2 \
        "$P/example.so: refused: the file $P/example.so is owned by uid $(id -u nobody): expected root or the operator's user (uid $(id -u))"
    chown "$(id -u)" "$P/example.so"
else
    ok "# SKIP no user nobody"
fi

# --- a group-writable directory above plugins_dir.
chmod 0770 "$T"
certlc plugins > plugins3 2>&1
contains "a group-writable parent directory is refused" plugins3 \
    "$P/example.so: refused: directory $T is writable by group (mode 0770)"
chmod 0700 "$T"

# --- a root-owned sticky directory (like /tmp) is safe.
mkdir -p "$T/sticky" && chmod 1777 "$T/sticky"
cp -a "$P" "$T/sticky/plugins.d"
sed -i "s|^plugins_dir = .*|plugins_dir = $T/sticky/plugins.d|" "$CONF/certlc.ini"
certlc plugins > plugins4 2>&1
check "plugins_dir in a root-owned sticky directory loads" test $? -eq 0
sed -i "s|^plugins_dir = .*|plugins_dir = $P|" "$CONF/certlc.ini"

# --- DataStore keys: readable by others warns, a key of another CA refuses.
chmod 0644 "$T/pki/ca.key"
certlc run --once > run2 2>&1
check "with a readable ca_key the run still succeeds" test $? -eq 0
contains "a ca_key readable by others is warned about, naming the file" run2 \
    "datastore 'main': ca_key $T/pki/ca.key is readable by group and others (mode 0644)"
chmod 0600 "$T/pki/ca.key"
cp "$T/pki/ca.key" "$T/pki/client.key" && chmod 0640 "$T/pki/client.key"
printf 'client_cert = %s\nclient_key = %s\n' "$T/pki/ca.crt" "$T/pki/client.key" >> "$CONF/datastores.d/main.ini"
certlc run --once > run2b 2>&1
check "with a group-readable client_key the run still succeeds" test $? -eq 0
contains "a client_key readable by its group is warned about, naming the file" run2b \
    "datastore 'main': client_key $T/pki/client.key is readable by group (mode 0640)"
lacks "the ca_key, 0600 again, is not" run2b "ca_key $T/pki/ca.key is readable"
sed -i '/^client_/d' "$CONF/datastores.d/main.ini"
pki_ca "$T/other"
sed -i "s|^ca_key = .*|ca_key = $T/other/ca.key|" "$CONF/datastores.d/main.ini"
certlc delete secret alpha-datastore-certificate > /dev/null 2>&1
certlc run --once > run3 2>&1
check_fails "a ca_key that does not match ca_cert fails the run" test $? -eq 0
contains "the refusal names the key and the certificate" run3 \
    "[datastore main] ca_key $T/other/ca.key does not match ca_cert $T/pki/ca.crt"
check_fails "and nothing is signed with it" certlc get secret alpha-datastore-certificate -o name
sed -i "s|^ca_key = .*|ca_key = $T/pki/ca.key|" "$CONF/datastores.d/main.ini"
certlc run --once > run3b 2>&1
check "back with the right key, the tenant is served" certlc get secret alpha-datastore-certificate -o name

# --- the state tree: 0700 directories, 0600 files; wrong modes repaired.
mode() { stat -c %a "$1"; }
check "the state directory is 0700" test "$(mode "$T/state")" = 700
check "a namespace directory is 0700" test "$(mode "$T/state/default")" = 700
check "a Secret file is 0600" test "$(mode "$T/state/default/alpha-ca.json")" = 600
chmod 0755 "$T/state/default"
chmod 0644 "$T/state/default/alpha-ca.json"
chmod 0711 "$T/state"
certlc get secrets > get1 2>&1
contains "a wrong file mode is repaired with a warning naming the file" get1 \
    "$T/state/default/alpha-ca.json: mode 0644 repaired to 0600"
contains "a wrong directory mode too" get1 "$T/state/default: mode 0755 repaired to 0700"
contains "and the state directory's" get1 "$T/state: mode 0711 repaired to 0700"
check "the file is 0600 again" test "$(mode "$T/state/default/alpha-ca.json")" = 600
check "the directory is 0700 again" test "$(mode "$T/state/default")" = 700

# --- SIGHUP with keys that need a restart: the running values stay in
# every consumer (the store and the rollout hook alike).
write_conf "rollout_hook = echo \"\$CERTLC_STATE_DIR\" >> $T/hook.log"
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator starts" wait_for 20 grep -q "operator started" op.log
cp "$CONF/certlc.ini" "$T/certlc.ini.orig"
sed -i "s|^state_dir = .*|state_dir = $T/state2|; s|^plugins_dir = .*|plugins_dir = $T/plugins2|" \
    "$CONF/certlc.ini"
kill -HUP "$OP"
check "the reload is done" wait_for 10 grep -q "configuration reloaded" op.log
contains "the warning says state_dir is not applied and what is used" op.log \
    "[certlc] state_dir changed to $T/state2: not applied until a restart, still using $T/state"
contains "the same for plugins_dir" op.log \
    "[certlc] plugins_dir changed to $T/plugins2: not applied until a restart, still using $P"
: > "$T/hook.log"
rm "$T/state/default/alpha-scheduler-kubeconfig.json"
check "the operator reissues the removed Secret in the running state_dir" \
    wait_for 10 test -s "$T/state/default/alpha-scheduler-kubeconfig.json"
check "the rollout hook is given the running state_dir" wait_for 10 grep -qx "$T/state" "$T/hook.log"
check "the new state_dir is not half-applied" test ! -e "$T/state2"
kill "$OP"; wait "$OP" 2>/dev/null
lacks "no sanitizer report from the operator" op.log "ERROR: AddressSanitizer"
cp "$T/certlc.ini.orig" "$CONF/certlc.ini"

# --- SIGHUP with a driver that does not load: the whole reload is
# refused (the new tenant and DataStore alike), the running
# configuration goes on.
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > op2.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator starts" wait_for 20 grep -q "operator started" op2.log
printf '[datastore bad]\ndriver = nosuch\nendpoints = 127.0.0.1:1\nca_cert = %s\nca_key = %s\n' \
    "$T/pki/ca.crt" "$T/pki/ca.key" > "$CONF/datastores.d/bad.ini"
tenant gamma datastore=bad
kill -HUP "$OP"
check "the reload is refused" wait_for 10 grep -q "reload refused, keeping the running configuration: " op2.log
contains "naming the DataStore and its driver file" op2.log \
    "reload refused, keeping the running configuration: datastore 'bad': driver 'nosuch': $P/nosuch.so: No such file or directory"
lacks "nothing of it is applied (no 'configuration reloaded')" op2.log "configuration reloaded"
rm "$T/state/default/alpha-scheduler-kubeconfig.json"
check "the running configuration still serves alpha" \
    wait_for 10 test -s "$T/state/default/alpha-scheduler-kubeconfig.json"
certlc delete secret alpha-datastore-certificate > /dev/null
check "and its DataStore" wait_for 10 certlc get secret alpha-datastore-certificate -o name
check_fails "the new tenant of the refused reload is not served" certlc get secret gamma-ca -o name
kill "$OP"; wait "$OP" 2>/dev/null
rm -f "$CONF/datastores.d/bad.ini" "$CONF/tenants.d/gamma.ini"

# --- a namespace directory that is a symbolic link: refused everywhere,
# with one message.
mkdir -p "$T/elsewhere"
ln -s "$T/elsewhere" "$T/state/evil"
certlc get secrets -n evil > sym-get 2>&1
check_fails "get in a symlinked namespace fails" test $? -eq 0
certlc delete secret x -n evil > sym-del 2>&1
check_fails "delete in a symlinked namespace fails" test $? -eq 0
tenant beta namespace=evil
certlc run --once > sym-run 2>&1
check_fails "the operator does not serve a tenant in a symlinked namespace" test $? -eq 0
MSG="$T/state/evil: refused: the namespace directory is a symbolic link"
contains "get names the link" sym-get "$MSG"
contains "delete says the same" sym-del "$MSG"
contains "the operator says the same" sym-run "$MSG"
check "nothing was written through the link" test -z "$(ls -A "$T/elsewhere")"
finish
