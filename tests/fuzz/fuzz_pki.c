/* PEM and DER loading (pki.c): certificates, private keys (PKCS#8, PKCS#1,
 * SEC1) and public keys, as read from Secrets, kubeconfigs, apply -f and
 * datastore files. Each input is tried with the three parsers. With a
 * first byte of 1-6 the rest is DER, put in a PEM block of that byte's
 * label, so that the fuzzer mutates the DER itself; otherwise the input is
 * PEM text as it is. Anything parsed must be written as PEM that parses to
 * the same certificate or key. */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "base64.h"
#include "fuzz.h"
#include "pki.h"

static const char *const labels[] = {
    NULL,          "CERTIFICATE",     "PRIVATE KEY",        "PUBLIC KEY",
    "RSA PRIVATE KEY", "EC PRIVATE KEY", "RSA PUBLIC KEY",
};

/* "-----BEGIN label-----", the base64 of der in lines of 64, the END. */
static char *wrap(const char *label, const uint8_t *der, size_t n,
                  size_t *out_len)
{
    size_t b64_len = 0;
    char *b64 = certlc_base64_encode(der, n, &b64_len);
    if (b64 == NULL)
        return NULL;
    size_t cap = b64_len + b64_len / 64 + 2 * strlen(label) + 64;
    char *pem = malloc(cap);
    if (pem == NULL) {
        free(b64);
        return NULL;
    }
    size_t len = (size_t)snprintf(pem, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < b64_len; i += 64) {
        size_t k = b64_len - i < 64 ? b64_len - i : 64;
        memcpy(pem + len, b64 + i, k);
        len += k;
        pem[len++] = '\n';
    }
    len += (size_t)snprintf(pem + len, cap - len, "-----END %s-----\n", label);
    free(b64);
    *out_len = len;
    return pem;
}

static void check_cert(const char *pem, size_t len)
{
    certlc_err err;
    X509 *x = certlc_cert_from_pem(pem, len, &err);
    if (x == NULL)
        return;
    size_t out_len = 0;
    char *out = certlc_pem_cert(x, &out_len, &err);
    FUZZ_CHECK(out != NULL, "a parsed certificate is not written: %s",
               err.msg);
    X509 *y = certlc_cert_from_pem(out, out_len, &err);
    FUZZ_CHECK(y != NULL, "its own PEM does not parse: %s", err.msg);
    FUZZ_CHECK(X509_cmp(x, y) == 0, "the certificate changed");
    /* What certlc reads from a certificate it did not issue. */
    (void)certlc_cert_not_after(x);
    (void)certlc_cert_not_before(x);
    (void)certlc_cert_is_ca(x);
    free(certlc_cert_serial_hex(x));
    size_t n = 0;
    char **sans = certlc_cert_sans(x, &n);
    certlc_strv_free(sans, n);
    (void)certlc_cert_verify(x, x, 0, &err);
    certlc_pem_free(out, out_len);
    X509_free(y);
    X509_free(x);
}

static void check_private(const char *pem, size_t len)
{
    certlc_err err;
    EVP_PKEY *k = certlc_private_key_from_pem(pem, len, &err);
    if (k == NULL)
        return;
    size_t out_len = 0, pub_len = 0;
    char *out = certlc_pem_private_key(k, &out_len, &err);
    FUZZ_CHECK(out != NULL, "a parsed private key is not written: %s",
               err.msg);
    EVP_PKEY *k2 = certlc_private_key_from_pem(out, out_len, &err);
    FUZZ_CHECK(k2 != NULL, "its own PKCS#8 does not parse: %s", err.msg);
    FUZZ_CHECK(EVP_PKEY_eq(k, k2) == 1, "the private key changed");
    char *pub = certlc_pem_public_key(k, &pub_len, &err);
    FUZZ_CHECK(pub != NULL, "its public key is not written: %s", err.msg);
    EVP_PKEY *p = certlc_public_key_from_pem(pub, pub_len, &err);
    FUZZ_CHECK(p != NULL, "its public key does not parse: %s", err.msg);
    FUZZ_CHECK(certlc_key_matches_public(k, p, &err) == 0,
               "the key does not match its own public key: %s", err.msg);
    EVP_PKEY_free(p);
    certlc_pem_free(pub, pub_len);
    EVP_PKEY_free(k2);
    certlc_pem_free(out, out_len);
    EVP_PKEY_free(k);
}

static void check_public(const char *pem, size_t len)
{
    certlc_err err;
    EVP_PKEY *k = certlc_public_key_from_pem(pem, len, &err);
    if (k == NULL)
        return;
    size_t out_len = 0;
    char *out = certlc_pem_public_key(k, &out_len, &err);
    FUZZ_CHECK(out != NULL, "a parsed public key is not written: %s",
               err.msg);
    EVP_PKEY *k2 = certlc_public_key_from_pem(out, out_len, &err);
    FUZZ_CHECK(k2 != NULL, "its own PEM does not parse: %s", err.msg);
    FUZZ_CHECK(EVP_PKEY_eq(k, k2) == 1, "the public key changed");
    certlc_pem_free(out, out_len);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *pem = NULL;
    size_t len = 0;
    size_t n_labels = sizeof labels / sizeof labels[0];
    if (size > 0 && data[0] > 0 && data[0] < n_labels) {
        pem = wrap(labels[data[0]], data + 1, size - 1, &len);
    } else {
        pem = malloc(size > 0 ? size : 1);
        if (pem != NULL && size > 0)
            memcpy(pem, data, size);
        len = size;
    }
    if (pem == NULL)
        return 0;
    check_cert(pem, len);
    check_private(pem, len);
    check_public(pem, len);
    free(pem);
    /* Nothing may be left for the next input's error message. */
    ERR_clear_error();
    return 0;
}
