/* What a Kamaji user reads on certlc's Secrets: identities by version,
 * Kamaji's checksum, the rotate annotation's two meanings, the CA's TLS
 * keys and the SAN superset rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kamaji.h"
#include "plan.h"

static certlc_tenant tenant(const char *version)
{
    certlc_tenant t = {.name = "k8s", .namespace = "default",
                       .version = (char *)version, .address = "192.0.2.1",
                       .port = 6443, .service_cidr = "10.96.0.0/16",
                       .cluster_domain = "cluster.local",
                       .reissue_on_removed_san = -1};
    return t;
}

static void test_v129_boundary(void **state)
{
    (void)state;
    const char *before[] = {"v1.26.0", "v1.28.5", "v1.28.99-rc.1", "v0.99.0"};
    const char *after[] = {"v1.29.0", "v1.29.0-alpha.1", "v1.30.2", "v1.100.0",
                           "v2.0.0"};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        certlc_tenant t = tenant(before[i]);
        if (certlc_plan_v129(&t))
            fail_msg("%s taken as v1.29 or later", before[i]);
    }
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        certlc_tenant t = tenant(after[i]);
        if (!certlc_plan_v129(&t))
            fail_msg("%s taken as older than v1.29", after[i]);
    }
}

/* The O of an item's certificate, through the spec the reconciler uses. */
static const char *org_of(const char *suffix, const char *version)
{
    static char out[64];
    certlc_tenant t = tenant(version);
    certlc_config cfg = {.ca_validity = 10, .leaf_validity = 5,
                         .reissue_on_removed_san = true};
    certlc_plan_spec ps;
    certlc_err err = {{0}};
    assert_int_equal(certlc_plan_spec_init(&ps, certlc_plan_item(suffix), &t,
                                           &cfg, &err), 0);
    snprintf(out, sizeof out, "%s", ps.spec.n_orgs ? ps.spec.orgs[0] : "");
    certlc_plan_spec_fini(&ps);
    return out;
}

static void test_identities_by_version(void **state)
{
    (void)state;
    assert_string_equal(org_of("admin-kubeconfig", "v1.26.0"), "system:masters");
    assert_string_equal(org_of("admin-kubeconfig", "v1.28.5"), "system:masters");
    assert_string_equal(org_of("admin-kubeconfig", "v1.29.0"),
                        "kubeadm:cluster-admins");
    assert_string_equal(org_of("api-server-kubelet-client-certificate",
                               "v1.26.0"), "system:masters");
    assert_string_equal(org_of("api-server-kubelet-client-certificate",
                               "v1.30.2"), "kubeadm:cluster-admins");
    /* Identities the version does not touch. */
    assert_string_equal(org_of("scheduler-kubeconfig", "v1.30.2"), "");
    assert_string_equal(org_of("konnectivity-certificate", "v1.26.0"), "");

    certlc_plan_kubeconfig kc[CERTLC_PLAN_MAX_KUBECONFIGS];
    certlc_tenant old = tenant("v1.28.5"), neu = tenant("v1.29.0");
    const certlc_item *admin = certlc_plan_item("admin-kubeconfig");
    assert_int_equal(certlc_plan_kubeconfigs(admin, &old, kc), 1);
    assert_string_equal(kc[0].key, "admin.conf");
    assert_null(certlc_plan_rbac_manifest(admin, &old));
    assert_int_equal(certlc_plan_kubeconfigs(admin, &neu, kc), 2);
    assert_string_equal(kc[0].key, "admin.conf");
    assert_string_equal(kc[0].cn, "kubernetes-admin");
    assert_string_equal(kc[0].org, "kubeadm:cluster-admins");
    assert_string_equal(kc[1].key, "super-admin.conf");
    assert_string_equal(kc[1].cn, "kubernetes-super-admin");
    assert_string_equal(kc[1].org, "system:masters");
    const char *rbac = certlc_plan_rbac_manifest(admin, &neu);
    assert_non_null(rbac);
    assert_non_null(strstr(rbac, "kind: ClusterRoleBinding\nmetadata:\n"
                                 "  name: kubeadm:cluster-admins\n"));
    assert_non_null(strstr(rbac, "  kind: ClusterRole\n  name: cluster-admin\n"));
    /* Only the admin Secret holds more than one kubeconfig. */
    assert_int_equal(certlc_plan_kubeconfigs(
                         certlc_plan_item("scheduler-kubeconfig"), &neu, kc),
                     1);
    assert_null(certlc_plan_rbac_manifest(
        certlc_plan_item("scheduler-kubeconfig"), &neu));
}

static void test_checksum_as_kamaji(void **state)
{
    (void)state;
    certlc_kvlist data = {0};
    char sum[33];
    /* No data: the MD5 of the empty string, as Go's md5.Sum(nil). */
    certlc_kamaji_checksum(&data, sum);
    assert_string_equal(sum, "d41d8cd98f00b204e9800998ecf8427e");
    /* Values concatenated in key order: md5("12") whatever the insertion
     * order; the keys themselves are not hashed. */
    assert_int_equal(certlc_kvlist_set_str(&data, "b", "2"), 0);
    assert_int_equal(certlc_kvlist_set_str(&data, "a", "1"), 0);
    certlc_kamaji_checksum(&data, sum);
    assert_string_equal(sum, "c20ad4d76fe97759aa27a0c99bff6710");
    certlc_kvlist_clear(&data);
}

