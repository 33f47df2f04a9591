#include "pki.h"

#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sha256.h"

/* notBefore lies this far in the past, for peers whose clocks lag. */
#define BACKDATE_SECONDS 300

/* Longest value of a certificate quoted in a message. */
#define QUOTE_MAX 200

/* ---- key algorithms ---- */

static const struct {
    certlc_key_alg alg;
    const char *name;
    const char *type;  /* EVP_PKEY_Q_keygen key type */
    unsigned rsa_bits; /* 0 for EC */
    const char *group; /* NULL for RSA */
} key_algs[] = {
    {CERTLC_KEY_RSA2048, "rsa-2048", "RSA", 2048, NULL},
    {CERTLC_KEY_RSA3072, "rsa-3072", "RSA", 3072, NULL},
    {CERTLC_KEY_RSA4096, "rsa-4096", "RSA", 4096, NULL},
    {CERTLC_KEY_ECDSA_P256, "ecdsa-p256", "EC", 0, "P-256"},
    {CERTLC_KEY_ECDSA_P384, "ecdsa-p384", "EC", 0, "P-384"},
};
#define N_KEY_ALGS (sizeof key_algs / sizeof key_algs[0])

/* ---- hooks: the worker pool's lock and the key pool ---- */

static void (*busy_leave)(void);
static void (*busy_enter)(void);
static EVP_PKEY *(*key_source)(certlc_key_alg alg, void *arg);
static void *key_source_arg;

void certlc_pki_set_busy_hooks(void (*leave)(void), void (*enter)(void))
{
    busy_leave = leave;
    busy_enter = enter;
}

void certlc_pki_set_key_source(EVP_PKEY *(*take)(certlc_key_alg alg,
                                                 void *arg),
                               void *arg)
{
    key_source = take;
    key_source_arg = arg;
}

static void busy_begin(void)
{
    if (busy_leave != NULL)
        busy_leave();
}

static void busy_end(void)
{
    if (busy_enter != NULL)
        busy_enter();
}

/* ---- EC key generation from a context kept per curve and thread ----
 *
 * EVP_PKEY_Q_keygen builds the curve's group from its name for every key
 * (EC_GROUP_new_from_params: more than half of generating a P-256 key). A
 * key generation context made from a parameter template copies the group
 * instead; one is kept per curve and thread (a thread's are freed when it
 * ends, the main thread's at exit) and generates every key of that curve. */

static pthread_key_t gen_key;
static pthread_once_t gen_once = PTHREAD_ONCE_INIT;
static bool gen_key_ok;

static void gen_free(void *v)
{
    EVP_PKEY_CTX **ctxs = v;
    for (size_t i = 0; i < N_KEY_ALGS; i++)
        EVP_PKEY_CTX_free(ctxs[i]);
    free(ctxs);
}

static void gen_free_main(void)
{
    void *v = pthread_getspecific(gen_key);
    if (v != NULL) {
        pthread_setspecific(gen_key, NULL);
        gen_free(v);
    }
}

static void gen_init(void)
{
    gen_key_ok = pthread_key_create(&gen_key, gen_free) == 0;
    if (gen_key_ok)
        atexit(gen_free_main);
}

/* This thread's context for key_algs[i] (an EC curve), or NULL (then
 * EVP_PKEY_Q_keygen). */
static EVP_PKEY_CTX *ec_keygen_ctx(size_t i)
{
    pthread_once(&gen_once, gen_init);
    if (!gen_key_ok)
        return NULL;
    EVP_PKEY_CTX **ctxs = pthread_getspecific(gen_key);
    if (ctxs == NULL) {
        ctxs = calloc(N_KEY_ALGS, sizeof *ctxs);
        if (ctxs == NULL || pthread_setspecific(gen_key, ctxs) != 0) {
            free(ctxs);
            return NULL;
        }
    }
    if (ctxs[i] != NULL)
        return ctxs[i];
    EVP_PKEY *params = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY_CTX *kctx = NULL;
    if (pctx != NULL && EVP_PKEY_paramgen_init(pctx) > 0 &&
        EVP_PKEY_CTX_set_group_name(pctx, key_algs[i].group) > 0 &&
        EVP_PKEY_paramgen(pctx, &params) > 0 &&
        (kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) != NULL &&
        EVP_PKEY_keygen_init(kctx) > 0) {
        ctxs[i] = kctx;
        kctx = NULL;
    } else {
        ERR_clear_error();
    }
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(params);
    return ctxs[i];
}

EVP_PKEY *certlc_key_generate_fresh(certlc_key_alg alg, certlc_err *err)
{
    for (size_t i = 0; i < N_KEY_ALGS; i++) {
        if (key_algs[i].alg != alg)
            continue;
        EVP_PKEY *key = NULL;
        EVP_PKEY_CTX *ctx =
            key_algs[i].group != NULL ? ec_keygen_ctx(i) : NULL;
        busy_begin();
        if (ctx != NULL) {
            if (EVP_PKEY_generate(ctx, &key) <= 0)
                key = NULL;
        } else if (key_algs[i].group != NULL) {
            key = EVP_PKEY_Q_keygen(NULL, NULL, key_algs[i].type,
                                    key_algs[i].group);
        } else {
            key = EVP_PKEY_Q_keygen(NULL, NULL, key_algs[i].type,
                                    (size_t)key_algs[i].rsa_bits);
        }
        busy_end();
        if (key == NULL)
            certlc_err_ssl(err, "cannot generate a %s key", key_algs[i].name);
        return key;
    }
    certlc_err_set(err, "unknown key algorithm %d", (int)alg);
    return NULL;
}

EVP_PKEY *certlc_key_generate(certlc_key_alg alg, certlc_err *err)
{
    EVP_PKEY *key = key_source != NULL ? key_source(alg, key_source_arg)
                                       : NULL;
    return key != NULL ? key : certlc_key_generate_fresh(alg, err);
}

/* ---- small helpers ---- */

/* Parses a textual IPv4 or IPv6 address into 4 or 16 bytes. inet_pton, not
 * a2i_IPADDRESS: the latter accepts trailing junk after an IPv4 address. */
static int parse_ip(const char *text, unsigned char out[16], size_t *len)
{
    if (text == NULL)
        return -1;
    if (inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out) == 1) {
        *len = 16;
        return 0;
    }
    return -1;
}

static void format_ip(const unsigned char *ip, int len, char *out,
                      size_t size)
{
    if ((len == 4 && inet_ntop(AF_INET, ip, out, (socklen_t)size) != NULL) ||
        (len == 16 && inet_ntop(AF_INET6, ip, out, (socklen_t)size) != NULL))
        return;
    snprintf(out, size, "<invalid %d-byte address>", len);
}

static bool valid_dns_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return false;
    return true;
}

/* SHA-1 of the subjectPublicKey bits: the key identifier of RFC 5280
 * section 4.2.1.2, method 1, as OpenSSL and Go compute it. */
static int key_id(const ASN1_BIT_STRING *bits, unsigned char md[20])
{
    unsigned int n = 0;
    if (bits == NULL ||
        !EVP_Digest(bits->data, (size_t)bits->length, md, &n, EVP_sha1(),
                    NULL) ||
        n != 20)
        return -1;
    return 0;
}

static int add_ext(X509 *x, int nid, void *value, int crit, certlc_err *err)
{
    if (X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) != 1)
        return certlc_err_ssl(err, "cannot add the %s extension",
                              OBJ_nid2sn(nid));
    return 0;
}

static int add_name_entry(X509_NAME *name, int nid, const char *value,
                          certlc_err *err)
{
    if (value == NULL || value[0] == '\0')
        return certlc_err_set(err, "empty subject %s", OBJ_nid2sn(nid));
    if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                    (const unsigned char *)value, -1, -1, 0))
        return certlc_err_ssl(err, "cannot set subject %s '%.*s'",
                              OBJ_nid2sn(nid), QUOTE_MAX, value);
    return 0;
}

