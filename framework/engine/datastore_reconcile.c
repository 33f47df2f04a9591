#include "datastore_reconcile.h"

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore_external.h"
#include "host.h"
#include "kamaji.h"
#include "log.h"
#include "pki.h"
#include "plan.h"
#include "ds_registry.h"
#include "reissue_guard.h"
#include "secret_write.h"
#include "status.h"
#include "timefmt.h"
#include "validation.h"

/* The datastore step's own names beside the pass context (pass.h), which
 * holds the store, the configuration, the tenant and now. */
typedef struct dpass {
    certlc_pass *pc; /* the pass this step is part of */
    char cert_name[320];
    char config_name[320];
    char schema[600];
} dpass;

static void report(dpass *p, const char *name, certlc_action action,
                   certlc_cause cause, const char *reason)
{
    certlc_pass_report(p->pc, name, action, cause, reason);
}

/* DatastoreReady and DatastoreUnreachable in the tenant's status. */
static void set_conditions(dpass *p, bool ready, bool unreachable,
                           const char *reason, const char *msg)
{
    /* In the pass's status, saved with the rest at the end of the pass. */
    certlc_tcp_status *st = &p->pc->status;
    certlc_status_set_condition(st, "DatastoreReady", ready, reason, msg,
                                p->pc->now);
    if (unreachable)
        certlc_status_set_condition(st, "DatastoreUnreachable", true, reason,
                                    msg, p->pc->now);
    else
        certlc_status_clear_condition(st, "DatastoreUnreachable");
}

static void fail(dpass *p, const char *secret, int drc, certlc_cause cause,
                 const char *reason, const char *msg)
{
    report(p, secret, CERTLC_ACT_FAILED,
           drc == CERTLC_DRV_UNREACHABLE ? CERTLC_CAUSE_UNREACHABLE : cause,
           msg);
    set_conditions(p, false, drc == CERTLC_DRV_UNREACHABLE,
                   drc == CERTLC_DRV_UNREACHABLE ? "Unreachable" : reason,
                   msg);
}

/* "<namespace>_<name>" with '-' turned into '_': valid as an etcd prefix,
 * a SQL database and a user name alike. */
static void schema_of(const certlc_tenant *t, char *buf, size_t size)
{
    snprintf(buf, size, "%s_%s", t->namespace, t->name);
    for (char *c = buf; *c != '\0'; c++)
        if (*c == '-')
            *c = '_';
}

/* The record a verdict on s would have (validation.h): its data, the
 * DataStore's CA, the DataStore (the inputs). 0, or -1 (then v->name is
 * "" and no record is kept). */
static int ds_record(dpass *p, const certlc_ds_instance *in,
                     const certlc_secret *s, certlc_validation *v)
{
    if (certlc_secret_data_digest(s, v->data) != 0 ||
        certlc_validation_digest(in->ca_cert, in->ca_cert_len, v->ca) != 0 ||
        certlc_validation_digest(in->name, strlen(in->name), v->inputs) != 0)
        return -1;
    snprintf(v->name, sizeof v->name, "%.255s", p->cert_name);
    v->rv = s->resource_version;
    return 0;
}

/* True when the same bytes were judged good under the same DataStore CA
 * and are not due: *due is set and nothing is parsed. */
static bool ds_judged_before(dpass *p, const certlc_validation *v,
                             int64_t *due)
{
    const certlc_validation *r = certlc_validation_find(&p->pc->status,
                                                        v->name);
    if (r == NULL || strcmp(r->verdict, "valid") != 0 || r->rv != v->rv ||
        strcmp(r->data, v->data) != 0 || strcmp(r->ca, v->ca) != 0 ||
        strcmp(r->inputs, v->inputs) != 0 || p->pc->now < r->not_before ||
        p->pc->now >= (r->ca_not_after ? r->ca_not_after
                                   : r->not_after - p->pc->cfg->renew_before))
        return false;
    *due = r->ca_not_after ? r->ca_not_after
                           : r->not_after - p->pc->cfg->renew_before;
    return true;
}

/* A datastore-certificate's pieces, parsed. */
typedef struct ds_parsed {
    X509 *cert, *ca, *dsca; /* server.crt, ca.crt, the DataStore CA */
    EVP_PKEY *key;          /* server.key */
} ds_parsed;

