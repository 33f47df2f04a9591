/* store = file | etcd, leader_lease and [store.etcd]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char root[PATH_MAX];

static void write_ini(const char *text)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/certlc.ini", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load(certlc_config **cfg, certlc_err *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/certlc.ini", root);
    return certlc_config_load(path, cfg, err);
}

static void test_default_is_file(void **state)
{
    (void)state;
    write_ini("[certlc]\n");
    certlc_config *cfg;
    certlc_err err;
    assert_int_equal(load(&cfg, &err), 0);
    assert_int_equal(cfg->store, CERTLC_STORE_FILE);
    assert_int_equal(cfg->leader_lease, 15);
    assert_string_equal(cfg->etcd.prefix, "/certlc");
    assert_int_equal(cfg->etcd.n_endpoints, 0);
    certlc_config_free(cfg);
}

static void test_etcd(void **state)
{
    (void)state;
    write_ini("[certlc]\nstore = etcd\nleader_lease = 30s\n"
              "[store.etcd]\n"
              "endpoints = https://127.0.0.1:2379 , https://127.0.0.2:2379/\n"
              "prefix = /x/y/\nca_cert = pki/ca.crt\nclient_cert = /abs/c.crt\n"
              "client_key = c.key\nusername = u\npassword_file = p\n");
    certlc_config *cfg;
    certlc_err err;
    assert_int_equal(load(&cfg, &err), 0);
    assert_int_equal(cfg->store, CERTLC_STORE_ETCD);
    assert_int_equal(cfg->leader_lease, 30);
    assert_int_equal(cfg->etcd.n_endpoints, 2);
    assert_string_equal(cfg->etcd.endpoints[0], "https://127.0.0.1:2379");
    assert_string_equal(cfg->etcd.endpoints[1], "https://127.0.0.2:2379");
    assert_string_equal(cfg->etcd.prefix, "/x/y");
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s/pki/ca.crt", root);
    assert_string_equal(cfg->etcd.ca_cert, want);
    assert_string_equal(cfg->etcd.client_cert, "/abs/c.crt");
    assert_string_equal(cfg->etcd.username, "u");
    certlc_config_free(cfg);
}

static void expect_error(const char *ini, const char *needle)
{
    write_ini(ini);
    certlc_config *cfg = NULL;
    certlc_err err = {{0}};
    assert_int_equal(load(&cfg, &err), -1);
    assert_null(cfg);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("[certlc]\nstore = nfs\n", "unknown store \"nfs\"");
    expect_error("[certlc]\nstore = etcd\n", "needs a [store.etcd] section");
    expect_error("[certlc]\n[store.etcd]\nendpoints = 127.0.0.1:2379\n",
                 "is not an http(s):// URL");
    expect_error("[certlc]\n[store.etcd]\nendpoint = https://a:1\n", "endpoint");
    expect_error("[certlc]\n[store.etcd]\nprefix = certlc\n", "must start with '/'");
    expect_error("[certlc]\n[store.etcd]\nusername = u\n", "go together");
    expect_error("[certlc]\n[store.etcd]\nclient_cert = c\n", "go together");
    expect_error("[certlc]\nleader_lease = 1s\n", "at least 3s");
    expect_error("[certlc]\n[store.etcd]\n[store.etcd]\n", "duplicate section");
    expect_error("[certlc]\n[store.nfs]\n", "unknown section [store.nfs]");
}

int main(void)
{
    char tmpl[] = "/tmp/certlc-test-config-store-XXXXXX";
    if (mkdtemp(tmpl) == NULL || realpath(tmpl, root) == NULL)
        return 1;
    char td[PATH_MAX + 32], dd[PATH_MAX + 32];
    snprintf(td, sizeof td, "%s/tenants.d", root);
    snprintf(dd, sizeof dd, "%s/datastores.d", root);
    mkdir(td, 0755);
    mkdir(dd, 0755);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_file),
        cmocka_unit_test(test_etcd),
        cmocka_unit_test(test_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char ini[PATH_MAX + 32];
    snprintf(ini, sizeof ini, "%s/certlc.ini", root);
    unlink(ini);
    rmdir(td);
    rmdir(dd);
    rmdir(root);
    return rc;
}
