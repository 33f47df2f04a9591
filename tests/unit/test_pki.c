#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki.h"

#define N_ALGS 5
#define N_SLOTS 3

/* Keys are generated once and shared: RSA key generation is slow (RSA-4096
 * takes seconds), so each RSA size is generated as few times as possible. */
static EVP_PKEY *key_cache[N_ALGS][N_SLOTS];

static EVP_PKEY *key(certlc_key_alg alg, int slot)
{
    if (key_cache[alg][slot] == NULL) {
        certlc_err err = {{0}};
        key_cache[alg][slot] = certlc_key_generate(alg, &err);
        if (key_cache[alg][slot] == NULL)
            fail_msg("keygen %s: %s", certlc_key_alg_name(alg), err.msg);
    }
    return key_cache[alg][slot];
}

static int free_keys(void **state)
{
    (void)state;
    for (int a = 0; a < N_ALGS; a++)
        for (int s = 0; s < N_SLOTS; s++)
            EVP_PKEY_free(key_cache[a][s]);
    return 0;
}

static const char *const ca_orgs[] = {"certlc"};
static const char *const leaf_orgs[] = {"kubeadm:cluster-admins", "system:masters"};
static const char *const leaf_dns[] = {"kubernetes", "kubernetes.default.svc",
                                       "tcp.ns.svc.cluster.local"};
static const char *const leaf_ips[] = {"127.0.0.1", "10.96.0.1", "fd00::1"};

#define ONE_YEAR ((int64_t)365 * 86400)

static certlc_cert_spec ca_spec(const char *cn)
{
    certlc_cert_spec s = {.cn = cn, .orgs = ca_orgs, .n_orgs = 1,
                          .is_ca = true, .validity = 10 * ONE_YEAR};
    return s;
}

static certlc_cert_spec leaf_spec(void)
{
    certlc_cert_spec s = {.cn = "kube-apiserver",
                          .orgs = leaf_orgs, .n_orgs = 2,
                          .dns = leaf_dns, .n_dns = 3,
                          .ips = leaf_ips, .n_ips = 3,
                          .server_auth = true, .client_auth = true,
                          .validity = ONE_YEAR};
    return s;
}

static X509 *issue(const certlc_cert_spec *spec, EVP_PKEY *k, X509 *ca,
                   EVP_PKEY *ca_key)
{
    certlc_err err = {{0}};
    X509 *x = certlc_cert_issue(spec, k, ca, ca_key, &err);
    if (x == NULL)
        fail_msg("issue: %s", err.msg);
    return x;
}

static X509 *issue_ca(EVP_PKEY *k, const char *cn)
{
    certlc_cert_spec s = ca_spec(cn);
    return issue(&s, k, NULL, k);
}

/* Checks that the extension is there exactly once, with that criticality. */
static void assert_ext(X509 *x, int nid, int critical)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    if (i < 0)
        fail_msg("extension %s missing", OBJ_nid2sn(nid));
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), critical);
    assert_int_equal(X509_get_ext_by_NID(x, nid, i), -1);
}

static int64_t seconds_from(time_t ref, const ASN1_TIME *t)
{
    ASN1_TIME *r = ASN1_TIME_set(NULL, ref);
    int day = 0, sec = 0;
    assert_int_equal(ASN1_TIME_diff(&day, &sec, r, t), 1);
    ASN1_TIME_free(r);
    return (int64_t)day * 86400 + sec;
}

/* Everything certlc_cert_issue promises, checked with OpenSSL's own
 * accessors. t0 and t1 bracket the issuance. */
