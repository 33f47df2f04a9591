#include "datastore_external.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "duration.h"
#include "host.h"
#include "kamaji.h"
#include "log.h"
#include "pki.h"
#include "plan.h"
#include "status.h"
#include "timefmt.h"
#include "validation.h"

#define COMPONENT "external-pki"
#define COND_AWAITING "AwaitingExternalPKI"
#define COND_OVERDUE "ExternalPKIOverdue"

/* snprintf that may truncate: messages are bounded on purpose. */
static void sfmt(char *buf, size_t size, const char *fmt, ...)
    CERTLC_PRINTF(3, 4);
static void sfmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* ---- settings of the DataStore ----------------------------------------- */

typedef struct ext_settings {
    char ns[256];
    char name[256];  /* "" : no client_cert_secret (static files) */
    int64_t timeout; /* seconds */
} ext_settings;

static const char *ds_option(const certlc_ds_instance *ds, const char *key)
{
    for (size_t i = 0; i < ds->n_options; i++)
        if (strcmp(ds->options[i].key, key) == 0)
            return ds->options[i].value;
    return NULL;
}

/* "NS/NAME" (or "NAME": namespace default). */
static void split_ref(const char *ref, char *ns, size_t nsz, char *name,
                      size_t nmsz)
{
    const char *slash = strchr(ref, '/');
    if (slash == NULL) {
        sfmt(ns, nsz, "default");
        sfmt(name, nmsz, "%s", ref);
    } else {
        sfmt(ns, nsz, "%.*s", (int)(slash - ref), ref);
        sfmt(name, nmsz, "%s", slash + 1);
    }
}

static int settings(const certlc_ds_instance *ds, ext_settings *s,
                    certlc_err *err)
{
    memset(s, 0, sizeof *s);
    s->timeout = CERTLC_DEFAULT_EXTERNAL_TIMEOUT;
    const char *ref = ds_option(ds, "client_cert_secret");
    if (ref != NULL) {
        split_ref(ref, s->ns, sizeof s->ns, s->name, sizeof s->name);
        if (s->ns[0] == '\0' || s->name[0] == '\0' || strchr(s->name, '/'))
            return certlc_err_set(err, "%s: client_cert_secret \"%s\" is not "
                                  "NAMESPACE/NAME", ds->source, ref);
    }
    const char *tmo = ds_option(ds, "external_timeout");
    if (tmo != NULL && certlc_duration_parse(tmo, &s->timeout, err) != 0) {
        certlc_err_prefix(err, "%s: external_timeout", ds->source);
        return -1;
    }
    return 0;
}

/* Whether DataStore d's client_cert_secret is ns/name. */
static bool watches(const certlc_datastore *d, const char *ns,
                    const char *name)
{
    for (size_t i = 0; i < d->n_options; i++) {
        if (strcmp(d->options[i].key, "client_cert_secret") != 0)
            continue;
        char rns[256], rname[256];
        split_ref(d->options[i].value, rns, sizeof rns, rname, sizeof rname);
        return strcmp(rns, ns) == 0 && strcmp(rname, name) == 0;
    }
    return false;
}

bool certlc_external_watched(const certlc_config *cfg, const char *ns,
                             const char *name)
{
    for (size_t i = 0; i < cfg->n_datastores; i++)
        if (watches(&cfg->datastores[i], ns, name))
            return true;
    return false;
}

bool certlc_external_watches(const certlc_config *cfg, const certlc_tenant *t,
                             const char *ns, const char *name)
{
    if (t->datastore == NULL || t->datastore[0] == '\0')
        return false;
    const certlc_datastore *d = certlc_datastore_find(cfg->datastores,
                                                      cfg->n_datastores,
                                                      t->datastore);
    return d != NULL && watches(d, ns, name);
}

/* ---- the pieces of a certificate Secret --------------------------------- */

typedef struct material {
    const certlc_kv *crt, *key;
} material;

static bool same_kv(const certlc_kv *a, const certlc_kv *b)
{
    return a != NULL && b != NULL && a->len == b->len &&
           CRYPTO_memcmp(a->value, b->value, a->len) == 0;
}

/* ---- status ------------------------------------------------------------- */

/* Sets (awaiting true) or clears the two conditions; overdue only when
 * awaiting. Returns since: when the await began (the condition's
 * transition time), or now. */
