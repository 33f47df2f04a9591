#include "ca_bundle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"

/* More than any real chain; bounds the work a hostile bundle can ask for. */
#define MAX_BUNDLE 16

static bool self_signed(X509 *c)
{
    return X509_check_issued(c, c) == X509_V_OK;
}

STACK_OF(X509) *certlc_certs_from_pem(const void *pem, size_t len,
                                      certlc_err *err)
{
    if (len > INT32_MAX) {
        certlc_err_set(err, "ca.crt is too large");
        return NULL;
    }
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (b == NULL || sk == NULL) {
        certlc_err_ssl(err, "out of memory");
        goto fail;
    }
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_num(sk) == MAX_BUNDLE || !sk_X509_push(sk, x)) {
            X509_free(x);
            certlc_err_set(err, "ca.crt holds more than %d certificates",
                           MAX_BUNDLE);
            goto fail;
        }
    }
    /* The loop ends on "no start line" after the last certificate; any
     * other error is a broken certificate. */
    unsigned long e = ERR_peek_last_error();
    if (sk_X509_num(sk) == 0 ||
        !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
          ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        certlc_err_ssl(err, sk_X509_num(sk) == 0
                                ? "ca.crt holds no PEM certificate"
                                : "ca.crt: certificate %d does not parse",
                       sk_X509_num(sk) + 1);
        goto fail;
    }
    ERR_clear_error();
    BIO_free(b);
    return sk;
fail:
    BIO_free(b);
    sk_X509_pop_free(sk, X509_free);
    return NULL;
}

static int build_chain(certlc_ca *ca, certlc_err *err)
{
    ca->chain_pem = calloc(1, 1);
    if (ca->chain_pem == NULL)
        return certlc_err_set(err, "out of memory");
    ca->chain_len = 0;
    if (certlc_ca_is_root(ca))
        return 0;
    if (!self_signed(ca->cert) &&
        certlc_pem_cert_append(&ca->chain_pem, &ca->chain_len, ca->cert,
                               err) != 0)
        return -1;
    for (int i = 0; i < sk_X509_num(ca->issuers); i++) {
        X509 *c = sk_X509_value(ca->issuers, i);
        if (!self_signed(c) &&
            certlc_pem_cert_append(&ca->chain_pem, &ca->chain_len, c,
                                   err) != 0)
            return -1;
    }
    return 0;
}

int certlc_ca_load(certlc_ca *ca, const void *crt, size_t crt_len,
                   const void *key, size_t key_len, certlc_err *err)
{
    memset(ca, 0, sizeof *ca);
    STACK_OF(X509) *all = certlc_certs_from_pem(crt, crt_len, err);
    if (all == NULL)
        return -1;
    ca->cert = sk_X509_shift(all);
    ca->issuers = all;
    /* The chain ends at the first self-signed certificate; what follows
     * is trusted beside it (see extra_roots). */
    ca->extra_roots = sk_X509_new_null();
    if (ca->extra_roots == NULL) {
        certlc_err_set(err, "out of memory");
        goto fail;
    }
    int end = self_signed(ca->cert) ? 0 : -1;
    for (int i = 0; end < 0 && i < sk_X509_num(all); i++)
        if (self_signed(sk_X509_value(all, i)))
            end = i + 1;
    while (end >= 0 && sk_X509_num(all) > end) {
        X509 *x = sk_X509_pop(all);
        if (!sk_X509_unshift(ca->extra_roots, x)) {
            X509_free(x);
            certlc_err_set(err, "out of memory");
            goto fail;
        }
    }
    ca->key = certlc_private_key_from_pem(key, key_len, err);
    if (ca->key == NULL) {
        certlc_err_prefix(err, "ca.key");
        goto fail;
    }
    if (certlc_key_matches_cert(ca->key, ca->cert, err) != 0) {
        certlc_err_set(err, "ca.key does not match the first certificate of "
                            "ca.crt");
        goto fail;
    }
    if ((ca->bundle_pem = malloc(crt_len + 1)) == NULL) {
        certlc_err_set(err, "out of memory");
        goto fail;
    }
    memcpy(ca->bundle_pem, crt, crt_len);
    ca->bundle_pem[crt_len] = '\0';
    ca->bundle_len = crt_len;
    if (build_chain(ca, err) != 0)
        goto fail;
    return 0;
fail:
    certlc_ca_fini(ca);
    return -1;
}

