# Bring your own PKI: a CA made elsewhere (a root, an intermediate with its
# chain, one of another form) is adopted, never replaced; ca_source =
# provided waits for its CA; provided_certificates are judged, never issued.
# The site's PKI is played with the openssl command line; the proof is
# openssl verify and a real s_server/s_client handshake.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cadates.sh"

mkdir -p "$T/pki"
P=$T/pki

# --- a corporate root and an intermediate, made with openssl.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/root.key" -out "$P/root.crt" \
    -subj "/O=Corp/CN=corp-root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/int.key" -out "$P/int.csr" \
    -subj "/O=Corp/CN=corp-k8s-intermediate" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$P/int.ext"
openssl x509 -req -in "$P/int.csr" -CA "$P/root.crt" -CAkey "$P/root.key" \
    -CAcreateserial -days 1825 -extfile "$P/int.ext" -out "$P/int.crt" 2>/dev/null
cat "$P/int.crt" "$P/root.crt" > "$P/int-bundle.crt"

# ca_secret NAME NS CRT KEY FILE: a Kamaji-shaped CA Secret as JSON.
ca_secret() {
    jq -n --arg n "$1" --arg ns "$2" --arg c "$(base64 -w0 < "$3")" --arg k "$(base64 -w0 < "$4")" \
        '{apiVersion:"v1",kind:"Secret",metadata:{name:$n,namespace:$ns},type:"Opaque",
          data:{"ca.crt":$c,"ca.key":$k,"tls.crt":$c,"tls.key":$k}}' > "$5"
    chmod 600 "$5"
}
# leaf_secret NAME CRT KEY FILE: what cert-manager writes (tls.crt, tls.key).
leaf_secret() {
    jq -n --arg n "$1" --arg c "$(base64 -w0 < "$2")" --arg k "$(base64 -w0 < "$3")" \
        '{apiVersion:"v1",kind:"Secret",metadata:{name:$n,namespace:"default"},
          type:"kubernetes.io/tls",data:{"tls.crt":$c,"tls.key":$k}}' > "$4"
    chmod 600 "$4"
}
sdata() { certlc get secret "$1" -o json | jq -S .data; }
have_secret() { certlc get secret "$1" -o json > /dev/null 2>&1; }
# names_like PATTERN: some Secret's name matches PATTERN (grep -E).
names_like() { certlc get secrets -o name | grep -Eq "$1"; }
# signed_for TCP: the Secrets of TCP that its main CA signs (not the CAs,
# the service-account key pair, nor what the front-proxy CA signs).
signed_for() {
    certlc get secrets -l "kamaji.clastix.io/name=$1" -o name |
        grep -v -e '-ca$' -e sa-certificate -e front-proxy-
}

write_conf
tenant alpha konnectivity=true

# --- 1. an intermediate with its chain, applied before the first pass.
ca_secret alpha-ca default "$P/int-bundle.crt" "$P/int.key" "$P/alpha-ca.json"
check "apply -f takes the intermediate CA Secret" certlc apply -f "$P/alpha-ca.json"
sdata alpha-ca > "$P/ca-applied.json"
certlc run --once > "$T/run1" 2>&1
check "run --once provisions alpha on the provided intermediate" grep -q "default/alpha: ready" "$T/run1"
lacks "the CA is not replaced" "$T/run1" 'secret "alpha-ca" reissued'
sdata alpha-ca > "$P/ca-after.json"
check "the CA Secret's data is byte for byte the one applied" cmp "$P/ca-applied.json" "$P/ca-after.json"
contains "the adoption is said, with subject and issuer" "$T/run1" "CN=corp-k8s-intermediate, issuer /O=Corp/CN=corp-root (an intermediate)"
certlc get events --for alpha > "$T/ev1"
contains "a CAAdopted event names the CA" "$T/ev1" "CAAdopted"
certlc get events --for alpha -o json > "$T/ev1.json"
check "the CAAdopted event's message names the subject and the issuer" \
    jq -e '[.items[] | select(.reason == "CAAdopted") | .message |
            select(contains("subject /O=Corp/CN=corp-k8s-intermediate, issuer /O=Corp/CN=corp-root"))] | length == 1' "$T/ev1.json"