/* ---- issuance ---- */

static int set_serial(X509 *x, certlc_err *err)
{
    unsigned char buf[16];
    size_t skip;
    do {
        if (RAND_bytes(buf, sizeof buf) != 1)
            return certlc_err_ssl(err, "cannot draw a random serial");
        buf[0] &= 0x7f; /* positive */
        for (skip = 0; skip < sizeof buf && buf[skip] == 0; skip++)
            ;
    } while (skip == sizeof buf); /* nonzero */
    /* An ASN1_INTEGER holds the magnitude without leading zero bytes. */
    if (!ASN1_STRING_set(X509_get_serialNumber(x), buf + skip,
                         (int)(sizeof buf - skip)))
        return certlc_err_ssl(err, "cannot set the serial");
    return 0;
}

static int set_validity(X509 *x, int64_t validity, certlc_err *err)
{
    if (validity <= -BACKDATE_SECONDS)
        return certlc_err_set(err,
                              "validity of %lld seconds ends before the "
                              "certificate begins (%d seconds ago)",
                              (long long)validity, BACKDATE_SECONDS);
    if (validity / 86400 >= INT_MAX)
        return certlc_err_set(err, "validity of %lld seconds is too long",
                              (long long)validity);
    time_t now = time(NULL);
    if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE_SECONDS,
                         &now) == NULL)
        return certlc_err_ssl(err, "cannot set notBefore");
    if (X509_time_adj_ex(X509_getm_notAfter(x), (int)(validity / 86400),
                         (long)(validity % 86400), &now) == NULL)
        return certlc_err_ssl(err, "cannot set notAfter %lld seconds from now",
                              (long long)validity);
    return 0;
}

static int set_subject(X509 *x, const certlc_cert_spec *spec, certlc_err *err)
{
    /* X509_get_subject_name returns the certificate's own, empty name. The
     * usual order: O before CN, one RDN for each O. */
    X509_NAME *name = X509_get_subject_name(x);
    for (size_t i = 0; i < spec->n_orgs; i++)
        if (add_name_entry(name, NID_organizationName, spec->orgs[i], err) < 0)
            return -1;
    if (spec->cn != NULL && spec->cn[0] != '\0' &&
        add_name_entry(name, NID_commonName, spec->cn, err) < 0)
        return -1;
    return 0;
}

static int add_basic_constraints(X509 *x, bool is_ca, certlc_err *err)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    if (bc == NULL)
        return certlc_err_ssl(err, "out of memory");
    bc->ca = is_ca ? 0xFF : 0;
    int rc = add_ext(x, NID_basic_constraints, bc, 1, err);
    BASIC_CONSTRAINTS_free(bc);
    return rc;
}

static int add_key_usage(X509 *x, bool is_ca, bool rsa, certlc_err *err)
{
    /* Bit numbers of RFC 5280 section 4.2.1.3. */
    enum { DIGITAL_SIGNATURE = 0, KEY_ENCIPHERMENT = 2, KEY_CERT_SIGN = 5,
           CRL_SIGN = 6 };
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    int ok = ku != NULL && ASN1_BIT_STRING_set_bit(ku, DIGITAL_SIGNATURE, 1);
    if (ok && is_ca)
        ok = ASN1_BIT_STRING_set_bit(ku, KEY_CERT_SIGN, 1) &&
             ASN1_BIT_STRING_set_bit(ku, CRL_SIGN, 1);
    else if (ok && rsa)
        ok = ASN1_BIT_STRING_set_bit(ku, KEY_ENCIPHERMENT, 1);
    int rc = ok ? add_ext(x, NID_key_usage, ku, 1, err)
                : certlc_err_ssl(err, "cannot build the keyUsage extension");
    ASN1_BIT_STRING_free(ku);
    return rc;
}

static int add_ext_key_usage(X509 *x, const certlc_cert_spec *spec,
                             certlc_err *err)
{
    if (spec->is_ca || (!spec->server_auth && !spec->client_auth))
        return 0;
    /* OBJ_nid2obj returns static objects: the stack is freed alone. */
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    int ok = eku != NULL;
    if (ok && spec->server_auth)
        ok = sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) > 0;
    if (ok && spec->client_auth)
        ok = sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) > 0;
    int rc = ok ? add_ext(x, NID_ext_key_usage, eku, 0, err)
                : certlc_err_ssl(err, "cannot build the extendedKeyUsage "
                                      "extension");
    sk_ASN1_OBJECT_free(eku);
    return rc;
}

static int add_key_ids(X509 *x, const unsigned char skid[20],
                       const unsigned char akid[20], certlc_err *err)
{
    ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
    AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();
    int rc;
    if (s == NULL || a == NULL || !ASN1_OCTET_STRING_set(s, skid, 20) ||
        (a->keyid = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(a->keyid, akid, 20))
        rc = certlc_err_ssl(err, "cannot build the key identifiers");
    else if ((rc = add_ext(x, NID_subject_key_identifier, s, 0, err)) == 0)
        rc = add_ext(x, NID_authority_key_identifier, a, 0, err);
    ASN1_OCTET_STRING_free(s);
    AUTHORITY_KEYID_free(a);
    return rc;
}

static int add_general_name(GENERAL_NAMES *gens, int type,
                            const unsigned char *data, size_t len)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_STRING *s = type == GEN_DNS ? ASN1_IA5STRING_new()
                                     : ASN1_OCTET_STRING_new();
    if (g == NULL || s == NULL || !ASN1_STRING_set(s, data, (int)len)) {
        GENERAL_NAME_free(g);
        ASN1_STRING_free(s);
        return -1;
    }
    GENERAL_NAME_set0_value(g, type, s);
    if (sk_GENERAL_NAME_push(gens, g) <= 0) {
        GENERAL_NAME_free(g);
        return -1;
    }
    return 0;
}

static int add_sans(X509 *x, const certlc_cert_spec *spec, certlc_err *err)
{
    if (spec->n_dns == 0 && spec->n_ips == 0)
        return 0;
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    if (gens == NULL)
        return certlc_err_ssl(err, "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->n_dns; i++) {
        const char *d = spec->dns[i];
        if (!valid_dns_name(d))
            rc = certlc_err_set(err, "invalid DNS name '%.*s' for the SANs",
                                QUOTE_MAX, d != NULL ? d : "");
        else if (add_general_name(gens, GEN_DNS, (const unsigned char *)d,
                                  strlen(d)) < 0)
            rc = certlc_err_ssl(err, "cannot add SAN DNS:%.*s", QUOTE_MAX, d);
    }
    for (size_t i = 0; rc == 0 && i < spec->n_ips; i++) {
        unsigned char ip[16];
        size_t len;
        const char *t = spec->ips[i];
        if (parse_ip(t, ip, &len) < 0)
            rc = certlc_err_set(err, "invalid IP address '%.*s' for the SANs",
                                QUOTE_MAX, t != NULL ? t : "");
        else if (add_general_name(gens, GEN_IPADD, ip, len) < 0)
            rc = certlc_err_ssl(err, "cannot add SAN IP:%s", t);
    }
    /* RFC 5280 4.2.1.6: critical when the subject is empty. */
    if (rc == 0)
        rc = add_ext(x, NID_subject_alt_name, gens,
                     X509_NAME_entry_count(X509_get_subject_name(x)) == 0,
                     err);
    GENERAL_NAMES_free(gens);
    return rc;
}

