#!/bin/sh
# cfssl_tenants.sh N DIR: the yardstick of certlc's ecdsa-p256 provisioning.
# Issues, with Debian's cfssl and cfssljson, a kubeadm-like set of 9
# certificates for each of N tenants under DIR/tN: a cluster CA and a
# front-proxy CA (gencert -initca), then the API server (serving, with the
# SANs kubeadm puts on it), apiserver-kubelet-client, front-proxy-client,
# admin, controller-manager, scheduler and konnectivity-client (client
# certificates), each with a new ECDSA P-256 key, written as PEM files.
# This is how a script around cfssl provisions a control plane: one process
# per certificate.
set -eu
N=${1:?usage: cfssl_tenants.sh N DIR}
DIR=${2:?usage: cfssl_tenants.sh N DIR}
mkdir -p "$DIR"
cat >"$DIR/config.json" <<'J'
{"signing": {"default": {"expiry": "8760h"}, "profiles": {
  "server": {"expiry": "8760h", "usages": ["signing", "digital signature", "key encipherment", "server auth"]},
  "client": {"expiry": "8760h", "usages": ["signing", "digital signature", "key encipherment", "client auth"]}}}}
J
csr() { # CN [O] [HOSTS]: a CSR request with a P-256 key
    printf '{"CN": "%s", "key": {"algo": "ecdsa", "size": 256}' "$1"
    [ -n "${2:-}" ] && printf ', "names": [{"O": "%s"}]' "$2"
    [ -n "${3:-}" ] && printf ', "hosts": [%s]' "$3"
    printf '}\n'
}
i=1
while [ "$i" -le "$N" ]; do
    d="$DIR/t$i"
    mkdir -p "$d"
    cd "$d"
    csr kubernetes | cfssl gencert -initca - 2>/dev/null | cfssljson -bare ca
    csr front-proxy-ca | cfssl gencert -initca - 2>/dev/null | cfssljson -bare front-proxy-ca
    sign() { # NAME CA PROFILE CN [O] [HOSTS]
        name=$1 ca=$2 prof=$3
        shift 3
        csr "$@" | cfssl gencert -ca "$ca.pem" -ca-key "$ca-key.pem" \
            -config "$DIR/config.json" -profile "$prof" - 2>/dev/null |
            cfssljson -bare "$name"
    }
    sign apiserver ca server kube-apiserver "" \
        "\"kubernetes\", \"kubernetes.default\", \"kubernetes.default.svc\", \"kubernetes.default.svc.cluster.local\", \"t$i.default.svc\", \"10.96.0.1\", \"127.0.0.1\""
    sign apiserver-kubelet-client ca client kube-apiserver-kubelet-client system:masters
    sign front-proxy-client front-proxy-ca client front-proxy-client
    sign admin ca client kubernetes-admin system:masters
    sign controller-manager ca client system:kube-controller-manager
    sign scheduler ca client system:kube-scheduler
    sign konnectivity-client ca client system:konnectivity-server
    cd - >/dev/null
    i=$((i + 1))
done
