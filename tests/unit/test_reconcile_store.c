/* A pass never signs with a CA that the store did not take.
 *
 * A store whose operations delegate to a real file store in a temp dir,
 * except for the CA Secret's writes: either refused (as a full disk or a
 * directory in the file's place would), or lost to a rival writer that
 * stores another CA first (a compare-and-swap lost, as on etcd when two
 * `run --once` race). In both cases the pass must stop with the cause
 * "ca-unstored", naming the CA Secret, and write no leaf: whatever it
 * would sign would chain to a CA no one has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pki.h"
#include "plan.h"
#include "reconcile.h"
#include "secret.h"
#include "store.h"

#define CA_NAME "alpha-ca"

/* FAULT_RIVAL_AFTER: the CA is stored, then the rival replaces it before
 * anything it signs is written. */
typedef enum { FAULT_NONE, FAULT_REFUSE, FAULT_RIVAL, FAULT_RIVAL_AFTER } fault;

/* The wrapper: base is the real file store everything goes to. */
typedef struct wrap {
    certlc_store st; /* first: the ops receive &wrap.st */
    certlc_store *base;
    fault fault;
    const certlc_secret *rival; /* the CA the rival stores (FAULT_RIVAL) */
    int ca_writes;              /* attempts to write the CA */
    int other_writes;           /* attempts to write anything else */
    int leaf_failed;            /* leaves reported failed, with: */
    char leaf_reason[CERTLC_ERR_MAX];
} wrap;

static wrap *W(certlc_store *st) { return (wrap *)st; }

static void rival_writes(wrap *w);

/* A CA write: refused, or preceded by the rival's, else passed on. */
static int ca_fault(wrap *w, certlc_secret *s, certlc_err *err)
{
    w->ca_writes++;
    if (w->fault == FAULT_REFUSE)
        return certlc_err_set(err, "cannot write %s/%s.json: No space left "
                              "on device", s->namespace, s->name);
    if (w->fault == FAULT_RIVAL)
        rival_writes(w); /* first: this write then loses */
    return 0;
}

/* The rival stores its CA over whatever is there. */
static void rival_writes(wrap *w)
{
    {
        certlc_secret *r = certlc_secret_dup(w->rival);
        assert_non_null(r);
        r->resource_version = 0;
        certlc_err rerr = {{0}};
        certlc_secret *cur = NULL;
        if (certlc_store_get(w->base, r->namespace, r->name, &cur, &rerr) == 0)
            r->resource_version = cur->resource_version;
        certlc_secret_free(cur);
        int rc = r->resource_version != 0 ? certlc_store_update(w->base, r, &rerr)
                                          : certlc_store_create(w->base, r, &rerr);
        assert_int_equal(rc, 0);
        certlc_secret_free(r);
    }
}

static int w_get(certlc_store *st, const char *ns, const char *name,
                 certlc_secret **out, certlc_err *err)
{
    return certlc_store_get(W(st)->base, ns, name, out, err);
}
static int w_list(certlc_store *st, const char *ns, const certlc_selector *sel,
                  certlc_secret_list *out, certlc_err *err)
{
    return certlc_store_list(W(st)->base, ns, sel, out, err);
}
static int w_create(certlc_store *st, certlc_secret *s, certlc_err *err)
{
    wrap *w = W(st);
    if (strcmp(s->name, CA_NAME) == 0) {
        if (ca_fault(w, s, err) != 0)
            return -1;
    } else {
        w->other_writes++;
    }
    int rc = certlc_store_create(w->base, s, err);
    if (rc == 0 && w->fault == FAULT_RIVAL_AFTER &&
        strcmp(s->name, CA_NAME) == 0)
        rival_writes(w);
    return rc;
}
static int w_update(certlc_store *st, certlc_secret *s, certlc_err *err)
{
    wrap *w = W(st);
    if (strcmp(s->name, CA_NAME) == 0) {
        if (ca_fault(w, s, err) != 0)
            return -1;
    } else {
        w->other_writes++;
    }
    int rc = certlc_store_update(w->base, s, err);
    if (rc == 0 && w->fault == FAULT_RIVAL_AFTER &&
        strcmp(s->name, CA_NAME) == 0)
        rival_writes(w);
    return rc;
}
static int w_remove(certlc_store *st, const char *ns, const char *name,
                    certlc_err *err)
{
    W(st)->other_writes++;
    return certlc_store_remove(W(st)->base, ns, name, err);
}
static int w_status_get(certlc_store *st, const char *ns, const char *tcp,
                        char **json, certlc_err *err)
{
    return certlc_store_status_get(W(st)->base, ns, tcp, json, err);
}
static int w_status_put(certlc_store *st, const char *ns, const char *tcp,
                        const char *json, certlc_err *err)
{
    return certlc_store_status_put(W(st)->base, ns, tcp, json, err);
}
static int w_status_remove(certlc_store *st, const char *ns, const char *tcp,
                           certlc_err *err)
{
    return certlc_store_status_remove(W(st)->base, ns, tcp, err);
}