static void check_cert(X509 *x, const certlc_cert_spec *spec, X509 *issuer,
                       EVP_PKEY *subject_key, EVP_PKEY *issuer_key,
                       time_t t0, time_t t1)
{
    X509 *iss = issuer != NULL ? issuer : x;
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
                                   X509_get_subject_name(iss)), 0);

    uint32_t flags = X509_get_extension_flags(x);
    assert_false(flags & EXFLAG_INVALID);
    assert_true(flags & EXFLAG_BCONS);
    assert_int_equal((flags & EXFLAG_CA) != 0, spec->is_ca);
    assert_ext(x, NID_basic_constraints, 1);

    assert_true(flags & EXFLAG_KUSAGE);
    assert_ext(x, NID_key_usage, 1);
    uint32_t want_ku = KU_DIGITAL_SIGNATURE;
    if (spec->is_ca)
        want_ku |= KU_KEY_CERT_SIGN | KU_CRL_SIGN;
    else if (EVP_PKEY_is_a(subject_key, "RSA"))
        want_ku |= KU_KEY_ENCIPHERMENT;
    assert_int_equal(X509_get_key_usage(x), want_ku);

    if (spec->is_ca || (!spec->server_auth && !spec->client_auth)) {
        assert_false(flags & EXFLAG_XKUSAGE);
        assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
    } else {
        assert_ext(x, NID_ext_key_usage, 0);
        uint32_t want = (spec->server_auth ? XKU_SSL_SERVER : 0) |
                        (spec->client_auth ? XKU_SSL_CLIENT : 0);
        assert_int_equal(X509_get_extended_key_usage(x), want);
    }

    /* Key identifiers: SHA-1 of the key bits, the AKID the issuer's SKID. */
    assert_ext(x, NID_subject_key_identifier, 0);
    assert_ext(x, NID_authority_key_identifier, 0);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
    assert_non_null(skid);
    assert_int_equal(ASN1_STRING_length(skid), mdlen);
    assert_memory_equal(ASN1_STRING_get0_data(skid), md, mdlen);
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
    assert_non_null(akid);
    assert_int_equal(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(iss)),
                     0);

    if (spec->n_dns + spec->n_ips > 0)
        assert_ext(x, NID_subject_alt_name, 0);
    else
        assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);

    /* Serial: positive, nonzero, at most 128 bits. */
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);
    assert_in_range(ASN1_STRING_length(serial), 1, 16);
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    assert_non_null(bn);
    assert_false(BN_is_zero(bn));
    assert_false(BN_is_negative(bn));
    assert_true(BN_num_bits(bn) <= 127);
    BN_free(bn);

    /* Validity: backdated 5 minutes, then `validity` seconds from now. */
    int64_t nb = seconds_from(t0, X509_get0_notBefore(x));
    assert_in_range(nb, -300, -300 + (t1 - t0));
    int64_t na = seconds_from(t0, X509_get0_notAfter(x));
    assert_in_range(na, spec->validity, spec->validity + (t1 - t0));
    assert_in_range(certlc_cert_not_before(x), t0 - 300, t1 - 300);
    assert_in_range(certlc_cert_not_after(x), t0 + spec->validity,
                    t1 + spec->validity);

    /* SHA-256 signature by the issuer's key. */
    int mdnid = 0, pknid = 0;
    assert_int_equal(X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL), 1);
    assert_int_equal(mdnid, NID_sha256);
    assert_int_equal(X509_get_signature_nid(x),
                     EVP_PKEY_is_a(issuer_key, "RSA") ? NID_sha256WithRSAEncryption
                                                      : NID_ecdsa_with_SHA256);
    assert_int_equal(X509_verify(x, issuer_key), 1);

    certlc_err err = {{0}};
    assert_int_equal(certlc_key_matches_cert(subject_key, x, &err), 0);
    assert_int_equal(certlc_cert_is_ca(x), spec->is_ca);
    if (certlc_cert_matches_spec(x, spec, &err) != 0)
        fail_msg("matches_spec: %s", err.msg);
}

/* A CA and a leaf of the same algorithm; with one key (slot 0 only) for
 * both when key generation is slow. */
static void issue_and_check(certlc_key_alg alg, bool one_key)
{
    EVP_PKEY *ca_key = key(alg, 0);
    EVP_PKEY *leaf_key = one_key ? ca_key : key(alg, 1);
    certlc_cert_spec cs = ca_spec("kubernetes");
    certlc_cert_spec ls = leaf_spec();

    time_t t0 = time(NULL);
    X509 *ca = issue(&cs, ca_key, NULL, ca_key);
    X509 *leaf = issue(&ls, leaf_key, ca, ca_key);
    time_t t1 = time(NULL);

    check_cert(ca, &cs, NULL, ca_key, ca_key, t0, t1);
    check_cert(leaf, &ls, ca, leaf_key, ca_key, t0, t1);

    certlc_err err = {{0}};
    if (certlc_cert_verify(leaf, ca, (int64_t)time(NULL), &err) != 0)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(certlc_cert_verify(ca, ca, (int64_t)time(NULL), &err), 0);

    /* Two certificates never share a serial. */
    char *s1 = certlc_cert_serial_hex(ca), *s2 = certlc_cert_serial_hex(leaf);
    assert_string_not_equal(s1, s2);
    free(s1);
    free(s2);
    X509_free(leaf);
    X509_free(ca);
}

static void test_issue_ecdsa_p256(void **state)
{
    (void)state;
    issue_and_check(CERTLC_KEY_ECDSA_P256, false);
}

static void test_issue_ecdsa_p384(void **state)
{
    (void)state;
    issue_and_check(CERTLC_KEY_ECDSA_P384, false);
}

static void test_issue_rsa2048(void **state)
{
    (void)state;
    issue_and_check(CERTLC_KEY_RSA2048, false);
}

static void test_issue_rsa3072(void **state)
{
    (void)state;
    issue_and_check(CERTLC_KEY_RSA3072, true);
    assert_int_equal(EVP_PKEY_get_bits(key(CERTLC_KEY_RSA3072, 0)), 3072);
}

/* RSA-4096 key generation takes seconds: one key, as the leaf of the
 * RSA-2048 CA. */
static void test_issue_rsa4096_leaf(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_RSA4096, 0);
    assert_int_equal(EVP_PKEY_get_bits(k), 4096);
    assert_true(EVP_PKEY_is_a(k, "RSA"));
    EVP_PKEY *ca_key = key(CERTLC_KEY_RSA2048, 0);
    certlc_cert_spec cs = ca_spec("kubernetes"), ls = leaf_spec();
    time_t t0 = time(NULL);
    X509 *ca = issue(&cs, ca_key, NULL, ca_key);
    X509 *leaf = issue(&ls, k, ca, ca_key);
    check_cert(leaf, &ls, ca, k, ca_key, t0, time(NULL));
    assert_int_equal(certlc_cert_verify(leaf, ca, (int64_t)time(NULL), NULL), 0);
    X509_free(leaf);
    X509_free(ca);
}

