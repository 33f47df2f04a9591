#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "kubeconfig.h"

static const char ca[] = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
static const char crt[] = "-----BEGIN CERTIFICATE-----\nMIIBcrt\n-----END CERTIFICATE-----\n";
static const char key[] = "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n";

static certlc_kubeconfig sample(char *cluster, char *user, char *server)
{
    certlc_kubeconfig kc = {
        .cluster = cluster,
        .user = user,
        .server = server,
        .ca_pem = (unsigned char *)ca,
        .ca_len = sizeof ca - 1,
        .cert_pem = (unsigned char *)crt,
        .cert_len = sizeof crt - 1,
        .key_pem = (unsigned char *)key,
        .key_len = sizeof key - 1,
    };
    return kc;
}

static char *b64(const char *s)
{
    size_t n;
    return certlc_base64_encode(s, strlen(s), &n);
}

static void test_write_layout(void **state)
{
    (void)state;
    certlc_kubeconfig kc = sample("k8s-126", "kubernetes-admin", "https://172.18.255.200:6443");
    certlc_err err = {{0}};
    size_t len = 0;
    char *yaml = certlc_kubeconfig_write(&kc, &len, &err);
    assert_non_null(yaml);
    assert_int_equal(len, strlen(yaml));

    char *ca64 = b64(ca), *crt64 = b64(crt), *key64 = b64(key);
    char want[4096];
    snprintf(want, sizeof want,
             "apiVersion: v1\n"
             "kind: Config\n"
             "clusters:\n"
             "- cluster:\n"
             "    certificate-authority-data: %s\n"
             "    server: https://172.18.255.200:6443\n"
             "  name: k8s-126\n"
             "contexts:\n"
             "- context:\n"
             "    cluster: k8s-126\n"
             "    user: kubernetes-admin\n"
             "  name: kubernetes-admin@k8s-126\n"
             "current-context: kubernetes-admin@k8s-126\n"
             "preferences: {}\n"
             "users:\n"
             "- name: kubernetes-admin\n"
             "  user:\n"
             "    client-certificate-data: %s\n"
             "    client-key-data: %s\n",
             ca64, crt64, key64);
    assert_string_equal(yaml, want);
    free(ca64);
    free(crt64);
    free(key64);
    certlc_kubeconfig_yaml_free(yaml, len);
}

static void round_trip(char *cluster, char *user)
{
    certlc_kubeconfig kc = sample(cluster, user, "https://k8s.example.com:6443");
    certlc_err err = {{0}};
    size_t len = 0;
    char *yaml = certlc_kubeconfig_write(&kc, &len, &err);
    assert_non_null(yaml);
    certlc_kubeconfig *back = certlc_kubeconfig_parse(yaml, len, &err);
    if (back == NULL)
        fail_msg("%s\n%s", err.msg, yaml);
    assert_string_equal(back->cluster, cluster);
    assert_string_equal(back->user, user);
    char ctx[256];
    snprintf(ctx, sizeof ctx, "%s@%s", user, cluster);
    assert_string_equal(back->context, ctx);
    assert_string_equal(back->server, "https://k8s.example.com:6443");
    assert_int_equal(back->ca_len, sizeof ca - 1);
    assert_memory_equal(back->ca_pem, ca, back->ca_len);
    assert_int_equal(back->cert_len, sizeof crt - 1);
    assert_memory_equal(back->cert_pem, crt, back->cert_len);
    assert_int_equal(back->key_len, sizeof key - 1);
    assert_memory_equal(back->key_pem, key, back->key_len);
    certlc_kubeconfig_free(back);
    certlc_kubeconfig_yaml_free(yaml, len);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip("k8s-126", "kubernetes-admin");
    round_trip("k8s-126", "system:kube-controller-manager");
    round_trip("k8s-126", "system:konnectivity-server");
    /* Names YAML would read as booleans, null or numbers stay strings. */
    round_trip("true", "no");
    round_trip("1234", "null");
    round_trip("0x1f", "1e3");
    round_trip("-", "~");
}

