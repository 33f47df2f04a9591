# certlc's -o jsonpath, -o yaml and -o json against the real kubectl on the
# same objects. kubectl evaluates a template without a server on a file
# (`kubectl patch --local -f FILE -p '{}' -o ...`: an empty merge patch
# leaves the object as it is). kubectl splits a file holding a List into its
# items, so for the list templates it reads the List with "items" renamed
# "itemz", and the template with ".items" renamed the same way: the
# JSONPath semantics are kubectl's, on the same data. kubectl walks a map's
# values (.* on a map) in Go's random map order, so the templates take .*
# on one-key maps only; certlc walks them in key order.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if ! command -v kubectl >/dev/null 2>&1; then
    not_ok "kubectl is installed (scripts/deps.sh installs kubernetes-client)"
    finish
fi

write_conf
tenant k8s-126
tenant k8s-127 version=v1.27.0
certlc run --once > run.log 2>&1
check "run --once provisions the tenants" test $? -eq 0

SECRET=k8s-126-admin-kubeconfig
certlc get secret "$SECRET" -o json > secret.json
certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o json > list.json
jq '.itemz = .items | del(.items)' list.json > list-k.json
check "the list holds k8s-126's Secrets" test "$(jq '.items | length' list.json)" -ge 9

kubectl_eval() {  # FILE TEMPLATE
    kubectl patch --local -f "$1" --type merge -p '{}' -o "jsonpath=$2"
}

# compare WHAT TEMPLATE: certlc's output equals kubectl's byte for byte.
compare() {
    what=$1 tmpl=$2
    if [ "$what" = secret ]; then
        certlc get secret "$SECRET" -o "jsonpath=$tmpl" > mine 2> mine.err
        kubectl_eval secret.json "$tmpl" > theirs 2> theirs.err
    else
        certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o "jsonpath=$tmpl" > mine 2> mine.err
        ktmpl=$(printf '%s' "$tmpl" | sed 's/\.items/.itemz/g')
        kubectl_eval list-k.json "$ktmpl" > theirs 2> theirs.err
    fi
    if [ -s theirs.err ] || [ -s mine.err ]; then
        not_ok "$what $tmpl: an error"; cat mine.err theirs.err | sed 's/^/    /'
    elif cmp -s mine theirs; then
        ok "$what $tmpl: same bytes as kubectl ($(wc -c < mine) bytes)"
    else
        not_ok "$what $tmpl: differs from kubectl"
        echo "    certlc:  $(head -c 300 mine)"
        echo "    kubectl: $(head -c 300 theirs)"
    fi
}

while IFS= read -r t; do
    [ -n "$t" ] && compare secret "$t"
done <<'EOF'
{.data.admin\.conf}
{.metadata.labels.kamaji\.clastix\.io/name}
{.metadata.name}{"\n"}
name={.metadata.name} ns={.metadata.namespace}{"\n"}
{.metadata.labels}
{.data}
{.}
{$.kind}
{.data.*}
{..namespace}
{.metadata.nope}{.kind}
{['kind']}
{.metadata.annotations}{"\t"}{.type}
{range .data.*}[{@}]{end}{"\n"}
{range .metadata.labels.kamaji\.clastix\.io/name}<{@}>{end}{.kind}
EOF

while IFS= read -r t; do
    [ -n "$t" ] && compare list "$t"
done <<'EOF'
{.items[*].metadata.name}
{.items[0].metadata.name}
{.items[-1].metadata.name}
{.items[1:3].metadata.name}
{.items[:2].metadata.name}
{.items[2:].metadata.name}
{.items[0:6:2].metadata.name}
{.items[0,2].metadata.name}
{range .items[*]}{.metadata.name}{"\n"}{end}
{range .items[*]}{.metadata.name}{"\t"}{.type}{"\n"}{end}
{.items[?(@.metadata.name=="k8s-126-ca")].data.tls\.crt}
{.items[?(@.metadata.labels.kamaji\.clastix\.io/component!="ca")].metadata.name}
{.items[?(@.data.admin\.conf)].metadata.name}
{.items[?(@.metadata.name<"k8s-126-b")].metadata.name}
{.items..namespace}
{.items[*].metadata.labels.kamaji\.clastix\.io/component}
{.kind}{range .items[*]}[{.metadata.name}{range .metadata.labels.kamaji\.clastix\.io/name}<{@}>{end}]{end}tail
{range .items[?(@.kind=="Nope")]}{.x}{end}after
{.items[0].metadata}
{.items[*].metadata.nope}|{.kind}
{.metadata}
EOF