static int w_peek(certlc_store *st, const char *ns, const char *name,
                  char digest[65], certlc_err *err)
{
    return certlc_store_peek(W(st)->base, ns, name, digest, err);
}

static const struct certlc_store_ops wrap_ops = {
    .get = w_get,
    .list = w_list,
    .create = w_create,
    .update = w_update,
    .remove = w_remove,
    .status_get = w_status_get,
    .status_put = w_status_put,
    .status_remove = w_status_remove,
};

/* The same, telling the digest of the stored bytes as the file store
 * does (the pass then compares those instead of reading a Secret). */
static const struct certlc_store_ops wrap_peek_ops = {
    .get = w_get,
    .list = w_list,
    .create = w_create,
    .update = w_update,
    .remove = w_remove,
    .status_get = w_status_get,
    .status_put = w_status_put,
    .status_remove = w_status_remove,
    .peek = w_peek,
};

/* ---- fixture ------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char state[128];
    certlc_config cfg;
    certlc_tenant t;
    wrap w;
    /* What the pass reported through its callback. */
    int ca_failed;
    certlc_cause ca_cause;
    char ca_reason[CERTLC_ERR_MAX];
    int leaves_reported_ok; /* created or reissued, other than the CA */
} fixture;

static void on_event(const certlc_reconcile_event *ev, void *arg)
{
    fixture *f = arg;
    if (strcmp(ev->secret, CA_NAME) == 0 && ev->action == CERTLC_ACT_FAILED) {
        f->ca_failed++;
        f->ca_cause = ev->cause;
        snprintf(f->ca_reason, sizeof f->ca_reason, "%s", ev->reason);
    } else if (ev->action == CERTLC_ACT_FAILED) {
        f->w.leaf_failed++;
        snprintf(f->w.leaf_reason, sizeof f->w.leaf_reason, "%s", ev->reason);
    } else if (ev->action == CERTLC_ACT_CREATED ||
               ev->action == CERTLC_ACT_REISSUED) {
        f->leaves_reported_ok++;
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/certlc-reconcile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    certlc_err err = {{0}};
    f->w.base = certlc_store_file_open(f->state, &err);
    assert_non_null(f->w.base);
    f->w.st.ops = &wrap_ops;
    f->cfg.key_algorithm = CERTLC_KEY_ECDSA_P256; /* fast */
    f->cfg.ca_validity = 10 * 365 * 86400LL;
    f->cfg.leaf_validity = 365 * 86400LL;
    f->cfg.renew_before = 86400;
    f->cfg.rollout_hook = "";
    f->cfg.reissue_on_removed_san = true;
    f->t.name = "alpha";
    f->t.namespace = "default";
    f->t.version = "v1.26.0";
    f->t.address = "127.0.0.1";
    f->t.port = 6443;
    f->t.service_cidr = "10.96.0.0/16";
    f->t.cluster_domain = "cluster.local";
    f->t.datastore = "";
    f->t.source = "test:1";
    f->t.reissue_on_removed_san = -1;
    f->t.ca_rotation_overlap = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    certlc_store_close(f->w.base);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void pass_once(fixture *f, certlc_reconcile_result *res)
{
    certlc_err err = {{0}};
    memset(res, 0, sizeof *res);
    int rc = certlc_reconcile_tenant(&f->w.st, &f->cfg, &f->t, on_event, f,
                                     res, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0); /* the pass ran; its failure is in res */
}

/* Nothing but the CA (the rival's, or none) is in the store. */
static void assert_no_leaf(fixture *f, bool ca_there)
{
    certlc_secret_list l = {0};
    certlc_err err = {{0}};
    assert_int_equal(certlc_store_list(f->w.base, "default", NULL, &l, &err), 0);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.items[i]->name, CA_NAME) != 0)
            fail_msg("%s was written although its CA was not stored",
                     l.items[i]->name);
    assert_int_equal(l.n, ca_there ? 1 : 0);
    certlc_secret_list_free(&l);
    assert_int_equal(f->w.other_writes, 0);
}

