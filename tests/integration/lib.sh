# Shared helpers for the integration tests. Source it; it sets:
#   $T      a fresh temporary directory, removed at exit
#   $CONF   $T/conf, with certlc.ini written by write_conf
# and stops every PID in $PIDS at exit, pass or fail.

set -u
: "${CERTLC_BIN:?CERTLC_BIN must name the certlc binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/certlc-test.XXXXXX")
CONF=$T/conf
cd "$T" || exit 1
PIDS=""
FAILS=0

# descendants PID: the PIDs of its children, their children, ... (a PID in
# $PIDS may be a subshell whose child does the work: both must go).
descendants() {
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}

cleanup() {
    all=""
    for p in $PIDS; do
        all="$all $p $(descendants "$p")"
    done
    for p in $all; do
        kill "$p" 2>/dev/null
        kill -CONT "$p" 2>/dev/null # a stopped one gets its SIGTERM too
    done
    for p in $all; do
        # Wait for the process to go, then make sure.
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null
    done
    release_ports
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

# check DESCRIPTION COMMAND...: ok when the command exits 0.
check() {
    desc=$1; shift
    if "$@" >"$T/.out" 2>&1; then ok "$desc"; else not_ok "$desc"; sed 's/^/    /' "$T/.out"; fi
}
# check_fails DESCRIPTION COMMAND...: ok when the command exits non-zero.
check_fails() {
    desc=$1; shift
    if "$@" >"$T/.out" 2>&1; then not_ok "$desc (it succeeded)"; sed 's/^/    /' "$T/.out"; else ok "$desc"; fi
}
# contains DESCRIPTION FILE TEXT: ok when FILE contains TEXT (fixed string).
contains() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1: no '$3' in:"; sed 's/^/    /' "$2"; fi
}
lacks() {
    if grep -qF -- "$3" "$2"; then not_ok "$1: unexpected '$3' in:"; sed 's/^/    /' "$2"; else ok "$1"; fi
}

certlc() { "$CERTLC_BIN" -c "$CONF/certlc.ini" "$@"; }

# write_conf [LINE...]: certlc.ini with fast test defaults plus extra lines.
write_conf() {
    mkdir -p "$CONF/tenants.d" "$CONF/datastores.d"
    {
        echo "[certlc]"
        echo "state_dir = $T/state"
        echo "plugins_dir = $T/plugins.d"
        echo "key_algorithm = ecdsa-p256"
        # No metrics endpoint unless the test asks for one on a free port:
        # operators of parallel tests must not fight over 127.0.0.1:9464.
        case " $* " in *" metrics_listen "*|*" metrics_listen="*) ;; *) echo "metrics_listen =" ;; esac
        for l in "$@"; do echo "$l"; done
    } > "$CONF/certlc.ini"
}

# tenant NAME [KEY=VALUE...]: writes tenants.d/NAME.ini.
tenant() {
    name=$1; shift
    {
        echo "[tenant $name]"
        case " $* " in *" version="*) ;; *) echo "version = v1.26.0" ;; esac
        case " $* " in *" address="*) ;; *) echo "address = 127.0.0.1" ;; esac
        for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
    } > "$CONF/tenants.d/$name.ini"
}

# data NAME KEY [NS]: a Secret's data value, decoded, on stdout.
data() {
    certlc get secret "$1" -n "${3:-default}" -o json | jq -r --arg k "$2" '.data[$k] // empty' | base64 -d
}

# secrets_to DIR [NS]: every Secret's data values, decoded, as DIR/SECRET/KEY
# (DIR is emptied first), from one listing: one certlc and one jq for what
# `data` would take two of per value.
secrets_to() {
    rm -rf "$1" && mkdir -p "$1" || return 1
    certlc get secrets -n "${2:-default}" -o json |
        jq -r '.items[] | .metadata.name as $n | (.data // {}) | to_entries[] | "\($n) \(.key) \(.value)"' |
        while read -r n k v; do
            mkdir -p "$1/$n" && printf '%s' "$v" | base64 -d > "$1/$n/$k" || return 1
        done
}

# data_to DIR SECRET [NS]: every data value of one Secret, decoded, as
# DIR/KEY (DIR is emptied first), from one certlc and one jq: `data` takes
# one of each per value, and a jq costs tens of ms of CPU to start.
data_to() {
    rm -rf "$1" && mkdir -p "$1" || return 1
    certlc get secret "$2" -n "${3:-default}" -o json |
        jq -r '(.data // {}) | to_entries[] | "\(.key) \(.value)"' |
        while read -r k v; do
            printf '%s' "$v" | base64 -d > "$1/$k" || return 1
        done
}

# keys_match CERT KEY: 0 when KEY is the private key of CERT's public key
# (openssl's X509_check_private_key, through a PKCS#12 export to nowhere:
# one openssl where comparing the two public keys took two).
keys_match() {
    openssl pkcs12 -export -in "$1" -inkey "$2" -passout pass: \
        -keypbe NONE -certpbe NONE -nomac -out /dev/null > /dev/null 2>&1
}

# kubeconfig_field FILE FIELD: a base64 *-data field of a kubeconfig, decoded.
kubeconfig_field() {
    sed -n "s/^ *$2: *//p" "$1" | head -n 1 | base64 -d
}

# free_port: a TCP port nothing uses at 127.0.0.1, reserved for this
# script until it ends. Scripts run side by side (run-integration.sh runs
# several at once, other worktrees run theirs): a port that is free now may
# be picked by another script before its server binds it, so each pick is
# recorded in $CERTLC_PORTS/PORT (the owner's PID) under one lock, and a
# port recorded by a live script is not picked again. The range is below
# the kernel's ephemeral ports (32768-60999), which outgoing connections
# take without asking.
CERTLC_PORTS=${CERTLC_PORTS:-${TMPDIR:-/tmp}/certlc-ports}
free_port() {
    mkdir -p "$CERTLC_PORTS" 2>/dev/null && chmod 1777 "$CERTLC_PORTS" 2>/dev/null
    flock "$CERTLC_PORTS/.lock" sh -c '
        while :; do
            p=$(shuf -i 20000-32767 -n 1)
            ss -Htan "sport = :$p" | grep -q . && continue
            owner=$(cat "$1/$p" 2>/dev/null)
            [ -n "$owner" ] && [ -d "/proc/$owner" ] && continue
            echo "$2" > "$1/$p" && echo "$p" && exit 0
        done' sh "$CERTLC_PORTS" "$$"
}
# release_ports: forgets this script's reservations (at exit).
release_ports() {
    for f in $(grep -lx "$$" "$CERTLC_PORTS"/[0-9]* 2>/dev/null); do rm -f "$f"; done
}

# until_ok SECONDS COMMAND...: runs COMMAND (output discarded) every 50 ms
# until it succeeds, at most SECONDS; 1 when it never did. Its counter has
# a name of its own, so that a caller's loop variable is left alone.
until_ok() {
    _uo_n=$(($1 * 20)); shift
    while [ "$_uo_n" -gt 0 ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.05; _uo_n=$((_uo_n - 1))
    done
    return 1
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
    until_ok "${2:-10}" sh -c "ss -Hltn 'sport = :$1' | grep -q ."
}

finish() {
    [ "$FAILS" -eq 0 ]
}