static int check_issuer(const certlc_cert_spec *spec, EVP_PKEY *key,
                        X509 *issuer_cert, EVP_PKEY *issuer_key,
                        certlc_err *err)
{
    if (spec == NULL || key == NULL || issuer_key == NULL)
        return certlc_err_set(err, "certificate spec, key or issuer key "
                                   "missing");
    if (issuer_cert == NULL) {
        if (issuer_key != key && EVP_PKEY_eq(issuer_key, key) != 1) {
            certlc_err_ssl_clear();
            return certlc_err_set(err, "a self-signed certificate must be "
                                       "signed with its own key");
        }
        return 0;
    }
    if (!(X509_get_extension_flags(issuer_cert) & EXFLAG_CA))
        return certlc_err_set(err, "the issuer certificate is not a CA");
    EVP_PKEY *pub = X509_get0_pubkey(issuer_cert);
    if (pub == NULL)
        return certlc_err_ssl(err, "cannot read the issuer certificate's "
                                   "public key");
    if (EVP_PKEY_eq(issuer_key, pub) != 1) {
        certlc_err_ssl_clear();
        return certlc_err_set(err, "the issuer key does not match the issuer "
                                   "certificate");
    }
    return 0;
}

/* Puts the public key into the certificate without X509_set_pubkey, which
 * in OpenSSL 3.0 encodes the key and decodes it back through the provider
 * layer (over half the cost of issuing a P-256 certificate). For an EC key
 * on a named curve it writes the algorithm and the point directly; the
 * certificate then holds no decoded EVP_PKEY (X509_get0_pubkey returns
 * NULL), so only certificates that are encoded and dropped are built this
 * way. 1 when done, 0 when the key needs X509_set_pubkey, -1 on error. */
static int set_ec_pubkey_bits(X509 *x, EVP_PKEY *key)
{
    char group[80];
    size_t len = 0;
    if (!EVP_PKEY_is_a(key, "EC") ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof group, NULL)) {
        certlc_err_ssl_clear();
        return 0;
    }
    int curve = OBJ_txt2nid(group);
    if (curve == NID_undef ||
        !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         NULL, 0, &len) ||
        len == 0 || len > INT_MAX) {
        certlc_err_ssl_clear();
        return 0;
    }
    unsigned char *point = OPENSSL_malloc(len);
    if (point == NULL ||
        !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, len, &len)) {
        OPENSSL_free(point);
        return -1;
    }
    /* On success the X509_PUBKEY owns `point`. */
    if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
                                OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                                V_ASN1_OBJECT, OBJ_nid2obj(curve), point,
                                (int)len)) {
        OPENSSL_free(point);
        return -1;
    }
    return 1;
}

/* The whole of certlc_cert_issue; `decoded_pubkey` false allows the fast
 * public key path of set_ec_pubkey_bits. */
static X509 *build_cert(const certlc_cert_spec *spec, EVP_PKEY *key,
                        X509 *issuer_cert, EVP_PKEY *issuer_key,
                        bool decoded_pubkey, certlc_err *err)
{
    if (check_issuer(spec, key, issuer_cert, issuer_key, err) < 0)
        return NULL;
    X509 *x = X509_new();
    if (x == NULL) {
        certlc_err_ssl(err, "out of memory");
        return NULL;
    }
    int set = decoded_pubkey ? 0 : set_ec_pubkey_bits(x, key);
    if (set == 0)
        set = X509_set_pubkey(x, key) ? 1 : -1;
    if (set < 0) {
        certlc_err_ssl(err, "cannot set the certificate's public key");
        goto fail;
    }
    if (!X509_set_version(x, X509_VERSION_3)) {
        certlc_err_ssl(err, "cannot set the certificate's version");
        goto fail;
    }
    if (set_serial(x, err) < 0 || set_validity(x, spec->validity, err) < 0 ||
        set_subject(x, spec, err) < 0)
        goto fail;
    /* No certificate outlives its issuer: past the CA's notAfter it could
     * not verify anyway, and it would look renewed when it is not. */
    if (issuer_cert != NULL &&
        ASN1_TIME_compare(X509_get0_notAfter(x),
                          X509_get0_notAfter(issuer_cert)) > 0 &&
        !X509_set1_notAfter(x, X509_get0_notAfter(issuer_cert))) {
        certlc_err_ssl(err, "cannot clamp notAfter to the issuer's");
        goto fail;
    }
    if (!X509_set_issuer_name(x, issuer_cert != NULL
                                     ? X509_get_subject_name(issuer_cert)
                                     : X509_get_subject_name(x))) {
        certlc_err_ssl(err, "cannot set the issuer name");
        goto fail;
    }

    unsigned char skid[20], akid[20];
    if (key_id(X509_get0_pubkey_bitstr(x), skid) < 0) {
        certlc_err_ssl(err, "cannot compute the subject key identifier");
        goto fail;
    }
    if (issuer_cert == NULL) {
        memcpy(akid, skid, sizeof akid);
    } else {
        const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(issuer_cert);
        if (id != NULL && id->length == 20) {
            memcpy(akid, id->data, sizeof akid);
        } else if (key_id(X509_get0_pubkey_bitstr(issuer_cert), akid) < 0) {
            certlc_err_ssl(err, "cannot compute the authority key identifier");
            goto fail;
        }
    }

    bool rsa = EVP_PKEY_is_a(key, "RSA");
    if (add_basic_constraints(x, spec->is_ca, err) < 0 ||
        add_key_usage(x, spec->is_ca, rsa, err) < 0 ||
        add_ext_key_usage(x, spec, err) < 0 ||
        add_key_ids(x, skid, akid, err) < 0 || add_sans(x, spec, err) < 0)
        goto fail;

    busy_begin();
    int signed_len = X509_sign(x, issuer_key, certlc_sha256());
    busy_end();
    if (signed_len <= 0) {
        certlc_err_ssl(err, "cannot sign the certificate");
        goto fail;
    }
    return x;

fail:
    X509_free(x);
    return NULL;
}

X509 *certlc_cert_issue(const certlc_cert_spec *spec, EVP_PKEY *key,
                        X509 *issuer_cert, EVP_PKEY *issuer_key,
                        certlc_err *err)
{
    return build_cert(spec, key, issuer_cert, issuer_key, true, err);
}

/* ---- PEM ---- */

/* Copies a memory BIO's contents into a malloc'd NUL-terminated string.
 * Freeing a memory BIO cleanses its buffer (BUF_MEM_free). */
static char *bio_to_string(BIO *bio, size_t *len, certlc_err *err)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n < 0 || data == NULL) {
        certlc_err_set(err, "empty PEM output");
        return NULL;
    }
    char *out = malloc((size_t)n + 1);
    if (out == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return out;
}

enum pem_kind { PEM_CERT, PEM_PRIVATE, PEM_PUBLIC };

static char *write_pem(enum pem_kind kind, X509 *cert, EVP_PKEY *key,
                       size_t *len, certlc_err *err)
{
    static const char *const what[] = {"certificate", "private key",
                                       "public key"};
    if ((kind == PEM_CERT && cert == NULL) || (kind != PEM_CERT && key == NULL)) {
        certlc_err_set(err, "no %s to encode", what[kind]);
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        certlc_err_ssl(err, "out of memory");
        return NULL;
    }
    int ok;
    switch (kind) {
    case PEM_CERT:
        ok = PEM_write_bio_X509(bio, cert);
        break;
    case PEM_PRIVATE:
        ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
        break;
    default:
        ok = PEM_write_bio_PUBKEY(bio, key);
        break;
    }
    char *out = NULL;
    if (!ok)
        certlc_err_ssl(err, "cannot encode the %s as PEM", what[kind]);
    else
        out = bio_to_string(bio, len, err);
    BIO_free(bio);
    return out;
}

char *certlc_pem_cert(X509 *cert, size_t *len, certlc_err *err)
{
    return write_pem(PEM_CERT, cert, NULL, len, err);
}

int certlc_pem_cert_append(char **buf, size_t *len, X509 *cert,
                           certlc_err *err)
{
    size_t n = 0;
    char *pem = certlc_pem_cert(cert, &n, err);
    if (pem == NULL)
        return -1;
    char *nb = realloc(*buf, *len + n + 1);
    if (nb == NULL) {
        free(pem);
        return certlc_err_set(err, "out of memory");
    }
    memcpy(nb + *len, pem, n + 1);
    *buf = nb;
    *len += n;
    free(pem);
    return 0;
}