# Errors: a template that does not parse is a usage error naming where.
certlc get secret "$SECRET" -o 'jsonpath={.items[' > err.out 2>&1
check "an unterminated [ is a usage error (exit 2)" test $? -eq 2
contains "the error names the position" err.out "unterminated array at position 9"
# Templates at the limits: an index at the end of int64 is out of bounds
# (kubectl's error), 5000 actions print, 100000 nested {range} are a usage
# error naming the file and the position of the 65th.
certlc get secrets -o 'jsonpath={.items[9223372036854775807]}' > big.out 2>&1
check "an index of 2^63-1 is out of bounds (exit 1)" test $? -eq 1
contains "... with kubectl's error" big.out "array index out of bounds: index 9223372036854775807"
certlc get secret "$SECRET" -o "jsonpath=$(printf '{.kind}%.0s' $(seq 5000))" > kinds.out 2> kinds.err
check "a template of 5000 actions prints 5000 kinds" \
    sh -c "[ \$(wc -c < kinds.out) -eq 30000 ] && [ ! -s kinds.err ]"
python3 -c "print('{range .a}' * 100000, end='')" > deep.tmpl
certlc get secret "$SECRET" -o jsonpath-file=deep.tmpl > deep.out 2>&1
check "100000 nested {range} in a jsonpath-file: a usage error (exit 2)" test $? -eq 2
contains "... naming the file and the position" deep.out \
    "error parsing jsonpath-file deep.tmpl: more than 64 {range} open at once at position 641"
certlc get secret "$SECRET" -o 'jsonpath={.metadata.nope}' > missing.out 2>&1
check "a missing field prints nothing" sh -c "test \$? -eq 0 && test ! -s missing.out"
check_fails "--allow-missing-template-keys=false: a missing field is an error" \
    certlc get secret "$SECRET" -o 'jsonpath={.metadata.nope}' --allow-missing-template-keys=false
printf '{range .items[*]}{.metadata.name}{"\\n"}{end}' > tmpl.txt
certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o jsonpath-file=tmpl.txt > byfile
certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o name | sed 's|^secret/||' > names
check "-o jsonpath-file reads the template from a file" cmp byfile names

mkdir -p tmpl.dir
certlc get secrets -o jsonpath-file=tmpl.dir > dir.out 2>&1
check "-o jsonpath-file=DIRECTORY is a usage error (exit 2)" test $? -eq 2
contains "... naming the file" dir.out "jsonpath-file tmpl.dir: Is a directory"
certlc get secrets --sort-by=.nope > nope.out 2>&1
check "--sort-by a path no Secret has: an error (exit 1)" test $? -eq 1
contains "... kubectl's" nope.out "couldn't find any field with path \"{.nope}\" in the list of objects"
certlc get tcp --sort-by=.nope -o name > nope.out 2>&1
check "get tcp --sort-by a path no tenant has: an error (exit 1), nothing listed" \
    sh -c "[ $? -eq 1 ] && ! grep -q tenantcontrolplane nope.out"

# The tour: the admin kubeconfig out of its Secret.
certlc get secret "$SECRET" -o 'jsonpath={.data.admin\.conf}' | base64 -d > admin.conf
contains "the tour's jsonpath form gives the kubeconfig" admin.conf "kind: Config"

# -o yaml read back by kubectl is the same object as -o json.
certlc get secret "$SECRET" -o yaml > secret.yaml
kubectl patch --local -f secret.yaml --type merge -p '{}' -o json > back.json
check "a Secret's -o yaml, read by kubectl, is its -o json byte for byte" cmp back.json secret.json
kubectl patch --local -f secret.yaml --type merge -p '{}' -o yaml > back.yaml
check "kubectl prints certlc's -o yaml unchanged (key order, quoting)" cmp back.yaml secret.yaml
certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o yaml > list.yaml
kubectl patch --local -f list.yaml --type merge -p '{}' -o json | jq -S -s . > back-items.json
jq -S .items list.json > items.json
check "a List's -o yaml, read by kubectl, holds the -o json items" cmp back-items.json items.json
certlc get tcp k8s-126 -o yaml > tcp.yaml
certlc get tcp k8s-126 -o json > tcp.json
kubectl patch --local -f tcp.yaml --type merge -p '{}' -o json > tcp-back.json
check "get tcp -o yaml, read by kubectl, is its -o json" cmp tcp-back.json tcp.json
check "get tcp -o json is a Kamaji TenantControlPlane" \
    sh -c "jq -e '.apiVersion == \"kamaji.clastix.io/v1alpha1\" and .kind == \"TenantControlPlane\" and .spec.kubernetes.version == \"v1.26.0\" and .status.kubernetesResources.version.status == \"Ready\" and .status.kubeconfig.admin.secretName == \"k8s-126-admin-kubeconfig\"' tcp.json"