static int64_t set_await(const certlc_external_in *in, bool awaiting,
                         const char *reason, const char *msg,
                         const ext_settings *es, bool *overdue)
{
    certlc_pass *p = in->pass;
    /* In the pass's status, saved with the rest at the end of the pass. */
    certlc_tcp_status *st = &p->status;
    int64_t since = p->now;
    *overdue = false;
    if (awaiting) {
        const certlc_condition *c = certlc_status_condition(st,
                                                            COND_AWAITING);
        if (c != NULL && c->status)
            since = c->last_transition;
        certlc_status_set_condition(st, COND_AWAITING, true, reason, msg,
                                    p->now);
        if (p->now - since >= es->timeout) {
            *overdue = true;
            char m[512], when[32];
            certlc_time_rfc3339(since, when, sizeof when);
            sfmt(m, sizeof m, "no certificate delivered to %s/%s since "
                     "%s (external_timeout %llds); still waiting", es->ns,
                     es->name, when, (long long)es->timeout);
            certlc_status_set_condition(st, COND_OVERDUE, true, "Overdue", m,
                                        p->now);
        } else {
            certlc_status_clear_condition(st, COND_OVERDUE);
        }
    } else {
        certlc_status_clear_condition(st, COND_AWAITING);
        certlc_status_clear_condition(st, COND_OVERDUE);
    }
    return since;
}

/* ---- judging ------------------------------------------------------------ */

/* The tenant's copy: 0 when it parses, its key matches and it chains to the
 * DataStore CA now; *not_after set. */
static int copy_ok(const certlc_external_in *in, const certlc_secret *c,
                   int64_t *not_after, certlc_err *err)
{
    certlc_validation_count_parse(); /* judged in full every pass */
    certlc_pass *p = in->pass;
    const certlc_kv *crt = certlc_kvlist_get(&c->data, "server.crt");
    const certlc_kv *key = certlc_kvlist_get(&c->data, "server.key");
    const certlc_kv *ca = certlc_kvlist_get(&c->data, "ca.crt");
    if (crt == NULL || key == NULL || ca == NULL)
        return certlc_err_set(err, "incomplete (ca.crt, server.crt and "
                              "server.key are needed)");
    X509 *x = certlc_cert_from_pem(crt->value, crt->len, err);
    EVP_PKEY *k = x ? certlc_private_key_from_pem(key->value, key->len, err)
                    : NULL;
    X509 *dsca = k ? certlc_cert_from_pem(in->ds->ca_cert,
                                          in->ds->ca_cert_len, err)
                   : NULL;
    int rc = -1;
    if (dsca != NULL && certlc_key_matches_cert(k, x, err) == 0 &&
        certlc_cert_verify(x, dsca, p->now, err) == 0) {
        *not_after = certlc_cert_not_after(x);
        rc = 0;
    }
    X509_free(x);
    X509_free(dsca);
    EVP_PKEY_free(k);
    return rc;
}

/* Judges a delivery m against the DataStore CA, the previous certificate
 * (prev may be NULL) and the tenant's current copy (its notAfter, 0 when
 * there is none), then asks the driver. 0, or -1 with the reason. */
static int judge(const certlc_external_in *in, const material *m,
                 const certlc_kv *prev, int64_t current_not_after,
                 certlc_err *err)
{
    certlc_pass *p = in->pass;
    if (m->crt == NULL)
        return certlc_err_set(err, "it has no tls.crt");
    if (m->key == NULL)
        return certlc_err_set(err, "it has no tls.key");
    X509 *dsca = certlc_cert_from_pem(in->ds->ca_cert, in->ds->ca_cert_len,
                                      err);
    if (dsca == NULL) {
        certlc_err_prefix(err, "datastore '%s': ca_cert", in->ds->name);
        return -1;
    }
    char desc[300];
    sfmt(desc, sizeof desc, "the CA of datastore '%s'", in->ds->name);
    certlc_delivery_rules rules = {.issuer = dsca, .issuer_desc = desc,
                                   .previous = prev,
                                   .current_not_after = current_not_after,
                                   .now = p->now};
    int rc = certlc_delivery_judge(&rules, m->crt, m->key, err);
    X509_free(dsca);
    if (rc != 0)
        return -1;
    const certlc_driver *drv = &in->ds->plugin->drv;
    if (drv->accept != NULL) {
        certlc_drv_err derr = {{0}};
        if (drv->accept(in->ds->inst, in->call, in->tt,
                        (const char *)m->crt->value, m->crt->len, &derr) !=
            CERTLC_DRV_OK) {
            certlc_host_err(err, &derr);
            certlc_err_prefix(err, "driver '%s' refused it", drv->name);
            return -1;
        }
    }
    return 0;
}

