#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "names.h"

/* Each test gets a fresh folder: <tmp>/conf/certlc.ini, <tmp>/conf/tenants.d. */
typedef struct fixture {
    char root[256]; /* realpath of the temporary folder */
    char conf[512]; /* root/conf */
    char ini[512];  /* root/conf/certlc.ini */
    char cwd[PATH_MAX]; /* restored by teardown */
} fixture;

static void writef(const fixture *fx, const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", fx->root, rel);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static void mkdirf(const fixture *fx, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", fx->root, rel);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char tmpl[] = "/tmp/certlc-test-config-XXXXXX";
    char real[PATH_MAX];
    if (fx == NULL || mkdtemp(tmpl) == NULL || realpath(tmpl, real) == NULL ||
        strlen(real) >= sizeof fx->root)
        return -1;
    memcpy(fx->root, real, strlen(real) + 1);
    if (getcwd(fx->cwd, sizeof fx->cwd) == NULL)
        return -1;
    snprintf(fx->conf, sizeof fx->conf, "%s/conf", fx->root);
    snprintf(fx->ini, sizeof fx->ini, "%s/conf/certlc.ini", fx->root);
    mkdirf(fx, "conf");
    mkdirf(fx, "conf/tenants.d");
    writef(fx, "conf/certlc.ini", "[certlc]\n");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (chdir(fx->cwd) != 0)
        return -1;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->root);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Loads fx->ini and expects failure with a message containing every string
 * of the NULL-terminated list. */
static void expect_fail_at(const char *path, ...)
{
    certlc_config *cfg = (certlc_config *)1;
    certlc_err err = {{0}};
    if (certlc_config_load(path, &cfg, &err) == 0)
        fail_msg("%s was accepted", path);
    assert_null(cfg);
    va_list ap;
    va_start(ap, path);
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL) {
        if (strstr(err.msg, want) == NULL) {
            va_end(ap);
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
        }
    }
    va_end(ap);
}

static certlc_config *load_ok(const char *path)
{
    certlc_config *cfg = NULL;
    certlc_err err = {{0}};
    if (certlc_config_load(path, &cfg, &err) != 0)
        fail_msg("%s", err.msg);
    assert_non_null(cfg);
    return cfg;
}

static void assert_path(const char *got, const fixture *fx, const char *rel)
{
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s/%s", fx->root, rel);
    assert_string_equal(got, want);
}

static void test_defaults(void **state)
{
    fixture *fx = *state;
    writef(fx, "conf/certlc.ini", "; nothing set\n[certlc]\n");
    certlc_config *cfg = load_ok(fx->ini);
    assert_string_equal(cfg->path, fx->ini);
    assert_path(cfg->state_dir, fx, "conf/var");
    assert_path(cfg->plugins_dir, fx, "conf/plugins.d");
    assert_path(cfg->tenants_dir, fx, "conf/tenants.d");
    assert_path(cfg->datastores_dir, fx, "conf/datastores.d");
    assert_int_equal(cfg->key_algorithm, CERTLC_KEY_RSA2048);
    assert_int_equal(cfg->ca_validity, INT64_C(87600) * 3600);
    assert_int_equal(cfg->leaf_validity, INT64_C(8760) * 3600);
    assert_int_equal(cfg->renew_before, INT64_C(24) * 3600);
    assert_string_equal(cfg->rollout_hook, "");
    assert_int_equal(cfg->log_level, CERTLC_LOG_INFO);
    assert_true(cfg->reissue_on_removed_san);
    assert_false(cfg->ca_rotation_overlap);
    assert_int_equal(cfg->ca_overlap, INT64_C(24) * 3600);
    assert_int_equal(cfg->n_tenants, 0);
    assert_null(certlc_config_tenant(cfg, "default", "x"));
    certlc_config_free(cfg);

    /* An empty file is all defaults too. */
    writef(fx, "conf/certlc.ini", "");
    cfg = load_ok(fx->ini);
    assert_int_equal(cfg->renew_before, INT64_C(24) * 3600);
    certlc_config_free(cfg);
    certlc_config_free(NULL);
}