static void parsed_free(ds_parsed *d)
{
    X509_free(d->cert);
    X509_free(d->ca);
    X509_free(d->dsca);
    EVP_PKEY_free(d->key);
}

/* Parses server.crt, server.key (matching it) and ca.crt (the CA of in)
 * into d: 0, or -1 with the reason and its cause. */
static int parse_cert(const certlc_ds_instance *in, const certlc_kv *ckv,
                      const certlc_kv *kkv, const certlc_kv *akv,
                      ds_parsed *d, certlc_cause *cause, certlc_err *err)
{
    const char *what = "server.crt";
    d->cert = certlc_cert_from_pem(ckv->value, ckv->len, err);
    if (d->cert != NULL) {
        what = "server.key";
        d->key = certlc_private_key_from_pem(kkv->value, kkv->len, err);
    }
    if (d->key != NULL && certlc_key_matches_cert(d->key, d->cert, err) != 0)
        return -1;
    if (d->key != NULL) {
        what = "ca.crt";
        d->ca = certlc_cert_from_pem(akv->value, akv->len, err);
    }
    if (d->ca == NULL) {
        certlc_err_prefix(err, "%s", what);
        return -1;
    }
    d->dsca = certlc_cert_from_pem(in->ca_cert, in->ca_cert_len, err);
    if (d->dsca == NULL) {
        certlc_err_prefix(err, "datastore '%s': ca_cert", in->name);
        return -1;
    }
    if (X509_cmp(d->ca, d->dsca) != 0) {
        *cause = CERTLC_CAUSE_CA;
        return certlc_err_set(err, "ca.crt is not the CA of datastore '%s'",
                              in->name);
    }
    return 0;
}

/* Judges a parsed datastore-certificate: valid under the DataStore CA
 * and not due (*due set). 0, recording the verdict in v (when v names
 * the Secret), or -1 with the reason and its cause. */
static int judge_cert(dpass *p, const certlc_ds_instance *in,
                      const ds_parsed *d, certlc_validation *v, int64_t *due,
                      certlc_cause *cause, certlc_err *err)
{
    if (certlc_cert_verify(d->cert, d->dsca, p->pc->now, err) != 0) {
        *cause = CERTLC_CAUSE_CA;
        certlc_err_prefix(err, "not valid under the CA of datastore '%s'",
                          in->name);
        return -1;
    }
    int64_t not_after = certlc_cert_not_after(d->cert);
    *due = not_after - p->pc->cfg->renew_before;
    /* One that ends with the DataStore CA cannot be renewed for longer:
     * due when the CA ends (then nothing is issued, see ds_ca_usable).
     * Judged by renew_before it would be issued again on every pass. */
    int64_t ca_end = certlc_cert_not_after(d->dsca);
    if (not_after == ca_end) {
        *due = ca_end;
        v->ca_not_after = ca_end;
    }
    if (p->pc->now >= *due) {
        char when[32];
        certlc_time_rfc3339(not_after, when, sizeof when);
        *cause = CERTLC_CAUSE_EXPIRING;
        return certlc_err_set(err, "due for renewal: expires %s", when);
    }
    if (v->name[0] != '\0') {
        v->not_before = certlc_cert_not_before(d->cert);
        v->not_after = not_after;
        snprintf(v->verdict, sizeof v->verdict, "valid");
        certlc_validation_put(&p->pc->status, v);
    }
    return 0;
}

/* Judges the datastore-certificate s (a rotate annotation, the record of
 * an earlier verdict, else in full): as check_cert. */
static int check_stored(dpass *p, const certlc_ds_instance *in,
                        const certlc_secret *s, int64_t *due,
                        certlc_cause *cause, certlc_err *err)
{
    const certlc_kv *ckv = certlc_secret_need(s, "server.crt", err);
    const certlc_kv *kkv = ckv ? certlc_secret_need(s, "server.key", err) : NULL;
    const certlc_kv *akv = kkv ? certlc_secret_need(s, "ca.crt", err) : NULL;
    if (akv == NULL)
        return -1;
    /* Kamaji's request (an empty value); its "rotated at" time is none. */
    if (certlc_kamaji_rotation_requested(&s->annotations)) {
        *cause = CERTLC_CAUSE_MANUAL;
        return certlc_err_set(err, "rotation requested (annotation %s)",
                              CERTLC_ANNOTATION_ROTATE);
    }
    certlc_validation v;
    memset(&v, 0, sizeof v);
    if (ds_record(p, in, s, &v) == 0 && ds_judged_before(p, &v, due))
        return 0;
    certlc_validation_count_parse();
    certlc_validation_drop(&p->pc->status, p->cert_name);
    ds_parsed d = {NULL, NULL, NULL, NULL};
    int rc = parse_cert(in, ckv, kkv, akv, &d, cause, err) == 0
                 ? judge_cert(p, in, &d, &v, due, cause, err)
                 : -1;
    parsed_free(&d);
    return rc;
}