/* ---- store actions ------------------------------------------------------ */

/* Writes the tenant's copy through the host (labels, rotation annotation). */
static int write_copy(const certlc_external_in *in, const material *m,
                      const char *reason, certlc_err *err)
{
    certlc_drv_kv data[] = {
        {"ca.crt", in->ds->ca_cert, in->ds->ca_cert_len},
        {"server.crt", (const char *)m->crt->value, m->crt->len},
        {"server.key", (const char *)m->key->value, m->key->len},
    };
    certlc_drv_secret s = {.name = in->cert_name, .type = CERTLC_TYPE_OPAQUE,
                           .data = data, .n_data = 3};
    in->call->reason = reason;
    certlc_drv_err derr = {{0}};
    if (certlc_host_table()->secret_put(in->call, &s, &derr) !=
        CERTLC_DRV_OK) {
        certlc_host_err(err, &derr);
        return -1;
    }
    return 0;
}

/* Once acted upon, the rotate request on the tenant's copy becomes the
 * time of the rotation, as Kamaji writes it. */
static void clear_rotate_annotation(const certlc_external_in *in,
                                    certlc_secret *c)
{
    certlc_pass *p = in->pass;
    certlc_err err;
    if (!certlc_kamaji_rotation_requested(&c->annotations) ||
        certlc_kamaji_rotation_done(&c->annotations, p->now) != 0)
        return;
    if (certlc_store_update(p->store, c, &err) != 0)
        certlc_warn(COMPONENT, "%s/%s: cannot clear the rotate annotation of "
                    "%s: %s", p->t->namespace, p->t->name, in->cert_name,
                    err.msg);
}

/* ---- the step ----------------------------------------------------------- */

static void out_set(certlc_external_out *out, certlc_action a,
                    certlc_cause cause, const char *fmt, ...)
    CERTLC_PRINTF(4, 5);
static void out_set(certlc_external_out *out, certlc_action a,
                    certlc_cause cause, const char *fmt, ...)
{
    out->action = a;
    out->cause = cause;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* The tenant keeps its copy while awaiting: unchanged when it is still
 * valid, failed when there is none or it no longer works. */
static void awaiting(const certlc_external_in *in, certlc_external_out *out,
                     const ext_settings *es, bool have_copy,
                     const char *cond_reason, certlc_cause cause,
                     const char *msg)
{
    certlc_pass *p = in->pass;
    bool overdue = false;
    int64_t since = set_await(in, true, cond_reason, msg, es, &overdue);
    if (overdue)
        certlc_warn(COMPONENT, "%s/%s: datastore '%s': the external PKI is "
                    "overdue: nothing delivered to %s/%s for %llds "
                    "(external_timeout %llds); still waiting",
                    p->t->namespace, p->t->name, in->ds->name, es->ns,
                    es->name, (long long)(p->now - since),
                    (long long)es->timeout);
    else if (since + es->timeout < out->next_due)
        out->next_due = since + es->timeout;
    if (have_copy) {
        out_set(out, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "%s", msg);
        out->verify = true;
    } else {
        out_set(out, CERTLC_ACT_FAILED, cause, "awaiting the external PKI: %s",
                msg);
    }
}

static void static_files(const certlc_external_in *in,
                         certlc_external_out *out, certlc_secret *c)
{
    certlc_pass *p = in->pass;
    const certlc_ds_instance *ds = in->ds;
    if (ds->client_cert == NULL || ds->client_key == NULL) {
        out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_DATASTORE,
                "datastore '%s' has neither "
                "client_cert_secret nor client_cert/client_key: there is no "
                "certificate to give the tenant", ds->name);
        return;
    }
    certlc_kv crt = {(char *)"tls.crt", (unsigned char *)ds->client_cert,
                     ds->client_cert_len};
    certlc_kv key = {(char *)"tls.key", (unsigned char *)ds->client_key,
                     ds->client_key_len};
    material m = {&crt, &key};
    bool same = c != NULL &&
                same_kv(certlc_kvlist_get(&c->data, "server.crt"), &crt) &&
                same_kv(certlc_kvlist_get(&c->data, "server.key"), &key);
    certlc_err err = {{0}};
    if (!same) {
        if (judge(in, &m, NULL, 0, &err) != 0) {
            out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_REFUSED,
                    "datastore '%s': client_cert: %s",
                    ds->name, err.msg);
            return;
        }
        if (write_copy(in, &m, c ? "client_cert changed" : "missing", &err) !=
            0) {
            out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE, "%s", err.msg);
            return;
        }
        out_set(out, c ? CERTLC_ACT_REISSUED : CERTLC_ACT_CREATED,
                c ? CERTLC_CAUSE_SPEC : CERTLC_CAUSE_MISSING,
                "copied from datastore '%s' client_cert", ds->name);
    }
    X509 *x = certlc_cert_from_pem(crt.value, crt.len, &err);
    if (x != NULL) {
        int64_t due = certlc_cert_not_after(x) - p->cfg->renew_before;
        if (p->now >= due) {
            char when[32];
            certlc_time_rfc3339(certlc_cert_not_after(x), when, sizeof when);
            certlc_warn(COMPONENT, "%s/%s: datastore '%s': the client_cert "
                        "file expires %s and nobody rotates it: replace the "
                        "file, or use client_cert_secret", p->t->namespace,
                        p->t->name, ds->name, when);
        } else if (due < out->next_due) {
            out->next_due = due;
        }
        X509_free(x);
    }
    out->verify = true;
}