static void test_key_algs(void **state)
{
    (void)state;
    static const char *const names[] = {"rsa-2048", "rsa-3072", "rsa-4096",
                                        "ecdsa-p256", "ecdsa-p384"};
    static const certlc_key_alg algs[] = {
        CERTLC_KEY_RSA2048, CERTLC_KEY_RSA3072, CERTLC_KEY_RSA4096,
        CERTLC_KEY_ECDSA_P256, CERTLC_KEY_ECDSA_P384};
    for (size_t i = 0; i < 5; i++) {
        certlc_key_alg a = CERTLC_KEY_RSA2048;
        assert_int_equal(certlc_key_alg_parse(names[i], &a), 0);
        assert_int_equal(a, algs[i]);
        assert_string_equal(certlc_key_alg_name(algs[i]), names[i]);
    }
    const char *bad[] = {"", "rsa", "RSA-2048", "rsa-1024", "ecdsa-p521",
                         "ecdsa-p256 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        certlc_key_alg a;
        assert_int_equal(certlc_key_alg_parse(bad[i], &a), -1);
    }
    assert_int_equal(certlc_key_alg_parse(NULL, NULL), -1);

    assert_true(EVP_PKEY_is_a(key(CERTLC_KEY_ECDSA_P256, 0), "EC"));
    assert_int_equal(EVP_PKEY_get_bits(key(CERTLC_KEY_ECDSA_P256, 0)), 256);
    assert_int_equal(EVP_PKEY_get_bits(key(CERTLC_KEY_ECDSA_P384, 0)), 384);
    assert_int_equal(EVP_PKEY_get_bits(key(CERTLC_KEY_RSA2048, 0)), 2048);

    certlc_err err = {{0}};
    assert_null(certlc_key_generate((certlc_key_alg)42, &err));
    assert_string_equal(err.msg, "unknown key algorithm 42");
}

/* keyEncipherment is for RSA leaves only; EKU as the flags say. */
static void test_leaf_usages(void **state)
{
    (void)state;
    EVP_PKEY *ca_key = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(ca_key, "ca");
    certlc_cert_spec s = {.cn = "client", .client_auth = true,
                          .validity = 3600};
    X509 *ec = issue(&s, key(CERTLC_KEY_ECDSA_P256, 1), ca, ca_key);
    X509 *rsa = issue(&s, key(CERTLC_KEY_RSA2048, 1), ca, ca_key);
    assert_int_equal(X509_get_key_usage(ec), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_get_key_usage(rsa),
                     KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    assert_int_equal(X509_get_extended_key_usage(ec), XKU_SSL_CLIENT);
    assert_int_equal(certlc_cert_matches_spec(rsa, &s, NULL), 0);

    certlc_cert_spec none = {.cn = "plain", .validity = 3600};
    X509 *plain = issue(&none, key(CERTLC_KEY_ECDSA_P256, 1), ca, ca_key);
    assert_int_equal(X509_get_ext_by_NID(plain, NID_ext_key_usage, -1), -1);
    assert_int_equal(X509_get_ext_by_NID(plain, NID_subject_alt_name, -1), -1);
    assert_int_equal(certlc_cert_matches_spec(plain, &none, NULL), 0);

    /* A CA gets no EKU, even when the flags ask for one. */
    certlc_cert_spec cas = ca_spec("ca2");
    cas.server_auth = true;
    X509 *ca2 = issue(&cas, ca_key, NULL, ca_key);
    assert_int_equal(X509_get_ext_by_NID(ca2, NID_ext_key_usage, -1), -1);
    assert_int_equal(certlc_cert_matches_spec(ca2, &cas, NULL), 0);

    X509_free(ca2);
    X509_free(plain);
    X509_free(rsa);
    X509_free(ec);
    X509_free(ca);
}

static void test_subject_and_sans(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(k, "kubernetes");
    certlc_cert_spec ls = leaf_spec();
    X509 *x = issue(&ls, key(CERTLC_KEY_ECDSA_P256, 1), ca, k);

    /* O then CN, one RDN each. */
    const X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_entry_count(name), 3);
    char *line = X509_NAME_oneline(name, NULL, 0);
    assert_string_equal(line, "/O=kubeadm:cluster-admins/O=system:masters"
                              "/CN=kube-apiserver");
    OPENSSL_free(line);
    for (int i = 0; i < 3; i++)
        assert_int_equal(X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i)), i);

    size_t n = 0;
    char **sans = certlc_cert_sans(x, &n);
    assert_int_equal(n, 6);
    const char *want[] = {"DNS:kubernetes", "DNS:kubernetes.default.svc",
                          "DNS:tcp.ns.svc.cluster.local", "IP:127.0.0.1",
                          "IP:10.96.0.1", "IP:fd00::1"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sans[i], want[i]);
    certlc_strv_free(sans, n);

    /* The IP SANs hold 4 and 16 bytes. */
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, 5);
    assert_int_equal(g->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 16);
    g = sk_GENERAL_NAME_value(gens, 3);
    assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 4);
    GENERAL_NAMES_free(gens);

    assert_null(certlc_cert_sans(ca, &n));
    assert_int_equal(n, 0);

    char *hex = certlc_cert_serial_hex(x);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *ref = BN_bn2hex(bn);
    assert_string_equal(hex, ref);
    assert_true(strlen(hex) <= 32);
    OPENSSL_free(ref);
    BN_free(bn);
    free(hex);

    X509_free(x);
    X509_free(ca);
}

