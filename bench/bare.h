/* Bare OpenSSL: the baseline the benchmarks compare certlc with.
 *
 * The same work certlc does to issue a tenant's Secret set (DESIGN section
 * 3), written the way a small program on OpenSSL 3's EVP/X509 APIs would:
 * EVP_PKEY_Q_keygen, X509_set_pubkey, extensions from their textual form
 * through X509V3_EXT_conf_nid (as `openssl req -x509` does), X509_sign with
 * SHA-256, PEM into memory BIOs. No store, no JSON, no checks. */
#ifndef CERTLC_BENCH_BARE_H
#define CERTLC_BENCH_BARE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum bare_alg { BARE_EC_P256, BARE_RSA_2048 } bare_alg;

/* "ecdsa-p256" or "rsa-2048"; -1 otherwise. */
int bare_alg_parse(const char *name, bare_alg *out);

EVP_PKEY *bare_keygen(bare_alg alg);

/* One certificate. issuer NULL: self-signed CA with `key`. sans: a
 * subjectAltName value in openssl's syntax ("DNS:a,IP:1.2.3.4") or NULL.
 * eku: "serverAuth", "clientAuth" or NULL. org may be NULL. */
X509 *bare_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                const char *cn, const char *org, const char *sans,
                const char *eku, bool rsa);

/* PEM of a certificate, private key (PKCS#8) or public key, appended to a
 * memory BIO the caller frees; returns the PEM's length or -1. */
long bare_pem_cert(X509 *x);
long bare_pem_key(EVP_PKEY *key);
long bare_pem_pubkey(EVP_PKEY *key);

/* Counts of one tenant's Secret set as certlc issues it with konnectivity on:
 * 11 key generations, 10 certificates (2 CAs, 8 signed by them), every
 * certificate and key PEM-encoded (kubeconfigs also embed the CA's PEM). */
typedef struct bare_counts {
    size_t keys, certs, pem_bytes;
} bare_counts;

/* Issues one tenant's set; 0 or -1. */
int bare_tenant(bare_alg alg, const char *address, bare_counts *c);

/* One leaf certificate and key signed by ca/ca_key, PEM-encoded: the
 * minimum work to re-create one deleted Secret. 0 or -1. */
int bare_leaf(bare_alg alg, X509 *ca, EVP_PKEY *ca_key, bare_counts *c);

#endif