/* What one external-delivery step holds once the Secrets are read. */
typedef struct ext_step {
    const certlc_external_in *in;
    certlc_external_out *out;
    ext_settings es;
    certlc_secret *c;     /* the tenant's copy; NULL when absent */
    int64_t c_not_after;
    bool have_copy;       /* c is there and good */
    certlc_secret *r;     /* the referenced Secret; NULL when absent */
    certlc_secret *prev;  /* NAME-previous; NULL when absent */
    const certlc_kv *prev_crt;
    char prev_name[300];
} ext_step;

/* The tenant's copy, judged (a bad one is said in the log). */
static void read_copy(ext_step *x)
{
    const certlc_external_in *in = x->in;
    certlc_pass *p = in->pass;
    certlc_err err = {{0}};
    if (certlc_store_get(p->store, p->t->namespace, in->cert_name, &x->c,
                         &err) != 0) {
        x->c = NULL;
        return;
    }
    x->have_copy = copy_ok(in, x->c, &x->c_not_after, &err) == 0;
    if (!x->have_copy)
        certlc_warn(COMPONENT, "%s/%s: %s: %s", p->t->namespace, p->t->name,
                    in->cert_name, err.msg);
}

/* The referenced Secret and the previous one. False when the step ends
 * here: the delivery cannot be decrypted (kept until its key is
 * configured) or does not parse (a refused delivery like any other). */
static bool read_delivery(ext_step *x)
{
    const certlc_external_in *in = x->in;
    certlc_pass *p = in->pass;
    const ext_settings *es = &x->es;
    certlc_err err = {{0}};
    sfmt(x->prev_name, sizeof x->prev_name, "%s-previous", es->name);
    int rrc = certlc_store_get(p->store, es->ns, es->name, &x->r, &err);
    if (rrc == CERTLC_UNDECRYPTABLE) {
        awaiting(in, x->out, es, x->have_copy, "Undecryptable",
                 CERTLC_CAUSE_UNREADABLE, err.msg);
        return false;
    }
    if (rrc < 0 && rrc != CERTLC_NOTFOUND) {
        char why[CERTLC_ERR_MAX];
        sfmt(why, sizeof why, "it does not parse as a Secret: %s",
                 err.msg);
        certlc_warn(COMPONENT, "datastore '%s': the certificate delivered to "
                    "%s/%s is refused: %s", in->ds->name, es->ns, es->name,
                    why);
        certlc_store_remove(p->store, es->ns, es->name, &err);
        char msg[600];
        sfmt(msg, sizeof msg, "refused %s/%s: %s", es->ns, es->name, why);
        awaiting(in, x->out, es, x->have_copy, "DeliveryRefused",
                 CERTLC_CAUSE_REFUSED, msg);
        return false;
    }
    if (rrc != 0)
        x->r = NULL;
    if (certlc_store_get(p->store, es->ns, x->prev_name, &x->prev, &err) != 0)
        x->prev = NULL;
    x->prev_crt = x->prev ? certlc_kvlist_get(&x->prev->data, "tls.crt")
                          : NULL;
    return true;
}

