#!/bin/sh
# The layer check (scripts/layers.sh): fails, naming the file and the
# include, when a file of framework/ includes a header of a layer it may
# not include (a lower layer reaching up), when a file is in no layer, or
# when a file lies in another folder than its layer's. Works before and
# after scripts/move-layers.sh: the layer of a file is read from
# layers.sh, its folder from where it lies.
cd "$(dirname "$0")/.." || exit 1
. scripts/layers.sh

bad=0
fail() {
    echo "check-layers: $*" >&2
    bad=1
}

for file in $(find framework -path framework/include -prune -o \
                   \( -name '*.c' -o -name '*.h' \) -print | sort); do
    base=$(basename "$file"); name=${base%.*}
    dir=$(basename "$(dirname "$file")")
    layer=$(layer_of "$name")
    if [ -z "$layer" ]; then
        fail "$file: in no layer (add it to scripts/layers.sh)"
        continue
    fi
    if [ "$dir" != src ] && [ "$dir" != "$layer" ]; then
        fail "$file: lies in framework/$dir/ but scripts/layers.sh puts it in $layer"
    fi
    eval "allow=\"\$ALLOW_$layer $layer\""
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file"); do
        iname=$(basename "$inc"); iname=${iname%.*}
        ilayer=$(layer_of "$iname")
        if [ -z "$ilayer" ]; then
            fail "$file: #include \"$inc\": a header in no layer"
            continue
        fi
        ok=0
        for a in $allow; do [ "$a" = "$ilayer" ] && ok=1; done
        [ $ok -eq 1 ] || fail "$file: #include \"$inc\": $layer may not include $ilayer (may include: $allow)"
    done
done
[ $bad -eq 0 ] && echo "check-layers: every include goes down a layer or stays in its own"
exit $bad