check "said once: a second pass adds no CAAdopted event" sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' run --once >/dev/null 2>&1; [ \$('$CERTLC_BIN' -c '$CONF/certlc.ini' get events --for alpha | grep -c CAAdopted) -eq 1 ]"

cd "$P" || exit 1
data alpha-api-server-certificate apiserver.crt > apiserver.crt
data alpha-api-server-certificate apiserver.key > apiserver.key
data alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > kubelet.crt
data alpha-konnectivity-certificate tls.crt > konn.crt
data alpha-admin-kubeconfig admin.conf > admin.conf
kubeconfig_field admin.conf client-certificate-data > admin.crt
kubeconfig_field admin.conf client-key-data > admin.key
kubeconfig_field admin.conf certificate-authority-data > admin-ca.crt
chmod 600 apiserver.key admin.key
for c in apiserver.crt kubelet.crt konn.crt admin.crt; do
    check "openssl verify -CAfile root -untrusted intermediate: $c" \
        openssl verify -CAfile root.crt -untrusted int.crt "$c"
done
check "the API server certificate carries the intermediate after it" \
    sh -c "[ \$(grep -c 'BEGIN CERTIFICATE' apiserver.crt) -eq 2 ] && sed -n '/BEGIN/,\$p' apiserver.crt | tail -n +2 | sed -n '/BEGIN CERTIFICATE/,\$p' | cmp - int.crt"
check "a client certificate carries no chain" test "$(grep -c 'BEGIN CERTIFICATE' kubelet.crt)" -eq 1
check "the kubeconfig trusts the CA bundle (intermediate and root)" cmp admin-ca.crt int-bundle.crt

# A real handshake: s_server presents the API server certificate and its
# chain and asks for a client certificate under the root; s_client trusts
# only the root and presents the admin kubeconfig's certificate.
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert apiserver.crt -key apiserver.key \
    -CAfile int-bundle.crt -Verify 2 -verify_return_error -www -quiet > s_server.log 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" || not_ok "s_server did not start"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
    -cert admin.crt -key admin.key -CAfile root.crt -verify_return_error \
    -verify_hostname alpha.default.svc -ign_eof > hs.txt 2>&1
contains "s_client trusting only the root verifies the API server" hs.txt "Verify return code: 0 (ok)"
contains "s_server accepts the admin certificate under the intermediate" hs.txt "HTTP/1.0 200 ok"

cd "$T" || exit 1
certlc get secrets -A -o json > before.json
certlc run --once > run2 2>&1
certlc get secrets -A -o json > after.json
check "a second pass changes nothing" cmp before.json after.json
certlc get tcp > tcp.txt
contains "alpha is Ready" tcp.txt " Ready "
certlc check-expiration > exp.txt
root_end=$(openssl x509 -in "$P/root.crt" -noout -enddate | sed 's/notAfter=//')
contains "check-expiration shows the root above the intermediate" exp.txt "issued by /O=Corp/CN=corp-root"
check "with the root's own notAfter" sh -c "grep 'issued by /O=Corp/CN=corp-root' exp.txt | grep -q \"\$(date -u -d '$root_end' '+%b %d, %Y')\""

# --- 2. CAs of other forms: CN not 'kubernetes', ECDSA under rsa-2048, 30 years.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ec.key" \
    -out "$P/ec.crt" -subj "/CN=site-ca" -days 10950 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