/* 0 when the datastore-certificate is fine (and *due set), -1 with the
 * reason to renew it otherwise, and its cause; *missing tells a missing
 * Secret apart. */
static int check_cert(dpass *p, const certlc_ds_instance *in, int64_t *due,
                      bool *missing, certlc_cause *cause, certlc_err *err)
{
    certlc_secret *s = NULL;
    *missing = false;
    *cause = CERTLC_CAUSE_INVALID;
    int rc = certlc_store_get(p->pc->store, p->pc->t->namespace, p->cert_name,
                              &s, err);
    if (rc == CERTLC_NOTFOUND) {
        *missing = true;
        *cause = CERTLC_CAUSE_MISSING;
        return certlc_err_set(err, "missing");
    }
    if (rc == CERTLC_UNDECRYPTABLE)
        return rc; /* left as it is: see certlc_datastore_reconcile */
    if (rc != 0) {
        *cause = CERTLC_CAUSE_UNREADABLE;
        certlc_err_prefix(err, "unreadable");
        return -1;
    }
    rc = check_stored(p, in, s, due, cause, err);
    certlc_secret_free(s);
    return rc;
}

/* True when old holds exactly what the driver reported, with the label
 * that says which datastore holds the tenant. */
static bool config_same(const certlc_secret *old, const certlc_ds_instance *in,
                        const char *const keys[4], const char *const vals[4])
{
    for (size_t i = 0; i < 4; i++) {
        const certlc_kv *kv = certlc_kvlist_get(&old->data, keys[i]);
        if (kv == NULL || kv->len != strlen(vals[i]) ||
            memcmp(kv->value, vals[i], kv->len) != 0)
            return false;
    }
    const char *ds = certlc_kvlist_str(&old->labels, CERTLC_LABEL_DATASTORE);
    return ds != NULL && strcmp(ds, in->name) == 0 && old->data.n == 4;
}

/* Writes the datastore-config Secret when it differs from what the driver
 * reported (secret_write.h). */
static int ensure_config(dpass *p, const certlc_ds_instance *in,
                         const certlc_drv_dbconfig *c, certlc_err *err)
{
    const char *const keys[4] = {"DB_CONNECTION_STRING", "DB_SCHEMA",
                                 "DB_USER", "DB_PASSWORD"};
    const char *const vals[4] = {c->connection_string, c->schema, c->user,
                                 c->password};
    certlc_secret *old = NULL;
    int rc = certlc_store_get(p->pc->store, p->pc->t->namespace, p->config_name, &old,
                              err);
    if (rc == 0 && config_same(old, in, keys, vals)) {
        certlc_secret_free(old);
        report(p, p->config_name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        return 0;
    }
    const char *why = rc == CERTLC_NOTFOUND ? "missing"
                                            : "datastore settings changed";
    certlc_secret *s = rc == 0 ? certlc_secret_dup(old)
                               : certlc_secret_new(p->pc->t->namespace,
                                                   p->config_name,
                                                   CERTLC_TYPE_OPAQUE);
    int bad = s == NULL;
    if (s != NULL) {
        certlc_kvlist_clear(&s->data);
        for (size_t i = 0; i < 4; i++)
            bad |= certlc_kvlist_set_str(&s->data, keys[i], vals[i]);
        bad |= certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_DATASTORE,
                                     in->name);
    }
    certlc_secret_write w = {
        .tenant = p->pc->t->name, .item = certlc_plan_item("datastore-config"),
        .reason = why, .now = p->pc->now, .update = rc == 0,
        .unreadable = rc < 0 && rc != CERTLC_NOTFOUND};
    int wrc = bad ? certlc_err_set(err, "out of memory")
                  : certlc_secret_write_tenant(p->pc->store, s, &w, err);
    certlc_secret_free(s);
    certlc_secret_free(old);
    if (wrc != 0)
        return -1;
    report(p, p->config_name,
           rc == CERTLC_NOTFOUND ? CERTLC_ACT_CREATED : CERTLC_ACT_REISSUED,
           rc == CERTLC_NOTFOUND ? CERTLC_CAUSE_MISSING : CERTLC_CAUSE_SPEC,
           why);
    return 0;
}

