# What a Kamaji user finds in certlc's Secrets: kubeadm's identities for
# the tenant's version (read back with the real kubectl and openssl), the
# 4-key CA Secret, Kamaji's label and checksum, the rotate annotation as
# Kamaji reads and writes it, the listing Kamaji's documentation shows,
# and the SAN superset rule (reissue_on_removed_san).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

command -v kubectl > /dev/null || { not_ok "kubectl is not installed (scripts/deps.sh installs kubernetes-client)"; finish; exit 1; }

# kc_cert SECRET KEY: the client certificate of a kubeconfig held by a
# Secret, as kubectl reads it, on stdout (PEM).
kc_cert() {
    data "$1" "$2" > "$T/kc.conf"
    kubectl config view --raw --kubeconfig "$T/kc.conf" \
        -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d
}
kc_subject() { kc_cert "$1" "$2" | openssl x509 -noout -subject; }
kc_user() {
    data "$1" "$2" > "$T/kc.conf"
    kubectl config view --raw --kubeconfig "$T/kc.conf" -o jsonpath='{.users[0].name}'
}
pem_subject() { data "$1" "$2" | openssl x509 -noout -subject; }
# versions: "NAME resourceVersion" of every Secret of the default namespace.
versions() { certlc get secrets -o json | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion)"' | sort; }
# changed BEFORE AFTER: the names whose resourceVersion differs.
changed() { join "$1" "$2" | awk '$2 != $3 { print $1 }'; }
annotation() { certlc get secret "$1" -o json | jq -r --arg k "$2" '.metadata.annotations[$k] // "(none)"'; }

write_conf
tenant old version=v1.26.0 konnectivity=true
tenant new version=v1.30.2
certlc run --once > run1 2>&1
check "run --once provisions a v1.26 and a v1.30 tenant" test $? -eq 0

# ---- identities, v1.26: system:masters, no super-admin -------------------
kc_subject old-admin-kubeconfig admin.conf > s.txt
check "v1.26 admin.conf (kubectl): O = system:masters, CN = kubernetes-admin" \
    grep -qx "subject=O = system:masters, CN = kubernetes-admin" s.txt
check "v1.26 admin.conf user is kubernetes-admin" test "$(kc_user old-admin-kubeconfig admin.conf)" = kubernetes-admin
pem_subject old-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > s.txt
check "v1.26 apiserver-kubelet-client: O = system:masters" \
    grep -qx "subject=O = system:masters, CN = kube-apiserver-kubelet-client" s.txt
certlc get secret old-admin-kubeconfig -o json | jq -r '.data | keys | join(" ")' > keys.txt
check "v1.26 admin Secret holds admin.conf only" grep -qx "admin.conf" keys.txt

# ---- identities, v1.30: kubeadm:cluster-admins plus super-admin ----------
kc_subject new-admin-kubeconfig admin.conf > s.txt
check "v1.30 admin.conf (kubectl): O = kubeadm:cluster-admins, CN = kubernetes-admin" \
    grep -qx "subject=O = kubeadm:cluster-admins, CN = kubernetes-admin" s.txt
kc_subject new-admin-kubeconfig super-admin.conf > s.txt
check "v1.30 super-admin.conf (kubectl): O = system:masters, CN = kubernetes-super-admin" \
    grep -qx "subject=O = system:masters, CN = kubernetes-super-admin" s.txt
check "v1.30 super-admin.conf user is kubernetes-super-admin" \
    test "$(kc_user new-admin-kubeconfig super-admin.conf)" = kubernetes-super-admin
data new-ca ca.crt > new-ca.crt
kc_cert new-admin-kubeconfig super-admin.conf > super.crt
check "openssl verify: super-admin.conf's certificate chains to the tenant CA" openssl verify -CAfile new-ca.crt super.crt
kc_cert new-admin-kubeconfig admin.conf > admin.crt
check_fails "admin.conf and super-admin.conf are two certificates" cmp -s admin.crt super.crt
pem_subject new-api-server-kubelet-client-certificate apiserver-kubelet-client.crt > s.txt
check "v1.30 apiserver-kubelet-client: O = kubeadm:cluster-admins" \
    grep -qx "subject=O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client" s.txt