static void test_verify_failures(void **state)
{
    (void)state;
    EVP_PKEY *k1 = key(CERTLC_KEY_ECDSA_P256, 0), *k2 = key(CERTLC_KEY_ECDSA_P256, 2);
    X509 *ca1 = issue_ca(k1, "kubernetes");
    X509 *ca2 = issue_ca(k2, "kubernetes"); /* same name, other key */
    X509 *ca3 = issue_ca(k2, "other-ca");
    certlc_cert_spec ls = leaf_spec();
    X509 *leaf = issue(&ls, key(CERTLC_KEY_ECDSA_P256, 1), ca1, k1);
    int64_t now = (int64_t)time(NULL);
    certlc_err err = {{0}};

    assert_int_equal(certlc_cert_verify(leaf, ca1, now, &err), 0);
    assert_int_equal(certlc_cert_verify(leaf, ca2, now, &err), -1);
    assert_string_equal(err.msg, "certificate verify failed: unable to get "
                                 "local issuer certificate");
    assert_int_equal(certlc_cert_verify(leaf, ca3, now, &err), -1);
    assert_string_equal(err.msg, "certificate verify failed: unable to get "
                                 "local issuer certificate");

    /* Two years on, the 1-year leaf has expired (the 10-year CA has not). */
    assert_int_equal(certlc_cert_verify(leaf, ca1, now + 2 * ONE_YEAR, &err), -1);
    assert_string_equal(err.msg, "certificate verify failed: certificate has "
                                 "expired");
    /* Eleven years on, the CA has expired too. */
    assert_int_equal(certlc_cert_verify(ca1, ca1, now + 11 * ONE_YEAR, &err), -1);
    assert_string_equal(err.msg, "certificate verify failed: certificate has "
                                 "expired");
    /* Before notBefore. */
    assert_int_equal(certlc_cert_verify(leaf, ca1, now - 3600, &err), -1);
    assert_string_equal(err.msg, "certificate verify failed: certificate is "
                                 "not yet valid");
    /* Within the 5-minute backdate it is already valid. */
    assert_int_equal(certlc_cert_verify(leaf, ca1, now - 240, &err), 0);
    assert_int_equal(ERR_peek_error(), 0);

    X509_free(leaf);
    X509_free(ca3);
    X509_free(ca2);
    X509_free(ca1);
}

/* A CA signed by the CA verifies like any leaf; so does its own leaf
 * against it as the trust anchor. */
static void test_verify_intermediate(void **state)
{
    (void)state;
    EVP_PKEY *k0 = key(CERTLC_KEY_ECDSA_P256, 0), *k1 = key(CERTLC_KEY_ECDSA_P384, 0);
    X509 *root = issue_ca(k0, "root");
    certlc_cert_spec is = ca_spec("intermediate");
    is.validity = ONE_YEAR;
    X509 *inter = issue(&is, k1, root, k0);
    assert_true(certlc_cert_is_ca(inter));
    certlc_cert_spec ls = leaf_spec();
    X509 *leaf = issue(&ls, key(CERTLC_KEY_ECDSA_P256, 1), inter, k1);
    int64_t now = (int64_t)time(NULL);
    certlc_err err = {{0}};
    if (certlc_cert_verify(inter, root, now, &err) != 0)
        fail_msg("intermediate: %s", err.msg);
    if (certlc_cert_verify(leaf, inter, now, &err) != 0)
        fail_msg("leaf of intermediate: %s", err.msg);
    assert_int_equal(certlc_cert_verify(leaf, root, now, &err), -1);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
}

static void test_issue_rejects(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0), *other = key(CERTLC_KEY_ECDSA_P256, 1);
    X509 *ca = issue_ca(k, "ca");
    certlc_err err = {{0}};

    certlc_cert_spec s = leaf_spec();
    const char *bad_ips[] = {"10.0.0.1", "1.2.3.4x"};
    s.ips = bad_ips;
    s.n_ips = 2;
    assert_null(certlc_cert_issue(&s, other, ca, k, &err));
    assert_string_equal(err.msg, "invalid IP address '1.2.3.4x' for the SANs");

    s = leaf_spec();
    const char *bad_dns[] = {"ok", "not ok"};
    s.dns = bad_dns;
    s.n_dns = 2;
    assert_null(certlc_cert_issue(&s, other, ca, k, &err));
    assert_string_equal(err.msg, "invalid DNS name 'not ok' for the SANs");

    s = leaf_spec();
    assert_null(certlc_cert_issue(&s, other, NULL, k, &err));
    assert_string_equal(err.msg, "a self-signed certificate must be signed "
                                 "with its own key");
    assert_null(certlc_cert_issue(&s, other, ca, other, &err));
    assert_string_equal(err.msg, "the issuer key does not match the issuer "
                                 "certificate");

    X509 *leaf = issue(&s, other, ca, k);
    assert_null(certlc_cert_issue(&s, k, leaf, other, &err));
    assert_string_equal(err.msg, "the issuer certificate is not a CA");

    s.validity = -300;
    assert_null(certlc_cert_issue(&s, other, ca, k, &err));
    assert_non_null(strstr(err.msg, "ends before the certificate begins"));
    assert_int_equal(ERR_peek_error(), 0);

    X509_free(leaf);
    X509_free(ca);
}

static void test_key_mismatch(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(k, "ca");
    certlc_err err = {{0}};
    assert_int_equal(certlc_key_matches_cert(k, ca, &err), 0);
    assert_int_equal(certlc_key_matches_cert(key(CERTLC_KEY_ECDSA_P256, 1), ca, &err), -1);
    assert_string_equal(err.msg, "private key does not match the certificate");
    /* Another type of key. */
    assert_int_equal(certlc_key_matches_cert(key(CERTLC_KEY_RSA2048, 0), ca, &err), -1);
    assert_string_equal(err.msg, "private key does not match the certificate");
    assert_int_equal(certlc_key_matches_public(k, k, &err), 0);
    assert_int_equal(certlc_key_matches_public(k, key(CERTLC_KEY_ECDSA_P384, 0), &err), -1);
    assert_string_equal(err.msg, "private key does not match the public key");
    assert_int_equal(ERR_peek_error(), 0);
    X509_free(ca);
}