write_conf "key_algorithm = rsa-2048" "rollout_hook = echo \"\$CERTLC_TCP: \$CERTLC_CHANGED\" >> $T/hook.log"
sed -i '/^key_algorithm = ecdsa-p256$/d' "$CONF/certlc.ini"
rm -f "$CONF/tenants.d/alpha.ini"
tenant beta
ca_secret beta-ca default "$P/ec.crt" "$P/ec.key" "$P/beta-ca.json"
certlc apply -f "$P/beta-ca.json" > /dev/null
sdata beta-ca > "$P/beta-applied.json"
certlc run --once > run3 2>&1
sdata beta-ca > "$P/beta-after.json"
check "an ECDSA CA named site-ca, valid 30 years, is adopted unchanged" cmp "$P/beta-applied.json" "$P/beta-after.json"
data beta-api-server-certificate apiserver.crt > "$P/beta-api.crt"
check "beta's API server certificate verifies under site-ca" openssl verify -CAfile "$P/ec.crt" "$P/beta-api.crt"
check "beta's own keys follow key_algorithm (rsa-2048)" sh -c "openssl x509 -in '$P/beta-api.crt' -noout -text | grep -q 'Public-Key: (2048 bit)'"

# --- 3. A CA that cannot sign is left in place: the tenant is not ready.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/leaf.key" \
    -out "$P/leaf.crt" -subj "/CN=not-a-ca" -days 30 -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
tenant gamma
ca_secret gamma-ca default "$P/leaf.crt" "$P/leaf.key" "$P/gamma-ca.json"
certlc apply -f "$P/gamma-ca.json" > /dev/null
sdata gamma-ca > "$P/gamma-applied.json"
certlc run --once > run4 2>&1
sdata gamma-ca > "$P/gamma-after.json"
check "a non-CA certificate as CA is left untouched" cmp "$P/gamma-applied.json" "$P/gamma-after.json"
contains "the reason names what is wrong" run4 "not a CA certificate"
check_fails "nothing is signed by it" have_secret gamma-api-server-certificate
certlc get tcp gamma > tcp-gamma.txt
contains "gamma is NotReady" tcp-gamma.txt "NotReady"
check "rotate ca asks for the rotation of the unusable CA" certlc rotate ca gamma
certlc run --once > run5 2>&1
contains "rotate ca has a new CA made" run5 'secret "gamma-ca" reissued: rotation requested'
data gamma-ca ca.crt > "$P/gamma-new.crt"
check "the new CA is a CA certlc made" sh -c "openssl x509 -in '$P/gamma-new.crt' -noout -subject | grep -q 'CN = kubernetes'"

# --- 4. ca_source = provided.
rm -f "$CONF/tenants.d/"*.ini
# RSA keys were section 2's subject: from here on the tenants' keys are
# ECDSA again (an RSA-2048 key costs a hundred times the CPU, and the
# sections below make dozens).
sed -i 's/^key_algorithm = rsa-2048$/key_algorithm = ecdsa-p256/' "$CONF/certlc.ini"
tenant delta ca_source=provided
certlc run --once > run6 2>&1
certlc get tcp delta > tcp-delta.txt
contains "with no CA delivered, delta is AwaitingCA" tcp-delta.txt "AwaitingCA"
check_fails "no Secret is signed while the CA is awaited" signed_for delta
check_fails "no CA is made for it" have_secret delta-ca
ca_secret delta-ca default "$P/leaf.crt" "$P/leaf.key" "$P/delta-bad.json"
certlc apply -f "$P/delta-bad.json" > /dev/null
certlc run --once > run7 2>&1
contains "a delivered non-CA is refused with the reason" run7 "refused: ca.crt is not a CA certificate"
check "the refused delivery is kept aside" names_like '^secret/delta-ca-refused-[0-9a-f]{8}$'
check_fails "and removed from delta-ca" have_secret delta-ca
ca_secret delta-ca default "$P/int-bundle.crt" "$P/int.key" "$P/delta-good.json"
certlc apply -f "$P/delta-good.json" > /dev/null
certlc run --once > run8 2>&1
contains "a good delivery provisions delta" run8 "default/delta: ready"
certlc rotate ca delta > rot.txt 2>&1
check_fails "rotate ca refuses a provided CA" certlc rotate ca delta
contains "and says to deliver a new one instead" rot.txt "certlc never rotates it; deliver a new one"
data delta-api-server-certificate apiserver.crt > "$P/delta-api.crt"
check "delta's leaves chain to the corporate root" openssl verify -CAfile "$P/root.crt" -untrusted "$P/int.crt" "$P/delta-api.crt"
# The rotate annotation on a provided CA (as `certlc rotate secret` or a
# Kamaji user writes it) is refused: the CA is kept, nothing stalls.
certlc rotate secret delta-ca > /dev/null 2>&1 ||
    certlc get secret delta-ca -o json |
    jq '.metadata.annotations["certs.kamaji.clastix.io/rotate"] = ""' > "$P/delta-rot.json"
