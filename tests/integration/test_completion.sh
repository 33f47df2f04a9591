# certlc completion bash|zsh: the bash script, sourced in a non-interactive
# bash, offers the commands, kinds, flags, and the names of Secrets, tenants
# and labels from the store; make install puts it in the standard
# completion directories.
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

write_conf
tenant k8s-126
tenant k8s-127 version=v1.27.0
certlc run --once > run.log 2>&1
check "run --once provisions the tenants" test $? -eq 0

certlc completion bash > certlc.bash
check "completion bash prints a script bash parses" bash -n certlc.bash
certlc completion zsh > _certlc
check "completion zsh starts with #compdef certlc" sh -c "head -n 1 _certlc | grep -qx '#compdef certlc'"
check_fails "completion with no shell is a usage error" certlc completion
check_fails "completion fish is refused" certlc completion fish

# candidates WORD...: the completions bash offers for the line (the last
# word is the one being completed), one a line, sorted.
mkdir -p bin
ln -sf "$CERTLC_BIN" bin/certlc
candidates() {
    CERTLC_CONFIG=$CONF/certlc.ini PATH=$T/bin:$PATH bash -c '
        . ./certlc.bash
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        __certlc_complete
        printf "%s\n" "${COMPREPLY[@]}"' candidates "$@" | sort
}

candidates certlc get "" > kinds
check "'certlc get ' offers the resource kinds" \
    sh -c "printf 'events\nleader\nsecret\nsecrets\ntcp\n' | cmp - kinds"
candidates certlc get secret k8s-126- > names
certlc get secrets -o name | sed 's|^secret/||' | grep '^k8s-126-' | sort > expected
check "'certlc get secret k8s-126-' offers k8s-126's Secrets from the store ($(wc -l < expected))" cmp names expected
lacks "... and not k8s-127's" names "k8s-127-"
candidates certlc delete secret -l "" > labels
contains "'certlc delete secret -l ' offers the tenants' name labels" labels "kamaji.clastix.io/name=k8s-126"
contains "... for each tenant" labels "kamaji.clastix.io/name=k8s-127"
contains "... and the component labels" labels "kamaji.clastix.io/component=ca"
check "... each once" sh -c "[ \$(sort labels | uniq -d | wc -l) -eq 0 ]"
candidates certlc get tcp "" > tcps
check "'certlc get tcp ' offers the tenants" sh -c "printf 'k8s-126\nk8s-127\n' | cmp - tcps"
candidates certlc "" > cmds
for c in run get delete rotate describe check-expiration completion; do
    contains "'certlc ' offers $c" cmds "$c"
done
candidates certlc get secrets --s > flags
check "'certlc get secrets --s' offers --selector --show-labels --sort-by" \
    sh -c "printf -- '--selector\n--show-labels\n--sort-by\n' | cmp - flags"
candidates certlc get secrets -o json > fmts
contains "'-o json' offers jsonpath=" fmts "jsonpath="

# make install: the standard completion directories.
B=$(basename "$(dirname "$CERTLC_BIN")")
if [ "$(cd "$(dirname "$CERTLC_BIN")" && pwd)/certlc" = "$ROOT/$B/certlc" ]; then
    SANFLAG=
    [ "${CERTLC_SAN:-}" = 1 ] && SANFLAG=SAN=1
    make -C "$ROOT" --no-print-directory BUILD="$B" $SANFLAG install DESTDIR="$T/root" PREFIX=/usr > install.log 2>&1
    check "make install puts the bash completion in /usr/share/bash-completion/completions/certlc" \
        cmp "$T/root/usr/share/bash-completion/completions/certlc" certlc.bash
    check "and the zsh one in /usr/share/zsh/vendor-completions/_certlc" \
        cmp "$T/root/usr/share/zsh/vendor-completions/_certlc" _certlc
else
    echo "# note: $CERTLC_BIN is not in a build directory of $ROOT; make install not tested"
fi

finish
