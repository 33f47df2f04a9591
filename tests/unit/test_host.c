/* The host's issuing services: ABI 1.1's issue_cert_in takes the key
 * algorithm and the default validity from the configuration of the call
 * it is handed; ABI 1.0's issue_cert, which takes no call, from the
 * settings bound by certlc_host_bind (rsa-2048 and a year when none are).
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "host.h"
#include "pki.h"

typedef struct ca {
    char *cert, *key;
    size_t cert_len, key_len;
} ca;

static void make_ca(ca *c)
{
    certlc_err err = {{0}};
    EVP_PKEY *k = certlc_key_generate(CERTLC_KEY_ECDSA_P256, &err);
    assert_non_null(k);
    certlc_cert_spec spec = {.cn = "test-ca", .is_ca = true,
                             .validity = 10 * 8760 * 3600};
    c->cert = certlc_cert_issue_pem(&spec, k, NULL, k, &c->cert_len, &err);
    c->key = certlc_pem_private_key(k, &c->key_len, &err);
    assert_non_null(c->cert);
    assert_non_null(c->key);
    EVP_PKEY_free(k);
}

static void free_ca(ca *c)
{
    certlc_pem_free(c->cert, c->cert_len);
    certlc_pem_free(c->key, c->key_len);
}

static certlc_drv_cert_req request(const ca *c)
{
    certlc_drv_cert_req req = {
        .size = sizeof req,
        .ca_cert_pem = c->cert, .ca_cert_len = c->cert_len,
        .ca_key_pem = c->key, .ca_key_len = c->key_len,
        .cn = "default_alpha", .client_auth = 1,
        .validity = 0, /* the host's leaf_validity */
    };
    return req;
}

/* What was issued: the key's type and size, and its notAfter from now. */
static void check_issued(char *cert, size_t cert_len, char *key,
                         size_t key_len, int key_type, int bits,
                         int64_t validity)
{
    certlc_err err = {{0}};
    EVP_PKEY *k = certlc_private_key_from_pem(key, key_len, &err);
    X509 *x = certlc_cert_from_pem(cert, cert_len, &err);
    assert_non_null(k);
    assert_non_null(x);
    assert_int_equal(EVP_PKEY_get_base_id(k), key_type);
    assert_int_equal(EVP_PKEY_get_bits(k), bits);
    assert_int_equal(certlc_key_matches_cert(k, x, &err), 0);
    int64_t left = certlc_cert_not_after(x) - (int64_t)time(NULL);
    assert_true(left <= validity && left > validity - 120);
    X509_free(x);
    EVP_PKEY_free(k);
    const certlc_host *h = certlc_host_table();
    h->pem_free(cert, cert_len);
    h->pem_free(key, key_len);
}

/* issue_cert_in: the call's configuration, whatever is bound. */
static void test_issue_in_takes_the_call_config(void **state)
{
    (void)state;
    ca c;
    make_ca(&c);
    const certlc_host *h = certlc_host_table();
    assert_true(CERTLC_HAS_FIELD(certlc_host, h->size, issue_cert_in));
    assert_int_equal(h->abi_minor, CERTLC_DRIVER_ABI_MINOR);
    certlc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.key_algorithm = CERTLC_KEY_ECDSA_P384;
    cfg.leaf_validity = 100 * 3600;
    certlc_drv_call call = {.cfg = &cfg, .ns = "default", .tenant = "alpha"};
    /* Settings bound for something else do not leak into the call. */
    certlc_host_settings other = {.key_alg = CERTLC_KEY_RSA3072,
                                  .leaf_validity = 7 * 24 * 3600};
    certlc_host_bind(&other);
    certlc_drv_cert_req req = request(&c);
    char *cert, *key;
    size_t cert_len, key_len;
    certlc_drv_err derr = {{0}};
    assert_int_equal(h->issue_cert_in(&call, &req, &cert, &cert_len, &key,
                                      &key_len, &derr),
                     CERTLC_DRV_OK);
    check_issued(cert, cert_len, key, key_len, EVP_PKEY_EC, 384, 100 * 3600);
    /* A request's own validity wins, as with issue_cert. */
    req.validity = 3600;
    assert_int_equal(h->issue_cert_in(&call, &req, &cert, &cert_len, &key,
                                      &key_len, &derr),
                     CERTLC_DRV_OK);
    check_issued(cert, cert_len, key, key_len, EVP_PKEY_EC, 384, 3600);
    certlc_host_bind(NULL);
    free_ca(&c);
}

static void test_issue_in_without_call(void **state)
{
    (void)state;
    ca c;
    make_ca(&c);
    certlc_drv_cert_req req = request(&c);
    char *cert = (char *)&req, *key = (char *)&req;
    size_t cert_len = 1, key_len = 1;
    certlc_drv_err derr = {{0}};
    assert_int_equal(certlc_host_table()->issue_cert_in(
                         NULL, &req, &cert, &cert_len, &key, &key_len, &derr),
                     CERTLC_DRV_ERROR);
    assert_null(cert);
    assert_null(key);
    assert_non_null(strstr(derr.msg, "issue_cert_in: no call"));
    free_ca(&c);
}

/* issue_cert, ABI 1.0's entry: the bound settings, else the defaults. */
static void test_issue_cert_of_abi_1_0(void **state)
{
    (void)state;
    ca c;
    make_ca(&c);
    const certlc_host *h = certlc_host_table();
    certlc_drv_cert_req req = request(&c);
    char *cert, *key;
    size_t cert_len, key_len;
    certlc_drv_err derr = {{0}};
    certlc_host_settings bound = {.key_alg = CERTLC_KEY_ECDSA_P256,
                                  .leaf_validity = 50 * 3600};
    certlc_host_bind(&bound);
    assert_int_equal(h->issue_cert(&req, &cert, &cert_len, &key, &key_len,
                                   &derr),
                     CERTLC_DRV_OK);
    check_issued(cert, cert_len, key, key_len, EVP_PKEY_EC, 256, 50 * 3600);
    certlc_host_bind(NULL);
    assert_int_equal(h->issue_cert(&req, &cert, &cert_len, &key, &key_len,
                                   &derr),
                     CERTLC_DRV_OK);
    check_issued(cert, cert_len, key, key_len, EVP_PKEY_RSA, 2048,
                 8760 * 3600);
    free_ca(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_in_takes_the_call_config),
        cmocka_unit_test(test_issue_in_without_call),
        cmocka_unit_test(test_issue_cert_of_abi_1_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