/* The key in OpenSSL's traditional form: PKCS#1 for RSA, SEC1 for EC. */
static char *traditional_pem(EVP_PKEY *k, size_t *len)
{
    OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(
        k, EVP_PKEY_KEYPAIR, "PEM", "type-specific", NULL);
    assert_non_null(ctx);
    unsigned char *data = NULL;
    assert_int_equal(OSSL_ENCODER_to_data(ctx, &data, len), 1);
    OSSL_ENCODER_CTX_free(ctx);
    char *s = malloc(*len + 1);
    memcpy(s, data, *len);
    s[*len] = '\0';
    OPENSSL_clear_free(data, *len);
    return s;
}

static void round_trip_keys(EVP_PKEY *k, const char *traditional_label)
{
    certlc_err err = {{0}};
    size_t len = 0;
    char *pem = certlc_pem_private_key(k, &len, &err);
    assert_non_null(pem);
    assert_int_equal(strlen(pem), len);
    assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    /* Not NUL-terminated where the parser stops reading. */
    EVP_PKEY *back = certlc_private_key_from_pem(pem, len, &err);
    assert_non_null(back);
    assert_int_equal(EVP_PKEY_eq(back, k), 1);
    EVP_PKEY_free(back);
    certlc_pem_free(pem, len);

    pem = traditional_pem(k, &len);
    assert_non_null(strstr(pem, traditional_label));
    back = certlc_private_key_from_pem(pem, len, &err);
    if (back == NULL)
        fail_msg("%s: %s", traditional_label, err.msg);
    assert_int_equal(EVP_PKEY_eq(back, k), 1);
    EVP_PKEY_free(back);
    free(pem);

    pem = certlc_pem_public_key(k, &len, &err);
    assert_non_null(pem);
    assert_int_equal(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
    back = certlc_public_key_from_pem(pem, len, &err);
    assert_non_null(back);
    assert_int_equal(certlc_key_matches_public(k, back, &err), 0);
    /* A public key is no private key. */
    assert_null(certlc_private_key_from_pem(pem, len, &err));
    assert_string_equal(err.msg, "no PEM private key found");
    EVP_PKEY_free(back);
    certlc_pem_free(pem, len);
}

static void test_pem_round_trip(void **state)
{
    (void)state;
    round_trip_keys(key(CERTLC_KEY_ECDSA_P256, 0), "-----BEGIN EC PRIVATE KEY-----");
    round_trip_keys(key(CERTLC_KEY_RSA2048, 0), "-----BEGIN RSA PRIVATE KEY-----");

    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(k, "ca");
    certlc_cert_spec ls = leaf_spec();
    X509 *leaf = issue(&ls, key(CERTLC_KEY_ECDSA_P256, 1), ca, k);
    certlc_err err = {{0}};
    size_t la, lb;
    char *a = certlc_pem_cert(leaf, &la, &err);
    char *b = certlc_pem_cert(ca, &lb, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strncmp(a, "-----BEGIN CERTIFICATE-----\n", 28), 0);

    /* The first certificate of a bundle, after a key block; exact length,
     * no NUL needed. */
    size_t lk;
    char *kp = certlc_pem_private_key(k, &lk, &err);
    char *bundle = malloc(lk + la + lb);
    memcpy(bundle, kp, lk);
    memcpy(bundle + lk, a, la);
    memcpy(bundle + lk + la, b, lb);
    X509 *back = certlc_cert_from_pem(bundle, lk + la + lb, &err);
    assert_non_null(back);
    assert_int_equal(X509_cmp(back, leaf), 0);
    assert_int_equal(certlc_cert_matches_spec(back, &ls, &err), 0);
    assert_int_equal(certlc_cert_verify(back, ca, (int64_t)time(NULL), &err), 0);
    X509_free(back);
    /* And the private key out of the same bundle. */
    EVP_PKEY *kb = certlc_private_key_from_pem(bundle, lk + la + lb, &err);
    assert_non_null(kb);
    assert_int_equal(certlc_key_matches_cert(kb, ca, &err), 0);
    EVP_PKEY_free(kb);
    /* The key after the certificates, as in a combined file. */
    memcpy(bundle, a, la);
    memcpy(bundle + la, b, lb);
    memcpy(bundle + la + lb, kp, lk);
    kb = certlc_private_key_from_pem(bundle, lk + la + lb, &err);
    if (kb == NULL)
        fail_msg("key after certificates: %s", err.msg);
    assert_int_equal(certlc_key_matches_cert(kb, ca, &err), 0);
    EVP_PKEY_free(kb);
    OPENSSL_cleanse(bundle, lk + la + lb);
    free(bundle);

    certlc_pem_free(kp, lk);
    free(a);
    free(b);
    X509_free(leaf);
    X509_free(ca);
}

/* The private key PEM as OpenSSL's own encoder writes it. */
static char *openssl_pkcs8(EVP_PKEY *k, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
                                              NULL), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)n + 1);
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    *len = (size_t)n;
    BIO_free(bio);
    return s;
}

/* An EC key's PEMs, private and public, written without the encoder, are
 * byte for byte OpenSSL's, scalars with leading zero bytes included. */