/* ---- the PEM of an EC private key, without the encoder layer ----
 *
 * PEM_write_bio_PrivateKey looks its encoder up among every provided one
 * on each call (OSSL_ENCODER_CTX_new_for_pkey): for a P-256 key that costs
 * more than generating the key, and it was the largest single cost of
 * provisioning. The same PKCS#8 document (RFC 5208, holding the SEC1
 * ECPrivateKey of RFC 5915 with the public key and without the curve,
 * which the outer algorithm names) is built here from the key's
 * parameters: the bytes are the ones OpenSSL writes (test_pki compares
 * them). The public key's SubjectPublicKeyInfo likewise. */

/* Large enough for P-521 (66-byte scalar, 133-byte point) with room. */
#define DER_MAX 512
#define SCALAR_MAX 80
#define POINT_MAX 160

/* DER of id-ecPublicKey (1.2.840.10045.2.1). */
static const unsigned char ec_public_key_oid[] = {
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};

/* A DER writer over a fixed buffer; `bad` once anything did not fit. */
typedef struct der_out {
    unsigned char *buf;
    size_t len, cap;
    bool bad;
} der_out;

static void put(der_out *d, const void *p, size_t n)
{
    if (d->bad || n > d->cap - d->len) {
        d->bad = true;
        return;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

/* Tag and definite length (under 64 KiB: the sizes here are far below). */
static void head(der_out *d, unsigned char tag, size_t n)
{
    unsigned char h[4] = {tag};
    size_t k;
    if (n < 0x80) {
        h[1] = (unsigned char)n;
        k = 2;
    } else if (n < 0x100) {
        h[1] = 0x81;
        h[2] = (unsigned char)n;
        k = 3;
    } else if (n < 0x10000) {
        h[1] = 0x82;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        k = 4;
    } else {
        d->bad = true;
        return;
    }
    put(d, h, k);
}

/* Size of a tag and length for content of n bytes. */
static size_t head_len(size_t n)
{
    return n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
}

/* The key's private scalar, big-endian, left-padded to n bytes. The
 * parameter buffer is ours, so that it is cleansed. */
static int private_scalar(EVP_PKEY *key, unsigned char *out, size_t n)
{
    unsigned char native[SCALAR_MAX];
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, native,
                                sizeof native),
        OSSL_PARAM_construct_end()};
    int ok = EVP_PKEY_get_params(key, params) &&
             OSSL_PARAM_modified(params) && params[0].return_size > 0 &&
             params[0].return_size <= sizeof native;
    BIGNUM *bn = ok ? BN_secure_new() : NULL;
    ok = bn != NULL &&
         BN_native2bn(native, (int)params[0].return_size, bn) != NULL &&
         BN_bn2binpad(bn, out, (int)n) == (int)n;
    BN_clear_free(bn);
    OPENSSL_cleanse(native, sizeof native);
    return ok ? 0 : -1;
}

/* The PrivateKeyInfo DER of the key into d. */
static int private_key_info(EVP_PKEY *key, const ASN1_OBJECT *curve, der_out *d)
{
    unsigned char scalar[SCALAR_MAX], point[POINT_MAX], curve_der[32];
    size_t point_len = 0;
    int bits = EVP_PKEY_get_bits(key);
    size_t n = bits > 0 ? ((size_t)bits + 7) / 8 : 0;
    unsigned char *cp = curve_der;
    int curve_len = i2d_ASN1_OBJECT(curve, NULL);
    if (n == 0 || n > sizeof scalar || curve_len <= 0 ||
        (size_t)curve_len > sizeof curve_der ||
        i2d_ASN1_OBJECT(curve, &cp) != curve_len ||
        !EVP_PKEY_get_octet_string_param(key,
                                         OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, sizeof point, &point_len) ||
        point_len == 0 || private_scalar(key, scalar, n) != 0)
        return -1;

    /* ECPrivateKey (RFC 5915): version 1, the scalar, [1] the public key
     * as a BIT STRING with no unused bits; no [0] parameters. */
    size_t bits_len = 1 + point_len;
    size_t pub_len = head_len(bits_len) + bits_len;
    size_t ec_len = 3 + head_len(n) + n + head_len(pub_len) + pub_len;
    size_t alg_len = sizeof ec_public_key_oid + (size_t)curve_len;
    size_t octet_len = head_len(ec_len) + ec_len;
    size_t info_len = 3 + head_len(alg_len) + alg_len + head_len(octet_len) +
                      octet_len;
    static const unsigned char version0[] = {0x02, 0x01, 0x00};
    static const unsigned char version1[] = {0x02, 0x01, 0x01};
    static const unsigned char no_unused_bits = 0x00;

    head(d, 0x30, info_len);
    put(d, version0, sizeof version0);
    head(d, 0x30, alg_len);
    put(d, ec_public_key_oid, sizeof ec_public_key_oid);
    put(d, curve_der, (size_t)curve_len);
    head(d, 0x04, octet_len);
    head(d, 0x30, ec_len);
    put(d, version1, sizeof version1);
    head(d, 0x04, n);
    put(d, scalar, n);
    head(d, 0xa1, pub_len);
    head(d, 0x03, bits_len);
    put(d, &no_unused_bits, 1);
    put(d, point, point_len);
    OPENSSL_cleanse(scalar, sizeof scalar);
    return d->bad ? -1 : 0;
}

/* PEM of DER under label: base64 in lines of 64 characters, as
 * PEM_write_bio does. */
static char *pem_of(const char *label, const unsigned char *data, size_t n,
                    size_t *len)
{
    static const char begin[] = "-----BEGIN ", end[] = "-----END ",
                      dashes[] = "-----\n";
    size_t label_len = strlen(label);
    size_t lines = (n + 47) / 48;
    size_t size = sizeof begin - 1 + label_len + sizeof dashes - 1 +
                  (n + 2) / 3 * 4 + lines + sizeof end - 1 + label_len +
                  sizeof dashes - 1 + 1;
    char *out = malloc(size), *p = out;
    if (out == NULL)
        return NULL;
    p += sprintf(p, "%s%s%s", begin, label, dashes);
    for (size_t off = 0; off < n; off += 48) {
        size_t chunk = n - off < 48 ? n - off : 48;
        p += EVP_EncodeBlock((unsigned char *)p, data + off, (int)chunk);
        *p++ = '\n';
    }
    p += sprintf(p, "%s%s%s", end, label, dashes);
    *len = (size_t)(p - out);
    return out;
}

/* The SubjectPublicKeyInfo DER of the key into d (RFC 5480). */
static int public_key_info(EVP_PKEY *key, const ASN1_OBJECT *curve,
                           der_out *d)
{
    unsigned char point[POINT_MAX], curve_der[32];
    size_t point_len = 0;
    unsigned char *cp = curve_der;
    int curve_len = i2d_ASN1_OBJECT(curve, NULL);
    if (curve_len <= 0 || (size_t)curve_len > sizeof curve_der ||
        i2d_ASN1_OBJECT(curve, &cp) != curve_len ||
        !EVP_PKEY_get_octet_string_param(key,
                                         OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, sizeof point, &point_len) ||
        point_len == 0)
        return -1;
    size_t bits_len = 1 + point_len;
    size_t alg_len = sizeof ec_public_key_oid + (size_t)curve_len;
    static const unsigned char no_unused_bits = 0x00;
    head(d, 0x30, head_len(alg_len) + alg_len + head_len(bits_len) + bits_len);
    head(d, 0x30, alg_len);
    put(d, ec_public_key_oid, sizeof ec_public_key_oid);
    put(d, curve_der, (size_t)curve_len);
    head(d, 0x03, bits_len);
    put(d, &no_unused_bits, 1);
    put(d, point, point_len);
    return d->bad ? -1 : 0;
}