static void test_full(void **state)
{
    fixture *fx = *state;
    writef(fx, "conf/certlc.ini",
           "\xEF\xBB\xBF; a full configuration\n"
           "[certlc]\n"
           "state_dir = ./x/../../var     ; inline comment\n"
           "plugins_dir = /opt/certlc/plugins.d/\n"
           "  tenants_dir = tenants.d\n" /* indented: still a key */
           "datastores_dir: ds.d\n"
           "key_algorithm = ecdsa-p256\n"
           "ca_validity = 3650d\n"
           "leaf_validity = 90d\n"
           "renew_before = 1d12h\r\n"
           "rollout_hook = /usr/local/bin/roll --tenant ; ignored\n"
           "log_level = debug\n"
           "reissue_on_removed_san = false\n"
           "ca_rotation = overlap\n"
           "ca_overlap = 2h\n");
    mkdirf(fx, "conf/ds.d");
    writef(fx, "conf/ds.d/default.ini",
           "[datastore default]\n"
           "driver = etcd\n"
           "endpoints = 127.0.0.1:2379\n");
    writef(fx, "conf/tenants.d/b.ini",
           "[tenant zeta]\n"
           "namespace = prod\n"
           "version = v1.27.3\n"
           "address = api.zeta.example.com\n"
           "[tenant alpha]\n"
           "namespace = prod\n"
           "version = v1.28.0-rc.1\n"
           "reissue_on_removed_san = true\n"
           "ca_rotation = replace\n"
           "ca_overlap = 90s\n"
           "address = fd00::10\n"
           "port = 443\n"
           "service_cidr = fd00:10:96::/112\n");
    writef(fx, "conf/tenants.d/a.ini",
           "# tenants in the default namespace\n"
           "[tenant k8s-126]\n"
           "version = v1.26.0\n"
           "address = 172.18.255.200\n"
           "port = 6443\n"
           "service_cidr = 10.100.0.0/16\n"
           "cluster_domain = corp.local\n"
           "cert_sans = k8s.example.com , 192.0.2.10,*.apps.example.com\n"
           "cert_sans = 2001:db8::1\n"
           "konnectivity = yes\n"
           "datastore = default\n"
           "\n"
           "[ tenant  beta ]\n"
           "version = v1.29.0\n"
           "address = 10.0.0.1\n"
           "konnectivity = FALSE\n");
    /* Not loaded: other suffixes, hidden files, folders. */
    writef(fx, "conf/tenants.d/c.ini.disabled", "[tenant broken\n");
    writef(fx, "conf/tenants.d/.hidden.ini", "[tenant broken\n");
    writef(fx, "conf/tenants.d/README", "nothing\n");
    mkdirf(fx, "conf/tenants.d/dir.ini");

    certlc_config *cfg = load_ok(fx->ini);
    assert_path(cfg->state_dir, fx, "var");
    assert_string_equal(cfg->plugins_dir, "/opt/certlc/plugins.d");
    assert_path(cfg->tenants_dir, fx, "conf/tenants.d");
    assert_path(cfg->datastores_dir, fx, "conf/ds.d");
    assert_int_equal(cfg->key_algorithm, CERTLC_KEY_ECDSA_P256);
    assert_int_equal(cfg->ca_validity, INT64_C(3650) * 86400);
    assert_int_equal(cfg->leaf_validity, INT64_C(90) * 86400);
    assert_int_equal(cfg->renew_before, INT64_C(36) * 3600);
    assert_string_equal(cfg->rollout_hook, "/usr/local/bin/roll --tenant");
    assert_int_equal(cfg->log_level, CERTLC_LOG_DEBUG);
    assert_false(cfg->reissue_on_removed_san);
    assert_true(cfg->ca_rotation_overlap);
    assert_int_equal(cfg->ca_overlap, 7200);

    /* Sorted by namespace, then name. */
    assert_int_equal(cfg->n_tenants, 4);
    const char *order[][2] = {
        {"default", "beta"}, {"default", "k8s-126"}, {"prod", "alpha"}, {"prod", "zeta"}};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cfg->tenants[i].namespace, order[i][0]);
        assert_string_equal(cfg->tenants[i].name, order[i][1]);
    }

    const certlc_tenant *t = certlc_config_tenant(cfg, "default", "k8s-126");
    assert_ptr_equal(t, &cfg->tenants[1]);
    assert_string_equal(t->version, "v1.26.0");
    assert_string_equal(t->address, "172.18.255.200");
    assert_int_equal(t->port, 6443);
    assert_string_equal(t->service_cidr, "10.100.0.0/16");
    assert_string_equal(t->cluster_domain, "corp.local");
    assert_int_equal(t->n_cert_sans, 4);
    assert_string_equal(t->cert_sans[0], "k8s.example.com");
    assert_string_equal(t->cert_sans[1], "192.0.2.10");
    assert_string_equal(t->cert_sans[2], "*.apps.example.com");
    assert_string_equal(t->cert_sans[3], "2001:db8::1");
    assert_true(t->konnectivity);
    assert_string_equal(t->datastore, "default");
    char src[PATH_MAX * 2];
    snprintf(src, sizeof src, "%s/conf/tenants.d/a.ini:2", fx->root);
    assert_string_equal(t->source, src);

    /* Defaults of a tenant. */
    t = certlc_config_tenant(cfg, NULL, "beta");
    assert_non_null(t);
    assert_int_equal(t->port, 6443);
    assert_string_equal(t->service_cidr, "10.96.0.0/16");
    assert_string_equal(t->cluster_domain, "cluster.local");
    assert_int_equal(t->n_cert_sans, 0);
    assert_false(t->konnectivity);
    assert_string_equal(t->datastore, "");
    assert_int_equal(t->reissue_on_removed_san, -1); /* as certlc.ini says */
    assert_int_equal(t->ca_rotation_overlap, -1);
    assert_int_equal(t->ca_overlap, 0);
    snprintf(src, sizeof src, "%s/conf/tenants.d/a.ini:13", fx->root);
    assert_string_equal(t->source, src);

    t = certlc_config_tenant(cfg, "prod", "alpha");
    assert_non_null(t);
    assert_string_equal(t->address, "fd00::10");
    assert_int_equal(t->port, 443);
    assert_string_equal(t->version, "v1.28.0-rc.1");
    assert_int_equal(t->reissue_on_removed_san, 1);
    assert_int_equal(t->ca_rotation_overlap, 0);
    assert_int_equal(t->ca_overlap, 90);
    assert_null(certlc_config_tenant(cfg, "default", "alpha"));
    certlc_config_free(cfg);
}

