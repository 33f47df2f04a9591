/* Validation records: kept sorted by name, replaced and dropped by name,
 * carried through the status JSON; the inputs digest changes with what
 * shapes a Secret (SANs, validity, key algorithm, version) and only then. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "status.h"
#include "validation.h"

static certlc_validation record(const char *name, uint64_t rv)
{
    certlc_validation v;
    memset(&v, 0, sizeof v);
    snprintf(v.name, sizeof v.name, "%s", name);
    v.rv = rv;
    memset(v.data, 'a', 64);
    memset(v.ca, 'b', 64);
    memset(v.inputs, 'c', 64);
    v.not_before = 1700000000;
    v.not_after = 1800000000;
    v.ca_not_after = 1800000000;
    snprintf(v.verdict, sizeof v.verdict, "valid");
    return v;
}

static void test_sorted_put_drop(void **state)
{
    (void)state;
    certlc_tcp_status *st = calloc(1, sizeof *st);
    certlc_validation a = record("t-b", 1), b = record("t-a", 2),
                      c = record("t-c", 3);
    certlc_validation_put(st, &a);
    certlc_validation_put(st, &b);
    certlc_validation_put(st, &c);
    assert_int_equal(st->n_validations, 3);
    assert_string_equal(st->validations[0].name, "t-a");
    assert_string_equal(st->validations[1].name, "t-b");
    assert_string_equal(st->validations[2].name, "t-c");
    a.rv = 9;
    certlc_validation_put(st, &a);
    assert_int_equal(st->n_validations, 3);
    assert_int_equal(certlc_validation_find(st, "t-b")->rv, 9);
    certlc_validation_drop(st, "t-b");
    assert_int_equal(st->n_validations, 2);
    assert_null(certlc_validation_find(st, "t-b"));
    assert_string_equal(st->validations[1].name, "t-c");
    certlc_validation_drop(st, "absent");
    assert_int_equal(st->n_validations, 2);
    free(st);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    certlc_tcp_status *st = calloc(1, sizeof *st);
    certlc_tcp_status *back = calloc(1, sizeof *back);
    snprintf(st->phase, sizeof st->phase, "Ready");
    certlc_validation a = record("t-ca", 1796305024042836ULL),
                      b = record("t-api-server-certificate", 7);
    memset(b.ca, 0, sizeof b.ca);
    /* The digest of the stored bytes, what a pass peeks at. */
    memset(a.stored, 'e', 64);
    certlc_validation_put(st, &a);
    certlc_validation_put(st, &b);
    certlc_err err = {{0}};
    char *json = certlc_status_to_json(st, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"validations\""));
    assert_int_equal(certlc_status_from_json(json, back, &err), 0);
    free(json);
    /* Byte for byte: a pass compares the status it holds with memcmp. */
    assert_int_equal(back->n_validations, 2);
    assert_memory_equal(back->validations, st->validations,
                        sizeof st->validations);
    free(st);
    free(back);
}

/* The inputs digest of the api-server certificate of t under cfg. */
static void inputs(const certlc_tenant *t, const certlc_config *cfg,
                   char out[65])
{
    const certlc_item *item = certlc_plan_item("api-server-certificate");
    assert_non_null(item);
    certlc_plan_spec ps;
    certlc_err err = {{0}};
    int rc = certlc_plan_spec_init(&ps, item, t, cfg, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(certlc_validation_inputs(item, t, cfg, &ps.spec, out), 0);
    certlc_plan_spec_fini(&ps);
}

static void test_inputs_digest(void **state)
{
    (void)state;
    certlc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.leaf_validity = 365 * 86400;
    cfg.renew_before = 86400;
    cfg.key_algorithm = CERTLC_KEY_ECDSA_P256;
    char *sans[] = {"api.example.com"};
    certlc_tenant t;
    memset(&t, 0, sizeof t);
    t.name = "alpha";
    t.namespace = "default";
    t.version = "v1.26.0";
    t.address = "127.0.0.1";
    t.port = 6443;
    t.service_cidr = "10.96.0.0/16";
    t.cluster_domain = "cluster.local";
    char base[65], again[65], other[65];
    inputs(&t, &cfg, base);
    assert_int_equal(strlen(base), 64);
    inputs(&t, &cfg, again);
    assert_string_equal(base, again);
    /* renew_before decides when, not what: not an input. */
    cfg.renew_before = 2 * 86400;
    inputs(&t, &cfg, again);
    assert_string_equal(base, again);
    cfg.key_algorithm = CERTLC_KEY_RSA2048;
    inputs(&t, &cfg, other);
    assert_string_not_equal(base, other);
    cfg.key_algorithm = CERTLC_KEY_ECDSA_P256;
    cfg.leaf_validity = 30 * 86400;
    inputs(&t, &cfg, other);
    assert_string_not_equal(base, other);
    cfg.leaf_validity = 365 * 86400;
    t.cert_sans = sans;
    t.n_cert_sans = 1;
    inputs(&t, &cfg, other);
    assert_string_not_equal(base, other);
    t.cert_sans = NULL;
    t.n_cert_sans = 0;
    t.version = "v1.29.0";
    inputs(&t, &cfg, other);
    assert_string_not_equal(base, other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_put_drop),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_inputs_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