/* The PEM of key (its private key, or its public key) into *pem and *len:
 * 1. 0 when key is not an EC key on a named curve (OpenSSL's encoder then
 * writes it), -1 with err. */
static int ec_pem(EVP_PKEY *key, bool private, char **pem, size_t *len,
                  certlc_err *err)
{
    char group[80];
    if (key == NULL || !EVP_PKEY_is_a(key, "EC") ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof group, NULL)) {
        ERR_clear_error();
        return 0;
    }
    int nid = OBJ_txt2nid(group);
    const ASN1_OBJECT *curve = nid != NID_undef ? OBJ_nid2obj(nid) : NULL;
    if (curve == NULL) {
        ERR_clear_error();
        return 0;
    }
    unsigned char buf[DER_MAX];
    der_out d = {.buf = buf, .cap = sizeof buf};
    int rc = 1;
    if ((private ? private_key_info(key, curve, &d)
                 : public_key_info(key, curve, &d)) != 0)
        rc = certlc_err_ssl(err, "cannot encode the %s %s key", group,
                            private ? "private" : "public");
    else if ((*pem = pem_of(private ? "PRIVATE KEY" : "PUBLIC KEY", buf,
                            d.len, len)) == NULL)
        rc = certlc_err_set(err, "out of memory");
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

char *certlc_pem_private_key(EVP_PKEY *key, size_t *len, certlc_err *err)
{
    /* EC keys skip the encoder lookup, the cost of PEM_write_bio_PrivateKey
     * (above); the bytes are the same. */
    char *pem = NULL;
    size_t n = 0;
    int rc = ec_pem(key, true, &pem, &n, err);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        return write_pem(PEM_PRIVATE, NULL, key, len, err);
    if (len != NULL)
        *len = n;
    return pem;
}

char *certlc_cert_issue_pem(const certlc_cert_spec *spec, EVP_PKEY *key,
                            X509 *issuer_cert, EVP_PKEY *issuer_key,
                            size_t *len, certlc_err *err)
{
    return certlc_cert_issue_pem_dated(spec, key, issuer_cert, issuer_key,
                                       len, NULL, NULL, err);
}

static int64_t asn1_time_to_unix(const ASN1_TIME *t);

char *certlc_cert_issue_pem_dated(const certlc_cert_spec *spec, EVP_PKEY *key,
                                  X509 *issuer_cert, EVP_PKEY *issuer_key,
                                  size_t *len, int64_t *not_before,
                                  int64_t *not_after, certlc_err *err)
{
    X509 *x = build_cert(spec, key, issuer_cert, issuer_key, false, err);
    if (x == NULL)
        return NULL;
    char *pem = write_pem(PEM_CERT, x, NULL, len, err);
    if (pem != NULL && not_before != NULL)
        *not_before = asn1_time_to_unix(X509_get0_notBefore(x));
    if (pem != NULL && not_after != NULL)
        *not_after = asn1_time_to_unix(X509_get0_notAfter(x));
    X509_free(x);
    return pem;
}

char *certlc_pem_public_key(EVP_PKEY *key, size_t *len, certlc_err *err)
{
    /* As certlc_pem_private_key: no encoder lookup for an EC key. */
    char *pem = NULL;
    size_t n = 0;
    int rc = ec_pem(key, false, &pem, &n, err);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        return write_pem(PEM_PUBLIC, NULL, key, len, err);
    if (len != NULL)
        *len = n;
    return pem;
}

void certlc_pem_free(char *pem, size_t len)
{
    if (pem == NULL)
        return;
    OPENSSL_cleanse(pem, len);
    free(pem);
}

/* True when the buffer holds a "-----BEGIN <label>-----" line whose label
 * ends with `suffix` (or, with exact, is `suffix`). Used only to word the
 * error when parsing failed. */
static bool pem_has_label(const void *pem, size_t len, const char *suffix,
                          bool exact)
{
    static const char begin[] = "-----BEGIN ";
    const char *p = pem, *end = p + len;
    size_t slen = strlen(suffix);
    while ((p = memmem(p, (size_t)(end - p), begin, sizeof begin - 1)) != NULL) {
        p += sizeof begin - 1;
        const char *dash = memmem(p, (size_t)(end - p), "-----", 5);
        if (dash == NULL)
            return false;
        size_t n = (size_t)(dash - p);
        if (n >= slen && memcmp(dash - slen, suffix, slen) == 0 &&
            (!exact || n == slen))
            return true;
        p = dash;
    }
    return false;
}

static BIO *mem_bio(const void *pem, size_t len, certlc_err *err)
{
    if (pem == NULL || len > INT_MAX) {
        certlc_err_set(err, "no PEM data");
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        certlc_err_ssl(err, "out of memory");
    return bio;
}

X509 *certlc_cert_from_pem(const void *pem, size_t len, certlc_err *err)
{
    BIO *bio = mem_bio(pem, len, err);
    if (bio == NULL)
        return NULL;
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x != NULL)
        return x;
    if (!pem_has_label(pem, len, "CERTIFICATE", false)) {
        certlc_err_ssl_clear();
        certlc_err_set(err, "no PEM certificate found");
    } else {
        certlc_err_ssl(err, "cannot parse the PEM certificate");
    }
    return NULL;
}

/* Refuses to prompt for a passphrase, which OpenSSL's default callback
 * would do on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* ---- fast PKCS#8 decoding ----
 *
 * In OpenSSL 3.0 every PEM_read_bio_PrivateKey builds a decoder context that
 * tries every decoder it has: about 1 ms a key, half of a pass that only
 * re-checks a tenant. A context made once per key type and thread, and
 * reused, decodes a key in tens of microseconds. certlc writes unencrypted
 * PKCS#8, whose algorithm OID names the key type; anything else takes the
 * general path. */

enum { DEC_EC, DEC_RSA, DEC_TYPES };

typedef struct key_decoder {
    OSSL_DECODER_CTX *ctx;
    EVP_PKEY *out; /* where the context writes: bound at creation */
} key_decoder;

static _Thread_local key_decoder decoders[DEC_TYPES];

static void free_decoders(void)
{
    for (int i = 0; i < DEC_TYPES; i++) {
        OSSL_DECODER_CTX_free(decoders[i].ctx);
        decoders[i].ctx = NULL;
    }
}

void certlc_pki_thread_end(void)
{
    free_decoders();
}

/* The key type of an unencrypted PKCS#8 PEM, from the algorithm OID in the
 * first bytes of its DER; -1 when it is not one we cache a decoder for. */
static int pkcs8_type(const void *pem, size_t len)
{
    static const char begin[] = "-----BEGIN PRIVATE KEY-----\n";
    static const unsigned char ec_oid[] = {0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01};
    static const unsigned char rsa_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x01, 0x01};
    size_t blen = sizeof begin - 1;
    if (len < blen + 64 || memcmp(pem, begin, blen) != 0)
        return -1;
    unsigned char der[48];
    if (EVP_DecodeBlock(der, (const unsigned char *)pem + blen, 64) != 48)
        return -1;
    if (memmem(der, sizeof der, ec_oid, sizeof ec_oid) != NULL)
        return DEC_EC;
    if (memmem(der, sizeof der, rsa_oid, sizeof rsa_oid) != NULL)
        return DEC_RSA;
    return -1;
}