jq -r '.. | .secretName? // empty' tcp.json | sort > tcp.secrets
certlc get secrets -l kamaji.clastix.io/name=k8s-126 -o name | sed 's|^secret/||' | sort > k8s-126.secrets
check "every Secret the TenantControlPlane names exists ($(wc -l < tcp.secrets) named)" \
    sh -c "[ \$(wc -l < tcp.secrets) -ge 9 ] && [ -z \"\$(comm -23 tcp.secrets k8s-126.secrets)\" ]"
certlc get tcp -o name > tcp.names
check "get tcp -o name" sh -c "grep -qx 'tenantcontrolplane.kamaji.clastix.io/k8s-126' tcp.names && grep -qx 'tenantcontrolplane.kamaji.clastix.io/k8s-127' tcp.names"
# A name that is no tenant: kubectl's NotFound on stderr and exit 1, in
# every format, with the ones found still printed.
for f in "" "-o wide" "-o json" "-o yaml" "-o name" "-o jsonpath={.kind}" "-o custom-columns=N:.metadata.name"; do
    certlc get tcp nope $f > nf.out 2> nf.err
    rc=$?
    check "get tcp nope ${f:-(table)}: exit 1 and kubectl's NotFound" \
        sh -c "[ $rc -eq 1 ] && [ ! -s nf.out ] && grep -qx 'Error from server (NotFound): tenantcontrolplanes.kamaji.clastix.io \"nope\" not found' nf.err"
done
certlc get tcp nope k8s-126 -o name > nf.out 2> nf.err
rc=$?
check "get tcp nope k8s-126 -o name: prints k8s-126, says nope is not found, exits 1" \
    sh -c "[ $rc -eq 1 ] && grep -qx 'tenantcontrolplane.kamaji.clastix.io/k8s-126' nf.out && grep -qx 'Error from server (NotFound): tenantcontrolplanes.kamaji.clastix.io \"nope\" not found' nf.err"
certlc get tcp -n elsewhere k8s-126 > nf.out 2> nf.err
check "get tcp -n elsewhere k8s-126 (a tenant of another namespace) is not found" \
    sh -c "[ $? -eq 1 ] && grep -q 'NotFound.*\"k8s-126\" not found' nf.err"
certlc get tcp -o 'jsonpath={range .items[*]}{.metadata.name}={.spec.kubernetes.version}{" "}{end}' > tcp.jp
check "get tcp -o jsonpath" test "$(cat tcp.jp)" = "k8s-126=v1.26.0 k8s-127=v1.27.0 "

# get events: -o yaml read back by kubectl is -o json (a List of v1
# Events); -o jsonpath gives kubectl's bytes; -o custom-columns.
certlc get events -o json > ev.json
certlc get events -o yaml > ev.yaml
check "get events -o json is a List of v1 Events" \
    jq -e '.apiVersion == "v1" and .kind == "List" and (.items | length) >= 2 and all(.items[]; .apiVersion == "v1" and .kind == "Event" and .involvedObject.name != null and .metadata.name != null)' ev.json
check "get events -o json: indented, keys sorted" sh -c "jq -S --indent 4 . ev.json | cmp - ev.json"
kubectl patch --local -f ev.yaml --type merge -p '{}' -o json | jq -S -s . > ev-back.json
jq -S .items ev.json > ev-items.json
check "get events -o yaml, read by kubectl, holds the -o json items" cmp ev-back.json ev-items.json
jq '.itemz = .items | del(.items)' ev.json > ev-k.json
ETMPL='{range .items[*]}{.reason}{"\t"}{.involvedObject.kind}/{.involvedObject.name}{"\n"}{end}'
certlc get events -o "jsonpath=$ETMPL" > ev.jp
kubectl_eval ev-k.json "$(printf '%s' "$ETMPL" | sed 's/\.items/.itemz/g')" > ev-k.jp
check "get events -o jsonpath: the same bytes as kubectl ($(wc -l < ev.jp) lines)" \
    sh -c "[ -s ev.jp ] && cmp ev.jp ev-k.jp"
certlc get events -o custom-columns=REASON:.reason,OBJECT:.involvedObject.name,COUNT:.count > ev.cc
check "get events -o custom-columns: header and a row per event" \
    sh -c "head -n 1 ev.cc | grep -Eq '^REASON +OBJECT +COUNT$' && grep -Eq '^Provisioned +k8s-126 +1$' ev.cc && [ \$(( \$(wc -l < ev.cc) - 1 )) -eq \$(jq '.items | length' ev.json) ]"