/* Why the tenant's copy must be rotated now; "" when it need not. */
static int64_t rotation_due(const ext_step *x, char *why, size_t size)
{
    const certlc_pass *p = x->in->pass;
    int64_t due = x->c_not_after - p->cfg->renew_before;
    why[0] = '\0';
    if (certlc_kamaji_rotation_requested(&x->c->annotations)) {
        sfmt(why, size, "rotation requested (%s)", CERTLC_ANNOTATION_ROTATE);
    } else if (p->now >= due) {
        char when[32];
        certlc_time_rfc3339(x->c_not_after, when, sizeof when);
        sfmt(why, size, "due for renewal: expires %s", when);
    }
    return due;
}

/* The referenced Secret is the tenant's copy: it stands until due; then
 * it is kept aside as NAME-previous and removed, for the external PKI to
 * deliver a new one, and the driver's rotate is told. */
static void steady(ext_step *x)
{
    const certlc_external_in *in = x->in;
    certlc_external_out *out = x->out;
    certlc_pass *p = in->pass;
    const ext_settings *es = &x->es;
    const certlc_driver *drv = &in->ds->plugin->drv;
    certlc_err err = {{0}};
    char why[200];
    int64_t due = rotation_due(x, why, sizeof why);
    if (why[0] == '\0') {
        bool overdue;
        set_await(in, false, "", "", es, &overdue);
        out->verify = true;
        if (due < out->next_due)
            out->next_due = due;
        return;
    }
    if (certlc_delivery_put_aside(p->store, x->r, es->ns, x->prev_name,
                      CERTLC_ANNOTATION_PREVIOUS_OF, es->name, &err) != 0) {
        out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE,
                "cannot keep %s/%s aside as %s: "
                "%s", es->ns, es->name, x->prev_name, err.msg);
        return;
    }
    if (certlc_store_remove(p->store, es->ns, es->name, &err) < 0) {
        out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE,
                "cannot remove %s/%s for the "
                "external PKI: %s", es->ns, es->name, err.msg);
        return;
    }
    certlc_drv_err derr = {{0}};
    in->call->reason = why;
    if (drv->rotate(in->ds->inst, in->call, in->tt, why, &derr) !=
        CERTLC_DRV_OK)
        certlc_warn(COMPONENT, "%s/%s: driver '%s' rotate: %s",
                    p->t->namespace, p->t->name, drv->name, derr.msg);
    clear_rotate_annotation(in, x->c);
    certlc_info(COMPONENT, "%s/%s: datastore '%s': %s: removed %s/%s for "
                "the external PKI to deliver a new one; the old one is "
                "kept as %s/%s", p->t->namespace, p->t->name,
                in->ds->name, why, es->ns, es->name, es->ns, x->prev_name);
    char msg[600];
    sfmt(msg, sizeof msg, "%s: %s/%s removed for the external PKI to "
             "renew; the old certificate is kept as %s/%s", why, es->ns,
             es->name, es->ns, x->prev_name);
    awaiting(in, out, es, x->have_copy, "Rotating", CERTLC_CAUSE_AWAITING,
             msg);
}

/* A delivery judged good: the driver's verify connects with it. 0 when it
 * works; 1 when the datastore does not answer (the step ends, the
 * delivery waits where it is); -1 with why when it was not accepted. */
