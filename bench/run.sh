#!/bin/sh
# certlc benchmarks: `make bench` runs this as `sh bench/run.sh BUILD_DIR`
# after `make all`. Not part of `make test`. docs/benchmarks.md explains the
# figures.
#
# Every figure is printed beside a baseline measured in the same run, as a
# RATIO, because these machines are noisy: absolute numbers move from run to
# run, ratios much less.
#
#   1. issuance     N tenants' full Secret sets (11 Secrets each) through
#                   certlc_reconcile_tenant, against bare OpenSSL doing the
#                   same key generations, signatures and PEM encodings;
#                   ecdsa-p256 and rsa-2048; the store's share (memory
#                   store, file store on tmpfs, file store on disk)
#   2. latency      a running `certlc run`: deletion of a Secret to its
#                   re-creation, 100 times, median and p99
#   3. idle         a running `certlc run` with 1,000 tenants: CPU over 30 s
#   4. callgrind    instructions per tenant, certlc against bare OpenSSL
#   5. scan         cold scan: `run --once` with nothing to do, and the
#                   operator's start-up pass, against a Go program doing
#                   Kamaji's path per Secret file (bench/peers/, built with
#                   Debian's golang-go, installed here when missing)
#   6. provision    ecdsa-p256 provisioning against cfssl issuing a
#                   kubeadm-like set of 9 certificates per tenant
#                   (bench/peers/cfssl_tenants.sh, Debian's golang-cfssl)
#   7. workers      rsa-2048 provisioning, workers = 1 against auto
#   8. latency_rsa  deletion -> re-creation, rsa-2048, warm key pool
#   9. scale        BENCH_SCALE_TENANTS ecdsa-p256 tenants: provisioning,
#                   operator start-up pass, idle CPU, peak RSS
#
# Environment (defaults in brackets):
#   BENCH_ONLY          sections to run, space-separated
#                       ["issuance latency idle callgrind"]
#   BENCH_TENANTS       ecdsa-p256 tenants per issuance round [250]
#   BENCH_RSA_TENANTS   rsa-2048 tenants per round [3]
#   BENCH_DISK_TENANTS  tenants of the file-store-on-disk run [40]
#   BENCH_ROUNDS        rounds of the ecdsa-p256 issuance (median) [3]
#   BENCH_RSA_ROUNDS    rounds of the rsa-2048 issuance [1]
#   BENCH_DELETIONS     deletions of the latency run [100]
#   BENCH_LATENCY_FS    file systems of the latency run ["disk tmpfs"]
#   BENCH_IDLE_TENANTS  tenants of the idle run [1000]
#   BENCH_IDLE_SECONDS  length of the idle measurement [30]
#   BENCH_TMPFS         a tmpfs directory [/dev/shm]
#   BENCH_DISK          a directory on a real disk [/var/tmp]
#   BENCH_SCAN_TENANTS  tenants of the scan runs, per algorithm [300]
#   BENCH_CFSSL_TENANTS tenants cfssl issues [20]
#   BENCH_WORKERS_TENANTS  rsa-2048 tenants of the workers run [4]
#   BENCH_RSA_DELETIONS deletions of the rsa latency run [20]
#   BENCH_SCALE_TENANTS tenants of the scale run [1000]
set -eu

BUILD=${1:?usage: sh bench/run.sh BUILD_DIR}
# Absolute: the operator and go (GOCACHE) want one, whatever the caller gave.
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CERTLC=$BUILD/certlc
OUT=$BUILD/bench

ONLY=${BENCH_ONLY:-issuance latency idle callgrind scan provision workers latency_rsa scale}
N_EC=${BENCH_TENANTS:-250}
N_RSA=${BENCH_RSA_TENANTS:-3}
N_DISK=${BENCH_DISK_TENANTS:-40}
ROUNDS=${BENCH_ROUNDS:-3}
RSA_ROUNDS=${BENCH_RSA_ROUNDS:-1}
DELETIONS=${BENCH_DELETIONS:-100}
LATENCY_FS=${BENCH_LATENCY_FS:-disk tmpfs}
IDLE_TENANTS=${BENCH_IDLE_TENANTS:-1000}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-30}
N_SCAN=${BENCH_SCAN_TENANTS:-300}
N_CFSSL=${BENCH_CFSSL_TENANTS:-20}
N_WORKERS=${BENCH_WORKERS_TENANTS:-4}
RSA_DELETIONS=${BENCH_RSA_DELETIONS:-20}
N_SCALE=${BENCH_SCALE_TENANTS:-1000}
TMPFS_BASE=${BENCH_TMPFS:-/dev/shm}
DISK_BASE=${BENCH_DISK:-/var/tmp}