/* Paths are cleaned lexically; the targets need not exist. */
static void test_path_cleaning(void **state)
{
    fixture *fx = *state;
    static const char *const cases[][2] = {
        {"a//b/./c/", "conf/a/b/c"},
        {"./x/../../var", "var"},
        {"..", ""},
        {"a/b/../../..", ""},
        {".", "conf"},
        {"/opt//certlc/./x/../var/", "/opt/certlc/var"},
        {"/../..", "/"},
        {"/", "/"},
        {"...", "conf/..."},
        {"..a/b..", "conf/..a/b.."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], want[1024];
        snprintf(text, sizeof text, "[certlc]\nstate_dir = %s\n", cases[i][0]);
        writef(fx, "conf/certlc.ini", text);
        if (cases[i][1][0] == '/')
            snprintf(want, sizeof want, "%s", cases[i][1]);
        else if (cases[i][1][0] == '\0')
            snprintf(want, sizeof want, "%s", fx->root);
        else
            snprintf(want, sizeof want, "%s/%s", fx->root, cases[i][1]);
        certlc_config *cfg = load_ok(fx->ini);
        if (strcmp(cfg->state_dir, want) != 0)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i][0], cfg->state_dir, want);
        certlc_config_free(cfg);
    }
}

/* certlc.ini given by a relative path: paths resolve against its folder,
 * and messages name files as the user would find them from here. */
static void test_relative_paths(void **state)
{
    fixture *fx = *state;
    assert_int_equal(chdir(fx->root), 0); /* teardown goes back */

    writef(fx, "conf/certlc.ini",
           "[certlc]\nstate_dir = ../var\nplugins_dir = ../plugins.d\n"
           "tenants_dir = tenants.d\n");
    certlc_config *cfg = load_ok("conf/certlc.ini");
    assert_string_equal(cfg->path, "conf/certlc.ini");
    assert_path(cfg->state_dir, fx, "var");
    assert_path(cfg->plugins_dir, fx, "plugins.d");
    assert_path(cfg->tenants_dir, fx, "conf/tenants.d");
    assert_path(cfg->datastores_dir, fx, "conf/datastores.d");
    certlc_config_free(cfg);

    writef(fx, "conf/tenants.d/a.ini", "[tenant x]\nversion = v1.26.0\nprot = 1\n");
    expect_fail_at("conf/certlc.ini", "conf/tenants.d/a.ini:3: [tenant x] unknown key 'prot'",
                   NULL);

    /* From inside the folder. */
    assert_int_equal(chdir("conf"), 0);
    expect_fail_at("certlc.ini", "tenants.d/a.ini:3: [tenant x] unknown key 'prot'", NULL);
    expect_fail_at("./certlc.ini", "./tenants.d/a.ini:3:", NULL);
}

/* Tenant-file errors: message checks are exact on "<file>:<line>: ". */
static void tenant_error(const fixture *fx, const char *text, const char *line_prefix,
                         const char *reason)
{
    writef(fx, "conf/tenants.d/a.ini", text);
    char where[PATH_MAX * 2];
    snprintf(where, sizeof where, "%s/conf/tenants.d/a.ini:%s", fx->root, line_prefix);
    expect_fail_at(fx->ini, where, reason, NULL);
}

#define T_OK "version = v1.26.0\naddress = 10.0.0.1\n"