static int verify_delivery(ext_step *x, const material *m, char *why,
                           size_t size)
{
    const certlc_external_in *in = x->in;
    certlc_pass *p = in->pass;
    const ext_settings *es = &x->es;
    certlc_external_out *out = x->out;
    certlc_drv_err derr = {{0}};
    int v = in->ds->plugin->drv.verify(
        in->ds->inst, in->call, in->tt, in->ds->ca_cert, in->ds->ca_cert_len,
        (const char *)m->crt->value, m->crt->len, (const char *)m->key->value,
        m->key->len, &derr);
    if (v == CERTLC_DRV_OK)
        return 0;
    if (v != CERTLC_DRV_UNREACHABLE) {
        sfmt(why, size, "datastore '%s' did not accept it: %s", in->ds->name,
             derr.msg);
        return -1;
    }
    char msg[CERTLC_ERR_MAX];
    sfmt(msg, sizeof msg, "the certificate delivered to %s/%s "
             "awaits verification: %s", es->ns, es->name, derr.msg);
    certlc_warn(COMPONENT, "%s/%s: %s", p->t->namespace, p->t->name, msg);
    awaiting(in, out, es, x->have_copy, "AwaitingVerification",
             CERTLC_CAUSE_UNREACHABLE, msg);
    out->action = CERTLC_ACT_FAILED;
    out->cause = CERTLC_CAUSE_UNREACHABLE;
    out->drc = CERTLC_DRV_UNREACHABLE;
    out->verify = false;
    sfmt(out->reason, sizeof out->reason, "%s", msg);
    return 1;
}

/* A refused delivery is kept aside with the reason; the await goes on. */
static void refuse_delivery(ext_step *x, const material *m, const char *why)
{
    const certlc_external_in *in = x->in;
    certlc_pass *p = in->pass;
    const ext_settings *es = &x->es;
    certlc_err err = {{0}};
    char aside[300];
    if (certlc_delivery_refuse(p->store, x->r, es->ns, es->name, m->crt, why,
                               aside, sizeof aside, &err) != 0)
        certlc_warn(COMPONENT, "datastore '%s': cannot set the refused "
                    "delivery aside: %s", in->ds->name, err.msg);
    certlc_warn(COMPONENT, "%s/%s: datastore '%s': the certificate "
                "delivered to %s/%s is refused: %s (kept as %s/%s)",
                p->t->namespace, p->t->name, in->ds->name, es->ns,
                es->name, why, es->ns, aside);
    char msg[CERTLC_ERR_MAX];
    sfmt(msg, sizeof msg, "refused %s/%s: %s", es->ns, es->name, why);
    awaiting(in, x->out, es, x->have_copy, "DeliveryRefused",
             CERTLC_CAUSE_REFUSED, msg);
}

/* A delivery (or the first copy for this tenant): judged, verified, then
 * copied to the tenant. */
static void take_delivery(ext_step *x, const material *m)
{
    const certlc_external_in *in = x->in;
    certlc_external_out *out = x->out;
    certlc_pass *p = in->pass;
    const ext_settings *es = &x->es;
    certlc_err err = {{0}};
    char why[CERTLC_ERR_MAX];
    int refused = judge(in, m, x->prev_crt, x->have_copy ? x->c_not_after : 0,
                        &err);
    if (refused != 0)
        sfmt(why, sizeof why, "%s", err.msg);
    else if ((refused = verify_delivery(x, m, why, sizeof why)) > 0)
        return;
    if (refused != 0) {
        refuse_delivery(x, m, why);
        return;
    }
    char reason[300];
    sfmt(reason, sizeof reason, "delivered by the external PKI in %s/%s",
             es->ns, es->name);
    if (write_copy(in, m, reason, &err) != 0) {
        out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE, "%s", err.msg);
        return;
    }
    certlc_info(COMPONENT, "%s/%s: datastore '%s': the certificate delivered "
                "to %s/%s is accepted and verified; copied to %s",
                p->t->namespace, p->t->name, in->ds->name, es->ns, es->name,
                in->cert_name);
    bool overdue;
    set_await(in, false, "", "", es, &overdue);
    out_set(out, x->c ? CERTLC_ACT_REISSUED : CERTLC_ACT_CREATED,
            x->c ? CERTLC_CAUSE_DELIVERED : CERTLC_CAUSE_MISSING, "%s",
            reason);
    out->verify = false; /* just verified */
    X509 *cert = certlc_cert_from_pem(m->crt->value, m->crt->len, &err);
    if (cert != NULL) {
        int64_t due = certlc_cert_not_after(cert) - p->cfg->renew_before;
        if (due < out->next_due)
            out->next_due = due;
        X509_free(cert);
    }
}