certlc get secret new-admin-kubeconfig -o json | jq -r '.data | keys | join(" ")' > keys.txt
check "v1.30 admin Secret holds admin.conf, the RBAC manifest and super-admin.conf" \
    grep -qx "admin.conf cluster-admins-rbac.yaml super-admin.conf" keys.txt
data new-admin-kubeconfig cluster-admins-rbac.yaml > rbac.yaml
check "the RBAC manifest binds kubeadm:cluster-admins to cluster-admin" \
    sh -c "grep -qx 'kind: ClusterRoleBinding' rbac.yaml && grep -qx '  name: cluster-admin' rbac.yaml &&
           grep -qx '  kind: Group' rbac.yaml && [ \$(grep -c 'name: kubeadm:cluster-admins' rbac.yaml) -eq 2 ]"
# Identities the version leaves alone.
kc_subject new-controller-manager-kubeconfig controller-manager.conf > s.txt
check "controller-manager.conf (kubectl): CN = system:kube-controller-manager" grep -qx "subject=CN = system:kube-controller-manager" s.txt
kc_subject new-scheduler-kubeconfig scheduler.conf > s.txt
check "scheduler.conf (kubectl): CN = system:kube-scheduler" grep -qx "subject=CN = system:kube-scheduler" s.txt
kc_subject old-konnectivity-kubeconfig konnectivity-server.conf > s.txt
check "konnectivity-server.conf (kubectl): CN = system:konnectivity-server" grep -qx "subject=CN = system:konnectivity-server" s.txt
pem_subject old-konnectivity-certificate tls.crt > s.txt
check "konnectivity certificate: CN = system:konnectivity-server" grep -qx "subject=CN = system:konnectivity-server" s.txt
pem_subject new-front-proxy-client-certificate front-proxy-client.crt > s.txt
check "front-proxy-client: CN = front-proxy-client" grep -qx "subject=CN = front-proxy-client" s.txt

# ---- the CA Secret: ca.* and the same pair as tls.* ----------------------
certlc get secret new-ca -o json > ca.json
check "the CA Secret holds ca.crt, ca.key, tls.crt, tls.key" \
    test "$(jq -r '.data | keys | join(" ")' ca.json)" = "ca.crt ca.key tls.crt tls.key"
check "tls.crt is ca.crt and tls.key is ca.key" \
    jq -e '.data["tls.crt"] == .data["ca.crt"] and .data["tls.key"] == .data["ca.key"]' ca.json

# ---- Kamaji's project label and checksum on every Secret -----------------
total=$(certlc get secrets -o name | wc -l)
check "every Secret carries kamaji.clastix.io/project=kamaji ($total)" \
    test "$(certlc get secrets -l kamaji.clastix.io/project=kamaji -o name | wc -l)" -eq "$total"
check "certlc's own labels stay" \
    test "$(certlc get secrets -l app.kubernetes.io/managed-by=certlc -o name | wc -l)" -eq "$total"
# Kamaji's CalculateMapChecksum: MD5 of the values concatenated in key order.
bad=""
for n in $(certlc get secrets -o name | sed 's,^secret/,,'); do
    certlc get secret "$n" -o json > one.json
    want=$(jq -r '.metadata.annotations["kamaji.clastix.io/checksum"] // "none"' one.json)
    got=$(jq -r '.data | to_entries | sort_by(.key) | .[].value' one.json |
          while read -r v; do printf '%s' "$v" | base64 -d; done | md5sum | cut -d' ' -f1)
    [ "$want" = "$got" ] || bad="$bad $n($want!=$got)"
done
check "kamaji.clastix.io/checksum is the MD5 of the values in key order on every Secret" test -z "$bad"
[ -z "$bad" ] || echo "    $bad"

# ---- an old 2-key CA Secret is completed, not rotated --------------------
certlc get secret old-ca -o json |
    jq 'del(.data["tls.crt"], .data["tls.key"], .metadata.labels["kamaji.clastix.io/project"], .metadata.annotations["kamaji.clastix.io/checksum"])' > old-ca.json