[ -s "$P/delta-rot.json" ] && { chmod 600 "$P/delta-rot.json"; certlc apply -f "$P/delta-rot.json" > /dev/null; }
certlc get secret delta-ca -o json | jq -e '.metadata.annotations["certs.kamaji.clastix.io/rotate"] == ""' > /dev/null ||
    not_ok "the rotate annotation could not be set on delta-ca"
certlc run --once > run8b 2>&1
contains "a rotation asked of a provided CA is refused" run8b "rotation of delta-ca refused: it is a provided CA (ca_source = provided)"
contains "delta stays ready" run8b "default/delta: ready"
sdata delta-ca > "$P/delta-after-rot.json"
check "the provided CA is kept" sh -c "jq -S '.data' '$P/delta-good.json' | cmp - '$P/delta-after-rot.json'"
check_fails "the request is not left standing" sh -c "'$CERTLC_BIN' -c '$CONF/certlc.ini' get secret delta-ca -o json | jq -e '.metadata.annotations | has(\"certs.kamaji.clastix.io/rotate\")'"
certlc get events --for delta -o json > "$T/ev-delta.json"
check "a RotationRefused Warning event says why" jq -e '[.items[] | select(.reason == "RotationRefused" and .type == "Warning") | .message | contains("deliver a new one")] | any' "$T/ev-delta.json"
certlc get tcp delta > tcp-delta2.txt
lacks "delta is not AwaitingCA" tcp-delta2.txt "AwaitingCA"

# --- 5. provided_certificates = api-server-certificate.
rm -f "$CONF/tenants.d/"*.ini
tenant eps ca_source=provided provided_certificates=api-server-certificate address=192.0.2.50
ca_secret eps-ca default "$P/int-bundle.crt" "$P/int.key" "$P/eps-ca.json"
certlc apply -f "$P/eps-ca.json" > /dev/null
certlc run --once > run9 2>&1
check_fails "the provided API server certificate is never issued by certlc" \
    have_secret eps-api-server-certificate
