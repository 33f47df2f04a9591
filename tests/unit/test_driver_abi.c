/* The driver ABI, pinned: a change to a size or an offset of ABI 1.0 is a
 * compile error here, so that a struct cannot change without the version
 * (SQLite's VFS once did). Fields may only be appended: then the sizes
 * below grow and this file is updated, the offsets never. */
#include <certlc/driver.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define PIN(type, field, off) \
    _Static_assert(offsetof(type, field) == (off), #type "." #field " moved")

/* certlc_driver, ABI 1.0 (LP64). */
PIN(certlc_driver, magic, 0);
PIN(certlc_driver, abi_major, 4);
PIN(certlc_driver, abi_minor, 8);
PIN(certlc_driver, size, 12);
PIN(certlc_driver, name, 16);
PIN(certlc_driver, version, 24);
PIN(certlc_driver, mode, 32);
PIN(certlc_driver, keys, 40);
PIN(certlc_driver, init, 48);
PIN(certlc_driver, fini, 56);
PIN(certlc_driver, provision, 64);
PIN(certlc_driver, deprovision, 72);
PIN(certlc_driver, rotate, 80);
PIN(certlc_driver, accept, 88);
PIN(certlc_driver, verify, 96);
_Static_assert(sizeof(certlc_driver) == 104, "certlc_driver changed size");

/* certlc_host. */
PIN(certlc_host, size, 0);
PIN(certlc_host, abi_major, 4);
PIN(certlc_host, abi_minor, 8);
PIN(certlc_host, log, 16);
PIN(certlc_host, now, 24);
PIN(certlc_host, issue_cert, 32);
PIN(certlc_host, pem_free, 40);
PIN(certlc_host, secret_get, 48);
PIN(certlc_host, secret_put, 56);
PIN(certlc_host, secret_delete, 64);
PIN(certlc_host, secret_free, 72);
/* ABI 1.1. */
PIN(certlc_host, issue_cert_in, 80);
_Static_assert(sizeof(certlc_host) == 88, "certlc_host changed size");

/* The structs passed to methods. */
PIN(certlc_drv_datastore, size, 0);
PIN(certlc_drv_datastore, name, 8);
PIN(certlc_drv_datastore, endpoints, 24);
PIN(certlc_drv_datastore, ca_cert_pem, 40);
PIN(certlc_drv_datastore, ca_key_pem, 56);
PIN(certlc_drv_datastore, client_cert_pem, 72);
PIN(certlc_drv_datastore, client_key_pem, 88);
PIN(certlc_drv_datastore, username, 104);
PIN(certlc_drv_datastore, password, 112);
PIN(certlc_drv_datastore, options, 120);
_Static_assert(sizeof(certlc_drv_datastore) == 136, "datastore changed size");
PIN(certlc_drv_tenant, size, 0);
PIN(certlc_drv_tenant, namespace, 8);
/* `ns`, the name C++ can use, is the same field. */
PIN(certlc_drv_tenant, ns, 8);
PIN(certlc_drv_secret, ns, 0);
PIN(certlc_drv_secret, namespace, 0);
PIN(certlc_drv_tenant, schema, 24);
PIN(certlc_drv_tenant, certificate_secret, 40);
PIN(certlc_drv_tenant, password, 56);
PIN(certlc_drv_tenant, validity, 64);
_Static_assert(sizeof(certlc_drv_tenant) == 72, "tenant changed size");
PIN(certlc_drv_cert_req, size, 0);
PIN(certlc_drv_cert_req, ca_cert_pem, 8);
PIN(certlc_drv_cert_req, cn, 40);
PIN(certlc_drv_cert_req, client_auth, 96);
PIN(certlc_drv_cert_req, validity, 104);
_Static_assert(sizeof(certlc_drv_cert_req) == 112, "cert_req changed size");
_Static_assert(sizeof(certlc_drv_dbconfig) == 1024 + 3 * 256, "dbconfig");
_Static_assert(sizeof(certlc_drv_err) == 1024, "err");
_Static_assert(sizeof(certlc_drv_kv) == 24, "kv");
_Static_assert(sizeof(certlc_drv_secret) == 56, "secret");

static void test_has_field(void **state)
{
    (void)state;
    /* A 1.0 driver's descriptor holds verify; a short one does not. */
    assert_true(CERTLC_HAS_FIELD(certlc_driver, sizeof(certlc_driver), verify));
    assert_false(CERTLC_HAS_FIELD(certlc_driver, 64, verify));
    assert_true(CERTLC_HAS_FIELD(certlc_driver, 16, size));
    assert_int_equal(CERTLC_DRIVER_MAGIC, 0x434C4452u);
    assert_int_equal(CERTLC_DRIVER_ABI_MAJOR, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_has_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