static void test_tenant_errors(void **state)
{
    fixture *fx = *state;
    tenant_error(fx, "[tenant k8s-126]\n" T_OK "prot = 6443\n",
                 "4: [tenant k8s-126] unknown key 'prot'", "(did you mean 'port'?)");
    tenant_error(fx, "[tenant k8s-126]\n" T_OK "color = red\n",
                 "4: [tenant k8s-126] unknown key 'color'", "");
    tenant_error(fx, "[tenant x]\n" T_OK "[datastore x]\n",
                 "4: unknown section [datastore x]", "tenant NAME");
    tenant_error(fx, "[tenant]\n" T_OK, "1: [tenant] needs a name", "");
    tenant_error(fx, "version = v1\n", "1: key 'version' is outside any [section]", "");
    tenant_error(fx, "[tenant a/b]\n" T_OK,
                 "1: tenant name \"a/b\" is not a DNS-1123 label (lowercase letters, "
                 "digits and '-', at most 63)", "");
    tenant_error(fx, "\n[tenant ..]\n" T_OK, "2: tenant name \"..\" is not a DNS-1123 label",
                 "");
    tenant_error(fx, "[tenant ../etc]\n" T_OK, "1: tenant name \"../etc\"", "DNS-1123");
    tenant_error(fx, "[tenant K8s]\n" T_OK, "1: tenant name \"K8s\"", "DNS-1123");
    tenant_error(fx,
                 "[tenant a123456789012345678901234567890123456789012345678901234567890123]\n"
                 T_OK,
                 "1: tenant name \"a1234567890", "at most 63");
    tenant_error(fx, "[tenant x]\nnamespace = kube_system\n" T_OK,
                 "2: [tenant x] namespace: \"kube_system\" is not a DNS-1123 label", "");
    tenant_error(fx, "[tenant x]\nversion = v1.26.0\n",
                 "1: [tenant x] missing required key 'address'", "");
    tenant_error(fx, "; c\n[tenant x]\naddress = 10.0.0.1\n",
                 "2: [tenant x] missing required key 'version'", "");
    tenant_error(fx, "[tenant x]\n" T_OK "port = 0\n",
                 "4: [tenant x] port: \"0\" is not a port number (1-65535)", "");
    tenant_error(fx, "[tenant x]\n" T_OK "port = 65536\n", "4: [tenant x] port: \"65536\"",
                 "1-65535");
    tenant_error(fx, "[tenant x]\n" T_OK "port = 64x\n", "4: [tenant x] port: \"64x\"", "");
    tenant_error(fx, "[tenant x]\n" T_OK "ca_rotation = both\n",
                 "4: [tenant x] ca_rotation: \"both\" is neither replace nor "
                 "overlap", "");
    tenant_error(fx, "[tenant x]\n" T_OK "ca_overlap = 3x\n",
                 "4: [tenant x] ca_overlap: invalid duration \"3x\"", "");
    tenant_error(fx, "[tenant x]\n" T_OK "port = -1\n", "4: [tenant x] port: \"-1\"", "");
    tenant_error(fx, "[tenant x]\n" T_OK "port = 6443 # https\n", "4: [tenant x] port:",
                 "inline comments start with ';'");
    tenant_error(fx, "[tenant x]\n" T_OK "port = 1\nport = 2\n",
                 "5: [tenant x] duplicate key 'port' (first set at line 4)", "");
    tenant_error(fx, "[tenant x]\nversion = 1.26\naddress = a\n",
                 "2: [tenant x] version: \"1.26\"", "like v1.26.0");
    /* vMAJOR.MINOR.PATCH: the identities depend on MINOR (v1.29). */
    tenant_error(fx, "[tenant x]\nversion = v1.29\naddress = a\n",
                 "2: [tenant x] version: \"v1.29\"", "like v1.26.0");
    tenant_error(fx, "[tenant x]\nversion = v1.x.0\naddress = a\n",
                 "2: [tenant x] version: \"v1.x.0\"", "like v1.26.0");
    tenant_error(fx, "[tenant x]\nversion = v1.26.0\naddress = not an address\n",
                 "3: [tenant x] address: \"not an address\" is neither an IP address nor "
                 "a DNS name", "");
    tenant_error(fx, "[tenant x]\n" T_OK "service_cidr = 10.96.0.0\n",
                 "4: [tenant x] service_cidr: \"10.96.0.0\" is not an IPv4 or IPv6 CIDR",
                 "");
    tenant_error(fx, "[tenant x]\n" T_OK "service_cidr = 10.96.0.0/33\n",
                 "4: [tenant x] service_cidr:", "not an IPv4 or IPv6 CIDR");
    tenant_error(fx, "[tenant x]\n" T_OK "service_cidr = 10.96.0.1/32\n",
                 "4: [tenant x] service_cidr:", "no address after its network address");
    tenant_error(fx, "[tenant x]\n" T_OK "cluster_domain = cluster..local\n",
                 "4: [tenant x] cluster_domain: \"cluster..local\" is not a DNS name", "");
    tenant_error(fx, "[tenant x]\n" T_OK "cert_sans = a.example.com,,b\n",
                 "4: [tenant x] cert_sans: empty entry", "");
    tenant_error(fx, "[tenant x]\n" T_OK "cert_sans = a.example.com, under_score\n",
                 "4: [tenant x] cert_sans: \"under_score\" is neither an IP address nor a "
                 "DNS name", "");
    tenant_error(fx, "[tenant x]\n" T_OK "konnectivity = maybe\n",
                 "4: [tenant x] konnectivity: \"maybe\" is not a boolean", "");
    tenant_error(fx, "[tenant x]\n" T_OK "reissue_on_removed_san = sometimes\n",
                 "4: [tenant x] reissue_on_removed_san: \"sometimes\" is not a boolean", "");
    tenant_error(fx, "[tenant x]\n" T_OK "[tenant x\n", "4: syntax error", "");
    tenant_error(fx, "[tenant x]\n" T_OK "no equals sign here\n", "4: syntax error", "");
    /* inih would read an indented line as the previous value's continuation:
     * certlc takes it as a key of its own. */
    tenant_error(fx, "[tenant x]\n  version = v1.26.0\n  address = 10.0.0.1\n  port = x\n",
                 "4: [tenant x] port: \"x\"", "");
    char longline[400];
    snprintf(longline, sizeof longline, "[tenant x]\n" T_OK "cert_sans = %0300d\n", 0);
    tenant_error(fx, longline, "4: line is longer than", "");

    /* The same tenant twice, in one file or in two. */
    tenant_error(fx, "[tenant x]\n" T_OK "\n[tenant x]\n" T_OK,
                 "5: tenant default/x is defined twice: here and at ", "a.ini:1");
    writef(fx, "conf/tenants.d/b.ini", "[tenant x]\nnamespace = default\n" T_OK);
    writef(fx, "conf/tenants.d/a.ini", "; first\n[tenant x]\n" T_OK);
    char want[PATH_MAX * 3];
    snprintf(want, sizeof want,
             "%s/conf/tenants.d/b.ini:1: tenant default/x is defined twice: here and at "
             "%s/conf/tenants.d/a.ini:2", fx->root, fx->root);
    expect_fail_at(fx->ini, want, NULL);
    /* Same name in another namespace is another tenant. */
    writef(fx, "conf/tenants.d/b.ini", "[tenant x]\nnamespace = other\n" T_OK);
    certlc_config *cfg = load_ok(fx->ini);
    assert_int_equal(cfg->n_tenants, 2);
    assert_string_equal(cfg->tenants[0].namespace, "default");
    assert_string_equal(cfg->tenants[1].namespace, "other");
    certlc_config_free(cfg);
    char b_ini[PATH_MAX * 2];
    snprintf(b_ini, sizeof b_ini, "%s/conf/tenants.d/b.ini", fx->root);
    assert_int_equal(unlink(b_ini), 0);

    /* Of several duplicates, the one defined earliest in the files is
     * named, with the first definition of its name. */
    tenant_error(fx,
                 "[tenant y]\n" T_OK "[tenant z]\n" T_OK "[tenant x]\n" T_OK
                 "[tenant z]\n" T_OK "[tenant y]\n" T_OK "[tenant z]\n" T_OK,
                 "10: tenant default/z is defined twice: here and at ",
                 "a.ini:4");

    /* Thousands of tenants: each is found by namespace and name. */
    size_t n = 3000, size = n * 64 + 1, len = 0;
    char *many = malloc(size);
    assert_non_null(many);
    for (size_t i = n; i > 0; i--)
        len += (size_t)snprintf(many + len, size - len,
                                "[tenant t%zu]\n" T_OK, i);
    writef(fx, "conf/tenants.d/a.ini", many);
    free(many);
    cfg = load_ok(fx->ini);
    assert_int_equal(cfg->n_tenants, n);
    for (size_t i = 1; i <= n; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%zu", i);
        const certlc_tenant *t = certlc_config_tenant(cfg, "default", name);
        assert_non_null(t);
        assert_string_equal(t->name, name);
    }
    assert_null(certlc_config_tenant(cfg, "default", "t0"));
    assert_null(certlc_config_tenant(cfg, "other", "t1"));
    certlc_config_free(cfg);
}