static EVP_PKEY *pkcs8_decode(const void *pem, size_t len)
{
    int type = pkcs8_type(pem, len);
    if (type < 0)
        return NULL;
    key_decoder *d = &decoders[type];
    if (d->ctx == NULL) {
        static _Thread_local bool registered;
        d->ctx = OSSL_DECODER_CTX_new_for_pkey(
            &d->out, "PEM", "PrivateKeyInfo", type == DEC_EC ? "EC" : "RSA",
            OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
        if (d->ctx == NULL) {
            certlc_err_ssl_clear();
            return NULL;
        }
        if (!registered)
            registered = atexit(free_decoders) == 0;
    }
    const unsigned char *p = pem;
    size_t n = len;
    d->out = NULL;
    if (!OSSL_DECODER_from_data(d->ctx, &p, &n)) {
        certlc_err_ssl_clear();
        EVP_PKEY_free(d->out);
        d->out = NULL;
        return NULL;
    }
    EVP_PKEY *key = d->out;
    d->out = NULL;
    return key;
}

EVP_PKEY *certlc_private_key_from_pem(const void *pem, size_t len,
                                      certlc_err *err)
{
    BIO *bio = mem_bio(pem, len, err);
    if (bio == NULL)
        return NULL;
    EVP_PKEY *key = pkcs8_decode(pem, len);
    if (key != NULL) {
        BIO_free(bio);
        return key;
    }
    key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (key != NULL)
        return key;
    if (pem_has_label(pem, len, "ENCRYPTED PRIVATE KEY", true) ||
        (pem_has_label(pem, len, "PRIVATE KEY", false) &&
         memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL)) {
        certlc_err_ssl_clear();
        certlc_err_set(err, "encrypted private keys are not supported");
    } else if (!pem_has_label(pem, len, "PRIVATE KEY", false)) {
        certlc_err_ssl_clear();
        certlc_err_set(err, "no PEM private key found");
    } else {
        certlc_err_ssl(err, "cannot parse the PEM private key");
    }
    return NULL;
}

EVP_PKEY *certlc_public_key_from_pem(const void *pem, size_t len,
                                     certlc_err *err)
{
    BIO *bio = mem_bio(pem, len, err);
    if (bio == NULL)
        return NULL;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key != NULL)
        return key;
    if (!pem_has_label(pem, len, "PUBLIC KEY", true)) {
        certlc_err_ssl_clear();
        certlc_err_set(err, "no PEM public key found");
    } else {
        certlc_err_ssl(err, "cannot parse the PEM public key");
    }
    return NULL;
}

/* ---- checks ---- */

int certlc_key_matches_cert(EVP_PKEY *key, X509 *cert, certlc_err *err)
{
    if (key == NULL || cert == NULL)
        return certlc_err_set(err, "no key or certificate to compare");
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    if (pub == NULL)
        return certlc_err_ssl(err, "cannot read the certificate's public key");
    if (EVP_PKEY_eq(key, pub) != 1) {
        certlc_err_ssl_clear();
        return certlc_err_set(err, "private key does not match the "
                                   "certificate");
    }
    return 0;
}

int certlc_key_matches_public(EVP_PKEY *key, EVP_PKEY *pub, certlc_err *err)
{
    if (key == NULL || pub == NULL)
        return certlc_err_set(err, "no key to compare");
    if (EVP_PKEY_eq(key, pub) != 1) {
        certlc_err_ssl_clear();
        return certlc_err_set(err, "private key does not match the public "
                                   "key");
    }
    return 0;
}

int certlc_cert_verify(X509 *cert, X509 *ca, int64_t now, certlc_err *err)
{
    if (cert == NULL || ca == NULL)
        return certlc_err_set(err, "no certificate or CA to verify");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = -1;
    if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, ca) ||
        !X509_STORE_CTX_init(ctx, store, cert, NULL)) {
        certlc_err_ssl(err, "cannot set up certificate verification");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)now);
    /* The CA is the trust anchor even when it is not self-signed (an
     * intermediate of an external PKI). */
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    int ok = X509_verify_cert(ctx);
    certlc_err_ssl_clear();
    if (ok == 1) {
        rc = 0;
    } else {
        int e = X509_STORE_CTX_get_error(ctx);
        certlc_err_set(err, "certificate verify failed: %s",
                       X509_verify_cert_error_string(e));
    }
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

static int64_t asn1_time_to_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

/* 0 (the epoch) when the time cannot be read: such a certificate reads as
 * long expired, which leads to its renewal. */
int64_t certlc_cert_not_after(X509 *cert)
{
    return cert != NULL ? asn1_time_to_unix(X509_get0_notAfter(cert)) : 0;
}

int64_t certlc_cert_not_before(X509 *cert)
{
    return cert != NULL ? asn1_time_to_unix(X509_get0_notBefore(cert)) : 0;
}

bool certlc_cert_is_ca(X509 *cert)
{
    return cert != NULL && (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
}

char *certlc_cert_serial_hex(X509 *cert)
{
    if (cert == NULL)
        return NULL;
    const ASN1_INTEGER *s = X509_get0_serialNumber(cert);
    int n = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    bool neg = ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER;
    /* Skip leading zero bytes, as BN_bn2hex does. */
    while (n > 0 && d[0] == 0) {
        d++;
        n--;
    }
    char *out = malloc((size_t)n * 2 + 3);
    if (out == NULL)
        return NULL;
    char *p = out;
    if (n == 0) {
        *p++ = '0';
    } else {
        static const char hex[] = "0123456789ABCDEF";
        if (neg)
            *p++ = '-';
        for (int i = 0; i < n; i++) {
            *p++ = hex[d[i] >> 4];
            *p++ = hex[d[i] & 0xf];
        }
    }
    *p = '\0';
    return out;
}

/* ---- reading a certificate's serial and notAfter without parsing it ----
 *
 * d2i_X509 decodes the public key through OpenSSL 3's decoder, which costs
 * far more than the rest of the certificate. What the observer shows of a
 * certificate (serial, notAfter) sits at the start of its TBSCertificate:
 * walked here in DER; anything unexpected falls back to the full parse. */

/* One TLV at *p within end: its tag, its content in *c and *clen; *p moves
 * past it. Returns 0, or -1. */
static int der_next(const unsigned char **p, const unsigned char *end,
                    int *tag, int *cls, const unsigned char **c, long *clen)
{
    const unsigned char *q = *p;
    long len = 0;
    int r = ASN1_get_object(&q, &len, tag, cls, end - *p);
    if ((r & 0x80) || len < 0 || len > end - q)
        return -1;
    *c = q;
    *clen = len;
    *p = q + len;
    return 0;
}

static int peek_der(const unsigned char *der, long n, char *serial,
                    size_t serial_size, int64_t *not_after)
{
    const unsigned char *p = der, *end = der + n, *c, *tbs, *tend;
    long l;
    int tag, cls;
    if (der_next(&p, end, &tag, &cls, &c, &l) != 0 || tag != V_ASN1_SEQUENCE ||
        p != end)
        return -1;
    p = c;
    end = c + l;
    if (der_next(&p, end, &tag, &cls, &tbs, &l) != 0 ||
        tag != V_ASN1_SEQUENCE)
        return -1;
    p = tbs;
    tend = tbs + l;
    if (der_next(&p, tend, &tag, &cls, &c, &l) != 0)
        return -1;
    if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0 && /* [0] version */
        der_next(&p, tend, &tag, &cls, &c, &l) != 0)
        return -1;
    /* The serial, positive (a negative one takes the full parse). */
    if (tag != V_ASN1_INTEGER || cls != V_ASN1_UNIVERSAL || l == 0 ||
        (c[0] & 0x80) || (size_t)l * 2 + 2 > serial_size)
        return -1;
    while (l > 0 && c[0] == 0) {
        c++;
        l--;
    }
    static const char hex[] = "0123456789ABCDEF";
    char *o = serial;
    if (l == 0)
        *o++ = '0';
    for (long i = 0; i < l; i++) {
        *o++ = hex[c[i] >> 4];
        *o++ = hex[c[i] & 0xf];
    }
    *o = '\0';
    /* signature, issuer, then validity { notBefore, notAfter } */
    for (int i = 0; i < 2; i++)
        if (der_next(&p, tend, &tag, &cls, &c, &l) != 0 ||
            tag != V_ASN1_SEQUENCE)
            return -1;
    if (der_next(&p, tend, &tag, &cls, &c, &l) != 0 || tag != V_ASN1_SEQUENCE)
        return -1;
    const unsigned char *v = c, *vend = c + l, *na;
    if (der_next(&v, vend, &tag, &cls, &c, &l) != 0)
        return -1;
    na = v;
    if (der_next(&v, vend, &tag, &cls, &c, &l) != 0 ||
        (tag != V_ASN1_UTCTIME && tag != V_ASN1_GENERALIZEDTIME))
        return -1;
    ASN1_TIME *t = d2i_ASN1_TIME(NULL, &na, v - na);
    if (t == NULL)
        return -1;
    *not_after = asn1_time_to_unix(t);
    ASN1_TIME_free(t);
    return *not_after != 0 ? 0 : -1;
}