check "the rest of eps is issued" have_secret eps-admin-kubeconfig
contains "the tenant says it awaits the delivery" run9 "awaiting its delivery by the external issuer"
# issue_leaf NAME DAYS SANS: an API server certificate from the intermediate.
issue_leaf() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" \
        -out "$P/$1.csr" -subj "/CN=api" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" > "$P/$1.ext"
    openssl x509 -req -in "$P/$1.csr" -CA "$P/int.crt" -CAkey "$P/int.key" -CAcreateserial \
        -days "$2" -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
}
ALL_SANS="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:eps,DNS:eps.default.svc,DNS:eps.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:10.96.0.1"
issue_leaf nosan 365 "$ALL_SANS"
leaf_secret eps-api-server-certificate "$P/nosan.crt" "$P/nosan.key" "$P/eps-nosan.json"
certlc apply -f "$P/eps-nosan.json" > /dev/null
certlc run --once > run10 2>&1
contains "a delivery without the endpoint's SAN is refused, the SAN named" run10 "lacks IP:192.0.2.50"
check "the refused one is kept aside" names_like '^secret/eps-api-server-certificate-refused-[0-9a-f]{8}$'
issue_leaf short 1 "$ALL_SANS,IP:192.0.2.50"
issue_leaf good 365 "$ALL_SANS,IP:192.0.2.50"
leaf_secret eps-api-server-certificate "$P/short.crt" "$P/short.key" "$P/eps-short.json"
certlc apply -f "$P/eps-short.json" > /dev/null
certlc run --once > run10b 2>&1
contains "a delivery that is already due is set aside for renewal" run10b "removed for the external issuer to renew"
data eps-api-server-certificate-previous tls.crt > "$P/eps-prev.crt"
check "the due one is kept as -previous" cmp "$P/eps-prev.crt" "$P/short.crt"
check_fails "and removed from its name" have_secret eps-api-server-certificate
certlc get tcp eps > tcp-eps.txt
contains "the tenant waits (NotReady)" tcp-eps.txt "NotReady"
leaf_secret eps-api-server-certificate "$P/good.crt" "$P/good.key" "$P/eps-good.json"
certlc apply -f "$P/eps-good.json" > /dev/null
: > "$T/hook.log"
certlc run --once > run11 2>&1
contains "a good delivery is accepted" run11 "default/eps: ready"
check "the rollout hook runs for the provided certificate" grep -q "^eps: .*eps-api-server-certificate" "$T/hook.log"
data eps-api-server-certificate tls.crt > "$P/eps-got.crt"
check "and left as delivered" cmp "$P/eps-got.crt" "$P/good.crt"
# Kamaji's API server Deployment mounts apiserver.crt and apiserver.key of
# this Secret (internal/builders/controlplane/deployment.go): they are there,
# the delivered bytes.
data eps-api-server-certificate apiserver.crt > "$P/eps-mount.crt"
data eps-api-server-certificate apiserver.key > "$P/eps-mount.key"
check "the key Kamaji mounts, apiserver.crt, is the delivered certificate" cmp "$P/eps-mount.crt" "$P/good.crt"
check "the key Kamaji mounts, apiserver.key, is the delivered key" cmp "$P/eps-mount.key" "$P/good.key"
data eps-api-server-certificate tls.key > "$P/eps-got.key"
check "tls.key stays as delivered too" cmp "$P/eps-got.key" "$P/good.key"
certlc get secrets -A -o json > "$T/eps-before.json"
certlc run --once > "$T/run11b" 2>&1
certlc get secrets -A -o json > "$T/eps-after.json"
check "an accepted delivery is not written again by the next pass" cmp "$T/eps-before.json" "$T/eps-after.json"

# A delivery never goes back in time: one that ends before the certificate
# in use is refused, whether the issuer rewrote tls.* only (cert-manager:
# apiserver.* still hold the one in use) or the component's keys.
good_end=$(openssl x509 -in "$P/good.crt" -noout -enddate | sed 's/notAfter=//')
good_end=$(date -u -d "$good_end" +%Y-%m-%dT%H:%M:%SZ)
issue_leaf older 300 "$ALL_SANS,IP:192.0.2.50"
jq -n --arg c "$(base64 -w0 < "$P/older.crt")" --arg k "$(base64 -w0 < "$P/older.key")" \
    --arg gc "$(base64 -w0 < "$P/good.crt")" --arg gk "$(base64 -w0 < "$P/good.key")" \
    '{apiVersion:"v1",kind:"Secret",metadata:{name:"eps-api-server-certificate",namespace:"default"},
      type:"kubernetes.io/tls",data:{"tls.crt":$c,"tls.key":$k,"apiserver.crt":$gc,"apiserver.key":$gk}}' > "$P/eps-older.json"