/* The stopped pass, as its callback, its result and its status say. */
static void assert_stopped(fixture *f, const certlc_reconcile_result *res,
                           const char *why)
{
    assert_int_equal(f->ca_failed, 1);
    assert_int_equal(f->ca_cause, CERTLC_CAUSE_CA_UNSTORED);
    /* The word events and metrics carry for it. */
    assert_string_equal(certlc_cause_label(f->ca_cause), "ca-unstored");
    assert_non_null(strstr(f->ca_reason, "the new CA was not stored, so "
                           "nothing else of this tenant is issued"));
    if (strstr(f->ca_reason, why) == NULL)
        fail_msg("the reason \"%s\" does not say \"%s\"", f->ca_reason, why);
    assert_int_equal(f->leaves_reported_ok, 0);
    assert_int_equal(res->failed, 1); /* the CA; the rest was not tried */
    assert_int_equal(res->created + res->reissued, 0);
    char *json = NULL;
    certlc_err err = {{0}};
    assert_int_equal(certlc_store_status_get(f->w.base, "default", "alpha",
                                             &json, &err), 0);
    assert_non_null(strstr(json, "\"NotReady\""));
    assert_non_null(strstr(json, CA_NAME ": the new CA was not stored"));
    free(json);
}

/* A refused CA write: the pass stops, no leaf, nothing else tried. */
static void test_ca_write_refused(void **state)
{
    fixture *f = *state;
    f->w.fault = FAULT_REFUSE;
    certlc_reconcile_result res;
    pass_once(f, &res);
    assert_int_equal(f->w.ca_writes, 1);
    assert_stopped(f, &res, "No space left on device");
    assert_no_leaf(f, false);

    /* Once the store takes it, the next pass issues everything. */
    f->w.fault = FAULT_NONE;
    f->ca_failed = 0;
    pass_once(f, &res);
    assert_int_equal(res.failed, 0);
    assert_true(res.created > 5);
}

/* The CA Secret made by a pass on another store: the rival's CA. */
static certlc_secret *rival_ca(fixture *f)
{
    char dir[200];
    snprintf(dir, sizeof dir, "%s/rival", f->dir);
    certlc_err err = {{0}};
    certlc_store *st = certlc_store_file_open(dir, &err);
    assert_non_null(st);
    certlc_reconcile_result res;
    assert_int_equal(certlc_reconcile_tenant(st, &f->cfg, &f->t, NULL, NULL,
                                             &res, &err), 0);
    assert_int_equal(res.failed, 0);
    certlc_secret *ca = NULL;
    assert_int_equal(certlc_store_get(st, "default", CA_NAME, &ca, &err), 0);
    certlc_store_close(st);
    return ca;
}

/* The stored API server certificate is signed by the CA whose PEM is ca. */
static void assert_leaf_signed_by(fixture *f, const certlc_kv *ca)
{
    certlc_err err = {{0}};
    certlc_secret *leaf = NULL;
    assert_int_equal(certlc_store_get(f->w.base, "default",
                                      "alpha-api-server-certificate", &leaf,
                                      &err), 0);
    const certlc_kv *l = certlc_kvlist_get(&leaf->data, "apiserver.crt");
    assert_non_null(ca);
    assert_non_null(l);
    X509 *ca_cert = certlc_cert_from_pem(ca->value, ca->len, &err);
    X509 *leaf_cert = certlc_cert_from_pem(l->value, l->len, &err);
    assert_non_null(ca_cert);
    assert_non_null(leaf_cert);
    assert_int_equal(X509_verify(leaf_cert, X509_get0_pubkey(ca_cert)), 1);
    X509_free(ca_cert);
    X509_free(leaf_cert);
    certlc_secret_free(leaf);
}