int certlc_cert_peek(const void *pem, size_t len, char *serial,
                     size_t serial_size, int64_t *not_after, certlc_err *err)
{
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long n = 0;
    int rc = -1;
    BIO *bio = mem_bio(pem, len, err);
    if (bio == NULL)
        return -1;
    if (PEM_read_bio(bio, &name, &header, &der, &n) == 1 &&
        strcmp(name, PEM_STRING_X509) == 0)
        rc = peek_der(der, n, serial, serial_size, not_after);
    certlc_err_ssl_clear();
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    if (rc == 0)
        return 0;
    /* Anything else: the full parse, and its error. */
    X509 *x = certlc_cert_from_pem(pem, len, err);
    if (x == NULL)
        return -1;
    char *hexs = certlc_cert_serial_hex(x);
    snprintf(serial, serial_size, "%s", hexs ? hexs : "");
    free(hexs);
    *not_after = certlc_cert_not_after(x);
    X509_free(x);
    return 0;
}

/* ---- comparison with a spec ---- */

/* The UTF-8 values of one attribute of a name, malloc'd; *n set. */
static char **name_values(const X509_NAME *name, int nid, size_t *n)
{
    *n = 0;
    int count = X509_NAME_entry_count(name);
    char **v = calloc((size_t)(count > 0 ? count : 1), sizeof *v);
    if (v == NULL)
        return NULL;
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != nid)
            continue;
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0) {
            certlc_err_ssl_clear();
            /* Unreadable: a value that no spec can equal. */
            v[(*n)++] = strdup("\x01<unreadable>");
        } else {
            /* An embedded NUL makes the value differ from any spec. */
            v[(*n)++] = memchr(utf8, '\0', (size_t)len) != NULL
                            ? strdup("\x01<embedded NUL>")
                            : strndup((const char *)utf8, (size_t)len);
            OPENSSL_free(utf8);
        }
        if (v[*n - 1] == NULL) {
            certlc_strv_free(v, *n);
            *n = 0;
            return NULL;
        }
    }
    return v;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL && strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static int compare_subject(X509 *cert, const certlc_cert_spec *spec,
                           certlc_err *err)
{
    const X509_NAME *name = X509_get_subject_name(cert);
    size_t n_cn, n_o;
    char **cn = name_values(name, NID_commonName, &n_cn);
    char **o = cn != NULL ? name_values(name, NID_organizationName, &n_o)
                          : NULL;
    if (cn == NULL || o == NULL) {
        certlc_strv_free(cn, n_cn);
        return certlc_err_set(err, "out of memory");
    }
    const char *want = spec->cn != NULL && spec->cn[0] != '\0' ? spec->cn
                                                                : NULL;
    int rc = -1;
    if (n_cn > 1)
        certlc_err_set(err, "subject has %zu CNs, expected one", n_cn);
    else if (n_cn == 0 && want != NULL)
        certlc_err_set(err, "subject has no CN, expected '%.*s'", QUOTE_MAX,
                       want);
    else if (n_cn == 1 && want == NULL)
        certlc_err_set(err, "subject CN is '%.*s', expected none", QUOTE_MAX,
                       cn[0]);
    else if (n_cn == 1 && strcmp(cn[0], want) != 0)
        certlc_err_set(err, "subject CN is '%.*s', expected '%.*s'",
                       QUOTE_MAX, cn[0], QUOTE_MAX, want);
    else
        rc = 0;

    for (size_t i = 0; rc == 0 && i < spec->n_orgs; i++)
        if (spec->orgs[i] != NULL &&
            !in_list(spec->orgs[i], (const char *const *)o, n_o))
            rc = certlc_err_set(err, "subject lacks O '%.*s'", QUOTE_MAX,
                                spec->orgs[i]);
    for (size_t i = 0; rc == 0 && i < n_o; i++)
        if (!in_list(o[i], spec->orgs, spec->n_orgs))
            rc = certlc_err_set(err, "subject has an unexpected O '%.*s'",
                                QUOTE_MAX, o[i]);
    certlc_strv_free(cn, n_cn);
    certlc_strv_free(o, n_o);
    return rc;
}

struct ip_bytes {
    unsigned char b[16];
    size_t len;
};

static bool dns_in_sans(const char *d, const GENERAL_NAMES *gens)
{
    size_t len = strlen(d);
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS &&
            (size_t)ASN1_STRING_length(g->d.dNSName) == len &&
            memcmp(ASN1_STRING_get0_data(g->d.dNSName), d, len) == 0)
            return true;
    }
    return false;
}

static bool ip_in_sans(const struct ip_bytes *ip, const GENERAL_NAMES *gens)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_IPADD &&
            (size_t)ASN1_STRING_length(g->d.iPAddress) == ip->len &&
            memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ip->b, ip->len) == 0)
            return true;
    }
    return false;
}

/* The certificate's SANs in *out: an empty list when it has none. */
static int read_sans(X509 *cert, GENERAL_NAMES **out, certlc_err *err)
{
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit,
                                           NULL);
    if (gens == NULL && crit != -1) {
        certlc_err_ssl_clear();
        return certlc_err_set(err, crit == -2
                                       ? "certificate has more than one "
                                         "subjectAltName extension"
                                       : "cannot read the certificate's "
                                         "subjectAltName extension");
    }
    if (gens == NULL && (gens = GENERAL_NAMES_new()) == NULL)
        return certlc_err_ssl(err, "out of memory");
    *out = gens;
    return 0;
}

/* The spec's IP addresses as bytes, as iPAddress SANs hold them. *out is
 * the caller's to free, even on error. */
static int spec_ip_bytes(const certlc_cert_spec *spec, struct ip_bytes **out,
                         certlc_err *err)
{
    struct ip_bytes *ips = calloc(spec->n_ips > 0 ? spec->n_ips : 1,
                                  sizeof *ips);
    int rc = ips != NULL ? 0 : certlc_err_set(err, "out of memory");
    for (size_t i = 0; rc == 0 && i < spec->n_ips; i++)
        if (parse_ip(spec->ips[i], ips[i].b, &ips[i].len) < 0)
            rc = certlc_err_set(err, "invalid IP address '%.*s' in the spec",
                                QUOTE_MAX,
                                spec->ips[i] != NULL ? spec->ips[i] : "");
    *out = ips;
    return rc;
}

/* Every name the spec asks for is among the certificate's SANs. */
static int sans_cover_spec(const certlc_cert_spec *spec,
                           const struct ip_bytes *ips,
                           const GENERAL_NAMES *gens, certlc_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->n_dns; i++)
        if (spec->dns[i] != NULL && !dns_in_sans(spec->dns[i], gens))
            rc = certlc_err_set(err, "SANs differ: certificate lacks DNS:%.*s",
                                QUOTE_MAX, spec->dns[i]);
    for (size_t i = 0; rc == 0 && i < spec->n_ips; i++)
        if (!ip_in_sans(&ips[i], gens))
            rc = certlc_err_set(err, "SANs differ: certificate lacks IP:%.*s",
                                QUOTE_MAX, spec->ips[i]);
    return rc;
}