chmod 600 "$P/eps-older.json"
certlc apply -f "$P/eps-older.json" > /dev/null
certlc run --once > run12 2>&1
contains "a renewal under tls.* that ends before the one in use is refused, its notAfter named" run12 "is not later than the current certificate's ($good_end)"
check "the refused renewal is kept aside" names_like "^secret/eps-api-server-certificate-refused-$(sha256sum < "$P/older.crt" | cut -c1-8)\$"
# The certificate in use stays where the API server mounts it: a refused
# renewal must not take it away.
data eps-api-server-certificate apiserver.crt > "$P/eps-kept.crt"
check "the Secret stays, apiserver.crt still the certificate in use" cmp "$P/eps-kept.crt" "$P/good.crt"
contains "the refusal says the certificate in use stays" run12 "the certificate in use stays under its keys"
certlc get secrets -A -o json > "$T/eps-r1.json"
certlc run --once > run12b 2>&1
certlc get secrets -A -o json > "$T/eps-r2.json"
check "the next pass refuses it again without writing anything" cmp "$T/eps-r1.json" "$T/eps-r2.json"
issue_leaf newer 400 "$ALL_SANS,IP:192.0.2.50"
leaf_secret eps-api-server-certificate "$P/newer.crt" "$P/newer.key" "$P/eps-newer.json"
certlc apply -f "$P/eps-newer.json" > /dev/null
certlc run --once > run13 2>&1
contains "a renewal that ends later is accepted" run13 "default/eps: ready"
newer_end=$(openssl x509 -in "$P/newer.crt" -noout -enddate | sed 's/notAfter=//')
newer_end=$(date -u -d "$newer_end" +%Y-%m-%dT%H:%M:%SZ)
issue_leaf back 380 "$ALL_SANS,IP:192.0.2.50"
jq -n --arg c "$(base64 -w0 < "$P/back.crt")" --arg k "$(base64 -w0 < "$P/back.key")" \
    '{apiVersion:"v1",kind:"Secret",metadata:{name:"eps-api-server-certificate",namespace:"default"},
      type:"Opaque",data:{"apiserver.crt":$c,"apiserver.key":$k}}' > "$P/eps-back.json"
chmod 600 "$P/eps-back.json"
certlc apply -f "$P/eps-back.json" > /dev/null
certlc run --once > run14 2>&1
contains "a delivery under apiserver.* that ends before the one in use is refused" run14 "is not later than the current certificate's ($newer_end)"

# --- 6. The subject, where Kubernetes depends on it: front-proxy-client's CN
# (the API server's --requestheader-allowed-names) and the kubelet client's O
# (system:masters for v1.26).
rm -f "$CONF/tenants.d/"*.ini
tenant zeta provided_certificates=front-proxy-client-certificate,api-server-kubelet-client-certificate
certlc run --once > run15 2>&1
data zeta-ca ca.crt > "$P/zeta-ca.crt"
data zeta-ca ca.key > "$P/zeta-ca.key"
data zeta-front-proxy-ca-certificate front-proxy-ca.crt > "$P/zeta-fp.crt"
data zeta-front-proxy-ca-certificate front-proxy-ca.key > "$P/zeta-fp.key"
chmod 600 "$P/zeta-ca.key" "$P/zeta-fp.key"
# issue_client NAME CA SUBJ: a client certificate signed by CA (.crt/.key).
issue_client() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" \
        -out "$P/$1.csr" -subj "$3" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$P/$1.ext"
    openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.crt" -CAkey "$P/$2.key" -CAcreateserial \
        -days 200 -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
}
issue_client fpbad zeta-fp "/CN=aggregator"
leaf_secret zeta-front-proxy-client-certificate "$P/fpbad.crt" "$P/fpbad.key" "$P/zeta-fpbad.json"
issue_client kcbad zeta-ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client"
leaf_secret zeta-api-server-kubelet-client-certificate "$P/kcbad.crt" "$P/kcbad.key" "$P/zeta-kcbad.json"
certlc apply -f "$P/zeta-fpbad.json" > /dev/null
certlc apply -f "$P/zeta-kcbad.json" > /dev/null
certlc run --once > run16 2>&1
contains "a front-proxy client with another CN is refused, the CN named" run16 "its subject CN is 'aggregator', expected 'front-proxy-client'"
contains "a kubelet client without the version's group is refused, the group named" run16 "its subject O is 'kubeadm:cluster-admins', expected 'system:masters'"
issue_client fpgood zeta-fp "/CN=front-proxy-client"
leaf_secret zeta-front-proxy-client-certificate "$P/fpgood.crt" "$P/fpgood.key" "$P/zeta-fpgood.json"
issue_client kcgood zeta-ca "/O=system:masters/CN=apiserver-kubelet-client"
leaf_secret zeta-api-server-kubelet-client-certificate "$P/kcgood.crt" "$P/kcgood.key" "$P/zeta-kcgood.json"
certlc apply -f "$P/zeta-fpgood.json" > /dev/null
certlc apply -f "$P/zeta-kcgood.json" > /dev/null
certlc run --once > run17 2>&1
contains "with CN front-proxy-client and O system:masters both are accepted" run17 "default/zeta: ready"
data zeta-front-proxy-client-certificate front-proxy-client.crt > "$P/zeta-fp-mount.crt"
check "front-proxy-client.crt is the delivered certificate" cmp "$P/zeta-fp-mount.crt" "$P/fpgood.crt"
# The API server certificate becomes provided: cert-manager writes tls.* into
# the Secret certlc issued (1 year); its 90-day certificate is the first
# delivery, not a step back in time from one certlc never accepted.
tenant zeta provided_certificates=front-proxy-client-certificate,api-server-kubelet-client-certificate,api-server-certificate
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/z90.key" \
    -out "$P/z90.csr" -subj "/CN=kube-apiserver" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:zeta,DNS:zeta.default.svc,DNS:zeta.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:10.96.0.1" > "$P/z90.ext"