static void test_binary_data_round_trip(void **state)
{
    (void)state;
    unsigned char bin[3000];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 131 + 7);
    certlc_kubeconfig kc = sample("a", "b", "https://10.0.0.1:6443");
    kc.key_pem = bin;
    kc.key_len = sizeof bin;
    kc.cert_pem = bin + 1;
    kc.cert_len = sizeof bin - 1;
    size_t len;
    certlc_err err;
    char *yaml = certlc_kubeconfig_write(&kc, &len, &err);
    assert_non_null(yaml);
    certlc_kubeconfig *back = certlc_kubeconfig_parse(yaml, len, &err);
    assert_non_null(back);
    assert_int_equal(back->key_len, sizeof bin);
    assert_memory_equal(back->key_pem, bin, sizeof bin);
    assert_int_equal(back->cert_len, sizeof bin - 1);
    assert_memory_equal(back->cert_pem, bin + 1, sizeof bin - 1);
    certlc_kubeconfig_free(back);
    certlc_kubeconfig_yaml_free(yaml, len);
}

static void test_write_requires_fields(void **state)
{
    (void)state;
    certlc_kubeconfig kc = sample("a", "b", "https://x");
    kc.key_pem = NULL;
    certlc_err err = {{0}};
    size_t len = 99;
    assert_null(certlc_kubeconfig_write(&kc, &len, &err));
    assert_non_null(strstr(err.msg, "required"));
    assert_null(certlc_kubeconfig_write(NULL, &len, NULL));
    certlc_kubeconfig_yaml_free(NULL, 0);
    certlc_kubeconfig_free(NULL);
}

/* A kubeconfig in the shape kubectl writes, with a second cluster, user and
 * context, quoting and fields certlc does not use. */
static char *kubectl_style(const char *current, const char *key_value)
{
    char *ca64 = b64(ca), *crt64 = b64(crt), *key64 = b64(key);
    char *buf = malloc(8192);
    assert_non_null(buf);
    snprintf(buf, 8192,
             "# written by hand\n"
             "apiVersion: v1\n"
             "clusters:\n"
             "  - name: other\n"
             "    cluster:\n"
             "      server: https://other:6443\n"
             "      certificate-authority-data: %s\n"
             "  - cluster:\n"
             "      certificate-authority-data: \"%s\"\n"
             "      server: 'https://k8s.example.com:6443'\n"
             "      tls-server-name: k8s\n"
             "    name: tcp\n"
             "contexts:\n"
             "- context: {cluster: other, user: other}\n"
             "  name: other\n"
             "- context:\n"
             "    cluster: tcp\n"
             "    user: admin\n"
             "    namespace: kube-system\n"
             "  name: admin@tcp\n"
             "%s"
             "kind: Config\n"
             "preferences: {}\n"
             "users:\n"
             "- name: other\n"
             "  user: {token: abc}\n"
             "- name: admin\n"
             "  user:\n"
             "    client-certificate-data: %s\n"
             "    client-key-data: %s\n",
             ca64, ca64, current, crt64, key_value ? key_value : key64);
    free(ca64);
    free(crt64);
    free(key64);
    return buf;
}