certlc apply -f old-ca.json > /dev/null
certlc get secrets old-ca > ca-list.txt
check "the CA Secret is made a 2-key one, as an older certlc wrote it" grep -Eq '^old-ca +Opaque +2 ' ca-list.txt
versions > v1
certlc run --once > run2 2>&1
versions > v2
contains "the pass says it completed the CA Secret" run2 'secret "old-ca" completed: tls.crt and tls.key'
contains "the pass reissues nothing" run2 "default/old: ready (0 created, 0 reissued, 11 unchanged"
check "only the CA Secret was written" test "$(changed v1 v2)" = old-ca
certlc get secret old-ca -o json > ca2.json
check "the completed CA Secret has 4 keys" test "$(jq '.data | length' ca2.json)" -eq 4
check "the CA itself is the same (not rotated)" \
    test "$(jq -r '.data["ca.crt"]' ca2.json)" = "$(jq -r '.data["ca.crt"]' old-ca.json)"
check "the completed CA Secret has its label back" \
    test "$(jq -r '.metadata.labels["kamaji.clastix.io/project"]' ca2.json)" = kamaji

# ---- version v1.28.5 -> v1.29.0 reissues exactly the identities that change
tenant up version=v1.28.5
certlc run --once > run3 2>&1
versions | grep '^up-' > u1
tenant up version=v1.29.0
certlc run --once > run4 2>&1
versions | grep '^up-' > u2
changed u1 u2 > reissued.txt
check "v1.28.5 -> v1.29.0 reissues exactly the admin kubeconfig and the kubelet client" \
    test "$(tr '\n' ' ' < reissued.txt)" = "up-admin-kubeconfig up-api-server-kubelet-client-certificate "
sed 's/^/    /' reissued.txt
contains "the pass reports 2 reissued" run4 "default/up: ready (0 created, 2 reissued, 7 unchanged"
contains "the reason is the identity's group" run4 "secret \"up-admin-kubeconfig\" reissued: subject lacks O 'kubeadm:cluster-admins'"
kc_subject up-admin-kubeconfig admin.conf > s.txt
check "after the upgrade admin.conf is in kubeadm:cluster-admins" \
    grep -qx "subject=O = kubeadm:cluster-admins, CN = kubernetes-admin" s.txt
kc_subject up-admin-kubeconfig super-admin.conf > s.txt
check "after the upgrade super-admin.conf is in system:masters" \
    grep -qx "subject=O = system:masters, CN = kubernetes-super-admin" s.txt
tenant up version=v1.28.5
certlc run --once > run5 2>&1
versions | grep '^up-' > u3
check "back to v1.28.5 reissues the same two" \
    test "$(changed u2 u3 | tr '\n' ' ')" = "up-admin-kubeconfig up-api-server-kubelet-client-certificate "
check "back to v1.28.5 the admin Secret holds admin.conf only" \
    test "$(certlc get secret up-admin-kubeconfig -o json | jq -r '.data | keys | join(" ")')" = admin.conf

# ---- the rotate annotation, both ways ------------------------------------
s=new-api-server-certificate
certlc get secret "$s" -o json |
    jq '.metadata.annotations["certs.kamaji.clastix.io/rotate"] = "2026-01-02T03:04:05Z"' > marked.json
certlc apply -f marked.json > /dev/null
data "$s" apiserver.crt > a1.crt
certlc run --once > run6 2>&1
data "$s" apiserver.crt > a2.crt
check "Kamaji's rotated-at timestamp asks for no rotation" cmp -s a1.crt a2.crt
check "the timestamp is left as Kamaji wrote it" test "$(annotation "$s" certs.kamaji.clastix.io/rotate)" = "2026-01-02T03:04:05Z"
certlc rotate secret "$s" > rot.txt 2>&1
check "certlc rotate secret writes the empty value" test "$(annotation "$s" certs.kamaji.clastix.io/rotate)" = ""
certlc run --once > run7 2>&1
data "$s" apiserver.crt > a3.crt
check_fails "the empty value rotates the certificate" cmp -s a2.crt a3.crt
contains "the pass says why" run7 "rotation requested (annotation certs.kamaji.clastix.io/rotate)"
annotation "$s" certs.kamaji.clastix.io/rotate > rot-after.txt
check "after the rotation the annotation is an RFC 3339 timestamp" \
    grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' rot-after.txt