openssl x509 -req -in "$P/z90.csr" -CA "$P/zeta-ca.crt" -CAkey "$P/zeta-ca.key" -CAcreateserial \
    -days 90 -extfile "$P/z90.ext" -out "$P/z90.crt" 2>/dev/null
certlc get secret zeta-api-server-certificate -o json |
    jq --arg c "$(base64 -w0 < "$P/z90.crt")" --arg k "$(base64 -w0 < "$P/z90.key")" \
    '.data["tls.crt"] = $c | .data["tls.key"] = $k' > "$P/zeta-api.json"
chmod 600 "$P/zeta-api.json"
certlc apply -f "$P/zeta-api.json" > /dev/null
certlc run --once > run17b 2>&1
contains "a 90-day first delivery over certlc's 1-year certificate is accepted" run17b "default/zeta: ready"
data zeta-api-server-certificate apiserver.crt > "$P/zeta-api-mount.crt"
check "and mounted as apiserver.crt" cmp "$P/zeta-api-mount.crt" "$P/z90.crt"

# --- 7. A provided CA near its end: a warning of its own (certlc never
# makes one); once expired it is refused like any unusable delivery.
rm -f "$CONF/tenants.d/"*.ini
tenant eta ca_source=provided
mk_ca "$T/eta-near" "$(utc yesterday)" "$(utc "+10 days")" || not_ok "openssl makes a CA ending in 10 days"
apply_ca eta "$T/eta-near" > /dev/null
certlc run --once > run18 2>&1
contains "a provided CA near its end is said" run18 "eta-ca expires in "
contains "with what to do: deliver a new one" run18 "a provided CA (ca_source = provided) is never made by certlc: deliver a new one before it expires"
lacks "not the advice for a CA certlc makes" run18 "delete its Secret to rotate it now"
certlc get tcp eta -o json > eta.json
check "the condition CertificateAuthorityExpiring says so" jq -e '.status.conditions[] | select(.type == "CertificateAuthorityExpiring") | .message | contains("deliver a new one")' eta.json
certlc check-expiration > eta-exp.txt
contains "check-expiration warns to deliver a new one" eta-exp.txt "WARNING: eta-ca expires"
contains "with the provided CA's advice" eta-exp.txt "a provided CA is never made by certlc: deliver a new one"
data eta-ca ca.crt > "$T/eta-kept.crt"
check "the provided CA is kept" cmp "$T/eta-kept.crt" "$T/eta-near/ca.crt"
mk_ca "$T/eta-old" 20200101000000Z "$(utc yesterday)" || not_ok "openssl makes an expired CA"
apply_ca eta "$T/eta-old" > /dev/null
certlc run --once > run19 2>&1
contains "an expired provided CA is refused, not rotated" run19 "refused: the CA expired at"
check "it is kept aside" names_like "^secret/eta-ca-refused-$(sha256sum < "$T/eta-old/ca.crt" | cut -c1-8)\$"
check_fails "and removed from its name (certlc makes none)" have_secret eta-ca
certlc get tcp eta > tcp-eta.txt
contains "eta awaits its CA" tcp-eta.txt "AwaitingCA"