static void test_parse_kubectl_style(void **state)
{
    (void)state;
    char *y = kubectl_style("current-context: admin@tcp\n", NULL);
    certlc_err err = {{0}};
    certlc_kubeconfig *kc = certlc_kubeconfig_parse(y, strlen(y), &err);
    if (kc == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(kc->cluster, "tcp");
    assert_string_equal(kc->user, "admin");
    assert_string_equal(kc->context, "admin@tcp");
    assert_string_equal(kc->server, "https://k8s.example.com:6443");
    assert_memory_equal(kc->key_pem, key, kc->key_len);
    certlc_kubeconfig_free(kc);
    free(y);
}

static void test_parse_without_current_context(void **state)
{
    (void)state;
    /* No current-context: the first cluster and the first user, "other",
     * which has a token and no client certificate. */
    char *y = kubectl_style("", NULL);
    certlc_err err = {{0}};
    assert_null(certlc_kubeconfig_parse(y, strlen(y), &err));
    assert_string_equal(err.msg, "users[0].user.client-certificate-data: missing");
    free(y);

    /* No contexts at all: the first cluster and the first user. */
    char *ca64 = b64(ca), *crt64 = b64(crt), *key64 = b64(key);
    char doc[4096];
    snprintf(doc, sizeof doc,
             "apiVersion: v1\nkind: Config\n"
             "clusters:\n- name: c\n  cluster: {server: 'https://c:1', "
             "certificate-authority-data: %s}\n"
             "users:\n- name: u\n  user: {client-certificate-data: %s, "
             "client-key-data: %s}\n",
             ca64, crt64, key64);
    certlc_kubeconfig *kc = certlc_kubeconfig_parse(doc, strlen(doc), &err);
    if (kc == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(kc->cluster, "c");
    assert_string_equal(kc->user, "u");
    assert_string_equal(kc->context, "");
    assert_string_equal(kc->server, "https://c:1");
    certlc_kubeconfig_free(kc);
    free(ca64);
    free(crt64);
    free(key64);
}

static void expect_error(const char *doc, const char *want)
{
    certlc_err err = {{0}};
    certlc_kubeconfig *kc = certlc_kubeconfig_parse(doc, strlen(doc), &err);
    if (kc != NULL)
        fail_msg("accepted:\n%s", doc);
    if (strstr(err.msg, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
                 "not a kubeconfig: kind is 'Pod'");
    expect_error("apiVersion: v2\nkind: Config\n", "apiVersion is 'v2'");
    expect_error("- a\n- b\n", "not a kubeconfig: not a mapping");
    expect_error("", "empty document");
    expect_error("# nothing\n", "empty document");
    expect_error("kind: Config\nclusters: [\n", "not valid YAML: line");
    expect_error("kind: Config\n", "clusters: missing");
    expect_error("kind: Config\nclusters: x\nusers: []\n", "clusters: not a list");
    expect_error("kind: Config\nclusters: []\nusers: []\n", "clusters: empty");
    expect_error("kind: Config\nclusters: [a]\nusers: [b]\n", "clusters[0]: not a mapping");

    char *y = kubectl_style("current-context: nowhere\n", NULL);
    expect_error(y, "current-context: no context named 'nowhere'");
    free(y);

    y = kubectl_style("current-context: admin@tcp\n", "LS0t!!notbase64");
    expect_error(y, "users[1].user.client-key-data: not valid base64");
    free(y);

    /* Whitespace inside base64 is rejected. */
    y = kubectl_style("current-context: admin@tcp\n", "\"LS0t LS0t\"");
    expect_error(y, "users[1].user.client-key-data: not valid base64");
    free(y);

    /* The context names a user that is not there. */
    y = kubectl_style("current-context: admin@tcp\n", NULL);
    char *u = strstr(y, "- name: admin\n");
    assert_non_null(u);
    memcpy(u, "- name: xdmin", 13);
    expect_error(y, "contexts[1].context.user: no user named 'admin'");
    free(y);

    /* ...or a cluster that is not there. */
    y = kubectl_style("current-context: admin@tcp\n", NULL);
    char *c = strstr(y, "    name: tcp\n");
    assert_non_null(c);
    memcpy(c, "    name: tcx", 13);
    expect_error(y, "contexts[1].context.cluster: no cluster named 'tcp'");
    free(y);

    /* Missing fields, named by path. */
    expect_error("kind: Config\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
                 "clusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u, user: {}}]\n",
                 "contexts[0].context.user: missing");
    expect_error("kind: Config\nclusters: [{name: c, cluster: {}}]\nusers: [{name: u, user: {}}]\n",
                 "clusters[0].cluster.server: missing");
    expect_error("kind: Config\nclusters: [{name: c, cluster: {server: s}}]\n"
                 "users: [{name: u, user: {}}]\n",
                 "clusters[0].cluster.certificate-authority-data: missing");
    expect_error("kind: Config\nclusters: [{name: c, cluster: {server: s, "
                 "certificate-authority-data: [1]}}]\nusers: [{name: u, user: {}}]\n",
                 "clusters[0].cluster.certificate-authority-data: not a string");
    expect_error("kind: Config\nclusters: [{name: c, cluster: {server: s, "
                 "certificate-authority-data: ''}}]\nusers: [{name: u, user: {}}]\n",
                 "clusters[0].cluster.certificate-authority-data: empty");
    expect_error("kind: Config\nclusters: [{cluster: {server: s}}]\nusers: [{name: u}]\n",
                 "clusters[0].name: missing");
    expect_error("kind: Config\nclusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u}]\n",
                 "users[0].user: missing");

    /* NULL err is allowed. */
    assert_null(certlc_kubeconfig_parse("kind: Pod\n", 9, NULL));
    assert_null(certlc_kubeconfig_parse(NULL, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_binary_data_round_trip),
        cmocka_unit_test(test_write_requires_fields),
        cmocka_unit_test(test_parse_kubectl_style),
        cmocka_unit_test(test_parse_without_current_context),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests_name("kubeconfig", tests, NULL, NULL);
}