/* The newest delivery refused since the tenant's copy was written: its
 * aside name and reason into name/why; false when there is none. Tenants
 * that share a datastore share its deliveries, and whichever tenant's pass
 * comes first judges one (workers run them in any order), so every other
 * tenant learns of the refusal here, from the Secret set aside. The store's
 * resourceVersions only grow, so "since" is a comparison of them. */
static bool newest_refusal(const ext_step *x, char *name, size_t nsize,
                           char *why, size_t wsize)
{
    certlc_pass *p = x->in->pass;
    certlc_secret_list all = {0};
    certlc_err err = {{0}};
    char prefix[300];
    sfmt(prefix, sizeof prefix, "%s-refused-", x->es.name);
    const certlc_secret *best = NULL;
    if (x->c == NULL) /* no copy yet: nothing to date a refusal against */
        return false;
    uint64_t since = x->c->resource_version;
    /* Only the Secrets set aside: the namespace may hold every tenant's. */
    if (certlc_store_list_prefix(p->store, x->es.ns, prefix, &all, &err) ==
        0) {
        for (size_t i = 0; i < all.n; i++) {
            const certlc_secret *s = all.items[i];
            if (strncmp(s->name, prefix, strlen(prefix)) == 0 &&
                s->resource_version > since &&
                certlc_kvlist_get(&s->annotations,
                                  CERTLC_ANNOTATION_REFUSED) != NULL &&
                (best == NULL ||
                 s->resource_version > best->resource_version))
                best = s;
        }
    }
    if (best != NULL) {
        const certlc_kv *r = certlc_kvlist_get(&best->annotations,
                                               CERTLC_ANNOTATION_REFUSED);
        sfmt(name, nsize, "%s", best->name);
        sfmt(why, wsize, "%.*s", (int)r->len, (const char *)r->value);
    }
    certlc_secret_list_free(&all);
    return best != NULL;
}

/* What the referenced Secret is: nothing yet, the tenant's copy, or a
 * delivery. */
static void step_delivery(ext_step *x)
{
    const certlc_external_in *in = x->in;
    const ext_settings *es = &x->es;
    if (x->r == NULL) {
        char msg[600], aside[300], why[CERTLC_ERR_MAX];
        if (newest_refusal(x, aside, sizeof aside, why, sizeof why)) {
            sfmt(msg, sizeof msg, "refused %s/%s: %s (kept as %s/%s); "
                     "waiting for the external PKI to deliver again", es->ns,
                     es->name, why, es->ns, aside);
            awaiting(in, x->out, es, x->have_copy, "DeliveryRefused",
                     CERTLC_CAUSE_REFUSED, msg);
            return;
        }
        sfmt(msg, sizeof msg, "waiting for the external PKI to deliver "
                 "%s/%s", es->ns, es->name);
        awaiting(in, x->out, es, x->have_copy, "AwaitingDelivery",
                 CERTLC_CAUSE_AWAITING, msg);
        return;
    }
    material m = {certlc_kvlist_get(&x->r->data, "tls.crt"),
                  certlc_kvlist_get(&x->r->data, "tls.key")};
    bool is_copy =
        x->have_copy &&
        same_kv(m.crt, certlc_kvlist_get(&x->c->data, "server.crt")) &&
        same_kv(m.key, certlc_kvlist_get(&x->c->data, "server.key"));
    /* The certificate rotated out, delivered again, is no steady state:
     * judge it (and refuse it). */
    if (is_copy && x->prev_crt != NULL && same_kv(m.crt, x->prev_crt))
        is_copy = false;
    if (is_copy)
        steady(x);
    else
        take_delivery(x, &m);
}

void certlc_external_reconcile(const certlc_external_in *in,
                               certlc_external_out *out)
{
    memset(out, 0, sizeof *out);
    out->next_due = INT64_MAX;
    out->action = CERTLC_ACT_UNCHANGED;
    ext_step x = {.in = in, .out = out};
    certlc_err err = {{0}};
    if (settings(in->ds, &x.es, &err) != 0) {
        out_set(out, CERTLC_ACT_FAILED, CERTLC_CAUSE_DATASTORE, "%s", err.msg);
        return;
    }
    read_copy(&x);
    if (x.es.name[0] == '\0')
        static_files(in, out, x.c);
    else if (read_delivery(&x))
        step_delivery(&x);
    certlc_secret_free(x.r);
    certlc_secret_free(x.prev);
    certlc_secret_free(x.c);
}