/* Hostile or careless names: what inih would drop silently, what only
 * looks like a DNS name, and names in another case. */
static void test_hostile_names(void **state)
{
    fixture *fx = *state;
    tenant_error(fx, "[tenant a]b]\n" T_OK,
                 "1: section header \"[tenant a]\" is followed by \"b]\"",
                 "expected nothing after its ']'");
    tenant_error(fx, "[tenant alpha] junk\n" T_OK,
                 "1: section header \"[tenant alpha]\" is followed by \"junk\"", "");
    tenant_error(fx, "[tenant x]\nversion = v1.26.0\naddress = 999.1.1.1\n",
                 "3: [tenant x] address: \"999.1.1.1\" is neither an IP address nor a "
                 "DNS name", "");
    tenant_error(fx, "[tenant x]\n" T_OK "cert_sans = 10.0.0.256\n",
                 "4: [tenant x] cert_sans: \"10.0.0.256\" is neither", "");
    tenant_error(fx, "[tenant x]\n" T_OK "cert_sans = a-.example.com\n",
                 "4: [tenant x] cert_sans: \"a-.example.com\" is neither", "");
    /* A comment after the header is fine; DNS names in any case are kept in
     * lowercase; a name ending in letters after digits is a name. */
    writef(fx, "conf/tenants.d/a.ini",
           "[tenant alpha] ; the first\nversion = v1.26.0\naddress = LOCALHOST\n"
           "cert_sans = API.Example.COM, 10.0.0.9, 1.2.3.example\n"
           "cluster_domain = Cluster.Local\n");
    certlc_config *cfg = load_ok(fx->ini);
    assert_int_equal(cfg->n_tenants, 1);
    assert_string_equal(cfg->tenants[0].name, "alpha");
    assert_string_equal(cfg->tenants[0].address, "localhost");
    assert_int_equal(cfg->tenants[0].n_cert_sans, 3);
    assert_string_equal(cfg->tenants[0].cert_sans[0], "api.example.com");
    assert_string_equal(cfg->tenants[0].cert_sans[1], "10.0.0.9");
    assert_string_equal(cfg->tenants[0].cert_sans[2], "1.2.3.example");
    assert_string_equal(cfg->tenants[0].cluster_domain, "cluster.local");
    certlc_config_free(cfg);
}