int certlc_ca_from_root(certlc_ca *ca, X509 *cert, EVP_PKEY *key,
                        certlc_err *err)
{
    memset(ca, 0, sizeof *ca);
    ca->cert = cert;
    ca->key = key;
    ca->issuers = sk_X509_new_null();
    ca->extra_roots = sk_X509_new_null();
    if (ca->issuers == NULL || ca->extra_roots == NULL) {
        certlc_err_set(err, "out of memory");
        goto fail;
    }
    ca->bundle_len = 0;
    if (certlc_pem_cert_append(&ca->bundle_pem, &ca->bundle_len, cert,
                               err) != 0 ||
        build_chain(ca, err) != 0)
        goto fail;
    return 0;
fail:
    certlc_ca_fini(ca);
    return -1;
}

bool certlc_ca_is_root(const certlc_ca *ca)
{
    return sk_X509_num(ca->issuers) == 0 && self_signed(ca->cert);
}

static int signed_by(X509 *c, X509 *issuer)
{
    EVP_PKEY *pub = X509_get0_pubkey(issuer);
    int ok = X509_check_issued(issuer, c) == X509_V_OK && pub != NULL &&
             X509_verify(c, pub) == 1;
    ERR_clear_error();
    return ok;
}

static void subject_of(X509 *c, char *buf, size_t size)
{
    buf[0] = '\0';
    X509_NAME_oneline(X509_get_subject_name(c), buf, (int)size);
}

int certlc_ca_usable(const certlc_ca *ca, certlc_err *err)
{
    char subj[256];
    if (X509_get_extension_flags(ca->cert) & EXFLAG_INVALID)
        return certlc_err_ssl(err, "ca.crt has invalid extensions");
    if (!certlc_cert_is_ca(ca->cert))
        return certlc_err_set(err, "ca.crt is not a CA certificate "
                                   "(basicConstraints CA:TRUE is missing)");
    if ((X509_get_extension_flags(ca->cert) & EXFLAG_KUSAGE) &&
        (X509_get_key_usage(ca->cert) & KU_KEY_CERT_SIGN) == 0)
        return certlc_err_set(err, "ca.crt may not sign certificates "
                                   "(keyUsage lacks keyCertSign)");
    X509 *c = ca->cert;
    for (int i = 0; i < sk_X509_num(ca->issuers); i++) {
        X509 *up = sk_X509_value(ca->issuers, i);
        if (!signed_by(c, up)) {
            subject_of(c, subj, sizeof subj);
            return certlc_err_set(err, "ca.crt: certificate %d (%s) is not "
                                  "signed by the one after it: a bundle is "
                                  "the CA, then its issuers in order", i + 1,
                                  subj);
        }
        c = up;
    }
    if (!signed_by(c, c)) {
        subject_of(c, subj, sizeof subj);
        return certlc_err_set(err, "ca.crt ends with %s, which is not "
                              "self-signed: add its issuers up to the root",
                              subj);
    }
    /* Trusted beside the CA: only CAs, each its own root. */
    for (int i = 0; i < sk_X509_num(ca->extra_roots); i++) {
        X509 *r = sk_X509_value(ca->extra_roots, i);
        if (!certlc_cert_is_ca(r) || !signed_by(r, r)) {
            subject_of(r, subj, sizeof subj);
            return certlc_err_set(err, "ca.crt: certificate %d (%s) follows "
                                  "the root but is not a self-signed CA: "
                                  "after the root, ca.crt may only hold "
                                  "other roots to trust",
                                  sk_X509_num(ca->issuers) + i + 2, subj);
        }
    }
    return 0;
}

int64_t certlc_ca_not_after(const certlc_ca *ca)
{
    int64_t t = certlc_cert_not_after(ca->cert);
    for (int i = 0; i < sk_X509_num(ca->issuers); i++) {
        int64_t u = certlc_cert_not_after(sk_X509_value(ca->issuers, i));
        if (u < t)
            t = u;
    }
    return t;
}

void certlc_ca_fini(certlc_ca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    sk_X509_pop_free(ca->issuers, X509_free);
    sk_X509_pop_free(ca->extra_roots, X509_free);
    free(ca->bundle_pem);
    free(ca->chain_pem);
    memset(ca, 0, sizeof *ca);
}