certlc get events --no-headers > ev.nohead
check "get events --no-headers: one row per event, no header" \
    sh -c "! grep -q 'LAST SEEN' ev.nohead && [ \$(wc -l < ev.nohead) -eq \$(jq '.items | length' ev.json) ]"
certlc get events --sort-by=.reason --no-headers > ev.sorted
check "get events --sort-by=.reason: the rows in the order of the reasons" \
    sh -c "awk '{print \$3}' ev.sorted > reasons && sort -c reasons && [ \$(wc -l < reasons) -eq \$(jq '.items | length' ev.json) ]"
certlc get events --sort-by=.reason -o json > ev.sorted.json
check "get events --sort-by=.reason -o json: the items in that order" \
    sh -c "jq -r '.items[].reason' ev.sorted.json | sort -c"
check "get events --sort-by=.lastTimestamp (kubectl users' habit)" \
    sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get events --sort-by=.lastTimestamp | grep -q '^LAST SEEN'"

# get leader (file store): the operator holding the lock, its JSON built
# as JSON (a state_dir with a quote in its name stays valid), indented.
sed "s|^state_dir = .*|state_dir = $T/st\"ate|" "$CONF/certlc.ini" > "$CONF/leader.ini"
"$CERTLC_BIN" -c "$CONF/leader.ini" run > op.log 2>&1 &
OPID=$!
PIDS="$PIDS $OPID"
check "an operator takes the lock" until_ok 20 "$CERTLC_BIN" -c "$CONF/leader.ini" get leader
"$CERTLC_BIN" -c "$CONF/leader.ini" get leader -o json > leader.json 2>&1
check "get leader -o json: its PID and the lock, a quote in the path kept" \
    jq -e --arg lock "$T/st\"ate/operator.pid" --argjson pid "$OPID" '.store == "file" and .pid == $pid and .lock == $lock' leader.json
check "get leader -o json: indented, keys sorted" sh -c "jq -S --indent 4 . leader.json | cmp - leader.json"
"$CERTLC_BIN" -c "$CONF/leader.ini" get leader -o yaml > leader.yaml 2>&1
check "get leader -o yaml" sh -c "printf 'lock: %s\npid: %s\nstore: file\n' '$T/st\"ate/operator.pid' '$OPID' | cmp - leader.yaml"
"$CERTLC_BIN" -c "$CONF/leader.ini" get leader -o 'jsonpath={.store}:{.pid}' > leader.jp 2>&1
check "get leader -o jsonpath" test "$(cat leader.jp)" = "file:$OPID"
kill $OPID

# Strings YAML must quote or fold (words YAML reads as bools, numbers,
# timestamps; leading indicators; newlines; long lines): -o yaml and
# jsonpath's JSON give kubectl's bytes.
certlc apply -f "$HERE/kubectl_tricky_secret.json" > /dev/null
certlc get secret tricky -o json > tricky.json
certlc get secret tricky -o yaml > tricky.yaml
kubectl patch --local -f tricky.json --type merge -p '{}' -o yaml > tricky-k.yaml
check "-o yaml quotes and folds awkward strings as kubectl does" cmp tricky.yaml tricky-k.yaml
kubectl patch --local -f tricky.yaml --type merge -p '{}' -o json > tricky-back.json
check "... and kubectl reads them back unchanged" cmp tricky-back.json tricky.json
certlc get secret tricky -o 'jsonpath={.metadata.annotations}|{.metadata.annotations.j-newline}' > tricky.jp
kubectl_eval tricky.json '{.metadata.annotations}|{.metadata.annotations.j-newline}' > tricky-k.jp
check "jsonpath escapes them in JSON as kubectl does" cmp tricky.jp tricky-k.jp
certlc delete secret tricky > /dev/null

# Columns.
certlc get secrets --show-labels -l kamaji.clastix.io/name=k8s-126 > labels.txt
check "--show-labels adds LABELS with k=v,k=v" \
    sh -c "head -n 1 labels.txt | grep -Eq '^NAME +TYPE +DATA +AGE +LABELS$' && grep -q 'k8s-126-ca .*kamaji.clastix.io/component=ca,kamaji.clastix.io/name=k8s-126' labels.txt"