static void main_ini_error(const fixture *fx, const char *text, const char *line_prefix,
                           const char *reason);

/* Validities whose end X.509 cannot hold are refused at load. */
static void test_validity_limits(void **state)
{
    fixture *fx = *state;
    main_ini_error(fx, "[certlc]\nca_validity = 9223372036854775807s\n",
                   "2: [certlc] ca_validity (9223372036854775807s) is too long",
                   "after 9999-12-31, the last date X.509 can hold");
    main_ini_error(fx, "[certlc]\nca_validity = 3000000d\nleaf_validity = 2999999d\n"
                   "renew_before = 1d\n",
                   "2: [certlc] ca_validity (3000000d) is too long", "");
    main_ini_error(fx, "[certlc]\nca_validity = 1000d\nleaf_validity = 106751991167300d\n",
                   "3: [certlc] leaf_validity", "is too long");
    writef(fx, "conf/certlc.ini", "[certlc]\nca_validity = 2000000h\n");
    certlc_config *cfg = load_ok(fx->ini);
    certlc_config_free(cfg);
}

static void main_ini_error(const fixture *fx, const char *text, const char *line_prefix,
                         const char *reason)
{
    writef(fx, "conf/certlc.ini", text);
    char where[PATH_MAX * 2];
    snprintf(where, sizeof where, "%s:%s", fx->ini, line_prefix);
    expect_fail_at(fx->ini, where, reason, NULL);
}

static void test_certlc_errors(void **state)
{
    fixture *fx = *state;
    main_ini_error(fx, "[certlc]\nrenew_before = 5x\n",
                 "2: [certlc] renew_before: invalid duration \"5x\": unknown unit 'x' "
                 "(use s, m, h or d)", "");
    main_ini_error(fx, "[certlc]\nca_validity = 10\n",
                 "2: [certlc] ca_validity: invalid duration \"10\"", "missing unit");
    main_ini_error(fx, "[certlc]\nleaf_validity =\n",
                 "2: [certlc] leaf_validity: invalid duration \"\"", "");
    main_ini_error(fx, "[certlc]\nstate_dri = x\n", "2: [certlc] unknown key 'state_dri'",
                 "did you mean 'state_dir'?");
    main_ini_error(fx, "[certlc]\n[tenant x]\n", "2: unknown section [tenant x]", "[certlc]");
    main_ini_error(fx, "[certlc]\n[certlc]\n", "2: duplicate section [certlc]", "line 1");
    main_ini_error(fx, "log_level = info\n", "1: key 'log_level' is outside any [section]", "");
    main_ini_error(fx, "[certlc]\n\nkey_algorithm = rsa-1024\n",
                 "3: [certlc] key_algorithm: unknown key algorithm \"rsa-1024\"",
                 "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256 or ecdsa-p384");
    main_ini_error(fx, "[certlc]\nlog_level = loud\n",
                 "2: [certlc] log_level: unknown log level \"loud\"", "debug, info");
    main_ini_error(fx, "[certlc]\nreissue_on_removed_san = 2\n",
                 "2: [certlc] reissue_on_removed_san: \"2\" is not a boolean", "");
    main_ini_error(fx, "[certlc]\nstate_dir =\n", "2: [certlc] state_dir: must not be empty",
                 "");
    main_ini_error(fx, "[certlc]\nrenew_before = 8760h\n",
                 "2: [certlc] renew_before (8760h) must be shorter than leaf_validity "
                 "(8760h)", "");
    main_ini_error(fx, "[certlc]\nrenew_before = 2d\nleaf_validity = 1d\n",
                 "3: [certlc] renew_before (2d) must be shorter than leaf_validity (1d)",
                 "");
    main_ini_error(fx, "[certlc]\nca_rotation = rolling\n",
                 "2: [certlc] ca_rotation: \"rolling\" is neither replace nor "
                 "overlap", "");
    main_ini_error(fx, "[certlc]\nca_overlap = 0s\n",
                 "2: [certlc] ca_overlap: invalid duration \"0s\"",
                 "greater than zero");
    main_ini_error(fx, "[certlc]\nca_validity = 100d\n",
                 "2: [certlc] ca_validity (100d) must not be shorter than leaf_validity "
                 "(8760h)", "");

    /* Missing files and folders. */
    char path[1024];
    snprintf(path, sizeof path, "%s/nowhere/certlc.ini", fx->root);
    char want[4096];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    expect_fail_at(path, want, NULL);

    main_ini_error(fx, "[certlc]\ntenants_dir = missing.d\n",
                 "2: [certlc] tenants_dir: cannot open ", "missing.d: No such file or "
                 "directory");
    writef(fx, "conf/certlc.ini", "[certlc]\n");
    snprintf(path, sizeof path, "%s/conf/tenants.d", fx->root);
    assert_int_equal(rmdir(path), 0);
    snprintf(want, sizeof want, "%s: [certlc] tenants_dir (default): cannot open %s: No "
             "such file or directory", fx->ini, path);
    expect_fail_at(fx->ini, want, NULL);

    certlc_config *cfg = (certlc_config *)1;
    assert_int_equal(certlc_config_load("", &cfg, NULL), -1);
    assert_null(cfg);
}

