/* The PKI: keys and X.509 certificates on OpenSSL 3's EVP and X509 APIs
 * (no deprecated calls). Every function drains OpenSSL's error queue into
 * the certlc_err it fails with. */
#ifndef CERTLC_PKI_H
#define CERTLC_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "keyalg.h"

/* A new key: from the key source when one is set and has one ready
 * (keypool.h), else generated now. */
EVP_PKEY *certlc_key_generate(certlc_key_alg alg, certlc_err *err);
/* Always generated now: what the key pool itself calls. */
EVP_PKEY *certlc_key_generate_fresh(certlc_key_alg alg, certlc_err *err);

/* Called around key generation and signing, which touch nothing that
 * tenants share: the worker pool (workers.h) lets go of its pass lock
 * there. Set before the threads that generate keys start. */
void certlc_pki_set_busy_hooks(void (*leave)(void), void (*enter)(void));
/* Frees what this thread keeps for decoding keys faster; a thread other
 * than the main one calls it before it ends (the main thread's are freed
 * at exit). */
void certlc_pki_thread_end(void);
/* Where certlc_key_generate looks first: take returns a key of alg that
 * the caller then owns, or NULL (then the key is generated inline). NULL
 * take: none. Set before the threads that generate keys start. */
void certlc_pki_set_key_source(EVP_PKEY *(*take)(certlc_key_alg alg,
                                                 void *arg),
                               void *arg);

/* What a certificate must say. Arrays may be NULL when their count is 0. */
typedef struct certlc_cert_spec {
    const char *cn;
    const char *const *orgs;
    size_t n_orgs;
    const char *const *dns; /* subjectAltName DNS names */
    size_t n_dns;
    const char *const *ips; /* subjectAltName IPs, textual v4 or v6 */
    size_t n_ips;
    bool is_ca;
    bool server_auth; /* extendedKeyUsage serverAuth */
    bool client_auth; /* extendedKeyUsage clientAuth */
    int64_t validity; /* seconds from now */
    /* For certlc_cert_matches_spec only: a certificate carrying SANs
     * beyond the spec's still matches (Kamaji's superset rule, chosen with
     * reissue_on_removed_san = false). Missing SANs never match. */
    bool extra_sans_ok;
} certlc_cert_spec;

/* Issues a certificate for `key` (its public half) as the spec says, signed
 * with SHA-256 by issuer_key. issuer_cert NULL makes it self-signed (then
 * issuer_key must be `key`). basicConstraints critical, CA:TRUE only for CAs;
 * keyUsage critical (CA: keyCertSign, cRLSign, digitalSignature; leaf:
 * digitalSignature, plus keyEncipherment for RSA); subject and authority key
 * identifiers; a random positive serial of 128 bits; notBefore 5 minutes in
 * the past for clock skew; notAfter `validity` from now, but never later
 * than the issuer's notAfter (the caller logs such a clamp). */
X509 *certlc_cert_issue(const certlc_cert_spec *spec, EVP_PKEY *key,
                        X509 *issuer_cert, EVP_PKEY *issuer_key,
                        certlc_err *err);

/* The same certificate as certlc_cert_issue, returned as PEM (malloc'd,
 * NUL-terminated, *len excludes the NUL) for callers that only store it.
 * With an EC key it is about 3-4 times faster: OpenSSL 3.0's
 * X509_set_pubkey encodes the key and decodes it back through the provider
 * layer, which this path skips because its X509 object is never handed
 * out. */
char *certlc_cert_issue_pem(const certlc_cert_spec *spec, EVP_PKEY *key,
                            X509 *issuer_cert, EVP_PKEY *issuer_key,
                            size_t *len, certlc_err *err);
/* The same, also telling the certificate's notBefore and notAfter (Unix
 * time; either pointer may be NULL): what a record of the new Secret's
 * verdict needs, without parsing it back. */