certlc get secrets -L kamaji.clastix.io/component -l kamaji.clastix.io/name=k8s-126 > lcol.txt
check "-L adds a column titled with the key's last part" \
    sh -c "head -n 1 lcol.txt | grep -Eq '^NAME +TYPE +DATA +AGE +COMPONENT$' && grep -Eq '^k8s-126-ca +Opaque +4 +[0-9a-z]+ +ca$' lcol.txt"
certlc get secrets --no-headers -l kamaji.clastix.io/name=k8s-126 > nohead.txt
lacks "--no-headers prints no header" nohead.txt "NAME"
certlc get secrets -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,COMP:.metadata.labels.kamaji\\.clastix\\.io/component --sort-by=.metadata.labels.kamaji\\.clastix\\.io/component > cc.txt
check "custom-columns prints its header" sh -c "head -n 1 cc.txt | grep -Eq '^NS +NAME +COMP$'"
check "--sort-by orders the rows by the path's value" \
    sh -c "tail -n +2 cc.txt | awk '{print \$3}' > comps && sort -c comps"
certlc get tcp --show-labels > tcp.labels
check "get tcp --show-labels" sh -c "head -n 1 tcp.labels | grep -Eq ' AGE +LABELS$' && grep -q 'kamaji.clastix.io/name=k8s-127$' tcp.labels"
certlc get tcp --no-headers --sort-by=.spec.kubernetes.version > tcp.sorted
check "get tcp --no-headers --sort-by: rows only, in order" \
    sh -c "awk '{print \$1}' tcp.sorted | tr '\n' ' ' | grep -qx 'k8s-126 k8s-127 '"
certlc get secrets -l kamaji.clastix.io/name=k8s-126 --sort-by='{.metadata.creationTimestamp}' -o name > sorted.names
check "--sort-by takes {.a.b} too" test -s sorted.names

# More label columns than any fixed room (70): every row has them all.
MANY=$(seq -s, -f k%g 1 69),kamaji.clastix.io/component
certlc get tcp -L "$(seq -s, -f k%g 1 69),kamaji.clastix.io/name" > tcp.many 2>&1
check "get tcp -L with 70 keys: the 70th column holds the label's value" \
    sh -c "head -n 1 tcp.many | grep -Eq ' K69 +NAME$' && [ \$(wc -l < tcp.many) -eq 3 ] && [ -z \"\$(awk 'NR > 1 && \$NF != \$1' tcp.many)\" ]"

# Watches: one line per change, after the listing.
"$CERTLC_BIN" -c "$CONF/certlc.ini" get secrets -w -l kamaji.clastix.io/name=k8s-126 > watch.out 2>&1 &
WPID=$!
PIDS="$PIDS $WPID"
"$CERTLC_BIN" -c "$CONF/certlc.ini" get secrets -w -L "$MANY" -l kamaji.clastix.io/name=k8s-126 > mwatch.out 2>&1 &
MPID=$!
PIDS="$PIDS $MPID"
"$CERTLC_BIN" -c "$CONF/certlc.ini" get events -w > ewatch.out 2>&1 &
EPID=$!
PIDS="$PIDS $EPID"
until_ok 10 grep -q '^k8s-126-sa-certificate ' watch.out
until_ok 10 grep -q '^k8s-126-sa-certificate ' mwatch.out
before=$(wc -l < watch.out)
certlc delete secret k8s-126-sa-certificate > /dev/null
check "get secrets -w prints the deleted Secret's row" \
    until_ok 10 sh -c "[ \$(grep -c '^k8s-126-sa-certificate ' watch.out) -ge 2 ]"
certlc run --once > run2.log 2>&1
check "get secrets -w prints the Secret issued again (a third row)" \
    until_ok 10 sh -c "[ \$(tail -n +$((before + 1)) watch.out | grep -Ec '^k8s-126-sa-certificate +Opaque +2 ') -ge 2 ]"
check "get secrets -w printed its header once" test "$(grep -c "^NAME " watch.out)" -eq 1
check "get secrets -w -L with 70 keys prints the deleted and the new rows with all 70 columns" \
    until_ok 10 sh -c "[ \$(grep -Ec '^k8s-126-sa-certificate +Opaque +2 +[0-9a-z]+ +sa-certificate$' mwatch.out) -ge 3 ]"
check "... and is still watching (no crash)" kill -0 $MPID
check "get events -w prints the new event on one line" \
    until_ok 10 grep -Eq '^[0-9]+s +Normal +Rotated +secret/k8s-126-sa-certificate' ewatch.out
check "get events -w printed its header once" test "$(grep -c '^LAST SEEN' ewatch.out)" -eq 1
kill $WPID $EPID $MPID

finish