/* The tenant's credentials from the datastore-certificate, for verify. */
static int verify(dpass *p, const certlc_ds_instance *in,
                  certlc_drv_call *call, const certlc_drv_tenant *tt,
                  certlc_err *err)
{
    certlc_secret *s = NULL;
    if (certlc_store_get(p->pc->store, p->pc->t->namespace, p->cert_name, &s, err) !=
        0)
        return certlc_err_set(err, "%s: gone before it could be verified",
                              p->cert_name);
    const certlc_kv *a = certlc_kvlist_get(&s->data, "ca.crt");
    const certlc_kv *c = certlc_kvlist_get(&s->data, "server.crt");
    const certlc_kv *k = certlc_kvlist_get(&s->data, "server.key");
    int rc = CERTLC_DRV_ERROR;
    certlc_drv_err derr = {{0}};
    if (a == NULL || c == NULL || k == NULL)
        certlc_err_set(err, "%s: incomplete", p->cert_name);
    else if ((rc = in->plugin->drv.verify(in->inst, call, tt,
                                          (const char *)a->value, a->len,
                                          (const char *)c->value, c->len,
                                          (const char *)k->value, k->len,
                                          &derr)) != CERTLC_DRV_OK)
        certlc_host_err(err, &derr);
    certlc_secret_free(s);
    return rc;
}

/* CERTLC_UNDECRYPTABLE (err set) when datastore-config cannot be
 * decrypted; 0 otherwise, buf "" when there is no password. */
static int read_password(dpass *p, char *buf, size_t size, certlc_err *err)
{
    certlc_secret *s = NULL;
    buf[0] = '\0';
    int rc = certlc_store_get(p->pc->store, p->pc->t->namespace, p->config_name, &s,
                              err);
    if (rc != 0)
        return rc == CERTLC_UNDECRYPTABLE ? rc : 0;
    const char *pw = certlc_kvlist_str(&s->data, "DB_PASSWORD");
    if (pw != NULL)
        snprintf(buf, size, "%s", pw);
    certlc_secret_free(s);
    return 0;
}

/* The names the step uses: the two Secrets, the schema and the user
 * (datastore_schema and datastore_user of the tenant, when set). */
static void step_names(dpass *p, char *user, size_t size)
{
    const certlc_tenant *t = p->pc->t;
    certlc_plan_secret_name(t, certlc_plan_item("datastore-certificate"),
                            p->cert_name, sizeof p->cert_name);
    certlc_plan_secret_name(t, certlc_plan_item("datastore-config"),
                            p->config_name, sizeof p->config_name);
    schema_of(t, p->schema, sizeof p->schema);
    snprintf(user, size, "%s", p->schema);
    if (t->datastore_schema != NULL && t->datastore_schema[0] != '\0')
        snprintf(p->schema, sizeof p->schema, "%s", t->datastore_schema);
    if (t->datastore_user != NULL && t->datastore_user[0] != '\0')
        snprintf(user, size, "%s", t->datastore_user);
}

/* Steps 1 and 2: the tenant's space (nothing is written before it
 * succeeds), then datastore-config as the driver reported it. */
