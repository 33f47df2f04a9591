#!/bin/sh
# Moves every source file of framework/src/ into the folder of its layer
# (scripts/layers.sh) with git mv: pure renames, so a branch that edited a
# file in framework/src/ still merges onto the moved file. Run it again
# after merging such a branch: it moves what is still in framework/src/
# and stops, naming the file, when a file is in no layer (add it to
# scripts/layers.sh first). The Makefile builds from either layout.
set -eu
cd "$(dirname "$0")/.."
. scripts/layers.sh

[ -d framework/src ] || { echo "move-layers: nothing left in framework/src"; exit 0; }

missing=0
for f in framework/src/*.c framework/src/*.h; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    if [ -z "$(layer_of "${base%.*}")" ]; then
        echo "move-layers: $f is in no layer: add it to scripts/layers.sh" >&2
        missing=1
    fi
done
[ $missing -eq 0 ] || exit 1

moved=0
for layer in $LAYERS; do
    eval "files=\$FILES_$layer"
    for name in $files; do
        for ext in c h; do
            src=framework/src/$name.$ext
            [ -e "$src" ] || continue
            mkdir -p "framework/$layer"
            git mv "$src" "framework/$layer/$name.$ext"
            moved=$((moved + 1))
        done
    done
done
rmdir framework/src 2>/dev/null || true
echo "move-layers: $moved file(s) moved"
sh scripts/check-layers.sh