static void test_rotate_annotation(void **state)
{
    (void)state;
    certlc_kvlist a = {0};
    assert_false(certlc_kamaji_rotation_requested(&a));
    assert_int_equal(certlc_kamaji_rotation_done(&a, 0), 0);
    assert_null(certlc_kvlist_get(&a, CERTLC_ANNOTATION_ROTATE));
    /* Kamaji's "rotated at" marker asks for nothing and stays. */
    assert_int_equal(certlc_kvlist_set_str(&a, CERTLC_ANNOTATION_ROTATE,
                                           "2026-01-02T03:04:05Z"), 0);
    assert_false(certlc_kamaji_rotation_requested(&a));
    assert_int_equal(certlc_kamaji_rotation_done(&a, 1800000000), 0);
    assert_string_equal(certlc_kvlist_str(&a, CERTLC_ANNOTATION_ROTATE),
                        "2026-01-02T03:04:05Z");
    /* The empty value asks; done, it becomes the time of the rotation. */
    assert_int_equal(certlc_kvlist_set_str(&a, CERTLC_ANNOTATION_ROTATE, ""),
                     0);
    assert_true(certlc_kamaji_rotation_requested(&a));
    assert_int_equal(certlc_kamaji_rotation_done(&a, 1800000000), 0);
    assert_string_equal(certlc_kvlist_str(&a, CERTLC_ANNOTATION_ROTATE),
                        "2027-01-15T08:00:00Z");
    assert_false(certlc_kamaji_rotation_requested(&a));
    certlc_kvlist_clear(&a);
}

static void test_complete_old_ca(void **state)
{
    (void)state;
    certlc_secret *s = certlc_secret_new("default", "k8s-ca", "Opaque");
    assert_non_null(s);
    assert_int_equal(certlc_kvlist_set_str(&s->data, "ca.crt", "CERT"), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->data, "ca.key", "KEY"), 0);
    bool changed;
    char what[200];
    const certlc_item *ca = certlc_plan_item("ca");
    assert_int_equal(certlc_kamaji_complete(s, ca, &changed, what,
                                            sizeof what), 0);
    assert_true(changed);
    assert_non_null(strstr(what, "tls.crt and tls.key"));
    assert_int_equal(s->data.n, 4);
    assert_string_equal(certlc_kvlist_str(&s->data, "tls.crt"), "CERT");
    assert_string_equal(certlc_kvlist_str(&s->data, "tls.key"), "KEY");
    assert_string_equal(certlc_kvlist_str(&s->labels, CERTLC_LABEL_PROJECT),
                        "kamaji");
    /* md5("CERTKEYCERTKEY"): ca.crt, ca.key, tls.crt, tls.key. */
    char sum[33];
    certlc_kamaji_checksum(&s->data, sum);
    assert_string_equal(certlc_kvlist_str(&s->annotations,
                                          CERTLC_ANNOTATION_CHECKSUM), sum);
    /* Complete already: nothing to do. */
    assert_int_equal(certlc_kamaji_complete(s, ca, &changed, what,
                                            sizeof what), 0);
    assert_false(changed);
    /* The front-proxy CA has no TLS keys in Kamaji. */
    certlc_secret *fp = certlc_secret_new("default", "k8s-fp", "Opaque");
    assert_int_equal(certlc_kvlist_set_str(&fp->data, "front-proxy-ca.crt",
                                           "C"), 0);
    assert_int_equal(certlc_kamaji_complete(
                         fp, certlc_plan_item("front-proxy-ca-certificate"),
                         &changed, what, sizeof what), 0);
    assert_int_equal(fp->data.n, 1);
    certlc_secret_free(fp);
    certlc_secret_free(s);
}

static void test_removed_san_rule(void **state)
{
    (void)state;
    certlc_tenant t = tenant("v1.26.0");
    certlc_config cfg = {.ca_validity = 10, .leaf_validity = 5,
                         .reissue_on_removed_san = true};
    certlc_plan_spec ps;
    certlc_err err = {{0}};
    const certlc_item *api = certlc_plan_item("api-server-certificate");
    assert_int_equal(certlc_plan_spec_init(&ps, api, &t, &cfg, &err), 0);
    assert_false(ps.spec.extra_sans_ok);
    certlc_plan_spec_fini(&ps);
    cfg.reissue_on_removed_san = false;
    assert_int_equal(certlc_plan_spec_init(&ps, api, &t, &cfg, &err), 0);
    assert_true(ps.spec.extra_sans_ok);
    certlc_plan_spec_fini(&ps);
    /* The tenant's own key wins over certlc.ini's. */
    t.reissue_on_removed_san = 1;
    assert_int_equal(certlc_plan_spec_init(&ps, api, &t, &cfg, &err), 0);
    assert_false(ps.spec.extra_sans_ok);
    certlc_plan_spec_fini(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v129_boundary),
        cmocka_unit_test(test_identities_by_version),
        cmocka_unit_test(test_checksum_as_kamaji),
        cmocka_unit_test(test_rotate_annotation),
        cmocka_unit_test(test_complete_old_ca),
        cmocka_unit_test(test_removed_san_rule),
    };
    return cmocka_run_group_tests_name("kamaji", tests, NULL, NULL);
}