/* workers and key_pool: auto by default, a count, or a clear error. */
static void test_workers_and_key_pool(void **state)
{
    fixture *fx = *state;
    writef(fx, "conf/certlc.ini", "[certlc]\n");
    certlc_config *cfg = load_ok(fx->ini);
    assert_int_equal(cfg->workers, 0);   /* auto: one per CPU */
    assert_int_equal(cfg->key_pool, -1); /* auto: the algorithm's default */
    certlc_config_free(cfg);
    writef(fx, "conf/certlc.ini", "[certlc]\nworkers = 3\nkey_pool = 0\n");
    cfg = load_ok(fx->ini);
    assert_int_equal(cfg->workers, 3);
    assert_int_equal(cfg->key_pool, 0);
    certlc_config_free(cfg);
    writef(fx, "conf/certlc.ini", "[certlc]\nworkers = auto\nkey_pool = 8\n");
    cfg = load_ok(fx->ini);
    assert_int_equal(cfg->workers, 0);
    assert_int_equal(cfg->key_pool, 8);
    certlc_config_free(cfg);
    main_ini_error(fx, "[certlc]\nworkers = 0\n",
                   "2: [certlc] workers: \"0\" is not auto or a number of workers "
                   "from 1 to 256", "");
    main_ini_error(fx, "[certlc]\nworkers = -2\n", "2: [certlc] workers:", "-2");
    main_ini_error(fx, "[certlc]\n\nkey_pool = lots\n",
                   "3: [certlc] key_pool: \"lots\" is not auto or a number of keys "
                   "from 0 to 1024", "");
    main_ini_error(fx, "[certlc]\nkey_pool = 2x\n", "2: [certlc] key_pool:", "2x");
}