static int provision(dpass *p, certlc_ds_instance *in, certlc_drv_call *call,
                     const certlc_drv_tenant *tt)
{
    certlc_err err = {{0}};
    certlc_drv_err derr = {{0}};
    certlc_drv_dbconfig dbc;
    memset(&dbc, 0, sizeof dbc);
    int rc = in->plugin->drv.provision(in->inst, call, tt, &dbc, &derr);
    if (rc != CERTLC_DRV_OK) {
        certlc_host_err(&err, &derr);
        certlc_err_prefix(&err, "datastore '%s': provision", in->name);
        fail(p, p->config_name, rc, CERTLC_CAUSE_DATASTORE, "ProvisionFailed",
             err.msg);
        OPENSSL_cleanse(&dbc, sizeof dbc);
        return -1;
    }
    rc = ensure_config(p, in, &dbc, &err);
    OPENSSL_cleanse(&dbc, sizeof dbc);
    if (rc != 0) {
        fail(p, p->config_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_STORE,
             "ConfigFailed", err.msg);
        return -1;
    }
    return 0;
}

/* Step 3, delivered by an external PKI (datastore_external.h). -1: the
 * step stops; 0: done, nothing to verify; 1: verify the tenant's copy. */
static int cert_external(dpass *p, certlc_ds_instance *in,
                         certlc_drv_call *call, const certlc_drv_tenant *tt)
{
    certlc_external_in xin = {.pass = p->pc, .ds = in, .call = call,
                              .tt = tt, .cert_name = p->cert_name};
    certlc_external_out xo;
    certlc_external_reconcile(&xin, &xo);
    if (xo.next_due < p->pc->res->next_due)
        p->pc->res->next_due = xo.next_due;
    if (xo.action == CERTLC_ACT_FAILED) {
        fail(p, p->cert_name, xo.drc ? xo.drc : CERTLC_DRV_ERROR, xo.cause,
             "AwaitingExternalPKI", xo.reason);
        return -1;
    }
    report(p, p->cert_name, xo.action, xo.cause, xo.reason);
    if (!xo.verify) {
        set_conditions(p, true, false, "Provisioned", "");
        return 0;
    }
    return 1;
}

/* A DataStore CA that cannot sign now (expired, or not valid yet after
 * the clock stepped back) issues nothing: what it signed would be clamped
 * to its end, already past, and renewed again on every pass. -1 (the step
 * stops, the tenant is not ready with the reason), or 0. */
static int ds_ca_usable(dpass *p, const certlc_ds_instance *in)
{
    certlc_err err = {{0}};
    switch (certlc_ds_ca_valid_at(in->ca_cert_path ? in->ca_cert_path : "?",
                                  in->ca_cert, in->ca_cert_len, p->pc->now,
                                  &err)) {
    case CERTLC_DS_CA_VALID:
        return 0;
    case CERTLC_DS_CA_EXPIRED:
        certlc_err_prefix(&err, "datastore '%s'", in->name);
        fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_CA_EXPIRED,
             "DataStoreCAExpired", err.msg);
        return -1;
    case CERTLC_DS_CA_NOT_YET_VALID:
        certlc_err_prefix(&err, "datastore '%s'", in->name);
        fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_CA_NOT_YET_VALID,
             "DataStoreCANotYetValid", err.msg);
        return -1;
    case CERTLC_DS_CA_UNREADABLE:
        break;
    }
    certlc_err_prefix(&err, "datastore '%s'", in->name);
    fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_DATASTORE,
         "DataStoreCAUnreadable", err.msg);
    return -1;
}

/* The reissue guard (reissue_guard.h), as the plan's Secrets have it: a
 * deletion or a rotate request is someone's asking; anything else is the
 * reconciler's own judgement, which must not loop. The key holds the
 * DataStore CA's serial: a new CA starts a new count. true: stopped. */
static bool guard_stops(dpass *p, const certlc_ds_instance *in,
                        certlc_cause cause, const char *reason)
{
    if (cause == CERTLC_CAUSE_MISSING || cause == CERTLC_CAUSE_MANUAL)
        return false;
    certlc_err err = {{0}};
    X509 *ca = certlc_cert_from_pem(in->ca_cert, in->ca_cert_len, &err);
    char *serial = ca != NULL ? certlc_cert_serial_hex(ca) : NULL;
    X509_free(ca);
    char key[900];
    snprintf(key, sizeof key, "%s/%s/%s/%s", p->pc->t->namespace, p->cert_name,
             certlc_cause_label(cause), serial ? serial : "");
    free(serial);
    int n = certlc_reissue_guard_note(key, p->pc->now);
    if (n <= certlc_reissue_guard_limit(p->pc->cfg->leaf_validity,
                                        p->pc->cfg->renew_before,
                                        cause == CERTLC_CAUSE_EXPIRING))
        return false;
    char msg[CERTLC_ERR_MAX];
    snprintf(msg, sizeof msg, "%d attempts to issue it again within %ds for "
             "the same reason (%s): stopped, as this is a loop; the reason: "
             "%.700s", n - 1, CERTLC_REISSUE_WINDOW, certlc_cause_label(cause),
             reason);
    p->pc->looping = true;
    fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_REISSUE_LOOP,
         "ReissueLoop", msg);
    return true;
}