static void same_pem_as_openssl(EVP_PKEY *k)
{
    certlc_err err = {{0}};
    size_t la = 0, lb = 0;
    char *a = certlc_pem_private_key(k, &la, &err);
    if (a == NULL)
        fail_msg("%s", err.msg);
    char *b = openssl_pkcs8(k, &lb);
    assert_int_equal(la, lb);
    assert_int_equal(strlen(a), la);
    assert_memory_equal(a, b, la);
    certlc_pem_free(a, la);
    certlc_pem_free(b, lb);
    /* And the public key's. */
    a = certlc_pem_public_key(k, &la, &err);
    assert_non_null(a);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    assert_int_equal(la, (size_t)n);
    assert_int_equal(strlen(a), la);
    assert_memory_equal(a, data, la);
    BIO_free(bio);
    certlc_pem_free(a, la);
}

static void test_ec_pem_as_openssl(void **state)
{
    (void)state;
    same_pem_as_openssl(key(CERTLC_KEY_ECDSA_P384, 0));
    same_pem_as_openssl(key(CERTLC_KEY_RSA2048, 0));
    /* P-256 keys until one whose scalar is short (1 in 256); each one
     * new (they come from one context kept for the curve). */
    int short_seen = 0;
    EVP_PKEY *prev = NULL;
    for (int i = 0; i < 4000 && (i < 20 || !short_seen); i++) {
        certlc_err err = {{0}};
        EVP_PKEY *k = certlc_key_generate_fresh(CERTLC_KEY_ECDSA_P256, &err);
        assert_non_null(k);
        BIGNUM *d = NULL;
        assert_int_equal(EVP_PKEY_get_bn_param(k, "priv", &d), 1);
        short_seen |= BN_num_bytes(d) < 32;
        BN_clear_free(d);
        char group[32];
        assert_int_equal(EVP_PKEY_get_utf8_string_param(k, "group", group,
                                                        sizeof group, NULL), 1);
        assert_string_equal(group, "prime256v1");
        if (prev != NULL)
            assert_int_not_equal(EVP_PKEY_eq(prev, k), 1);
        same_pem_as_openssl(k);
        EVP_PKEY_free(prev);
        prev = k;
    }
    EVP_PKEY_free(prev);
    ERR_clear_error();
    assert_true(short_seen);
}

static void test_pem_garbage(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    const char *junk = "hello, world\n";
    assert_null(certlc_cert_from_pem(junk, strlen(junk), &err));
    assert_string_equal(err.msg, "no PEM certificate found");
    assert_null(certlc_private_key_from_pem(junk, strlen(junk), &err));
    assert_string_equal(err.msg, "no PEM private key found");
    assert_null(certlc_public_key_from_pem(junk, strlen(junk), &err));
    assert_string_equal(err.msg, "no PEM public key found");
    assert_null(certlc_cert_from_pem("", 0, &err));
    assert_string_equal(err.msg, "no PEM certificate found");
    assert_int_equal(ERR_peek_error(), 0);

    /* A certificate block with a damaged body. */
    const char *bad = "-----BEGIN CERTIFICATE-----\nMIIBzzCCAXWgAwIBAgIQ\n"
                      "-----END CERTIFICATE-----\n";
    assert_null(certlc_cert_from_pem(bad, strlen(bad), &err));
    assert_int_equal(strncmp(err.msg, "cannot parse the PEM certificate", 32), 0);
    assert_int_equal(ERR_peek_error(), 0);
    const char *badkey = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                         "-----END PRIVATE KEY-----\n";
    assert_null(certlc_private_key_from_pem(badkey, strlen(badkey), &err));
    assert_int_equal(strncmp(err.msg, "cannot parse the PEM private key", 32), 0);

    /* A certificate where a key is wanted and the other way round. */
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(k, "ca");
    size_t len;
    char *pem = certlc_pem_cert(ca, &len, &err);
    assert_null(certlc_private_key_from_pem(pem, len, &err));
    assert_string_equal(err.msg, "no PEM private key found");
    free(pem);
    pem = certlc_pem_private_key(k, &len, &err);
    assert_null(certlc_cert_from_pem(pem, len, &err));
    assert_string_equal(err.msg, "no PEM certificate found");
    /* Cut short: the END line missing. */
    assert_null(certlc_private_key_from_pem(pem, len / 2, &err));
    certlc_pem_free(pem, len);
    X509_free(ca);

    /* Encrypted keys are refused without prompting for a passphrase. */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_128_cbc(),
                                                   "secret", 6, NULL, NULL), 1);
    char *enc = NULL;
    long n = BIO_get_mem_data(bio, &enc);
    assert_null(certlc_private_key_from_pem(enc, (size_t)n, &err));
    assert_string_equal(err.msg, "encrypted private keys are not supported");
    BIO_free(bio);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_matches_spec(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    X509 *ca = issue_ca(k, "kubernetes");
    certlc_cert_spec ls = leaf_spec();
    X509 *x = issue(&ls, key(CERTLC_KEY_ECDSA_P256, 1), ca, k);
    certlc_err err = {{0}};
    assert_int_equal(certlc_cert_matches_spec(x, &ls, &err), 0);

    /* Order does not matter; IPs compare as addresses. */
    const char *dns2[] = {"tcp.ns.svc.cluster.local", "kubernetes",
                          "kubernetes.default.svc"};
    const char *ips2[] = {"fd00:0:0:0:0:0:0:1", "10.96.0.1", "127.0.0.1"};
    const char *orgs2[] = {"system:masters", "kubeadm:cluster-admins"};
    certlc_cert_spec s = ls;
    s.dns = dns2;
    s.ips = ips2;
    s.orgs = orgs2;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), 0);

    /* The spec wants one SAN more. */
    const char *dns3[] = {"kubernetes", "kubernetes.default.svc",
                          "tcp.ns.svc.cluster.local", "foo"};
    s = ls;
    s.dns = dns3;
    s.n_dns = 4;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate lacks DNS:foo");
    /* ... or one SAN less. */
    s.n_dns = 2;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate has an unexpected "
                                 "DNS:tcp.ns.svc.cluster.local");
    /* Kamaji's superset rule: one SAN less is fine, one more is not. */
    s.extra_sans_ok = true;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), 0);
    s.n_ips = 1;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), 0);
    s.n_dns = 4;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate lacks DNS:foo");
    s = ls;
    s.n_dns = 2;
    const char *ips3[] = {"127.0.0.1", "10.96.0.2", "fd00::1"};
    s = ls;
    s.ips = ips3;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate lacks IP:10.96.0.2");
    s.n_ips = 1;
    s.ips = ips2 + 2;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate has an unexpected "
                                 "IP:10.96.0.1");
    s.ips = ips2 + 1;
    s.n_ips = 2;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate has an unexpected "
                                 "IP:fd00::1");

    /* Another CN. */
    s = ls;
    s.cn = "kube-apiserver-2";
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "subject CN is 'kube-apiserver', expected "
                                 "'kube-apiserver-2'");

    /* One O more in the spec, one O less. */
    const char *orgs3[] = {"kubeadm:cluster-admins", "system:masters", "extra"};
    s = ls;
    s.orgs = orgs3;
    s.n_orgs = 3;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "subject lacks O 'extra'");
    s.n_orgs = 1;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "subject has an unexpected O 'system:masters'");

    /* CA-ness and EKU. */
    s = ls;
    s.is_ca = true;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "certificate is not a CA, expected a CA");
    s = ls;
    s.client_auth = false;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "extendedKeyUsage has an unexpected clientAuth");
    s.server_auth = false;
    assert_int_equal(certlc_cert_matches_spec(x, &s, &err), -1);
    assert_string_equal(err.msg, "certificate has extendedKeyUsage, expected none");

    certlc_cert_spec cs = ca_spec("kubernetes");
    assert_int_equal(certlc_cert_matches_spec(ca, &cs, &err), 0);
    cs.is_ca = false;
    assert_int_equal(certlc_cert_matches_spec(ca, &cs, &err), -1);
    assert_string_equal(err.msg, "certificate is a CA, expected a leaf");
    cs = ca_spec(NULL);
    assert_int_equal(certlc_cert_matches_spec(ca, &cs, &err), -1);
    assert_string_equal(err.msg, "subject CN is 'kubernetes', expected none");
    cs = ca_spec("kubernetes");
    cs.n_dns = 1;
    cs.dns = leaf_dns;
    assert_int_equal(certlc_cert_matches_spec(ca, &cs, &err), -1);
    assert_string_equal(err.msg, "SANs differ: certificate lacks DNS:kubernetes");
    assert_int_equal(ERR_peek_error(), 0);

    X509_free(x);
    X509_free(ca);
}

