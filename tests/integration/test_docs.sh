# The documentation agrees with the binary: the commands `certlc --help`
# lists are the ones docs/man/certlc.1 shows (SYNOPSIS and COMMANDS) and the
# README's Commands block lists; `certlc COMMAND --help` answers for each;
# the keys docs/man/certlc.ini.5 documents are the keys the configuration
# accepts (the key lists of the configuration's sources, and the options
# the host reads of a [datastore] section).
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

MAN1=$ROOT/docs/man/certlc.1
MAN5=$ROOT/docs/man/certlc.ini.5

# cmd_words: "WORD [SUBWORD]" from a usage line's words: the second word
# when it is a lowercase word (a resource: secrets, tcp, ca), not an
# argument (NAME, TCP), an option (-f) or a choice (bash|zsh).
cmd_words='{ c = $1; if ($2 ~ /^[a-z][a-z-]*$/) c = c " " $2; if (c !~ /^-/) print c }'

"$CERTLC_BIN" --help > help.txt 2>&1
check "certlc --help exits 0" test $? -eq 0
# The command column only: 33 characters after the indent.
sed -n '/^Commands:/,/^$/p' help.txt | awk 'NR > 1 && /^  [a-z]/ { print substr($0, 3, 33) }' |
    awk "$cmd_words" | sort -u > cmds.help
check "--help lists commands ($(wc -l < cmds.help))" test -s cmds.help

awk '/^\.SH SYNOPSIS/ { f = 1; next } /^\.SH/ { f = 0 }
     f && /^\.B certlc [a-z]/ { sub(/^\.B certlc /, ""); gsub(/\\-/, "-"); print }' "$MAN1" |
    awk "$cmd_words" | sort -u > cmds.synopsis
check "certlc.1's SYNOPSIS shows the commands of --help" diff cmds.help cmds.synopsis

# COMMANDS: each .TP's .B line, alternatives split at " | ", the
# italic arguments dropped.
awk '/^\.SH COMMANDS/ { f = 1; next } /^\.SH/ { f = 0 }
     f && prev ~ /^\.TP/ && /^\.B / {
         line = $0; sub(/^\.B /, "", line); gsub(/\\-/, "-", line)
         gsub(/\\fI[^\\]*\\f[PR]/, "", line); gsub(/\\f[BRP]/, "", line)
         n = split(line, alt, / \| /)
         for (i = 1; i <= n; i++) print alt[i]
     }
     { prev = $0 }' "$MAN1" | awk "$cmd_words" | sort -u > cmds.man
check "certlc.1's COMMANDS describes the commands of --help" diff cmds.help cmds.man

awk '/^## Commands/ { f = 1; next } /^## / { f = 0 }
     f && /^certlc / { sub(/^certlc (\[-c CONFIG\] )?/, ""); print }' "$ROOT/README.md" |
    awk "$cmd_words" | sort -u > cmds.readme
check "the README's Commands list the commands of --help" diff cmds.help cmds.readme

while read -r cmd; do
    # shellcheck disable=SC2086
    "$CERTLC_BIN" $cmd --help > cmd.help 2>&1
    rc=$?
    check "certlc $cmd --help exits 0" test $rc -eq 0
    contains "... and shows the usage of certlc $cmd" cmd.help "certlc $cmd"
done < cmds.help

# The keys: what certlc.ini.5 documents (the .TP entries of the four
# sections, up to a "(default" or "(required)")...
awk '/^\.SH \[(certlc|store\.etcd|tenant NAME|datastore NAME)\]/ { f = 1; prev = ""; next }
     /^\.SH/ { f = 0 }
     f && prev ~ /^\.TP/ && /^\.BR? / {
         line = $0; sub(/^\.BR? /, "", line)
         i = index(line, "\" ("); if (i) line = substr(line, 1, i - 1)
         gsub(/"|,/, " ", line)
         n = split(line, w, " ")
         for (k = 1; k <= n; k++) if (w[k] ~ /^[a-z][a-z0-9_]*$/ && w[k] != "or") print w[k]
     }
     { prev = $0 }' "$MAN5" | sort -u > keys.man
# ... and what the configuration accepts: every *_keys[] list of the
# configuration's sources, and the options the host reads itself.
src() { find "$ROOT/framework" -name "$1" | head -n 1; }
awk '/_keys\[\] = \{/ { f = 1 }
     f { s = $0; while (match(s, /"[a-z_]+"/)) { print substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH) } }
     f && /NULL/ { f = 0 }' "$(src config.c)" "$(src config_store.c)" "$(src datastore.c)" > keys.code
# The [datastore] options the host reads itself: option(..., "KEY") calls.
find "$ROOT/framework" -name '*.c' -exec sed -n 's/.*_option([^,]*, "\([a-z_]*\)").*/\1/p' {} + >> keys.code
sort -u -o keys.code keys.code
check "the configuration accepts keys ($(wc -l < keys.code))" test "$(wc -l < keys.code)" -gt 30
check "certlc.ini.5 documents every key the configuration accepts, and no other" diff keys.code keys.man

finish
