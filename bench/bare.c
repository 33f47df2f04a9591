/* Bare OpenSSL issuance: see bare.h. */
#include "bare.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

int bare_alg_parse(const char *name, bare_alg *out)
{
    if (strcmp(name, "ecdsa-p256") == 0)
        *out = BARE_EC_P256;
    else if (strcmp(name, "rsa-2048") == 0)
        *out = BARE_RSA_2048;
    else
        return -1;
    return 0;
}

EVP_PKEY *bare_keygen(bare_alg alg)
{
    if (alg == BARE_EC_P256)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

X509 *bare_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                const char *cn, const char *org, const char *sans,
                const char *eku, bool rsa)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, X509_VERSION_3) ||
        !ASN1_STRING_set(X509_get_serialNumber(x), serial, sizeof serial) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
        !X509_gmtime_adj(X509_getm_notAfter(x),
                         issuer == NULL ? 87600L * 3600 : 8760L * 3600) ||
        !X509_set_pubkey(x, key))
        goto fail;
    if (org != NULL &&
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                    (const unsigned char *)org, -1, -1, 0))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0) ||
        !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
                                                : name))
        goto fail;

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    const char *ku = issuer == NULL ? "critical,keyCertSign,cRLSign,"
                                      "digitalSignature"
                     : rsa          ? "critical,digitalSignature,"
                                      "keyEncipherment"
                                    : "critical,digitalSignature";
    if (add_ext(x, &ctx, NID_basic_constraints,
                issuer == NULL ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
        add_ext(x, &ctx, NID_key_usage, ku) ||
        (eku != NULL && add_ext(x, &ctx, NID_ext_key_usage, eku)) ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
        (sans != NULL && add_ext(x, &ctx, NID_subject_alt_name, sans)))
        goto fail;
    if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

static long bio_len_free(BIO *bio, int ok)
{
    char *data;
    long n = ok ? BIO_get_mem_data(bio, &data) : -1;
    BIO_free(bio);
    return n;
}

long bare_pem_cert(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio ? bio_len_free(bio, PEM_write_bio_X509(bio, x)) : -1;
}

long bare_pem_key(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio ? bio_len_free(bio, PEM_write_bio_PrivateKey(bio, key, NULL,
                                                            NULL, 0, NULL,
                                                            NULL))
               : -1;
}

long bare_pem_pubkey(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio ? bio_len_free(bio, PEM_write_bio_PUBKEY(bio, key)) : -1;
}

static int add_pem(bare_counts *c, long n)
{
    if (n < 0)
        return -1;
    c->pem_bytes += (size_t)n;
    return 0;
}

/* A leaf (or kubeconfig) of the set: key, certificate, PEM of both, and,
 * for a kubeconfig, the CA's PEM again. */
static int leaf(bare_alg alg, X509 *ca, EVP_PKEY *ca_key, const char *cn,
                const char *org, const char *sans, const char *eku,
                bool kubeconfig, bare_counts *c)
{
    EVP_PKEY *key = bare_keygen(alg);
    if (key == NULL)
        return -1;
    c->keys++;
    X509 *x = bare_cert(key, ca, ca_key, cn, org, sans, eku,
                        alg == BARE_RSA_2048);
    int rc = -1;
    if (x != NULL) {
        c->certs++;
        rc = add_pem(c, bare_pem_cert(x)) | add_pem(c, bare_pem_key(key));
        if (kubeconfig)
            rc |= add_pem(c, bare_pem_cert(ca));
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

static X509 *ca(bare_alg alg, const char *cn, EVP_PKEY **key, bare_counts *c)
{
    *key = bare_keygen(alg);
    if (*key == NULL)
        return NULL;
    c->keys++;
    X509 *x = bare_cert(*key, NULL, *key, cn, NULL, NULL, NULL, false);
    if (x != NULL) {
        c->certs++;
        if (add_pem(c, bare_pem_cert(x)) | add_pem(c, bare_pem_key(*key))) {
            X509_free(x);
            x = NULL;
        }
    }
    if (x == NULL) {
        EVP_PKEY_free(*key);
        *key = NULL;
    }
    return x;
}

int bare_leaf(bare_alg alg, X509 *ca_cert, EVP_PKEY *ca_key, bare_counts *c)
{
    return leaf(alg, ca_cert, ca_key, "kube-apiserver-kubelet-client",
                "kubeadm:cluster-admins", NULL, "clientAuth", false, c);
}

int bare_tenant(bare_alg alg, const char *address, bare_counts *c)
{
    EVP_PKEY *ca_key = NULL, *fp_key = NULL, *sa = NULL;
    X509 *ca_cert = ca(alg, "kubernetes", &ca_key, c);
    X509 *fp_cert = ca(alg, "front-proxy-ca", &fp_key, c);
    int rc = -1;
    if (ca_cert == NULL || fp_cert == NULL)
        goto out;
    sa = bare_keygen(alg);
    if (sa == NULL)
        goto out;
    c->keys++;
    if (add_pem(c, bare_pem_pubkey(sa)) | add_pem(c, bare_pem_key(sa)))
        goto out;
    /* The API server's SANs as certlc's plan lists them. */
    char sans[1024];
    snprintf(sans, sizeof sans,
             "DNS:kubernetes,DNS:kubernetes.default,"
             "DNS:kubernetes.default.svc,"
             "DNS:kubernetes.default.svc.cluster.local,DNS:%s,"
             "DNS:%s.default.svc,DNS:%s.default.svc.cluster.local,"
             "DNS:localhost,IP:127.0.0.1,IP:10.96.0.1,IP:%s",
             "tcp", "tcp", "tcp", address);
    const char *adm = "kubeadm:cluster-admins";
    rc = leaf(alg, ca_cert, ca_key, "kube-apiserver", NULL, sans,
              "serverAuth", false, c);
    rc |= leaf(alg, ca_cert, ca_key, "kube-apiserver-kubelet-client", adm,
               NULL, "clientAuth", false, c);
    rc |= leaf(alg, fp_cert, fp_key, "front-proxy-client", NULL, NULL,
               "clientAuth", false, c);
    rc |= leaf(alg, ca_cert, ca_key, "system:konnectivity-server", NULL, NULL,
               "clientAuth", false, c);
    rc |= leaf(alg, ca_cert, ca_key, "kubernetes-admin", adm, NULL,
               "clientAuth", true, c);
    rc |= leaf(alg, ca_cert, ca_key, "system:kube-controller-manager", NULL,
               NULL, "clientAuth", true, c);
    rc |= leaf(alg, ca_cert, ca_key, "system:kube-scheduler", NULL, NULL,
               "clientAuth", true, c);
    rc |= leaf(alg, ca_cert, ca_key, "system:konnectivity-server", NULL, NULL,
               "clientAuth", true, c);
out:
    EVP_PKEY_free(sa);
    X509_free(ca_cert);
    X509_free(fp_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(fp_key);
    return rc;
}