/* certlc_cert_issue_pem builds the same certificate, the public key
 * written without X509_set_pubkey for EC keys: its SubjectPublicKeyInfo
 * must be byte for byte OpenSSL's own. */
static void check_issue_pem(certlc_key_alg ca_alg, certlc_key_alg leaf_alg)
{
    EVP_PKEY *ca_key = key(ca_alg, 0), *leaf_key = key(leaf_alg, 1);
    certlc_cert_spec cs = ca_spec("kubernetes"), ls = leaf_spec();
    certlc_err err = {{0}};
    size_t clen, llen;
    time_t t0 = time(NULL);
    char *ca_pem = certlc_cert_issue_pem(&cs, ca_key, NULL, ca_key, &clen, &err);
    assert_non_null(ca_pem);
    assert_int_equal(strlen(ca_pem), clen);
    X509 *ca = certlc_cert_from_pem(ca_pem, clen, &err);
    assert_non_null(ca);
    char *leaf_pem = certlc_cert_issue_pem(&ls, leaf_key, ca, ca_key, &llen, &err);
    assert_non_null(leaf_pem);
    X509 *leaf = certlc_cert_from_pem(leaf_pem, llen, &err);
    assert_non_null(leaf);
    time_t t1 = time(NULL);

    check_cert(ca, &cs, NULL, ca_key, ca_key, t0, t1);
    check_cert(leaf, &ls, ca, leaf_key, ca_key, t0, t1);
    if (certlc_cert_verify(leaf, ca, (int64_t)time(NULL), &err) != 0)
        fail_msg("verify: %s", err.msg);

    unsigned char *want = NULL, *got = NULL;
    int wn = i2d_PUBKEY(leaf_key, &want);
    int gn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &got);
    assert_true(wn > 0);
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, (size_t)wn);
    OPENSSL_free(want);
    OPENSSL_free(got);

    /* The dated variant says the notBefore and notAfter it signed, and
     * certlc_cert_peek reads back the serial and notAfter a full parse
     * reads. */
    int64_t nb = 0, na = 0;
    size_t dlen;
    char *dated = certlc_cert_issue_pem_dated(&ls, leaf_key, ca, ca_key, &dlen,
                                              &nb, &na, &err);
    assert_non_null(dated);
    X509 *dx = certlc_cert_from_pem(dated, dlen, &err);
    assert_non_null(dx);
    assert_int_equal(nb, certlc_cert_not_before(dx));
    assert_int_equal(na, certlc_cert_not_after(dx));
    const char *pems[] = {ca_pem, leaf_pem, dated};
    X509 *xs[] = {ca, leaf, dx};
    for (int i = 0; i < 3; i++) {
        char serial[84];
        int64_t peek_na = 0;
        assert_int_equal(certlc_cert_peek(pems[i], strlen(pems[i]), serial,
                                          sizeof serial, &peek_na, &err),
                         0);
        char *want_serial = certlc_cert_serial_hex(xs[i]);
        assert_string_equal(serial, want_serial);
        free(want_serial);
        assert_int_equal(peek_na, certlc_cert_not_after(xs[i]));
    }
    char serial[84];
    int64_t peek_na = 0;
    assert_int_equal(certlc_cert_peek("garbage", 7, serial, sizeof serial,
                                      &peek_na, &err),
                     -1);
    assert_non_null(strstr(err.msg, "no PEM certificate"));
    X509_free(dx);
    free(dated);

    X509_free(leaf);
    X509_free(ca);
    free(leaf_pem);
    free(ca_pem);
}