char *certlc_cert_issue_pem_dated(const certlc_cert_spec *spec, EVP_PKEY *key,
                                  X509 *issuer_cert, EVP_PKEY *issuer_key,
                                  size_t *len, int64_t *not_before,
                                  int64_t *not_after, certlc_err *err);

/* PEM encodings, malloc'd and NUL-terminated; *len excludes the NUL.
 * certlc_pem_private_key writes unencrypted PKCS#8: free it with
 * certlc_pem_free, which cleanses it. */
char *certlc_pem_cert(X509 *cert, size_t *len, certlc_err *err);
char *certlc_pem_private_key(EVP_PKEY *key, size_t *len, certlc_err *err);
char *certlc_pem_public_key(EVP_PKEY *key, size_t *len, certlc_err *err);
void certlc_pem_free(char *pem, size_t len);
/* Appends the certificate's PEM to the malloc'd text *buf of *len bytes
 * (NULL and 0 at first), keeping it NUL-terminated. 0, or -1 with err (*buf
 * unchanged). */
int certlc_pem_cert_append(char **buf, size_t *len, X509 *cert,
                           certlc_err *err);

/* Parsers of PEM held in memory (not NUL-terminated necessarily). The
 * certificate parser takes the first certificate in the buffer. The key
 * parser accepts PKCS#8, PKCS#1 and SEC1 private keys. */
X509 *certlc_cert_from_pem(const void *pem, size_t len, certlc_err *err);
EVP_PKEY *certlc_private_key_from_pem(const void *pem, size_t len,
                                      certlc_err *err);
EVP_PKEY *certlc_public_key_from_pem(const void *pem, size_t len,
                                     certlc_err *err);

/* 0 when the private key is the one of the certificate's public key (or of
 * `pub`), -1 with "key does not match the certificate" otherwise. */
int certlc_key_matches_cert(EVP_PKEY *key, X509 *cert, certlc_err *err);
int certlc_key_matches_public(EVP_PKEY *key, EVP_PKEY *pub, certlc_err *err);

/* Verifies that `cert` is signed by `ca` and that both are valid at time
 * `now` (Unix seconds). 0 or -1 with OpenSSL's verify error in words. */
int certlc_cert_verify(X509 *cert, X509 *ca, int64_t now, certlc_err *err);

int64_t certlc_cert_not_after(X509 *cert);
int64_t certlc_cert_not_before(X509 *cert);
bool certlc_cert_is_ca(X509 *cert);

/* The serial as uppercase hex, malloc'd. */
char *certlc_cert_serial_hex(X509 *cert);
/* The serial (as certlc_cert_serial_hex writes it) and the notAfter of the
 * first certificate of a PEM buffer, read from its DER without decoding
 * its public key (which is most of d2i_X509's cost); falls back to the
 * full parse for anything unusual. Returns 0, or -1 with err. */
int certlc_cert_peek(const void *pem, size_t len, char *serial,
                     size_t serial_size, int64_t *not_after, certlc_err *err);

/* 0 when the certificate's subject CN and O values, and its SAN set (DNS
 * and IP, order ignored, IPs compared as addresses), are exactly those of
 * the spec (a superset of them with spec->extra_sans_ok); -1 with the first difference in words otherwise. */
int certlc_cert_matches_spec(X509 *cert, const certlc_cert_spec *spec,
                             certlc_err *err);

/* What a certificate from an external issuer must have: not a CA, every SAN
 * of the spec (it may have more), and the spec's extendedKeyUsages (or none,
 * which allows any). Its subject is the issuer's business. */
int certlc_cert_covers_spec(X509 *cert, const certlc_cert_spec *spec,
                            certlc_err *err);

/* The SANs as "DNS:name" / "IP:addr" strings, malloc'd array of malloc'd
 * strings; *n set. NULL with *n = 0 when there are none. */
char **certlc_cert_sans(X509 *cert, size_t *n);
void certlc_strv_free(char **v, size_t n);

#endif