/* The CA's create loses to a rival that stored its own CA first. */
static void test_ca_create_loses_cas(void **state)
{
    fixture *f = *state;
    certlc_secret *rival = rival_ca(f);
    f->w.fault = FAULT_RIVAL;
    f->w.rival = rival;
    certlc_reconcile_result res;
    pass_once(f, &res);
    assert_int_equal(f->w.ca_writes, 1);
    assert_stopped(f, &res, "changed while it was being issued (another writer?)");
    assert_no_leaf(f, true);
    /* The stored CA is the rival's, untouched. */
    certlc_secret *cur = NULL;
    certlc_err err = {{0}};
    assert_int_equal(certlc_store_get(f->w.base, "default", CA_NAME, &cur,
                                      &err), 0);
    const certlc_kv *a = certlc_kvlist_get(&cur->data, "ca.crt");
    const certlc_kv *b = certlc_kvlist_get(&rival->data, "ca.crt");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->value, b->value, a->len);
    certlc_secret_free(cur);

    /* The next pass signs with the stored CA. */
    f->w.fault = FAULT_NONE;
    f->ca_failed = 0;
    pass_once(f, &res);
    assert_int_equal(res.failed, 0);
    assert_int_equal(f->ca_failed, 0);
    assert_leaf_signed_by(f, b);
    certlc_secret_free(rival);
}

/* The CA's compare-and-swap update loses: a CA rotation by deletion is
 * not it (that is a create); an expired CA's replacement is an update.
 * Shown by the rival rewriting the CA between the read and the write. */
static void test_ca_update_loses_cas(void **state)
{
    fixture *f = *state;
    certlc_reconcile_result res;
    pass_once(f, &res); /* everything, with a good CA */
    assert_int_equal(res.failed, 0);
    certlc_secret *rival = rival_ca(f);
    /* Asked to rotate: the pass replaces the CA with an update. */
    certlc_secret *ca = NULL;
    certlc_err err = {{0}};
    assert_int_equal(certlc_store_get(f->w.base, "default", CA_NAME, &ca,
                                      &err), 0);
    assert_int_equal(certlc_kvlist_set(&ca->annotations,
                                       CERTLC_ANNOTATION_ROTATE, "", 0), 0);
    assert_int_equal(certlc_store_update(f->w.base, ca, &err), 0);
    certlc_secret_free(ca);
    f->w.fault = FAULT_RIVAL;
    f->w.rival = rival;
    f->w.other_writes = f->w.ca_writes = 0;
    f->leaves_reported_ok = 0;
    pass_once(f, &res);
    assert_int_equal(f->w.ca_writes, 1);
    assert_stopped(f, &res, "changed while it was being issued (another writer?)");
    assert_int_equal(f->w.other_writes, 0);
    certlc_secret_free(rival);
}

/* The CA is stored, then replaced by another writer before the first leaf
 * is written: the pass notices before that write (by the resourceVersion,
 * or where the store can peek by the stored bytes' digest) and stops, so
 * no leaf chains to a CA that is gone; the next pass signs with the
 * stored one. */
static void ca_replaced_after_write(fixture *f)
{
    certlc_secret *rival = rival_ca(f);
    f->w.fault = FAULT_RIVAL_AFTER;
    f->w.rival = rival;
    certlc_reconcile_result res;
    pass_once(f, &res);
    assert_int_equal(f->w.ca_writes, 1);
    /* Before the first leaf of the CA: the CA, the front-proxy CA and the
     * service-account key pair, which the CA does not sign. */
    assert_int_equal(f->leaves_reported_ok, 3);
    assert_int_equal(f->w.other_writes, 2);
    assert_int_equal(f->w.leaf_failed, 1);
    if (strstr(f->w.leaf_reason, "its CA " CA_NAME " changed during this "
                                 "pass") == NULL)
        fail_msg("the reason: %s", f->w.leaf_reason);
    certlc_err err = {{0}};
    certlc_secret *leaf = NULL;
    assert_int_equal(certlc_store_get(f->w.base, "default",
                                      "alpha-api-server-certificate", &leaf,
                                      &err), CERTLC_NOTFOUND);

    f->w.fault = FAULT_NONE;
    pass_once(f, &res);
    assert_int_equal(res.failed, 0);
    assert_leaf_signed_by(f, certlc_kvlist_get(&rival->data, "ca.crt"));
    certlc_secret_free(rival);
}

static void test_ca_replaced_after_write(void **state)
{
    ca_replaced_after_write(*state);
}

static void test_ca_replaced_after_write_peek(void **state)
{
    fixture *f = *state;
    f->w.st.ops = &wrap_peek_ops;
    ca_replaced_after_write(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ca_write_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_create_loses_cas, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ca_update_loses_cas, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ca_replaced_after_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ca_replaced_after_write_peek,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