static void test_issue_pem(void **state)
{
    (void)state;
    check_issue_pem(CERTLC_KEY_ECDSA_P256, CERTLC_KEY_ECDSA_P256);
    check_issue_pem(CERTLC_KEY_ECDSA_P384, CERTLC_KEY_ECDSA_P384);
    check_issue_pem(CERTLC_KEY_ECDSA_P256, CERTLC_KEY_RSA2048);
    check_issue_pem(CERTLC_KEY_RSA2048, CERTLC_KEY_ECDSA_P384);

    /* Errors as certlc_cert_issue. */
    certlc_err err = {{0}};
    certlc_cert_spec s = leaf_spec();
    size_t len = 7;
    assert_null(certlc_cert_issue_pem(&s, key(CERTLC_KEY_ECDSA_P256, 1), NULL,
                                      key(CERTLC_KEY_ECDSA_P256, 0), &len, &err));
    assert_string_equal(err.msg, "a self-signed certificate must be signed "
                                 "with its own key");
}

static void test_not_after_fields(void **state)
{
    (void)state;
    EVP_PKEY *k = key(CERTLC_KEY_ECDSA_P256, 0);
    /* 30 years: notAfter past 2049 is a GeneralizedTime. */
    certlc_cert_spec s = ca_spec("long");
    s.validity = 30 * ONE_YEAR;
    time_t t0 = time(NULL);
    X509 *x = issue(&s, k, NULL, k);
    time_t t1 = time(NULL);
    assert_in_range(certlc_cert_not_after(x), t0 + s.validity, t1 + s.validity);
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)),
                     V_ASN1_GENERALIZEDTIME);
    X509_free(x);
}

/* A leaf never outlives its CA: asked for longer, it ends with its CA,
 * by either issuing path. */
static void test_leaf_clamped_to_ca(void **state)
{
    (void)state;
    EVP_PKEY *ck = key(CERTLC_KEY_ECDSA_P256, 0);
    EVP_PKEY *lk = key(CERTLC_KEY_ECDSA_P256, 1);
    certlc_cert_spec cs = ca_spec("short-ca");
    cs.validity = 86400; /* one day */
    X509 *ca = issue(&cs, ck, NULL, ck);
    certlc_cert_spec ls = leaf_spec();
    ls.validity = ONE_YEAR;
    X509 *leaf = issue(&ls, lk, ca, ck);
    assert_int_equal(certlc_cert_not_after(leaf), certlc_cert_not_after(ca));
    certlc_err err = {{0}};
    size_t len = 0;
    char *pem = certlc_cert_issue_pem(&ls, lk, ca, ck, &len, &err);
    assert_non_null(pem);
    X509 *leaf2 = certlc_cert_from_pem(pem, len, &err);
    assert_non_null(leaf2);
    assert_int_equal(certlc_cert_not_after(leaf2), certlc_cert_not_after(ca));
    /* Shorter than the CA: untouched. */
    ls.validity = 3600;
    X509 *leaf3 = issue(&ls, lk, ca, ck);
    assert_true(certlc_cert_not_after(leaf3) < certlc_cert_not_after(ca));
    X509_free(leaf3);
    X509_free(leaf2);
    free(pem);
    X509_free(leaf);
    X509_free(ca);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_algs),
        cmocka_unit_test(test_issue_ecdsa_p256),
        cmocka_unit_test(test_issue_ecdsa_p384),
        cmocka_unit_test(test_issue_rsa2048),
        cmocka_unit_test(test_issue_rsa3072),
        cmocka_unit_test(test_issue_rsa4096_leaf),
        cmocka_unit_test(test_leaf_usages),
        cmocka_unit_test(test_subject_and_sans),
        cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_verify_intermediate),
        cmocka_unit_test(test_issue_rejects),
        cmocka_unit_test(test_key_mismatch),
        cmocka_unit_test(test_pem_round_trip),
        cmocka_unit_test(test_pem_garbage),
        cmocka_unit_test(test_ec_pem_as_openssl),
        cmocka_unit_test(test_matches_spec),
        cmocka_unit_test(test_issue_pem),
        cmocka_unit_test(test_not_after_fields),
        cmocka_unit_test(test_leaf_clamped_to_ca),
    };
    return cmocka_run_group_tests_name("pki", tests, NULL, free_keys);
}