# ---- build the benchmark programs ----

CC=${CC:-cc}
BCFLAGS="-O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -fno-common \
-I$ROOT/bench"
# Every folder of the framework (its layers, scripts/layers.sh).
for d in "$ROOT"/framework/*/; do BCFLAGS="$BCFLAGS -I${d%/}"; done
# The framework's compile flags and libraries, as the Makefile has them
# (they grow as modules are added), asked from make itself.
# shellcheck disable=SC2016
flags=$(cd "$ROOT" && make -s --no-print-directory \
    --eval='bench-print-flags: ; @echo "$(PKG_CFLAGS)|$(LDLIBS)"' \
    bench-print-flags 2>/dev/null | tail -n 1) || flags=
case $flags in
    *"|"*) PKG_CFLAGS=${flags%%|*} LDLIBS=${flags#*|} ;;
    *)
        PKGS="libcrypto inih jansson yaml-0.1"
        # shellcheck disable=SC2086
        PKG_CFLAGS=$(pkg-config --cflags $PKGS)
        # shellcheck disable=SC2086
        LDLIBS="$(pkg-config --libs $PKGS) -ldl -lm"
        ;;
esac
mkdir -p "$OUT"
# shellcheck disable=SC2086,SC2046
{
    $CC $BCFLAGS $(pkg-config --cflags libcrypto) -o "$OUT/bench_openssl" \
        "$ROOT/bench/bench_openssl.c" "$ROOT/bench/bare.c" \
        $(pkg-config --libs libcrypto)
    $CC $BCFLAGS $PKG_CFLAGS -o "$OUT/bench_certlc" \
        "$ROOT/bench/bench_certlc.c" "$ROOT/bench/memstore.c" \
        "$BUILD/libcertlc.a" $LDLIBS
    $CC $BCFLAGS $PKG_CFLAGS -o "$OUT/bench_latency" \
        "$ROOT/bench/bench_latency.c" "$ROOT/bench/bare.c" \
        "$BUILD/libcertlc.a" $LDLIBS
}

# ---- scratch directories, cleaned up on exit ----

SHM=$(mktemp -d "$TMPFS_BASE/certlc-bench.XXXXXX")
DISK=$(mktemp -d "$DISK_BASE/certlc-bench.XXXXXX")
OPERATOR=
cleanup() {
    if [ -n "$OPERATOR" ]; then
        kill "$OPERATOR" 2>/dev/null || true
        wait "$OPERATOR" 2>/dev/null || true
    fi
    rm -rf "$SHM" "$DISK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ----

# kv LINE KEY: the value of KEY=value in LINE.
kv() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# calc EXPR: floating-point arithmetic.
calc() {
    awk "BEGIN { printf \"%.6g\", $1 }"
}

# fmt FORMAT EXPR...: printf of computed values.
fmt() {
    f=$1
    shift
    args=
    for e in "$@"; do
        args="$args, $e"
    done
    awk "BEGIN { printf \"$f\"$args }"
}

# median V...: the median of the values.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

now() {
    date +%s.%N
}

# gen_conf DIR STATE_DIR ALG N: a configuration of N tenants t1..tN, each
# with konnectivity (11 Secrets) and no datastore.
gen_conf() {
    mkdir -p "$1/tenants.d" "$1/datastores.d" "$1/plugins.d"
    cat >"$1/certlc.ini" <<EOF
[certlc]
state_dir = $2
plugins_dir = plugins.d
tenants_dir = tenants.d
datastores_dir = datastores.d
key_algorithm = $3
ca_validity = 87600h
leaf_validity = 8760h
renew_before = 24h
log_level = warn
EOF
    awk -v n="$4" 'BEGIN {
        for (i = 1; i <= n; i++)
            printf "[tenant t%d]\nversion = v1.26.0\naddress = 10.%d.%d.%d\n" \
                   "konnectivity = true\n\n", i, int(i / 65536) % 256,
                   int(i / 256) % 256, i % 256
    }' >"$1/tenants.d/tenants.ini"
}

# cpu_ticks PID: utime+stime of PID in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# run_ns PID: time on CPU in ns (schedstat), or 0.
run_ns() {
    if [ -r "/proc/$1/schedstat" ]; then
        awk '{ print $1 }' "/proc/$1/schedstat"
    else
        echo 0
    fi
}

# wait_idle PID: returns when PID's CPU time stopped growing for 1 s; sets
# BUSY_END to the time of the last growth.
wait_idle() {
    last=$(cpu_ticks "$1")
    BUSY_END=$(now)
    still=0
    while [ "$still" -lt 10 ]; do
        sleep 0.1
        kill -0 "$1" 2>/dev/null || { echo "operator died" >&2; return 1; }
        cur=$(cpu_ticks "$1")
        if [ "$cur" = "$last" ]; then
            still=$((still + 1))
        else
            still=0
            last=$cur
            BUSY_END=$(now)
        fi
    done
}

# start_operator CONF LOG: starts `certlc run` and waits until it is up.
start_operator() {
    "$CERTLC" -c "$1" run 2>"$2" &
    OPERATOR=$!
    # It writes its PID into state_dir/operator.pid once it holds the lock.
    pidfile=$(sed -n 's/^state_dir = //p' "$1")/operator.pid
    i=0
    until [ "$(cat "$pidfile" 2>/dev/null)" = "$OPERATOR" ]; do
        i=$((i + 1))
        if [ $i -gt 300 ] || ! kill -0 "$OPERATOR" 2>/dev/null; then
            echo "certlc run did not start:" >&2
            cat "$2" >&2
            exit 1
        fi
        sleep 0.1
    done
}

stop_operator() {
    kill -TERM "$OPERATOR"
    rc=0
    wait "$OPERATOR" || rc=$?
    OPERATOR=
    [ "$rc" = 0 ] || echo "  (certlc run exited with status $rc)"
}

section() {
    echo
    echo "== $*"
}

want() {
    case " $ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}

echo "certlc benchmarks: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs," \
    "$(openssl version | cut -d' ' -f1-2), $(uname -r)"
echo "tmpfs: $SHM ($(stat -f -c %T "$SHM")); disk: $DISK" \
    "($(stat -f -c %T "$DISK"))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. issuance ----

# issuance ALG N ROUNDS: prints the section for one key algorithm.
issuance() {
    alg=$1 n=$2 rounds=$3
    section "issuance, $alg: $n tenants x 11 Secrets (11 keys, 10 certificates" \
        "each), median of $rounds round(s)"
    o_w='' o_c='' t_w='' t_c='' m_w='' d_w='' v_w='' v_c='' once_w=
    r=1
    while [ $r -le "$rounds" ]; do
        # Alternate, so that every variant sees the same noise.
        line=$("$OUT/bench_openssl" "$alg" "$n")
        o_w="$o_w $(kv "$line" wall)" o_c="$o_c $(kv "$line" cpu)"

        d="$SHM/issue-$alg-$r"
        gen_conf "$d/conf" "$d/state" "$alg" "$n"
        line=$("$OUT/bench_certlc" issue "$d/conf/certlc.ini" file)
        t_w="$t_w $(kv "$line" wall)" t_c="$t_c $(kv "$line" cpu)"
        v_w="$v_w $(kv "$line" verify_wall)" v_c="$v_c $(kv "$line" verify_cpu)"
        rm -rf "$d/state"

        line=$("$OUT/bench_certlc" issue "$d/conf/certlc.ini" mem once)
        m_w="$m_w $(kv "$line" wall)"
        rm -rf "$d"

        if [ "$alg" = ecdsa-p256 ]; then
            d="$DISK/issue-$alg-$r"
            gen_conf "$d/conf" "$d/state" "$alg" "$N_DISK"
            line=$("$OUT/bench_certlc" issue "$d/conf/certlc.ini" file once)
            d_w="$d_w $(kv "$line" wall)"
            rm -rf "$d"
        fi
        if [ $r = 1 ]; then
            d="$SHM/once-$alg"
            gen_conf "$d/conf" "$d/state" "$alg" "$n"
            t0=$(now)
            "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
            once_w=$(calc "$(now) - $t0")
            rm -rf "$d"
        fi
        r=$((r + 1))
    done
    # shellcheck disable=SC2086
    {
        ow=$(median $o_w) oc=$(median $o_c) tw=$(median $t_w)
        tc=$(median $t_c) mw=$(median $m_w) vw=$(median $v_w)
        vc=$(median $v_c)
    }
    fmt "  bare OpenSSL (EVP/X509, PEM, no store)  %8.2f tenants/s  (%.2f ms CPU/tenant)\n" \
        "$n / $ow" "$oc * 1000 / $n"
    fmt "  certlc, file store on tmpfs             %8.2f tenants/s  (%.2f ms CPU/tenant)\n" \
        "$n / $tw" "$tc * 1000 / $n"
    fmt "  RATIO certlc/openssl (tenants/s): %.2f  (certlc takes %.2fx the time; CPU %.2fx)\n" \
        "$ow / $tw" "$tw / $ow" "$tc / $oc"
    fmt "  certlc, memory store (no I/O, no JSON)  %8.2f tenants/s  ratio certlc/openssl %.2f\n" \
        "$n / $mw" "$ow / $mw"
    fmt "  certlc run --once binary, tmpfs         %8.2f tenants/s  ratio certlc/openssl %.2f (1 run)\n" \
        "$n / $once_w" "$ow / $once_w"
    if [ "$alg" = ecdsa-p256 ]; then
        fmt "  store on tmpfs (JSON, files, locks, rollout re-reads): %.2f ms/tenant = %.0f%% of certlc's time\n" \
            "($tw - $mw) * 1000 / $n" "($tw - $mw) * 100 / $tw"
    else
        echo "  (RSA key generation is a random prime search: with few tenants every"
        echo "   line here moves by 10-20% from run to run; raise BENCH_RSA_TENANTS)"
    fi
    if [ -n "$d_w" ]; then
        # shellcheck disable=SC2086
        dw=$(median $d_w)
        fmt "  certlc, file store on disk (%d tenants) %8.2f tenants/s  ratio certlc/openssl %.2f\n" \
            "$N_DISK" "$N_DISK / $dw" "($n / $ow) == 0 ? 0 : ($N_DISK / $dw) / ($n / $ow)"
        fmt "  fsync on disk: %.1f ms/tenant over tmpfs (12 atomic writes: %.2f ms each)\n" \
            "($dw / $N_DISK - $tw / $n) * 1000" "($dw / $N_DISK - $tw / $n) * 1000 / 12"
    fi
    fmt "  certlc pass with nothing to do (read and check 11 Secrets), tmpfs:\n"
    fmt "                                          %8.2f tenants/s  (%.2f ms CPU/tenant, %.3fx an issuing pass)\n" \
        "$n / $vw" "$vc * 1000 / $n" "$vw / $tw"
}

if want issuance; then
    issuance ecdsa-p256 "$N_EC" "$ROUNDS"
    issuance rsa-2048 "$N_RSA" "$RSA_ROUNDS"
    section "certificate building: certlc_cert_issue+certlc_pem_cert against certlc_cert_issue_pem (leaf, new key, PEM of both)"
    line=$("$OUT/bench_certlc" pki ecdsa-p256 2000)
    fmt "  ecdsa-p256: cert_issue+pem_cert %.0f/s, cert_issue_pem %.0f/s: RATIO %.2fx\n" \
        "2000 / $(kv "$line" x509_wall)" "2000 / $(kv "$line" pem_wall)" \
        "$(kv "$line" x509_wall) / $(kv "$line" pem_wall)"
fi

# ---- 2. deletion to recreation ----

if want latency; then
    # The openssl command line, one certificate: process spawns, keygen,
    # self-signed certificate. An outside yardstick.
    d="$SHM/cli"
    mkdir -p "$d"
    cli=
    i=0
    while [ $i -lt 20 ]; do
        t0=$(now)
        openssl ecparam -name prime256v1 -genkey -noout -out "$d/k.pem"
        openssl req -x509 -new -key "$d/k.pem" -subj /CN=kube-apiserver \
            -days 365 -out "$d/c.pem" 2>/dev/null
        cli="$cli $(calc "($(now) - $t0) * 1000")"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    cli_ms=$(median $cli)
    rm -rf "$d"

    for fs in $LATENCY_FS; do
        case $fs in
            tmpfs) base=$SHM ;;
            disk) base=$DISK ;;
            *) echo "BENCH_LATENCY_FS: unknown '$fs'" >&2; exit 2 ;;
        esac
        section "deletion to re-creation, ecdsa-p256, 5 tenants, store on $fs" \
            "($(stat -f -c %T "$base")), $DELETIONS deletions"
        d="$base/latency"
        gen_conf "$d/conf" "$d/state" ecdsa-p256 5
        "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
        start_operator "$d/conf/certlc.ini" "$d/operator.log"
        wait_idle "$OPERATOR"
        names=
        for t in 1 2 3 4 5; do
            for s in api-server-certificate api-server-kubelet-client-certificate \
                front-proxy-client-certificate konnectivity-certificate \
                admin-kubeconfig controller-manager-kubeconfig \
                scheduler-kubeconfig konnectivity-kubeconfig; do
                names="$names t$t-$s"
            done
        done
        # shellcheck disable=SC2086
        line=$("$OUT/bench_latency" "$d/state" default "$DELETIONS" \
            "$d/scratch" $names)
        stop_operator
        med=$(kv "$line" median) bmed=$(kv "$line" base_median)
        fmt "  certlc run: delete -> file back    median %7.2f ms   p90 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n" \
            "$med" "$(kv "$line" p90)" "$(kv "$line" p99)" "$(kv "$line" max)"
        fmt "  baseline: bare OpenSSL P-256 leaf + the same atomic store write (remove+create, fsync)\n"
        fmt "                                     median %7.2f ms   p99 %7.2f ms\n" \
            "$bmed" "$(kv "$line" base_p99)"
        fmt "  RATIO certlc/baseline (median): %.1fx\n" "$med / $bmed"
        fmt "  the deletion itself (store remove, fsync of the directory): median %.2f ms\n" \
            "$(kv "$line" remove_median)"
        fmt "  yardstick: openssl ecparam -genkey + openssl req -x509, 2 processes: median %.2f ms (certlc/that %.2fx)\n" \
            "$cli_ms" "$med / $cli_ms"
        if grep -q "error\|FAILED" "$d/operator.log"; then
            echo "  operator log has errors:"
            grep "error\|FAILED" "$d/operator.log" | head -5
        fi
        rm -rf "$d"
    done
fi

# ---- 3. idle CPU ----

if want idle; then
    section "idle operator, ecdsa-p256, $IDLE_TENANTS tenants, store on tmpfs"
    d="$SHM/idle"
    gen_conf "$d/conf" "$d/state" ecdsa-p256 "$IDLE_TENANTS"
    t0=$(now)
    "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
    prov=$(calc "$(now) - $t0")
    fmt "  provisioning (run --once): %.1f s = %.1f tenants/s\n" \
        "$prov" "$IDLE_TENANTS / $prov"

    t0=$(now)
    start_operator "$d/conf/certlc.ini" "$d/operator.log"
    wait_idle "$OPERATOR"
    startup_cpu=$(cpu_ticks "$OPERATOR")
    hz=$(getconf CLK_TCK)
    fmt "  operator start (its first pass: every Secret read and checked): %.1f s wall, %.1f s CPU\n" \
        "$BUSY_END - $t0" "$startup_cpu / $hz"

    c0=$(cpu_ticks "$OPERATOR") n0=$(run_ns "$OPERATOR")
    v0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$OPERATOR/status")
    w0=$(now)
    sleep "$IDLE_SECONDS"
    c1=$(cpu_ticks "$OPERATOR") n1=$(run_ns "$OPERATOR")
    v1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$OPERATOR/status")
    w1=$(now)
    fmt "  idle for %.1f s: CPU (utime+stime) %d ticks = %.3f s = %.4f%% of one core\n" \
        "$w1 - $w0" "$c1 - $c0" "($c1 - $c0) / $hz" "($c1 - $c0) / $hz * 100 / ($w1 - $w0)"
    fmt "  scheduler run time %.3f ms = %.5f%% of one core; %d wakeups (voluntary context switches)\n" \
        "($n1 - $n0) / 1e6" "($n1 - $n0) / 1e9 * 100 / ($w1 - $w0)" "$v1 - $v0"
    fmt "  RATIO idle/startup CPU: %.5f\n" \
        "$startup_cpu == 0 ? 0 : ($c1 - $c0) / $startup_cpu"
    stop_operator
    rm -rf "$d"
fi

# ---- 4. callgrind: instructions per tenant ----

# ir CMD...: instructions executed by CMD under callgrind.
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 \
        >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

if want callgrind; then
    if ! command -v valgrind >/dev/null; then
        section "callgrind: skipped (no valgrind)"
    else
        section "callgrind, ecdsa-p256: instructions per tenant (difference of a 6- and a 1-tenant run)"
        o1=$(ir "$OUT/bench_openssl" ecdsa-p256 1)
        o6=$(ir "$OUT/bench_openssl" ecdsa-p256 6)
        for n in 1 6; do
            d="$SHM/cg$n"
            gen_conf "$d/conf" "$d/state" ecdsa-p256 $n
            # First run: one issuing pass and one checking pass; second
            # run on the same store: two checking passes.
            eval "c$n=\$(ir \"\$OUT/bench_certlc\" issue \"\$d/conf/certlc.ini\" file)"
            eval "v$n=\$(ir \"\$OUT/bench_certlc\" issue \"\$d/conf/certlc.ini\" file)"
            rm -rf "$d"
        done
        # shellcheck disable=SC2154
        {
            check=$(calc "($v6 - $v1) / 10")
            issue=$(calc "($c6 - $c1) / 5 - $check")
            bare=$(calc "($o6 - $o1) / 5")
        }
        fmt "  bare OpenSSL:                     %6.1f M instructions/tenant\n" "$bare / 1e6"
        fmt "  certlc issuing pass (file store): %6.1f M instructions/tenant\n" "$issue / 1e6"
        fmt "  RATIO certlc/openssl: %.2f\n" "$issue / $bare"
        fmt "  certlc checking pass (nothing to do): %.1f M instructions/tenant = %.2fx an issuing pass\n" \
            "$check / 1e6" "$check / $issue"
    fi
fi

# ---- 5-9: every core, the key pool, the cold scan, the scale ----

# need_pkg COMMAND PACKAGE: installs a Debian package the peers need.
need_pkg() {
    command -v "$1" >/dev/null && return 0
    echo "  (installing $2 for the peers in bench/peers/)"
    apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "$2" \
        >/dev/null 2>&1 || true
    command -v "$1" >/dev/null
}

# peak_rss PID: VmHWM in MiB.
peak_rss() {
    awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# ms_since T0: milliseconds since T0 (now's format).
ms_since() {
    calc "($(now) - $1) * 1000"
}

if want scan; then
    if need_pkg go golang-go; then
        GOCACHE=$OUT/gocache go build -o "$OUT/kamaji_scan" "$ROOT/bench/peers/kamaji_scan.go"
    fi
    for alg in ecdsa-p256 rsa-2048; do
        n=$N_SCAN
        [ "$alg" = rsa-2048 ] && n=$((N_SCAN / 10))
        section "cold scan, $alg: $n tenants x 11 Secrets, tmpfs (provisioning not timed)"
        d="$SHM/scan-$alg"
        gen_conf "$d/conf" "$d/state" "$alg" "$n"
        echo "metrics_listen =" >>"$d/conf/certlc.ini"
        "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
        files=$(ls "$d/state/default" | grep -c '\.json$')
        t0=$(now)
        "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
        once=$(calc "$(now) - $t0")
        t0=$(now)
        start_operator "$d/conf/certlc.ini" "$d/operator.log"
        wait_idle "$OPERATOR"
        start=$(calc "$BUSY_END - $t0")
        stop_operator
        fmt "  certlc run --once, nothing to do:   %8.0f Secrets/s  (%.2f s)\n" "$files / $once" "$once"
        fmt "  certlc operator start-up pass:      %8.0f Secrets/s  (%.2f s)\n" "$files / $start" "$start"
        if [ -x "$OUT/kamaji_scan" ]; then
            line=$("$OUT/kamaji_scan" "$d/state")
            gw=$(kv "$line" wall)
            fmt "  Go, Kamaji's path (json+pem+x509):  %8.0f files/s    (%.2f s, %d certificates)\n" \
                "$(kv "$line" files) / $gw" "$gw" "$(kv "$line" certs)"
            fmt "  RATIO certlc/Go (files/s): run --once %.2f, start-up pass %.2f\n" \
                "$gw / $once * $files / $(kv "$line" files)" "$gw / $start * $files / $(kv "$line" files)"
        else
            echo "  (no Go: the yardstick is skipped)"
        fi
        rm -rf "$d"
    done
fi

if want provision; then
    section "provisioning, ecdsa-p256, tmpfs: certlc run --once ($N_SCAN tenants, 11 Secrets) vs cfssl ($N_CFSSL tenants, 9 certificates)"
    d="$SHM/prov"
    gen_conf "$d/conf" "$d/state" ecdsa-p256 "$N_SCAN"
    echo "metrics_listen =" >>"$d/conf/certlc.ini"
    t0=$(now)
    "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
    cw=$(calc "$(now) - $t0")
    fmt "  certlc run --once (workers = auto): %8.2f tenants/s\n" "$N_SCAN / $cw"
    if need_pkg cfssl golang-cfssl && command -v cfssljson >/dev/null; then
        t0=$(now)
        sh "$ROOT/bench/peers/cfssl_tenants.sh" "$N_CFSSL" "$d/cfssl"
        fw=$(calc "$(now) - $t0")
        fmt "  cfssl + cfssljson, 9 certificates:  %8.2f tenants/s\n" "$N_CFSSL / $fw"
        fmt "  RATIO certlc/cfssl (tenants/s): %.1f\n" "($N_SCAN / $cw) / ($N_CFSSL / $fw)"
    else
        echo "  (no cfssl: the yardstick is skipped)"
    fi
    rm -rf "$d"
fi

if want workers; then
    section "provisioning, rsa-2048, tmpfs, $N_WORKERS tenants: workers = 1 vs auto ($(nproc) CPUs)"
    for w in 1 auto; do
        d="$SHM/workers-$w"
        gen_conf "$d/conf" "$d/state" rsa-2048 "$N_WORKERS"
        printf 'metrics_listen =\nworkers = %s\n' "$w" >>"$d/conf/certlc.ini"
        t0=$(now)
        "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null &
        p=$!
        # CPU time of the run, read from /proc just before it is reaped
        cpu=0
        while kill -0 "$p" 2>/dev/null; do
            c=$(cpu_ticks "$p" 2>/dev/null) && cpu=$c
            sleep 0.05
        done
        wait "$p"
        eval "w_$w=$(calc "$(now) - $t0")"
        eval "c_$w=$(calc "$cpu / $(getconf CLK_TCK)")"
        rm -rf "$d"
    done
    # shellcheck disable=SC2154
    {
        fmt "  workers = 1:    %6.3f tenants/s  (%.1f s, %.1f s CPU = %.2f cores busy)\n" \
            "$N_WORKERS / $w_1" "$w_1" "$c_1" "$c_1 / $w_1"
        fmt "  workers = auto: %6.3f tenants/s  (%.1f s, %.1f s CPU = %.2f cores busy)\n" \
            "$N_WORKERS / $w_auto" "$w_auto" "$c_auto" "$c_auto / $w_auto"
        fmt "  RATIO auto/1 (tenants/s): %.2f\n" "$w_1 / $w_auto"
    }
fi

if want latency_rsa; then
    section "deletion to re-creation, rsa-2048, warm key pool (key_pool = auto: 2), 5 tenants, tmpfs, $RSA_DELETIONS deletions"
    d="$SHM/latency-rsa"
    gen_conf "$d/conf" "$d/state" rsa-2048 5
    echo "metrics_listen =" >>"$d/conf/certlc.ini"
    "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
    names=
    for t in 1 2 3 4 5; do
        for s in api-server-certificate api-server-kubelet-client-certificate \
            front-proxy-client-certificate admin-kubeconfig; do
            names="$names t$t-$s"
        done
    done
    for pool in 0 auto; do
        echo "key_pool = $pool" >>"$d/conf/certlc.ini"
        start_operator "$d/conf/certlc.ini" "$d/operator.log"
        wait_idle "$OPERATOR"
        # shellcheck disable=SC2086
        line=$(BENCH_QUIET_MS=1000 "$OUT/bench_latency" "$d/state" default "$RSA_DELETIONS" \
            "$d/scratch" $names)
        stop_operator
        sed -i '$d' "$d/conf/certlc.ini"
        fmt "  key_pool = %-4s: median %7.2f ms   p90 %7.2f ms   p99 %7.2f ms\n" \
            "\"$pool\"" "$(kv "$line" median)" "$(kv "$line" p90)" "$(kv "$line" p99)"
        eval "lat_$pool=$(kv "$line" median)"
    done
    # shellcheck disable=SC2154
    fmt "  RATIO without/with the pool (median): %.1f\n" "$lat_0 / $lat_auto"
    rm -rf "$d"
fi

if want scale; then
    section "scale, ecdsa-p256, $N_SCALE tenants, tmpfs"
    d="$SHM/scale"
    gen_conf "$d/conf" "$d/state" ecdsa-p256 "$N_SCALE"
    echo "metrics_listen =" >>"$d/conf/certlc.ini"
    t0=$(now)
    "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null
    prov=$(calc "$(now) - $t0")
    t0=$(now)
    start_operator "$d/conf/certlc.ini" "$d/operator.log"
    wait_idle "$OPERATOR"
    start=$(calc "$BUSY_END - $t0")
    c0=$(cpu_ticks "$OPERATOR") w0=$(now)
    sleep "$IDLE_SECONDS"
    c1=$(cpu_ticks "$OPERATOR") w1=$(now)
    rss=$(peak_rss "$OPERATOR")
    stop_operator
    hz=$(getconf CLK_TCK)
    fmt "  provisioning (run --once):  %7.1f s  (%.0f tenants/s)\n" "$prov" "$N_SCALE / $prov"
    fmt "  operator start-up pass:     %7.1f s  (%.0f Secrets/s)\n" "$start" "$N_SCALE * 11 / $start"
    fmt "  idle CPU over %.0f s:        %7.3f s  (%.4f%% of one core)\n" "$w1 - $w0" \
        "($c1 - $c0) / $hz" "($c1 - $c0) / $hz * 100 / ($w1 - $w0)"
    fmt "  peak RSS of the operator:   %7.1f MiB\n" "$rss"
    rm -rf "$d"
fi

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 5. the file store against a one-member etcd ----
#
# Time to provision BENCH_ETCD_TENANTS [1000] ecdsa-p256 tenants (11
# Secrets each) with `certlc run --once`, on the file store (on disk) and on
# a one-member etcd (data on the same disk, loopback, plain HTTP), side by
# side; then a running operator on each: deletion of a Secret to its
# re-creation, BENCH_ETCD_DELETIONS [20] times, median (measured by
# polling with `certlc get secret` every 10 ms, so it includes about one
# certlc process start). Runs by default, or with "etcd" in BENCH_ONLY.
if { want etcd || [ -z "${BENCH_ONLY:-}" ]; } && command -v etcd >/dev/null; then
(
    N_ETCD=${BENCH_ETCD_TENANTS:-1000}
    DEL_ETCD=${BENCH_ETCD_DELETIONS:-20}
    section "etcd store: provisioning $N_ETCD ecdsa-p256 tenants, file store vs one-member etcd"
    port() { while :; do p=$(shuf -i 20000-60999 -n 1); ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
    EP=$(port)
    PP=$(port)
    etcd --name bench --data-dir "$DISK/etcd" --listen-client-urls "http://127.0.0.1:$EP" \
        --advertise-client-urls "http://127.0.0.1:$EP" --listen-peer-urls "http://127.0.0.1:$PP" \
        --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
        --initial-cluster "bench=http://127.0.0.1:$PP" >"$DISK/etcd.log" 2>&1 &
    EPID=$!
    trap 'kill $EPID 2>/dev/null; wait $EPID 2>/dev/null' EXIT
    i=0
    until curl -sf "http://127.0.0.1:$EP/health" >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "  etcd did not start"; exit 0; }; sleep 0.1
    done
    for store in file etcd; do
        d="$DISK/st-$store"
        gen_conf "$d/conf" "$d/state" ecdsa-p256 "$N_ETCD"
        echo "metrics_listen =" >>"$d/conf/certlc.ini"
        if [ $store = etcd ]; then
            printf 'store = etcd\n[store.etcd]\nendpoints = http://127.0.0.1:%s\n' "$EP" >>"$d/conf/certlc.ini"
        fi
        t0=$(date +%s%N)
        "$CERTLC" -c "$d/conf/certlc.ini" run --once >/dev/null 2>&1 || echo "  ($store: run --once failed)"
        t1=$(date +%s%N)
        eval "prov_$store=$(( (t1 - t0) / 1000000 ))"
    done
    # shellcheck disable=SC2154
    {
        fmt "  file store (disk):   %7.1f s  (%.0f tenants/s)\n" "$prov_file / 1000" "$N_ETCD * 1000 / $prov_file"
        fmt "  etcd, one member:    %7.1f s  (%.0f tenants/s)\n" "$prov_etcd / 1000" "$N_ETCD * 1000 / $prov_etcd"
        fmt "  RATIO etcd/file: %.2f\n" "$prov_etcd / $prov_file"
    }
    section "etcd store: deletion to re-creation with a running operator, $DEL_ETCD times, median"
    for store in file etcd; do
        d="$DISK/st-$store"
        c="$d/conf/certlc.ini"
        "$CERTLC" -c "$c" run >"$d/op.log" 2>&1 &
        op=$!
        sleep 2
        lat=""
        k=0
        while [ $k -lt "$DEL_ETCD" ]; do
            t0=$(date +%s%N)
            "$CERTLC" -c "$c" delete secret t1-api-server-certificate >/dev/null 2>&1
            until "$CERTLC" -c "$c" get secret t1-api-server-certificate -o name >/dev/null 2>&1; do
                sleep 0.01
            done
            t1=$(date +%s%N)
            lat="$lat $(( (t1 - t0) / 1000 ))"
            k=$((k + 1))
        done
        kill $op
        wait $op 2>/dev/null || true
        eval "lat_$store=$(median $lat)"
    done
    # shellcheck disable=SC2154
    {
        fmt "  file store (inotify):   %6.1f ms\n" "$lat_file / 1000"
        fmt "  etcd (watch stream):    %6.1f ms\n" "$lat_etcd / 1000"
        fmt "  RATIO etcd/file: %.2f\n" "$lat_etcd / $lat_file"
    }
)
fi
