# certlc completion bash|zsh: the bash script, sourced in a non-interactive
# bash, offers the commands, kinds, flags, and the names of Secrets, tenants
# and labels from the store; typed into a real bash and zsh, a TAB completes
# lines that bash splits at = (--config=FILE, -l k=v), and zsh's first TAB
# does; make install puts them in the standard completion directories.
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
candidates certlc get secrets --s > flags
check "'certlc get secrets --s' offers --selector --show-labels --sort-by" \
    sh -c "printf -- '--selector\n--show-labels\n--sort-by\n' | cmp - flags"
candidates certlc get secrets -o json > fmts
contains "'-o json' offers jsonpath=" fmts "jsonpath="

# Every command of `certlc --help` is offered, and every flag of its
# --help.
certlc --help | sed -n '/^Commands:/,/^$/p' | grep -E '^  [a-z]' | awk '{print $1}' | sort -u > help.cmds
check "certlc --help lists commands ($(wc -l < help.cmds))" test "$(wc -l < help.cmds)" -ge 10
while read -r c; do
    if grep -qx -- "$c" cmds; then ok "'certlc ' offers $c"; else not_ok "'certlc ' does not offer $c (certlc --help lists it)"; fi
    certlc "$c" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u > flags.want
    candidates certlc "$c" -- > flags.got
    missing=""
    while read -r f; do
        grep -q -- "^$f\(=.*\)\?$" flags.got || missing="$missing $f"
    done < flags.want
    if [ -z "$missing" ]; then
        ok "'certlc $c --' offers the $(wc -l < flags.want) flags of 'certlc $c --help'"
    else
        not_ok "'certlc $c --' does not offer$missing (its --help lists them)"
    fi
done < help.cmds

# Real shells and real TABs (completion_tab.py types into an interactive
# shell on a pseudo-terminal): bash splits the line at = and : (its
# COMP_WORDBREAKS) before the completion sees the words; zsh autoloads
# _certlc from its fpath on the first TAB. The shells run in bin/, where
# no conf/certlc.ini is: the lines name the configuration.
C=$CONF/certlc.ini
cat > bashrc <<RC
PS1='\$ '
cd "$T/bin"
. "$T/certlc.bash"
export PATH="$T/bin:\$PATH"
unset CERTLC_CONFIG
__certlc_offered() { __certlc_complete; printf '%s\n' "\${COMPREPLY[@]}" > "$T/tab.tmp"; mv "$T/tab.tmp" "$T/tab.offered"; }
complete -F __certlc_offered certlc
bind -x '"\C-t": printf "%s\n" "\$READLINE_LINE" > "$T/tab.line"'
RC
# bash_tab LINE: after one TAB, the line in tab.line and what the
# completion offered (sorted) in tab.offered.
bash_tab() {
    rm -f tab.line tab.offered
    TAB_RAN=$T/tab.offered python3 "$HERE/completion_tab.py" "$T/tab.line" "$1" \
        bash --rcfile "$T/bashrc" --noprofile -i || echo "(no completion within 20 s)" > tab.line
    touch tab.offered
    sort -o tab.offered tab.offered
}
# tab_offers DESCRIPTION LINE WORD...: one TAB offers exactly WORD... .
tab_offers() {
    desc=$1 line=$2; shift 2
    bash_tab "$line"
    printf '%s\n' "$@" | sort > tab.want
    if cmp -s tab.want tab.offered; then ok "$desc"; else not_ok "$desc: offered:"; sed 's/^/    /' tab.offered; fi
}
# tab_gives DESCRIPTION LINE AFTER: one TAB turns the line into AFTER.
tab_gives() {
    bash_tab "$2"
    if [ "$(cat tab.line)" = "$3" ]; then ok "$1"; else not_ok "$1: the line is '$(cat tab.line)'"; fi
}
tab_offers "bash: 'certlc --config=FILE get <TAB>' offers the kinds" \
    "certlc --config=$C get " events leader secret secrets tcp
tab_offers "bash: 'certlc --config=FILE get tcp k8s-12<TAB>' offers the tenants of FILE" \
    "certlc --config=$C get tcp k8s-12" k8s-126 k8s-127
tab_offers "bash: 'get secrets --namespace=default k8s-126-c<TAB>' offers the Secrets" \
    "certlc -c $C get secrets --namespace=default k8s-126-c" k8s-126-ca k8s-126-controller-manager-kubeconfig
tab_offers "bash: 'delete secret -l kamaji.clastix.io/name=k8s-12<TAB>' offers the label values" \
    "certlc -c $C delete secret -l kamaji.clastix.io/name=k8s-12" k8s-126 k8s-127
tab_gives "bash: ... and completes a unique one in place" \
    "certlc -c $C delete secret -l kamaji.clastix.io/component=sa-c" \
    "certlc -c $C delete secret -l kamaji.clastix.io/component=sa-certificate "
tab_gives "bash: --selector=k=v<TAB> completes the value" \
    "certlc -c $C get secrets --selector=kamaji.clastix.io/name=k8s-127" \
    "certlc -c $C get secrets --selector=kamaji.clastix.io/name=k8s-127 "
tab_gives "bash: --config=<TAB> completes a file name" \
    "certlc --config=$CONF/certlc.i" "certlc --config=$C "
tab_gives "bash: -o jsonpath=<TAB> adds no space" \
    "certlc -c $C get secrets -o jsonpath=" "certlc -c $C get secrets -o jsonpath="
tab_gives "bash: rewrite-s<TAB>" "certlc rewrite-s" "certlc rewrite-secrets "
tab_gives "bash: rewrite-secrets --d<TAB>" "certlc rewrite-secrets --d" "certlc rewrite-secrets --dry-run "

if command -v zsh > /dev/null; then
    mkdir -p zdot zfunc
    certlc completion zsh > zfunc/_certlc
    cat > zdot/.zshrc <<RC
PS1='> '
cd "$T/bin"
fpath=("$T/zfunc" \$fpath)
autoload -U compinit && compinit -u -d "$T/zcompdump"
export PATH="$T/bin:\$PATH"
unset CERTLC_CONFIG
__certlc_line() { print -r -- "\$BUFFER" > "$T/tab.line" }
zle -N __certlc_line
bindkey '^T' __certlc_line
RC
    # zsh_tab DESCRIPTION LINE AFTER: the first TAB turns LINE into AFTER.
    zsh_tab() {
        rm -f tab.line
        ZDOTDIR=$T/zdot python3 "$HERE/completion_tab.py" "$T/tab.line" "$2" zsh -i ||
            echo "(no completion within 20 s)" > tab.line
        if [ "$(cat tab.line)" = "$3" ]; then ok "$1"; else not_ok "$1: the line is '$(cat tab.line)'"; fi
    }
    zsh_tab "zsh (compinit, _certlc in fpath): the first TAB completes a command" \
        "certlc rewrite-s" "certlc rewrite-secrets "
    zsh_tab "zsh: the first TAB completes a Secret after --namespace=NS" \
        "certlc --config=$C get secrets --namespace=default k8s-127-sa" \
        "certlc --config=$C get secrets --namespace=default k8s-127-sa-certificate "
    zsh_tab "zsh: -l k=v<TAB> completes the label" \
        "certlc -c $C delete secret -l kamaji.clastix.io/component=sa-c" \
        "certlc -c $C delete secret -l kamaji.clastix.io/component=sa-certificate "
else
    not_ok "zsh is installed (scripts/deps.sh installs it)"
fi

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
