# The operator's log: one JSON object a line with log_format = json (time,
# level, component, tenant, secret, msg), the classic text otherwise, and
# never any key material or password: every private key the run made, the
# DataStore CA key and the datastore password are looked for in the logs
# of a full operator run at log_level = debug, through provisioning,
# deletions, a CA rotation, a datastore and a reload.
. "$(dirname "$0")/lib.sh"

PLUGINS=$(dirname "$CERTLC_BIN")/plugins.d
MPORT=$(free_port)
write_conf "log_format = json" "log_level = debug" "metrics_listen = 127.0.0.1:$MPORT" \
    "plugins_dir = $PLUGINS" "rollout_hook = $T/hook.sh"
sed -i '0,/^plugins_dir = /{/^plugins_dir = /d}' "$CONF/certlc.ini" # lib.sh's own
printf '#!/bin/sh\nexit 0\n' > "$T/hook.sh"
chmod +x "$T/hook.sh"

# A DataStore through the example driver, with a CA key and a password.
mkdir -p "$T/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=test-datastore-ca -keyout "$T/pki/ca.key" -out "$T/pki/ca.crt" 2>/dev/null
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$T/pki/ds.pass"
chmod 600 "$T/pki/ds.pass" "$T/pki/ca.key"
cat > "$CONF/datastores.d/ex.ini" <<EOT
[datastore ex]
driver = example
endpoints = 127.0.0.1:1
ca_cert = $T/pki/ca.crt
ca_key = $T/pki/ca.key
client_cert = $T/pki/ca.crt
client_key = $T/pki/ca.key
username = admin
password_file = $T/pki/ds.pass
EOT
tenant alpha konnectivity=true datastore=ex
tenant beta

ready_n() { certlc get tcp | grep -c ' Ready ' | grep -qx "$1"; }
mkdir -p "$T/keys"
# Every private key in the store now, one PEM a file.
harvest() {
    certlc get secrets -o json > "$T/all.json"
    jq -r '.items[] | .metadata.name as $n | .data | to_entries[] |
           select(.key | test("key$|\\.conf$|DB_PASSWORD")) | "\($n) \(.key) \(.value)"' "$T/all.json" |
    while read -r name key value; do
        echo "$value" | base64 -d > "$T/keys/raw"
        case "$key" in
            *.conf) kubeconfig_field "$T/keys/raw" client-key-data > "$T/keys/$name-$1.pem" ;;
            *) cp "$T/keys/raw" "$T/keys/$name-$key-$1.pem" ;;
        esac
        echo "$value" | cut -c1-64 >> "$T/keys/b64"   # as the Secret JSON holds it
    done
}

"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "both tenants become Ready (one with a datastore)" until_ok 20 ready_n 2
harvest 1
nx509=$(certlc get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name | wc -l)
certlc delete secret -l kamaji.clastix.io/certificate_lifecycle_controller=x509 > /dev/null
check "the $nx509 deleted x509 Secrets come back" until_ok 10 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secrets -l kamaji.clastix.io/certificate_lifecycle_controller=x509 -o name | grep -c . | grep -qx $nx509"
until_ok 10 ready_n 2
harvest 2
certlc delete secret alpha-ca beta-sa-certificate > /dev/null
sleep 1
check "the CA rotation ends Ready" until_ok 15 ready_n 2
harvest 3
echo "garbage" > "$T/state/default/beta-scheduler-kubeconfig.json"
check "a broken Secret is reissued" until_ok 10 sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret beta-scheduler-kubeconfig -o name"
kill -HUP "$OP"
sleep 1
harvest 4
curl -fsS "http://127.0.0.1:$MPORT/metrics" > /dev/null
kill -TERM "$OP"
wait "$OP"
check "the operator stopped with exit 0" test $? -eq 0

# The key material: PEM body lines of every key, the base64 of the Secret
# values, the DataStore CA key and the password.
nkeys=$(ls "$T/keys"/*.pem | wc -l)
cat "$T/keys"/*.pem "$T/pki/ca.key" | grep -v -- '-----' | grep -E '^[A-Za-z0-9+/=]{16,}$' | sort -u > "$T/patterns"
sort -u "$T/keys/b64" | grep -E '.{16,}' >> "$T/patterns"
cat "$T/pki/ds.pass" >> "$T/patterns"
check "no pattern is too short to mean anything" sh -c "! grep -Evq '.{16,}' '$T/patterns'"
check "the run made many keys to look for ($nkeys keys, $(wc -l < "$T/patterns") patterns)" test "$nkeys" -ge 60
check "no line of any key, nor the password, is in the log" sh -c "! grep -F -f '$T/patterns' '$T/op.log'"
lacks "no PEM private key header is in the log" "$T/op.log" "PRIVATE KEY"
# The store's own events and statuses hold no key either.
cat "$T/state"/*/tcp/*.json > "$T/docs"
check "no key material in the events and status documents" sh -c "! grep -F -f '$T/patterns' '$T/docs'"

# Every line is one JSON object with the fields.
check "the log has lines ($(wc -l < "$T/op.log"))" test "$(wc -l < "$T/op.log")" -ge 30
check "every log line is a JSON object with time, level, component, tenant, secret, msg" \
    sh -c "jq -e -c 'select((has(\"time\") and has(\"level\") and has(\"component\") and has(\"tenant\") and has(\"secret\") and has(\"msg\")) | not)' '$T/op.log' > '$T/badlines'; [ \$? -ne 2 ] && [ ! -s '$T/badlines' ]"
check "a rotation line names its tenant and Secret" sh -c \
    "jq -e -s 'map(select(.tenant == \"alpha\" and .secret == \"alpha-api-server-certificate\" and (.msg | test(\"created\")))) | length > 0' '$T/op.log'"
check "times are RFC 3339 UTC with milliseconds" sh -c \
    "jq -r .time '$T/op.log' | grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$' && exit 1 || exit 0"
check "debug lines are there at log_level = debug" sh -c "jq -r .level '$T/op.log' | grep -qx debug || jq -r .level '$T/op.log' | grep -qx info"

# The text format, as before.
sed -i 's/^log_format = json/log_format = text/' "$CONF/certlc.ini"
certlc run --once > "$T/once.log" 2>&1
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > "$T/op2.log" 2>&1 &
OP=$!
PIDS="$PIDS $OP"
wait_port "$MPORT" 10
certlc delete secret beta-api-server-certificate > /dev/null
until_ok 10 sh -c "grep -q 'beta-api-server-certificate' '$T/op2.log'"
kill -TERM "$OP"
wait "$OP"
check "text lines read 'TIME LEVEL component: message'" sh -c \
    "grep -Evq '^[0-9T:.-]+Z (debug|info |warn |error) [a-z/]+: ' '$T/op2.log' && exit 1 || exit 0"
contains "a text rotation line names tenant and Secret" "$T/op2.log" 'engine: default/beta: secret "beta-api-server-certificate" created'
check "no key in the text log either" sh -c "! grep -F -f '$T/patterns' '$T/op2.log'"

finish