/* A certificate the driver just had issued ends with the DataStore CA
 * when leaf_validity would outlive it (pki.h): said, as for the plan's. */
static void note_clamp(dpass *p, const certlc_ds_instance *in)
{
    certlc_err err = {{0}};
    X509 *ca = certlc_cert_from_pem(in->ca_cert, in->ca_cert_len, &err);
    if (ca == NULL)
        return;
    int64_t ca_end = certlc_cert_not_after(ca);
    X509_free(ca);
    char ca_desc[120];
    snprintf(ca_desc, sizeof ca_desc, "the CA of datastore '%.64s'",
             in->name);
    certlc_pass_note_clamp(p->pc, p->cert_name, ca_desc, p->pc->cfg->leaf_validity,
                           ca_end);
}

/* Step 3, issued by the driver (mode issue): checked, and renewed by the
 * driver's rotate when it fails a check or is missing. 0, or -1 when the
 * step stops. */
static int cert_issued(dpass *p, certlc_ds_instance *in,
                       certlc_drv_call *call, const certlc_drv_tenant *tt)
{
    certlc_err err = {{0}};
    int64_t due = INT64_MAX;
    bool missing;
    certlc_cause cause = CERTLC_CAUSE_NONE;
    if (ds_ca_usable(p, in) != 0)
        return -1;
    int rc = check_cert(p, in, &due, &missing, &cause, &err);
    if (rc == CERTLC_UNDECRYPTABLE) {
        /* Never reissued while its key is missing. */
        fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_UNREADABLE,
             "Undecryptable", err.msg);
        return -1;
    }
    if (rc != 0) {
        char reason[CERTLC_ERR_MAX];
        snprintf(reason, sizeof reason, "%s", err.msg);
        if (guard_stops(p, in, cause, reason))
            return -1;
        bool was_missing = missing;
        call->reason = reason;
        call->writes = 0;
        certlc_drv_err derr = {{0}};
        rc = in->plugin->drv.rotate(in->inst, call, tt, reason, &derr);
        if (rc != CERTLC_DRV_OK) {
            certlc_host_err(&err, &derr);
            certlc_err_prefix(&err, "datastore '%s': rotate", in->name);
            fail(p, p->cert_name, rc, CERTLC_CAUSE_DATASTORE, "RotateFailed",
                 err.msg);
            return -1;
        }
        certlc_cause after;
        if (check_cert(p, in, &due, &missing, &after, &err) != 0) {
            certlc_err_prefix(&err, "after rotate by driver '%s'",
                              in->plugin->drv.name);
            fail(p, p->cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_DATASTORE,
                 "RotateFailed", err.msg);
            return -1;
        }
        note_clamp(p, in);
        report(p, p->cert_name,
               was_missing ? CERTLC_ACT_CREATED : CERTLC_ACT_REISSUED, cause,
               reason);
    } else {
        report(p, p->cert_name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
    }
    if (due < p->pc->res->next_due)
        p->pc->res->next_due = due;
    return 0;
}

