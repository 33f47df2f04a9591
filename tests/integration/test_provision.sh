# certlc run --once provisions whole tenants; tools nobody here wrote
# (openssl verify, x509, s_server, s_client) prove the result.
. "$(dirname "$0")/lib.sh"

write_conf
tenant alpha konnectivity=true cert_sans=api.alpha.example,10.0.0.7 port=6443
tenant beta namespace=other address=192.0.2.10

certlc run --once > "$T/run1" 2>&1
check "run --once provisions both tenants and exits 0" test $? -eq 0
contains "run --once says what it created" "$T/run1" 'secret "alpha-ca" created'
contains "run --once reports alpha ready" "$T/run1" "default/alpha: ready (11 created"
contains "run --once reports beta ready" "$T/run1" "other/beta: ready (9 created"

certlc get secrets > "$T/list"
check "get secrets lists alpha's 11 Secrets under a kubectl header" \
    sh -c "head -n 1 '$T/list' | grep -Eq '^NAME +TYPE +DATA +AGE$' && [ \$(grep -c '^alpha-' '$T/list') -eq 11 ]"
contains "konnectivity certificate is a kubernetes.io/tls Secret" "$T/list" "kubernetes.io/tls"
certlc get secrets -n other -o name > "$T/other"
check "get secrets -n other lists beta's 9 Secrets" test "$(grep -c '^secret/beta-' "$T/other")" -eq 9
certlc get secrets -l 'kamaji.clastix.io/certificate_lifecycle_controller=x509' -o name > "$T/x509"
check "the x509 lifecycle label selects the 4 tracked certificates" test "$(wc -l < "$T/x509")" -eq 4
certlc get secrets -l 'kamaji.clastix.io/certificate_lifecycle_controller in (kubeconfig),kamaji.clastix.io/name=alpha' -o name > "$T/kc"
check "set-based selector selects alpha's 4 kubeconfigs" test "$(wc -l < "$T/kc")" -eq 4

# Material on disk.
mkdir -p "$T/pem"
cd "$T/pem" || exit 1
data alpha-ca ca.crt > ca.crt
data alpha-ca ca.key > ca.key
data alpha-front-proxy-ca-certificate front-proxy-ca.crt > fp-ca.crt
data alpha-api-server-certificate apiserver.crt > apiserver.crt
data alpha-api-server-certificate apiserver.key > apiserver.key
data alpha-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > kubelet.crt
data alpha-front-proxy-client-certificate front-proxy-client.crt > fp-client.crt
data alpha-konnectivity-certificate tls.crt > konn.crt
data alpha-admin-kubeconfig admin.conf > admin.conf
data alpha-sa-certificate sa.pub > sa.pub
data alpha-sa-certificate sa.key > sa.key
kubeconfig_field admin.conf client-certificate-data > admin.crt
kubeconfig_field admin.conf client-key-data > admin.key
kubeconfig_field admin.conf certificate-authority-data > admin-ca.crt
data beta-admin-kubeconfig admin.conf other > beta-admin.conf
kubeconfig_field beta-admin.conf client-certificate-data > beta-admin.crt
kubeconfig_field beta-admin.conf client-key-data > beta-admin.key

for c in apiserver.crt kubelet.crt konn.crt admin.crt; do
    check "openssl verify: $c chains to the tenant CA" openssl verify -CAfile ca.crt "$c"
done
check "openssl verify: front-proxy-client chains to the front-proxy CA" openssl verify -CAfile fp-ca.crt fp-client.crt
check_fails "openssl verify: front-proxy-client does not chain to the main CA" openssl verify -CAfile ca.crt fp-client.crt
check_fails "openssl verify: beta's admin certificate does not chain to alpha's CA" openssl verify -CAfile ca.crt beta-admin.crt
check "the kubeconfig embeds the tenant CA" cmp admin-ca.crt ca.crt
check "the service-account public key belongs to sa.key" \
    sh -c "openssl pkey -in sa.key -pubout | cmp - sa.pub"

check "apiserver certificate is valid for more than 300 days (-checkend)" openssl x509 -in apiserver.crt -noout -checkend 25920000
check_fails "apiserver certificate is not valid for 2 years (-checkend)" openssl x509 -in apiserver.crt -noout -checkend 63072000
openssl x509 -in apiserver.crt -noout -text > apiserver.txt
for san in DNS:kubernetes DNS:kubernetes.default.svc.cluster.local DNS:alpha.default.svc \
           DNS:api.alpha.example DNS:localhost "IP Address:127.0.0.1" "IP Address:10.96.0.1" \
           "IP Address:10.0.0.7"; do
    contains "apiserver SAN $san" apiserver.txt "$san"
