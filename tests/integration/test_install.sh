# make install DESTDIR=... PREFIX=/usr: the tree it lays out, the systemd
# unit (systemd-analyze verify, when it can run here), the man pages
# (man -l), the installed binary with the installed configuration and
# drivers, and sd_notify's READY=1 as a Type=notify service receives it.
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

B=$(basename "$(dirname "$CERTLC_BIN")")
# make install builds in the repo's $(BUILD): the binary under test must be
# one of the repo's build directories.
if [ "$(cd "$(dirname "$CERTLC_BIN")" && pwd)/certlc" != "$ROOT/$B/certlc" ]; then
    echo "# note: $CERTLC_BIN is not in a build directory of $ROOT; make install not tested"
    exit 0
fi
SANFLAG=
[ "${CERTLC_SAN:-}" = 1 ] && SANFLAG=SAN=1
R=$T/root
check "make install DESTDIR=\$T/root PREFIX=/usr succeeds" \
    make -C "$ROOT" --no-print-directory BUILD="$B" $SANFLAG install DESTDIR="$R" PREFIX=/usr

check "the binary is in /usr/bin, executable" test -x "$R/usr/bin/certlc"
"$R/usr/bin/certlc" --version > "$T/version"
contains "--version prints the version" "$T/version" "certlc "
contains "--version prints the driver ABI" "$T/version" "driver ABI "
nbuilt=$(ls "$ROOT/$B/plugins.d"/*.so 2>/dev/null | wc -l)
ninst=$(ls "$R/usr/lib/certlc/plugins.d"/*.so 2>/dev/null | wc -l)
check "every built driver is in /usr/lib/certlc/plugins.d ($ninst of $nbuilt)" test "$ninst" -eq "$nbuilt" -a "$ninst" -ge 1
check "drivers are 0644 (the loader refuses group- or other-writable ones)" \
    sh -c "[ -z \"\$(find '$R/usr/lib/certlc/plugins.d' -name '*.so' ! -perm 0644)\" ]"
check "the service's configuration is /etc/certlc/certlc.ini" test -f "$R/etc/certlc/certlc.ini"
contains "it keeps state in /var/lib/certlc" "$R/etc/certlc/certlc.ini" "state_dir = /var/lib/certlc"
contains "it loads the installed drivers" "$R/etc/certlc/certlc.ini" "plugins_dir = /usr/lib/certlc/plugins.d"
check "with tenants.d and datastores.d beside it" test -d "$R/etc/certlc/tenants.d" -a -d "$R/etc/certlc/datastores.d"
check "the example configuration is in /usr/share/certlc/examples" \
    test -f "$R/usr/share/certlc/examples/certlc.ini" -a -n "$(ls "$R/usr/share/certlc/examples/tenants.d")"
U=$R/usr/lib/systemd/system/certlc.service
check "the unit is /usr/lib/systemd/system/certlc.service" test -f "$U"
for l in "Type=notify" "ExecStart=/usr/bin/certlc -c /etc/certlc/certlc.ini run" "ProtectSystem=strict" \
         "NoNewPrivileges=yes" "StateDirectory=certlc" "ExecReload=/bin/kill -HUP \$MAINPID"; do
    check "the unit says $l" grep -qxF "$l" "$U"
done
check "man pages certlc(1) and certlc.ini(5) are installed" \
    test -f "$R/usr/share/man/man1/certlc.1" -a -f "$R/usr/share/man/man5/certlc.ini.5"

# The unit: systemd-analyze verify, on a copy pointing at the DESTDIR
# binary (verify checks that ExecStart is executable) with the DESTDIR man
# pages on MANPATH (it checks Documentation=man:...).
if command -v systemd-analyze > /dev/null; then
    mkdir -p "$T/unit"
    sed "s|/usr/bin/certlc|$R/usr/bin/certlc|" "$U" > "$T/unit/certlc.service"
    if MANPATH="$R/usr/share/man" systemd-analyze verify "$T/unit/certlc.service" > "$T/verify" 2>&1; then
        ok "systemd-analyze verify accepts certlc.service"
    elif grep -q "System has not been booted with systemd\|Failed to connect to bus\|Failed to initialize manager" "$T/verify"; then
        echo "# note: systemd-analyze verify cannot run in this container; skipped:"
        sed 's/^/#     /' "$T/verify"
    else
        not_ok "systemd-analyze verify rejects certlc.service:"
        sed 's/^/    /' "$T/verify"
    fi
    if systemd-analyze security --offline=yes "$T/unit/certlc.service" > "$T/security" 2>&1; then
        echo "# $(grep 'Overall exposure' "$T/security")"
    fi
else
    echo "# note: systemd-analyze is not installed (Debian package systemd); the unit was not verified"
fi

# The man pages render without warnings.
for page in man1/certlc.1 man5/certlc.ini.5; do
    if command -v man > /dev/null; then
        MANWIDTH=80 MANPAGER=cat man --warnings -l "$R/usr/share/man/$page" > "$T/page" 2> "$T/page.err"
        check "man -l renders $page" sh -c "[ \$(wc -l < '$T/page') -gt 40 ] && grep -q '^NAME' '$T/page'"
        check "without warnings ($page)" test ! -s "$T/page.err"
        [ -s "$T/page.err" ] && sed 's/^/    /' "$T/page.err"
    else
        not_ok "man is missing (Debian package man-db)"
    fi
done
MANWIDTH=80 MANPAGER=cat man -l "$R/usr/share/man/man5/certlc.ini.5" > "$T/ini5" 2>/dev/null
for k in metrics_listen log_format state_dir renew_before rollout_hook password_file; do
    contains "certlc.ini(5) documents $k" "$T/ini5" "$k"
done

# The installed binary with the installed configuration, moved to $T.
mkdir -p "$T/etc"
cp -r "$R/etc/certlc" "$T/etc/"
sed -i -e "s|^state_dir = .*|state_dir = $T/state|" -e "s|^plugins_dir = .*|plugins_dir = $R/usr/lib/certlc/plugins.d|" \
    -e "s|^metrics_listen = .*||" "$T/etc/certlc/certlc.ini"
printf '[tenant alpha]\nversion = v1.26.0\naddress = 127.0.0.1\n' > "$T/etc/certlc/tenants.d/alpha.ini"
MPORT=$(free_port)
echo "metrics_listen = 127.0.0.1:$MPORT" >> "$T/etc/certlc/certlc.ini"
"$R/usr/bin/certlc" -c "$T/etc/certlc/certlc.ini" plugins > "$T/plugins" 2>&1
check "the installed binary loads the installed drivers" grep -q "example" "$T/plugins"

# Type=notify: READY=1 on $NOTIFY_SOCKET once it serves, STOPPING=1 at the end.
if command -v python3 > /dev/null; then
    python3 - "$T/notify.sock" > "$T/notify.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    print("timeout", flush=True)
PY
    PY=$!
    PIDS="$PIDS $PY"
    i=0; while [ ! -S "$T/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    NOTIFY_SOCKET="$T/notify.sock" "$R/usr/bin/certlc" -c "$T/etc/certlc/certlc.ini" run > "$T/op.log" 2>&1 &
    OP=$!
    PIDS="$PIDS $OP"
    i=0; while ! grep -q READY=1 "$T/notify.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    contains "the operator sends READY=1 to \$NOTIFY_SOCKET" "$T/notify.out" "READY=1"
    check "and serves /readyz by then" sh -c "curl -fsS http://127.0.0.1:$MPORT/readyz | grep -qx ok"
    kill -TERM "$OP"; wait "$OP"
    wait "$PY"
    contains "and STOPPING=1 when it stops" "$T/notify.out" "STOPPING=1"
else
    echo "# note: python3 is missing; sd_notify was not checked"
fi

# A second install keeps an edited /etc/certlc/certlc.ini.
echo "; edited" >> "$R/etc/certlc/certlc.ini"
make -C "$ROOT" --no-print-directory BUILD="$B" $SANFLAG install DESTDIR="$R" PREFIX=/usr > /dev/null 2>&1
contains "a second make install keeps the edited configuration" "$R/etc/certlc/certlc.ini" "; edited"

finish
