/* ca.crt bundles: a CA and its chain, and roots trusted beside it (the old
 * and the new CA of a rotation with overlap); and the rotation's record in
 * the tenant status, through its JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ca_bundle.h"
#include "pki.h"
#include "status.h"

typedef struct ca {
    EVP_PKEY *key;
    X509 *cert;
    char *pem, *key_pem;
    size_t len, key_len;
} ca;

static void make(ca *c, const char *cn, bool is_ca, X509 *issuer,
                 EVP_PKEY *issuer_key)
{
    certlc_err err;
    certlc_cert_spec s = {.cn = cn, .is_ca = is_ca, .validity = 86400};
    c->key = certlc_key_generate(CERTLC_KEY_ECDSA_P256, &err);
    assert_non_null(c->key);
    c->cert = certlc_cert_issue(&s, c->key, issuer,
                                issuer ? issuer_key : c->key, &err);
    assert_non_null(c->cert);
    c->pem = certlc_pem_cert(c->cert, &c->len, &err);
    c->key_pem = certlc_pem_private_key(c->key, &c->key_len, &err);
    assert_non_null(c->pem);
    assert_non_null(c->key_pem);
}

static void drop(ca *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    free(c->pem);
    certlc_pem_free(c->key_pem, c->key_len);
}

/* a then b, as one ca.crt. */
static char *cat2(const ca *a, const ca *b, size_t *len)
{
    *len = a->len + b->len;
    char *s = malloc(*len + 1);
    assert_non_null(s);
    memcpy(s, a->pem, a->len);
    memcpy(s + a->len, b->pem, b->len + 1);
    return s;
}

static void test_two_roots(void **state)
{
    (void)state;
    ca old, nw;
    make(&old, "kubernetes", true, NULL, NULL);
    make(&nw, "kubernetes", true, NULL, NULL);
    size_t len;
    char *both = cat2(&old, &nw, &len);
    certlc_ca c;
    certlc_err err = {{0}};
    /* The first signs; the second is trusted beside it. */
    assert_int_equal(certlc_ca_load(&c, both, len, old.key_pem, old.key_len,
                                    &err), 0);
    assert_int_equal(certlc_ca_usable(&c, &err), 0);
    assert_true(certlc_ca_is_root(&c));
    assert_int_equal(sk_X509_num(c.extra_roots), 1);
    assert_int_equal(X509_cmp(sk_X509_value(c.extra_roots, 0), nw.cert), 0);
    assert_int_equal(c.chain_len, 0); /* a server sends no root */
    assert_int_equal(c.bundle_len, len); /* clients trust both */
    certlc_ca_fini(&c);
    /* ca.key must be the first one's. */
    assert_int_not_equal(certlc_ca_load(&c, both, len, nw.key_pem, nw.key_len,
                                        &err), 0);
    free(both);
    drop(&old);
    drop(&nw);
}

static void test_not_a_root_after_the_root(void **state)
{
    (void)state;
    ca root, leaf, inter, other;
    make(&root, "root", true, NULL, NULL);
    make(&leaf, "leaf", false, NULL, NULL); /* self-signed, not a CA */
    make(&inter, "intermediate", true, root.cert, root.key);
    make(&other, "other", true, NULL, NULL);
    size_t len;
    certlc_ca c;
    certlc_err err = {{0}};
    char *b = cat2(&root, &leaf, &len);
    assert_int_equal(certlc_ca_load(&c, b, len, root.key_pem, root.key_len,
                                    &err), 0);
    assert_int_not_equal(certlc_ca_usable(&c, &err), 0);
    assert_non_null(strstr(err.msg, "certificate 2 (/CN=leaf) follows the "
                                    "root but is not a self-signed CA"));
    certlc_ca_fini(&c);
    free(b);
    /* An intermediate after a root: not signed by it, not a root. */
    b = cat2(&other, &inter, &len);
    assert_int_equal(certlc_ca_load(&c, b, len, other.key_pem, other.key_len,
                                    &err), 0);
    assert_int_not_equal(certlc_ca_usable(&c, &err), 0);
    assert_non_null(strstr(err.msg, "follows the root"));
    certlc_ca_fini(&c);
    free(b);
    /* The chain of an intermediate still ends at its root. */
    b = cat2(&inter, &root, &len);
    assert_int_equal(certlc_ca_load(&c, b, len, inter.key_pem, inter.key_len,
                                    &err), 0);
    assert_int_equal(certlc_ca_usable(&c, &err), 0);
    assert_false(certlc_ca_is_root(&c));
    assert_int_equal(sk_X509_num(c.issuers), 1);
    assert_int_equal(sk_X509_num(c.extra_roots), 0);
    certlc_ca_fini(&c);
    free(b);
    drop(&root);
    drop(&leaf);
    drop(&inter);
    drop(&other);
}

static void test_status_rotation_json(void **state)
{
    (void)state;
    certlc_tcp_status st, back;
    memset(&st, 0, sizeof st);
    snprintf(st.phase, sizeof st.phase, "%s", CERTLC_PHASE_CA_ROTATING);
    certlc_ca_rotation_status *r = &st.ca_rotation;
    snprintf(r->phase, sizeof r->phase, "move");
    snprintf(r->ca, sizeof r->ca, "ca");
    snprintf(r->rolled, sizeof r->rolled, "trust-both");
    r->phase_ends = 1796300000;
    r->started = 1796290000;
    r->overlap = 86400;
    r->deleted = true; /* started by the deletion of its CA Secret */
    certlc_err err = {{0}};
    char *json = certlc_status_to_json(&st, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"caRotation\":{"));
    assert_int_equal(certlc_status_from_json(json, &back, &err), 0);
    free(json);
    assert_memory_equal(&back.ca_rotation, r, sizeof *r);
    /* None on record: no caRotation at all. */
    memset(&st, 0, sizeof st);
    json = certlc_status_to_json(&st, &err);
    assert_null(strstr(json, "caRotation"));
    assert_int_equal(certlc_status_from_json(json, &back, &err), 0);
    assert_string_equal(back.ca_rotation.phase, "");
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_roots),
        cmocka_unit_test(test_not_a_root_after_the_root),
        cmocka_unit_test(test_status_rotation_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