done
contains "apiserver EKU is serverAuth" apiserver.txt "TLS Web Server Authentication"
lacks "apiserver EKU is not clientAuth" apiserver.txt "TLS Web Client Authentication"
contains "apiserver subject CN" apiserver.txt "Subject: CN = kube-apiserver"
contains "basicConstraints is critical CA:FALSE" apiserver.txt "CA:FALSE"
contains "signed with SHA-256" apiserver.txt "ecdsa-with-SHA256"
openssl x509 -in admin.crt -noout -subject > admin.subj
contains "admin client of a v1.26 tenant is kubernetes-admin in system:masters" admin.subj "O = system:masters, CN = kubernetes-admin"
openssl x509 -in ca.crt -noout -text > ca.txt
contains "CA has CA:TRUE" ca.txt "CA:TRUE"
contains "CA may sign certificates" ca.txt "Certificate Sign, CRL Sign"
check "CA is valid for more than 9 years" openssl x509 -in ca.crt -noout -checkend 283824000
contains "admin kubeconfig points at the endpoint" admin.conf "server: https://127.0.0.1:6443"
contains "admin kubeconfig context is user@tenant" admin.conf "current-context: kubernetes-admin@alpha"

# A real handshake: s_server with the API server certificate, requiring a
# client certificate from the tenant CA; s_client with the admin kubeconfig.
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert apiserver.crt -key apiserver.key \
    -CAfile ca.crt -Verify 1 -verify_return_error -www -quiet > s_server.log 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" || not_ok "s_server did not start"
handshake() {  # CERT KEY: the HTTP answer of s_server -www, through s_client
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
        -cert "$1" -key "$2" -CAfile admin-ca.crt -verify_return_error \
        -verify_hostname alpha.default.svc -ign_eof 2>&1
}
handshake admin.crt admin.key > hs-good.txt
contains "s_client with the admin kubeconfig verifies the API server" hs-good.txt "Verify return code: 0 (ok)"
contains "s_server accepts the admin client certificate" hs-good.txt "HTTP/1.0 200 ok"
handshake beta-admin.crt beta-admin.key > hs-bad.txt
lacks "s_server refuses another tenant's admin certificate" hs-bad.txt "HTTP/1.0 200 ok"
printf 'Q\n' | timeout 10 openssl s_client -connect "127.0.0.1:$port" -cert admin.crt -key admin.key \
    -CAfile admin-ca.crt -verify_return_error -verify_hostname wrong.example > hs-host.txt 2>&1
lacks "s_client refuses the API server under a name it does not carry" hs-host.txt "Verify return code: 0 (ok)"

# Files: 0600 in 0700 directories.
check "state files are 0600" sh -c "[ -z \"\$(find '$T/state' -type f ! -perm 0600)\" ]"
check "state directories are 0700" sh -c "[ -z \"\$(find '$T/state' -type d ! -perm 0700)\" ]"

# A second pass changes nothing: same serials, same resourceVersions.
cd "$T" || exit 1
certlc get secrets -A -o json > before.json
certlc run --once > run2 2>&1
check "second run --once exits 0" test $? -eq 0
contains "second run creates and reissues nothing" run2 "default/alpha: ready (0 created, 0 reissued, 11 unchanged"
certlc get secrets -A -o json > after.json
check "second run leaves every Secret byte for byte (serials, resourceVersions)" \
    sh -c "[ \$(jq '.items | length' before.json) -eq 20 ] && cmp before.json after.json"

certlc get tcp -A > tcp.txt
contains "get tcp shows alpha Ready with its endpoint" tcp.txt "alpha"
check "get tcp prints kubectl's columns" sh -c "head -n 1 tcp.txt | grep -Eq '^NAMESPACE +NAME +VERSION +STATUS +CONTROL-PLANE ENDPOINT +KUBECONFIG +DATASTORE +AGE$'"
check "get tcp shows both tenants Ready" sh -c "[ \$(grep -c ' Ready ' tcp.txt) -eq 2 ]"

certlc check-expiration alpha > exp.txt
check "check-expiration exits 0 when all is valid" test $? -eq 0
contains "check-expiration lists the API server certificate" exp.txt "alpha-api-server-certificate"
contains "check-expiration lists the kubeconfigs" exp.txt "alpha-admin-kubeconfig"
contains "check-expiration lists the CAs" exp.txt "alpha-front-proxy-ca-certificate"
contains "check-expiration shows a residual time of about a year" exp.txt "364d"

finish