certlc run --once > run8 2>&1
data "$s" apiserver.crt > a4.crt
check "it rotated once: the next pass leaves it" cmp -s a3.crt a4.crt

# ---- a removed API server SAN: reissued by default, kept with false ------
tenant sans version=v1.26.0 cert_sans=a.example.com,b.example.com
certlc run --once > /dev/null 2>&1
data sans-api-server-certificate apiserver.crt > s1.crt
tenant sans version=v1.26.0 cert_sans=a.example.com reissue_on_removed_san=false
certlc run --once > run9 2>&1
data sans-api-server-certificate apiserver.crt > s2.crt
check "reissue_on_removed_san = false keeps a certificate with a SAN no longer wanted" cmp -s s1.crt s2.crt
tenant sans version=v1.26.0 cert_sans=a.example.com,c.example.com reissue_on_removed_san=false
certlc run --once > /dev/null 2>&1
data sans-api-server-certificate apiserver.crt > s3.crt
openssl x509 -in s3.crt -noout -ext subjectAltName > s3.txt
contains "a SAN that is missing is still added with false" s3.txt "DNS:c.example.com"
tenant sans version=v1.26.0 cert_sans=c.example.com
certlc run --once > run10 2>&1
data sans-api-server-certificate apiserver.crt > s4.crt
openssl x509 -in s4.crt -noout -ext subjectAltName > s4.txt
lacks "by default a removed SAN is reissued away" s4.txt "a.example.com"
contains "the reason names the removed SAN" run10 "unexpected DNS:"

# ---- the listing of Kamaji's documentation (NAME, TYPE, DATA) ------------
etcd_start main auth || { finish; exit 1; }
install_drivers etcd
etcd_datastore default
tenant k8s-126 version=v1.26.0 address=172.18.255.200 konnectivity=true datastore=default
certlc run --once > run11 2>&1
certlc get secrets -l kamaji.clastix.io/name=k8s-126 | awk '{ print $1, $2, $3 }' > listing.txt
cat > want.txt <<'EOF'
NAME TYPE DATA
k8s-126-admin-kubeconfig Opaque 1
k8s-126-api-server-certificate Opaque 2
k8s-126-api-server-kubelet-client-certificate Opaque 2
k8s-126-ca Opaque 4
k8s-126-controller-manager-kubeconfig Opaque 1
k8s-126-datastore-certificate Opaque 3
k8s-126-datastore-config Opaque 4
k8s-126-front-proxy-ca-certificate Opaque 2
k8s-126-front-proxy-client-certificate Opaque 2
k8s-126-konnectivity-certificate kubernetes.io/tls 2
k8s-126-konnectivity-kubeconfig Opaque 1
k8s-126-sa-certificate Opaque 2
k8s-126-scheduler-kubeconfig Opaque 1
EOF
check "get secrets for k8s-126 is Kamaji's listing, line for line (NAME, TYPE, DATA)" diff want.txt listing.txt
certlc get secrets -l kamaji.clastix.io/name=k8s-126,kamaji.clastix.io/project=kamaji -o name > ds.txt
check "the datastore Secrets carry the project label too" test "$(grep -c datastore ds.txt)" -eq 2
# The etcd driver's client certificate follows the rotate annotation too.
data k8s-126-datastore-certificate server.crt > d1.crt
certlc rotate secret k8s-126-datastore-certificate > /dev/null 2>&1
certlc run --once > run12 2>&1
data k8s-126-datastore-certificate server.crt > d2.crt
check_fails "the empty rotate value rotates the datastore certificate" cmp -s d1.crt d2.crt
annotation k8s-126-datastore-certificate certs.kamaji.clastix.io/rotate > drot.txt
check "then its annotation is an RFC 3339 timestamp" \
    grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' drot.txt
certlc run --once > run13 2>&1
data k8s-126-datastore-certificate server.crt > d3.crt
check "and the next pass leaves it" cmp -s d2.crt d3.crt

finish