void certlc_datastore_reconcile(certlc_pass *pc)
{
    dpass p = {.pc = pc};
    const certlc_tenant *t = pc->t;
    char user[600];
    step_names(&p, user, sizeof user);
    certlc_err err = {{0}};
    certlc_ds_instance *in =
        pc->datastores != NULL
            ? certlc_ds_registry_get(pc->datastores, pc->cfg, t->datastore,
                                     &err)
            : NULL;
    if (in == NULL && pc->datastores == NULL)
        certlc_err_set(&err, "datastore '%s': no DataStore registry is open",
                       t->datastore);
    if (in == NULL) {
        fail(&p, p.cert_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_DATASTORE,
             "DriverUnavailable", err.msg);
        return;
    }
    char password[256];
    /* An undecryptable datastore-config is left as it is: provisioning
     * without its password would give the tenant a new one. */
    if (read_password(&p, password, sizeof password, &err) ==
        CERTLC_UNDECRYPTABLE) {
        fail(&p, p.config_name, CERTLC_DRV_ERROR, CERTLC_CAUSE_UNREADABLE,
             "Undecryptable", err.msg);
        return;
    }
    certlc_drv_tenant tt = {
        .size = sizeof tt, .namespace = t->namespace, .name = t->name,
        .schema = p.schema, .user = user,
        .certificate_secret = p.cert_name, .config_secret = p.config_name,
        .password = password[0] ? password : NULL,
        .validity = pc->cfg->leaf_validity,
    };
    certlc_drv_call call = {.store = pc->store, .cfg = pc->cfg,
                            .ns = t->namespace, .tenant = t->name,
                            .now = pc->now};
    int rc = provision(&p, in, &call, &tt);
    OPENSSL_cleanse(password, sizeof password);
    if (rc != 0)
        return;
    /* 3. datastore-certificate: delivered by an external PKI, or issued by
     * the driver (mode issue). */
    if (in->plugin->drv.mode == CERTLC_DRV_MODE_EXTERNAL)
        rc = cert_external(&p, in, &call, &tt);
    else
        rc = cert_issued(&p, in, &call, &tt) == 0 ? 1 : -1;
    if (rc <= 0)
        return;
    /* 4. The tenant's own credentials work. */
    rc = verify(&p, in, &call, &tt, &err);
    if (rc != CERTLC_DRV_OK) {
        certlc_err_prefix(&err, "datastore '%s': verify", in->name);
        fail(&p, p.cert_name, rc, CERTLC_CAUSE_DATASTORE, "VerifyFailed",
             err.msg);
        return;
    }
    set_conditions(&p, true, false, "Provisioned", "");
}

/* ---- prune ---------------------------------------------------------------- */

typedef struct gone {
    char ns[256];
    char name[256];
} gone;

/* Deprovisions gone tenant g from the datastore its datastore-config
 * Secret dc (freed here) names. 0, or -1 after telling cb why not. */
static int prune_deprovision(certlc_store *store, const certlc_config *cfg,
                             certlc_ds_registry *reg, const gone *g,
                             const char *cfg_name, certlc_secret *dc,
                             certlc_prune_cb cb, void *arg)
{
    char line[CERTLC_ERR_MAX + 128];
    certlc_err err = {{0}};
    const char *ds = certlc_kvlist_str(&dc->labels,
                                       CERTLC_LABEL_DATASTORE);
    char dsname[256];
    snprintf(dsname, sizeof dsname, "%s", ds ? ds : "");
    /* The names the tenant had, which may have been set in
     * its (now removed) configuration. */
    const char *dbs = certlc_kvlist_str(&dc->data, "DB_SCHEMA");
    const char *dbu = certlc_kvlist_str(&dc->data, "DB_USER");
    char had_schema[600], had_user[600];
    snprintf(had_schema, sizeof had_schema, "%s", dbs ? dbs : "");
    snprintf(had_user, sizeof had_user, "%s", dbu ? dbu : "");
    certlc_secret_free(dc);
    certlc_ds_instance *in = dsname[0]
                                 ? certlc_ds_registry_get(reg, cfg, dsname,
                                                          &err)
                                 : NULL;
    if (in == NULL) {
        if (dsname[0] == '\0')
            certlc_err_set(&err, "%s has no %s label", cfg_name,
                           CERTLC_LABEL_DATASTORE);
        snprintf(line, sizeof line, "cannot deprovision: %s", err.msg);
        if (cb)
            cb(g->ns, g->name, line, arg);
        return -1;
    }
    certlc_tenant t = {.name = (char *)g->name, .namespace = (char *)g->ns};
    char schema[600], cert_name[600];
    schema_of(&t, schema, sizeof schema);
    if (had_schema[0] != '\0')
        snprintf(schema, sizeof schema, "%s", had_schema);
    if (had_user[0] == '\0')
        snprintf(had_user, sizeof had_user, "%s", schema);
    snprintf(cert_name, sizeof cert_name, "%s-datastore-certificate",
             g->name);
    certlc_drv_tenant tt = {
        .size = sizeof tt, .namespace = g->ns, .name = g->name,
        .schema = schema, .user = had_user, .certificate_secret = cert_name,
        .config_secret = cfg_name, .validity = cfg->leaf_validity};
    certlc_drv_call call = {.store = store, .cfg = cfg, .ns = g->ns,
                            .tenant = g->name, .reason = "prune",
                            .now = certlc_now()};
    certlc_drv_err derr = {{0}};
    if (in->plugin->drv.deprovision(in->inst, &call, &tt, &derr) !=
        CERTLC_DRV_OK) {
        certlc_host_err(&err, &derr);
        snprintf(line, sizeof line, "cannot deprovision from datastore "
                 "'%s': %s", in->name, err.msg);
        if (cb)
            cb(g->ns, g->name, line, arg);
        return -1;
    }
    snprintf(line, sizeof line, "deprovisioned from datastore '%s' "
             "(driver %s)", in->name, in->plugin->drv.name);
    if (cb)
        cb(g->ns, g->name, line, arg);
    return 0;
}