static void test_dns1123_label(void **state)
{
    (void)state;
    const char *good[] = {"a", "k8s-126", "0", "a-b-c", "default",
                          "a12345678901234567890123456789012345678901234567890123456789012"};
    const char *bad[] = {"", "-a", "a-", "A", "a_b", "a.b", "a/b", "..", "a b",
                         "a123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(certlc_dns1123_label(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(certlc_dns1123_label(bad[i]));
    assert_false(certlc_dns1123_label(NULL));
}

/* The one check of names: both stores and the configuration use it. */
static void test_names(void **state)
{
    (void)state;
    char n250[251], n251[252];
    memset(n250, 'a', 250);
    n250[250] = '\0';
    memset(n251, 'a', 251);
    n251[251] = '\0';
    certlc_err err;
    assert_int_equal(certlc_check_object_name("name", n250, &err), 0);
    assert_int_equal(certlc_check_object_name("name", n251, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 250 characters"));
    const char *good[] = {"a", "a.b", "a-b.c-d", "0.1", "kube-system"};
    const char *bad[] = {"", "A", "a..b", ".a", "a.", "-a", "a-", "a-.b", "a.-b",
                         "a_b", "a/b", ".."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(certlc_check_object_name("name", good[i], NULL), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(certlc_check_object_name("name", bad[i], NULL), -1);
    /* DNS names also limit each label to 63. */
    char label64[80];
    memset(label64, 'a', 64);
    memcpy(label64 + 64, ".com", 5);
    assert_true(certlc_dns1123_subdomain(label64, 253, 0));
    assert_false(certlc_dns1123_subdomain(label64, 253, 63));
}

static void test_cidr_first_ip(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"10.96.0.0/16", "10.96.0.1"},
        {"10.96.0.0/12", "10.96.0.1"},
        {"10.96.5.7/16", "10.96.0.1"}, /* host bits ignored */
        {"192.168.1.0/24", "192.168.1.1"},
        {"172.16.0.0/31", "172.16.0.1"},
        {"0.0.0.0/0", "0.0.0.1"},
        {"fd00:10:96::/112", "fd00:10:96::1"},
        {"fd00::/8", "fd00::1"},
        {"2001:db8:1:2::ff/64", "2001:db8:1:2::1"},
        {"::/0", "::1"},
        {"2001:db8::/127", "2001:db8::1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[INET6_ADDRSTRLEN];
        certlc_err err = {{0}};
        if (certlc_cidr_first_ip(cases[i][0], buf, sizeof buf, &err) != 0)
            fail_msg("%s: %s", cases[i][0], err.msg);
        assert_string_equal(buf, cases[i][1]);
    }
    static const char *const bad[] = {
        "10.96.0.0", "10.96.0.0/", "10.96.0.0/33", "10.96.0.0/-1", "10.96.0.0/08",
        "10.96.0/16", "10.96.0.0.0/16", "/16", "x/16", "fd00::/129", "fd00:::/64",
        "10.96.0.0/16x", "", "10.96.0.1/32", "fd00::1/128",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[INET6_ADDRSTRLEN];
        certlc_err err = {{0}};
        if (certlc_cidr_first_ip(bad[i], buf, sizeof buf, &err) != -1)
            fail_msg("\"%s\" accepted as %s", bad[i], buf);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    char small[16];
    certlc_err err = {{0}};
    assert_int_equal(certlc_cidr_first_ip("10.96.0.0/16", small, 9, &err), -1);
    assert_non_null(strstr(err.msg, "buffer too small"));
    assert_int_equal(certlc_cidr_first_ip("10.96.0.0/16", small, 10, NULL), 0);
    assert_string_equal(small, "10.96.0.1");
    assert_int_equal(certlc_cidr_first_ip(NULL, small, sizeof small, NULL), -1);
}

/* The example configuration shipped in conf/ loads. The test runs from the
 * repository root, as make does. */
static void test_example_conf(void **state)
{
    (void)state;
    struct stat st;
    if (stat("conf/certlc.ini", &st) != 0) {
        print_message("conf/certlc.ini not found from the working directory\n");
        fail();
    }
    certlc_config *cfg = load_ok("conf/certlc.ini");
    char root[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath(".", root));
    snprintf(want, sizeof want, "%s/var", root);
    assert_string_equal(cfg->state_dir, want);
    snprintf(want, sizeof want, "%s/plugins.d", root);
    assert_string_equal(cfg->plugins_dir, want);
    snprintf(want, sizeof want, "%s/conf/tenants.d", root);
    assert_string_equal(cfg->tenants_dir, want);
    snprintf(want, sizeof want, "%s/conf/datastores.d", root);
    assert_string_equal(cfg->datastores_dir, want);
    assert_int_equal(cfg->key_algorithm, CERTLC_KEY_RSA2048);
    assert_int_equal(cfg->ca_validity, INT64_C(87600) * 3600);
    assert_int_equal(cfg->leaf_validity, INT64_C(8760) * 3600);
    assert_int_equal(cfg->renew_before, INT64_C(24) * 3600);
    assert_string_equal(cfg->rollout_hook, "");
    assert_int_equal(cfg->log_level, CERTLC_LOG_INFO);

    const certlc_tenant *t = certlc_config_tenant(cfg, "default", "k8s-126");
    assert_non_null(t);
    assert_string_equal(t->version, "v1.26.0");
    assert_string_equal(t->address, "172.18.255.200");
    assert_int_equal(t->port, 6443);
    assert_string_equal(t->service_cidr, "10.96.0.0/16");
    assert_string_equal(t->cluster_domain, "cluster.local");
    assert_int_equal(t->n_cert_sans, 0);
    assert_true(t->konnectivity);
    assert_string_equal(t->datastore, "default");
    assert_string_equal(t->source, "conf/tenants.d/k8s-126.ini:4");
    certlc_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_cleaning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certlc_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validity_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workers_and_key_pool, setup, teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dns1123_label),
        cmocka_unit_test(test_cidr_first_ip),
        cmocka_unit_test(test_example_conf),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