static bool dns_in_spec(const ASN1_STRING *s, const certlc_cert_spec *spec)
{
    bool found = false;
    for (size_t j = 0; !found && j < spec->n_dns; j++)
        found = spec->dns[j] != NULL &&
                strlen(spec->dns[j]) == (size_t)ASN1_STRING_length(s) &&
                memcmp(spec->dns[j], ASN1_STRING_get0_data(s),
                       strlen(spec->dns[j])) == 0;
    return found;
}

static bool ip_in_spec(const ASN1_STRING *s, const certlc_cert_spec *spec,
                       const struct ip_bytes *ips)
{
    bool found = false;
    for (size_t j = 0; !found && j < spec->n_ips; j++)
        found = ips[j].len == (size_t)ASN1_STRING_length(s) &&
                memcmp(ips[j].b, ASN1_STRING_get0_data(s), ips[j].len) == 0;
    return found;
}

/* One SAN of the certificate is one the spec lists. */
static int san_in_spec(const GENERAL_NAME *g, const certlc_cert_spec *spec,
                       const struct ip_bytes *ips, certlc_err *err)
{
    if (g->type == GEN_DNS) {
        const ASN1_STRING *s = g->d.dNSName;
        if (dns_in_spec(s, spec))
            return 0;
        int len = ASN1_STRING_length(s);
        return certlc_err_set(err,
                              "SANs differ: certificate has an "
                              "unexpected DNS:%.*s",
                              len < QUOTE_MAX ? len : QUOTE_MAX,
                              (const char *)ASN1_STRING_get0_data(s));
    }
    if (g->type == GEN_IPADD) {
        const ASN1_STRING *s = g->d.iPAddress;
        if (ip_in_spec(s, spec, ips))
            return 0;
        char text[64];
        format_ip(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), text,
                  sizeof text);
        return certlc_err_set(err,
                              "SANs differ: certificate has an "
                              "unexpected IP:%s",
                              text);
    }
    return certlc_err_set(err, "SANs differ: certificate has a SAN "
                               "that is neither DNS nor IP");
}

static int compare_sans(X509 *cert, const certlc_cert_spec *spec,
                        certlc_err *err)
{
    GENERAL_NAMES *gens = NULL;
    int rc = read_sans(cert, &gens, err);
    if (rc != 0)
        return rc;
    struct ip_bytes *ips = NULL;
    rc = spec_ip_bytes(spec, &ips, err);
    if (rc == 0)
        rc = sans_cover_spec(spec, ips, gens, err);
    /* With extra_sans_ok, names beyond the spec's are left valid. */
    for (int i = 0; rc == 0 && !spec->extra_sans_ok &&
                    i < sk_GENERAL_NAME_num(gens);
         i++)
        rc = san_in_spec(sk_GENERAL_NAME_value(gens, i), spec, ips, err);
    free(ips);
    GENERAL_NAMES_free(gens);
    return rc;
}

static int compare_usage(X509 *cert, const certlc_cert_spec *spec,
                         certlc_err *err)
{
    bool is_ca = certlc_cert_is_ca(cert);
    if (is_ca != spec->is_ca)
        return certlc_err_set(err, is_ca ? "certificate is a CA, expected a "
                                           "leaf"
                                         : "certificate is not a CA, "
                                           "expected a CA");
    /* Issuance gives a CA no extendedKeyUsage, whatever the flags say. */
    bool want_server = !spec->is_ca && spec->server_auth;
    bool want_client = !spec->is_ca && spec->client_auth;
    bool has_eku = (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) != 0;
    uint32_t xku = has_eku ? X509_get_extended_key_usage(cert) : 0;
    if (has_eku && !want_server && !want_client)
        return certlc_err_set(err, "certificate has extendedKeyUsage, "
                                   "expected none");
    if (want_server != ((xku & XKU_SSL_SERVER) != 0))
        return certlc_err_set(err, want_server
                                       ? "extendedKeyUsage lacks serverAuth"
                                       : "extendedKeyUsage has an "
                                         "unexpected serverAuth");
    if (want_client != ((xku & XKU_SSL_CLIENT) != 0))
        return certlc_err_set(err, want_client
                                       ? "extendedKeyUsage lacks clientAuth"
                                       : "extendedKeyUsage has an "
                                         "unexpected clientAuth");
    if (xku & ~(uint32_t)(XKU_SSL_SERVER | XKU_SSL_CLIENT))
        return certlc_err_set(err, "extendedKeyUsage has purposes besides "
                                   "serverAuth and clientAuth");
    return 0;
}

int certlc_cert_matches_spec(X509 *cert, const certlc_cert_spec *spec,
                             certlc_err *err)
{
    if (cert == NULL || spec == NULL)
        return certlc_err_set(err, "no certificate or spec to compare");
    if (X509_get_extension_flags(cert) & EXFLAG_INVALID)
        return certlc_err_ssl(err, "certificate has invalid extensions");
    if (compare_subject(cert, spec, err) < 0 ||
        compare_sans(cert, spec, err) < 0 ||
        compare_usage(cert, spec, err) < 0)
        return -1;
    return 0;
}

int certlc_cert_covers_spec(X509 *cert, const certlc_cert_spec *spec,
                            certlc_err *err)
{
    if (cert == NULL || spec == NULL)
        return certlc_err_set(err, "no certificate or spec to compare");
    if (X509_get_extension_flags(cert) & EXFLAG_INVALID)
        return certlc_err_ssl(err, "certificate has invalid extensions");
    if (certlc_cert_is_ca(cert))
        return certlc_err_set(err, "certificate is a CA, expected a leaf");
    certlc_cert_spec superset = *spec;
    superset.extra_sans_ok = true;
    if (compare_sans(cert, &superset, err) < 0)
        return -1;
    /* No extendedKeyUsage at all means any purpose (RFC 5280 4.2.1.12). */
    if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0)
        return 0;
    uint32_t xku = X509_get_extended_key_usage(cert);
    if (spec->server_auth && (xku & XKU_SSL_SERVER) == 0)
        return certlc_err_set(err, "extendedKeyUsage lacks serverAuth");
    if (spec->client_auth && (xku & XKU_SSL_CLIENT) == 0)
        return certlc_err_set(err, "extendedKeyUsage lacks clientAuth");
    return 0;
}

char **certlc_cert_sans(X509 *cert, size_t *n)
{
    *n = 0;
    if (cert == NULL)
        return NULL;
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
                                           NULL);
    certlc_err_ssl_clear();
    if (gens == NULL)
        return NULL;
    int count = sk_GENERAL_NAME_num(gens);
    char **v = count > 0 ? calloc((size_t)count, sizeof *v) : NULL;
    for (int i = 0; v != NULL && i < count; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char *s = NULL;
        if (g->type == GEN_DNS) {
            int len = ASN1_STRING_length(g->d.dNSName);
            s = malloc((size_t)len + 5);
            if (s != NULL) {
                memcpy(s, "DNS:", 4);
                memcpy(s + 4, ASN1_STRING_get0_data(g->d.dNSName),
                       (size_t)len);
                s[len + 4] = '\0';
            }
        } else if (g->type == GEN_IPADD) {
            char text[64];
            format_ip(ASN1_STRING_get0_data(g->d.iPAddress),
                      ASN1_STRING_length(g->d.iPAddress), text, sizeof text);
            size_t len = strlen(text);
            s = malloc(len + 4);
            if (s != NULL) {
                memcpy(s, "IP:", 3);
                memcpy(s + 3, text, len + 1);
            }
        } else {
            continue; /* neither DNS nor IP: not reported */
        }
        if (s == NULL) {
            certlc_strv_free(v, *n);
            v = NULL;
            *n = 0;
            break;
        }
        v[(*n)++] = s;
    }
    GENERAL_NAMES_free(gens);
    if (v != NULL && *n == 0) {
        free(v);
        v = NULL;
    }
    return v;
}

void certlc_strv_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