static int prune_one(certlc_store *store, const certlc_config *cfg,
                     certlc_ds_registry *reg, const gone *g,
                     const certlc_secret_list *all, certlc_prune_cb cb,
                     void *arg)
{
    char line[CERTLC_ERR_MAX + 128];
    char cfg_name[600];
    snprintf(cfg_name, sizeof cfg_name, "%s-datastore-config", g->name);
    certlc_secret *dc = NULL;
    certlc_err err = {{0}};
    if (certlc_store_get(store, g->ns, cfg_name, &dc, &err) == 0 &&
        prune_deprovision(store, cfg, reg, g, cfg_name, dc, cb, arg) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < all->n; i++) {
        const certlc_secret *s = all->items[i];
        const char *who = certlc_kvlist_str(&s->labels, CERTLC_LABEL_NAME);
        if (who == NULL || strcmp(who, g->name) != 0 ||
            strcmp(s->namespace, g->ns) != 0)
            continue;
        int r = certlc_store_remove(store, s->namespace, s->name, &err);
        if (r < 0) {
            snprintf(line, sizeof line, "secret \"%s\": %s", s->name,
                     err.msg);
            rc = -1;
        } else {
            snprintf(line, sizeof line, "secret \"%s\" deleted", s->name);
        }
        if (cb)
            cb(g->ns, g->name, line, arg);
    }
    if (rc == 0 &&
        certlc_store_status_remove(store, g->ns, g->name, &err) < 0)
        rc = -1;
    return rc;
}

int certlc_prune(certlc_store *store, const certlc_config *cfg,
                 certlc_ds_registry *reg, certlc_prune_cb cb, void *arg,
                 certlc_err *err)
{
    certlc_selector *sel = certlc_selector_parse(
        CERTLC_LABEL_MANAGED_BY "=certlc," CERTLC_LABEL_NAME, err);
    if (sel == NULL)
        return -1;
    certlc_secret_list all = {0};
    int rc = certlc_store_list(store, NULL, sel, &all, err);
    certlc_selector_free(sel);
    if (rc != 0) {
        certlc_secret_list_free(&all);
        return -1;
    }
    gone *g = NULL;
    size_t n = 0;
    for (size_t i = 0; i < all.n; i++) {
        const certlc_secret *s = all.items[i];
        const char *who = certlc_kvlist_str(&s->labels, CERTLC_LABEL_NAME);
        if (certlc_config_tenant(cfg, s->namespace, who) != NULL)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(g[k].ns, s->namespace) == 0 &&
                   strcmp(g[k].name, who) == 0;
        if (seen)
            continue;
        gone *v = realloc(g, (n + 1) * sizeof *v);
        if (v == NULL) {
            free(g);
            certlc_secret_list_free(&all);
            return certlc_err_set(err, "out of memory");
        }
        g = v;
        snprintf(g[n].ns, sizeof g[n].ns, "%s", s->namespace);
        snprintf(g[n].name, sizeof g[n].name, "%s", who);
        n++;
    }
    int failed = 0;
    for (size_t k = 0; k < n; k++)
        if (prune_one(store, cfg, reg, &g[k], &all, cb, arg) != 0)
            failed++;
    free(g);
    certlc_secret_list_free(&all);
    return failed;
}