# --- 8. A CA whose key does not match its certificate (ca_source =
# generate): left untouched, the tenant NotReady with the reason.
rm -f "$CONF/tenants.d/"*.ini
tenant iota
ca_secret iota-ca default "$P/int-bundle.crt" "$P/ec.key" "$P/iota-ca.json"
certlc apply -f "$P/iota-ca.json" > /dev/null
sdata iota-ca > "$P/iota-applied.json"
certlc run --once > run20 2>&1
sdata iota-ca > "$P/iota-after.json"
check "a CA whose key does not match is left untouched" cmp "$P/iota-applied.json" "$P/iota-after.json"
contains "the reason says the key does not match" run20 "ca.key does not match the first certificate of ca.crt"
check_fails "nothing is signed by it" have_secret iota-api-server-certificate
certlc get tcp iota > tcp-iota.txt
contains "iota is NotReady" tcp-iota.txt "NotReady"
certlc get tcp iota -o json > iota.json
check "its Ready condition gives the reason" jq -e '[.status.conditions[] | select(.type == "Ready" and .status == "False") |
    .message | contains("iota-ca: ca.key does not match the first certificate of ca.crt")] | any' iota.json

# --- 9. front_proxy_ca_source = provided: AwaitingCA, front-proxy-client
# not issued; a delivered front-proxy CA provisions it.
rm -f "$CONF/tenants.d/"*.ini
tenant theta front_proxy_ca_source=provided
certlc run --once > run21 2>&1
certlc get tcp theta > tcp-theta.txt
contains "with no front-proxy CA delivered, theta is AwaitingCA" tcp-theta.txt "AwaitingCA"
check_fails "front-proxy-client is not issued" have_secret theta-front-proxy-client-certificate
check_fails "no front-proxy CA is made" have_secret theta-front-proxy-ca-certificate
check "what the main CA signs is issued" have_secret theta-api-server-certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/fpca.key" \
    -out "$P/fpca.crt" -subj "/CN=corp-front-proxy" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
jq -n --arg c "$(base64 -w0 < "$P/fpca.crt")" --arg k "$(base64 -w0 < "$P/fpca.key")" \
    '{apiVersion:"v1",kind:"Secret",metadata:{name:"theta-front-proxy-ca-certificate",namespace:"default"},
      type:"Opaque",data:{"front-proxy-ca.crt":$c,"front-proxy-ca.key":$k}}' > "$P/theta-fp.json"
chmod 600 "$P/theta-fp.json"
certlc apply -f "$P/theta-fp.json" > /dev/null
certlc run --once > run22 2>&1
contains "the delivered front-proxy CA provisions theta" run22 "default/theta: ready"
data theta-front-proxy-client-certificate front-proxy-client.crt > "$P/theta-fpc.crt"
check "front-proxy-client is issued under the delivered CA" openssl verify -CAfile "$P/fpca.crt" "$P/theta-fpc.crt"
certlc get secret theta-front-proxy-ca-certificate -o json |
    jq '.metadata.annotations["certs.kamaji.clastix.io/rotate"] = ""' > "$P/theta-rot.json"
chmod 600 "$P/theta-rot.json"
certlc apply -f "$P/theta-rot.json" > /dev/null
certlc run --once > run23 2>&1
contains "a rotation asked of the provided front-proxy CA is refused" run23 "rotation of theta-front-proxy-ca-certificate refused: it is a provided CA (front_proxy_ca_source = provided)"
contains "theta stays ready" run23 "default/theta: ready"
data theta-front-proxy-client-certificate front-proxy-client.crt > "$P/theta-fpc2.crt"
check "front-proxy-client is not reissued" cmp "$P/theta-fpc.crt" "$P/theta-fpc2.crt"

finish
