#include "observe.h"

#include <certlc/driver.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca_overlap.h"
#include "events.h"
#include "httpd.h"
#include "kubeconfig.h"
#include "log.h"
#include "metrics.h"
#include "obs_tenants.h"
#include "pki.h"
#include "sdnotify.h"
#include "status.h"
#include "timefmt.h"
#include "version.h"
#include "validation.h"
#include "workers.h"

#define COMPONENT "observe"

typedef certlc_obs_pending pending;
typedef certlc_obs_tenant tstate;

struct certlc_observer {
    certlc_runtime *cli;
    certlc_metrics *reg;
    certlc_metric *expiry, *renewal, *certs, *rotations, *failures, *phase,
        *ds_up, *awaiting, *duration, *build;
    certlc_metric *ca_phase, *ca_phase_end; /* ca_overlap.h */
    /* Secrets judged in full (validation.h), as counted so far. */
    certlc_metric *parses;
    uint64_t parses_seen;
    certlc_httpd *httpd;
    char *listen; /* where httpd listens; NULL when it does not */
    atomic_int loaded;
    bool operator_; /* started by certlc_observer_start: serves, notifies */
    certlc_obs_table tenants;
};

/* True when the pass just changed the Secret (an event names it): the
 * inventory of a first look leaves it unread (inventory.h). */
static bool pending_for(void *arg, const char *secret)
{
    const tstate *s = arg;
    for (size_t i = 0; s != NULL && i < s->n_pend; i++)
        if (strcmp(s->pend[i].secret, secret) == 0)
            return true;
    return false;
}

/* ---- tenants ---------------------------------------------------------------- */

/* The record of tenant t, made when missing; under the registry's lock,
 * since a scrape reads the table (obs_tenants.h). */
static tstate *tenant_state(certlc_observer *o, const certlc_tenant *t)
{
    certlc_metrics_lock(o->reg);
    tstate *s = certlc_obs_tenant_get(&o->tenants, t->namespace, t->name);
    certlc_metrics_unlock(o->reg);
    return s;
}

/* ---- readiness and the server ---------------------------------------------- */

static int ready(void *arg, char *why, size_t size)
{
    certlc_observer *o = arg;
    if (!atomic_load(&o->loaded)) {
        snprintf(why, size, "the configuration is not loaded");
        return -1;
    }
    certlc_err err = {{0}};
    if (certlc_store_ping(o->cli->store, &err) != 0) {
        snprintf(why, size, "the store does not answer: %s", err.msg);
        return -1;
    }
    return 0;
}

static void serve(certlc_observer *o)
{
    const char *listen = o->cli->cfg->metrics_listen;
    if (listen == NULL || listen[0] == '\0') {
        certlc_info(COMPONENT, "metrics_listen is empty: no /metrics, "
                               "/healthz or /readyz");
        return;
    }
    certlc_err err = {{0}};
    o->httpd = certlc_httpd_start(listen, o->reg, ready, o, &err);
    if (o->httpd == NULL) {
        certlc_error(COMPONENT, "%s; going on without /metrics, /healthz "
                                "and /readyz",
                     err.msg);
        return;
    }
    o->listen = strdup(listen);
    certlc_info(COMPONENT, "serving /metrics, /healthz and /readyz on "
                           "http://%s",
                listen);
}

static void unserve(certlc_observer *o)
{
    certlc_httpd_stop(o->httpd);
    o->httpd = NULL;
    free(o->listen);
    o->listen = NULL;
}

/* ---- start, reload, stop ------------------------------------------------------- */

static void set_datastores(certlc_observer *o)
{
    const certlc_config *cfg = o->cli->cfg;
    for (size_t i = 0; i < cfg->n_datastores; i++) {
        const char *v[] = {cfg->datastores[i].name};
        double cur;
        if (certlc_metric_get(o->awaiting, v, &cur) != 0)
            certlc_metric_set(o->awaiting, v, 0);
    }
}

certlc_observer *certlc_observer_start(certlc_runtime *c)
{
    certlc_observer *o = certlc_observer_new(c);
    if (o == NULL)
        return NULL;
    o->operator_ = true;
    atomic_store(&o->loaded, 1);
    serve(o);
    char state[256];
    snprintf(state, sizeof state, "READY=1\nSTATUS=%zu tenant(s)",
             c->cfg->n_tenants);
    certlc_sd_notify(state);
    return o;
}

/* The metric families the observer keeps, each into its field of
 * certlc_observer. */
static const char *const cert_l[] = {"namespace", "tcp", "secret", "key",
                                     NULL};
static const char *const count_l[] = {"namespace", "tcp", "status", NULL};
static const char *const rot_l[] = {"namespace", "tcp", "secret", "reason",
                                    NULL};
static const char *const phase_l[] = {"namespace", "tcp", "phase", NULL};
static const char *const ds_l[] = {"datastore", "driver", NULL};
static const char *const await_l[] = {"datastore", NULL};
static const char *const build_l[] = {"version", "driver_abi", NULL};
static const char *const ca_phase_l[] = {"namespace", "tcp", "ca", "phase",
                                         NULL};
static const char *const ca_end_l[] = {"namespace", "tcp", "ca", NULL};
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                 1,     2.5,  5,     10,   30,  60,   120,
                                 300};

typedef struct family {
    size_t field; /* offsetof(certlc_observer, the certlc_metric *) */
    const char *name, *help;
    certlc_metric_type type;
    const char *const *labels;
    /* Drawn from the tenant table when scraped (obs_tenants.h); NULL: kept
     * in the registry. */
    certlc_metric_collect collect;
} family;

static const family families[] = {
    {offsetof(certlc_observer, build), "certlc_build_info",
     "The version of certlc and the major.minor of its driver ABI.",
     CERTLC_METRIC_GAUGE, build_l, NULL},
    {offsetof(certlc_observer, expiry),
     "certlc_certificate_expiration_timestamp_seconds",
     "The notAfter of a certificate the operator keeps (every tracked "
     "certificate and every CA), in Unix seconds.",
     CERTLC_METRIC_GAUGE, cert_l, certlc_obs_collect_expiry},
    {offsetof(certlc_observer, renewal),
     "certlc_certificate_renewal_timestamp_seconds",
     "When the engine rotates a tracked certificate: its notAfter minus "
     "renew_before, in Unix seconds.",
     CERTLC_METRIC_GAUGE, cert_l, certlc_obs_collect_renewal},
    {offsetof(certlc_observer, certs), "certlc_certificates",
     "Certificates (tracked ones and CAs) of a tenant by status: valid, "
     "expiring (due for renewal; for a CA, within 30 days or "
     "renew_before) or invalid (missing, unreadable, expired or failing).",
     CERTLC_METRIC_GAUGE, count_l, certlc_obs_collect_counts},
    {offsetof(certlc_observer, rotations), "certlc_rotations_total",
     "Certificates issued again, by reason: deleted, expiring, invalid, "
     "spec, ca or manual.",
     CERTLC_METRIC_COUNTER, rot_l, NULL},
    {offsetof(certlc_observer, failures), "certlc_rotation_failures_total",
     "Rotations that failed (each attempt), by reason.",
     CERTLC_METRIC_COUNTER, rot_l, NULL},
    {offsetof(certlc_observer, phase), "certlc_tenant_phase",
     "The phase of a tenant control plane: 1 for the current one.",
     CERTLC_METRIC_GAUGE, phase_l, certlc_obs_collect_phase},
    {offsetof(certlc_observer, ca_phase), "certlc_ca_rotation_phase",
     "The phase of a CA rotation with overlap (trust-both, move, retire, "
     "done): 1 for the current one.",
     CERTLC_METRIC_GAUGE, ca_phase_l, NULL},
    {offsetof(certlc_observer, ca_phase_end),
     "certlc_ca_rotation_phase_end_timestamp_seconds",
     "When the current phase of a CA rotation with overlap may end (it "
     "ends once rolled out), in Unix seconds.",
     CERTLC_METRIC_GAUGE, ca_end_l, NULL},
    {offsetof(certlc_observer, ds_up), "certlc_datastore_up",
     "1 when the datastore answered the last pass of a tenant using it, "
     "0 when no endpoint did.",
     CERTLC_METRIC_GAUGE, ds_l, NULL},
    {offsetof(certlc_observer, awaiting), "certlc_external_pki_awaiting",
     "Tenants whose datastore certificate waits for the external PKI.",
     CERTLC_METRIC_GAUGE, await_l, NULL},
    {offsetof(certlc_observer, duration), "certlc_reconcile_duration_seconds",
     "How long a reconcile pass of one tenant takes.",
     CERTLC_METRIC_HISTOGRAM, NULL, NULL},
    {offsetof(certlc_observer, parses), "certlc_certificate_parses_total",
     "Secrets judged in full (parsed, key matched, chain, SANs and "
     "usages checked); a Secret judged before with the same content, CA "
     "and inputs is not.",
     CERTLC_METRIC_COUNTER, NULL, NULL},
};

/* Every family into its field; -1 when one could not be made. */
static int add_families(certlc_observer *o)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        const family *f = &families[i];
        bool histogram = f->type == CERTLC_METRIC_HISTOGRAM;
        certlc_metric *m =
            f->collect != NULL
                ? certlc_metrics_add_collected(o->reg, f->name, f->help,
                                               f->type, f->labels,
                                               f->collect, &o->tenants)
                : certlc_metrics_add_family(
                      o->reg, f->name, f->help, f->type, f->labels,
                      histogram ? buckets : NULL,
                      histogram ? sizeof buckets / sizeof buckets[0] : 0);
        if (m == NULL)
            return -1;
        *(certlc_metric **)((char *)o + f->field) = m;
    }
    return 0;
}

certlc_observer *certlc_observer_new(certlc_runtime *c)
{
    certlc_observer *o = calloc(1, sizeof *o);
    if (o == NULL || (o->reg = certlc_metrics_new(true)) == NULL) {
        free(o);
        certlc_error(COMPONENT, "out of memory: no metrics and no events");
        return NULL;
    }
    o->cli = c;
    if (add_families(o) != 0) {
        certlc_error(COMPONENT, "out of memory: no metrics and no events");
        certlc_metrics_free(o->reg);
        free(o);
        return NULL;
    }
    char abi[32];
    snprintf(abi, sizeof abi, "%u.%u", (unsigned)CERTLC_DRIVER_ABI_MAJOR,
             (unsigned)CERTLC_DRIVER_ABI_MINOR);
    const char *bv[] = {CERTLC_VERSION, abi};
    certlc_metric_set(o->build, bv, 1);
    set_datastores(o);
    return o;
}

/* A tenant that left the configuration: its series go with it (those
 * drawn from the table go with its record). */
static void drop_tenant(void *arg, const tstate *s)
{
    certlc_observer *o = arg;
    const char *m[] = {s->ns, s->name, NULL, NULL};
    certlc_metric *fams[] = {o->rotations, o->failures, o->ca_phase,
                             o->ca_phase_end};
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++)
        certlc_metric_remove(fams[i], m);
}

static bool in_config(void *arg, const tstate *s)
{
    const certlc_observer *o = arg;
    return certlc_config_tenant(o->cli->cfg, s->ns, s->name) != NULL;
}

void certlc_observer_reload(certlc_observer *o)
{
    if (o == NULL)
        return;
    const certlc_config *cfg = o->cli->cfg;
    certlc_log_set_format(cfg->log_format);
    certlc_metrics_lock(o->reg);
    certlc_obs_tenants_keep(&o->tenants, in_config, drop_tenant, o);
    /* Datastores that left. */
    certlc_obs_table *tb = &o->tenants;
    for (;;) {
        bool again = false;
        for (size_t i = 0; i < tb->n && !again; i++) {
            const char *ds = tb->t[i]->datastore;
            if (ds[0] != '\0' &&
                certlc_datastore_find(cfg->datastores, cfg->n_datastores,
                                      ds) == NULL) {
                const char *m[] = {ds, NULL};
                certlc_metric_remove(o->ds_up, m);
                certlc_metric_remove(o->awaiting, m);
                tb->t[i]->datastore[0] = '\0';
                again = true;
            }
        }
        if (!again)
            break;
    }
    set_datastores(o);
    certlc_metrics_unlock(o->reg);

    const char *want = cfg->metrics_listen;
    bool same = (o->listen == NULL && want[0] == '\0') ||
                (o->listen != NULL && strcmp(o->listen, want) == 0);
    if (!same) {
        unserve(o);
        serve(o);
    }
    char state[256];
    snprintf(state, sizeof state, "READY=1\nSTATUS=%zu tenant(s)",
             cfg->n_tenants);
    certlc_sd_notify(state);
}

void certlc_observer_stop(certlc_observer *o)
{
    if (o == NULL)
        return;
    if (o->operator_)
        certlc_sd_notify("STOPPING=1");
    atomic_store(&o->loaded, 0);
    unserve(o);
    certlc_metrics_free(o->reg);
    certlc_obs_table_free(&o->tenants);
    free(o);
}

/* ---- passes ------------------------------------------------------------------- */

void certlc_observer_pass_begin(certlc_observer *o, const certlc_tenant *t)
{
    if (o == NULL)
        return;
    tstate *s = tenant_state(o, t);
    if (s == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    s->n_pend = 0;
}

/* First sight in this process, at the end of the tenant's first pass: what
 * was there before it is the "before" of its events, and a tenant with a
 * status was provisioned earlier, so what its pass creates is a rotation.
 * Both come from the status the pass found (before); without it, from the
 * store, which the pass has already changed. What the records say
 * (notAfter, no serial) is not read again: a restart does not parse every
 * certificate. */
/* The inventory of t (inventory.h) as the observer keeps it. 0 or -1 (out
 * of memory). */
static int inventory(certlc_observer *o, const certlc_tenant *t,
                     const certlc_tcp_status *st, certlc_inventory_skip skip,
                     void *arg, certlc_obs_cert **out, size_t *n)
{
    certlc_cert_info *v = NULL;
    size_t nv = 0;
    /* Reading back what a pass wrote (every Secret of a tenant just
     * provisioned) reads this tenant's files only: on a store whose reads
     * are safe beside other calls, outside the pass lock (workers.h). */
    bool unlocked = certlc_store_concurrent_reads(o->cli->store);
    if (unlocked)
        certlc_workers_leave_pass();
    int irc = certlc_inventory(o->cli->store, t, st, skip, arg, &v, &nv);
    if (unlocked)
        certlc_workers_enter_pass();
    if (irc != 0)
        return -1;
    int rc = certlc_obs_certs_of(v, nv, out);
    free(v);
    if (rc == 0)
        *n = nv;
    return rc;
}

static void first_look(certlc_observer *o, tstate *s, const certlc_tenant *t,
                       const certlc_pass_statuses *sts)
{
    certlc_tcp_status *loaded = NULL;
    const certlc_tcp_status *before = NULL;
    if (sts != NULL && sts->have_before) {
        before = sts->before;
    } else if ((sts == NULL || sts->before == NULL) &&
               (loaded = malloc(sizeof *loaded)) != NULL) {
        certlc_err err;
        if (certlc_status_load(o->cli->store, t->namespace, t->name, loaded,
                               &err) == 0)
            before = loaded;
    }
    s->provisioned = before != NULL;
    certlc_obs_cert *certs = NULL;
    size_t n = 0;
    if (inventory(o, t, before, pending_for, s, &certs, &n) != 0)
        n = 0;
    free(loaded);
    certlc_metrics_lock(o->reg);
    s->certs = certs;
    s->n_certs = n;
    certlc_metrics_unlock(o->reg);
    s->known = true;
    s->first = true;
}

void certlc_observer_event(certlc_observer *o, const certlc_reconcile_event *ev)
{
    if (o == NULL)
        return;
    tstate *s = tenant_state(o, ev->tenant);
    if (s == NULL)
        return;
    if (s->n_pend == s->cap_pend) {
        size_t cap = s->cap_pend == 0 ? 8 : s->cap_pend * 2;
        pending *v = realloc(s->pend, cap * sizeof *v);
        if (v == NULL)
            return;
        s->pend = v;
        s->cap_pend = cap;
    }
    pending *p = &s->pend[s->n_pend++];
    snprintf(p->secret, sizeof p->secret, "%s", ev->secret);
    p->action = ev->action;
    p->cause = ev->cause;
    snprintf(p->reason, sizeof p->reason, "%s", ev->reason ? ev->reason : "");
}

static void event_init(certlc_event *e, const certlc_tenant *t,
                       const char *secret, int64_t now)
{
    certlc_event_init(e, "Normal", "", t->namespace, t->name, secret, now);
}

static void event_certs(certlc_event *e, const certlc_obs_cert *old,
                        const certlc_obs_cert *nw)
{
    if (old != NULL && old->state == CERTLC_CERT_OK) {
        snprintf(e->old_serial, sizeof e->old_serial, "%s",
                 old->serial != NULL ? old->serial : "");
        e->old_not_after = old->not_after;
    }
    if (nw != NULL && nw->state == CERTLC_CERT_OK) {
        snprintf(e->new_serial, sizeof e->new_serial, "%s",
                 nw->serial != NULL ? nw->serial : "");
        e->new_not_after = nw->not_after;
    }
}

static int push_event(certlc_event **v, size_t *n, const certlc_event *e)
{
    certlc_event *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (nv == NULL)
        return -1;
    *v = nv;
    nv[(*n)++] = *e;
    return 0;
}

static bool is_ca_secret(const certlc_tenant *t, const char *secret)
{
    size_t len = strlen(t->name);
    if (strncmp(secret, t->name, len) != 0 || secret[len] != '-')
        return false;
    const certlc_item *item = certlc_plan_item(secret + len + 1);
    return item != NULL && item->kind == CERTLC_ITEM_CA;
}

static bool failed_now(const tstate *s, const char *secret)
{
    for (size_t i = 0; i < s->n_pend; i++)
        if (s->pend[i].action == CERTLC_ACT_FAILED &&
            strcmp(s->pend[i].secret, secret) == 0)
            return true;
    return false;
}

/* The events of a pass, from its callbacks and its result. Counts the
 * rotations and failures. */
/* A Secret issued again (or created for a tenant provisioned before): a
 * rotation, counted. */
static void rotated_event(certlc_observer *o, const certlc_tenant *t,
                          const pending *p, certlc_event *e)
{
    const char *cause = p->action == CERTLC_ACT_CREATED
                            ? certlc_cause_label(CERTLC_CAUSE_MISSING)
                            : certlc_cause_label(p->cause);
    const char *v[] = {t->namespace, t->name, p->secret, cause};
    certlc_metric_add(o->rotations, v, 1);
    bool ca = is_ca_secret(t, p->secret);
    snprintf(e->reason, sizeof e->reason, "%s",
             ca ? CERTLC_EV_CA_ROTATED : CERTLC_EV_ROTATED);
    snprintf(e->cause, sizeof e->cause, "%s", cause);
    if (p->cause == CERTLC_CAUSE_CA_EXPIRED) {
        /* Nothing it signed was valid any more: say it loudly. */
        snprintf(e->type, sizeof e->type, "Warning");
        snprintf(e->reason, sizeof e->reason, CERTLC_EV_CA_EXPIRED);
        snprintf(e->message, sizeof e->message,
                 "%.400s: a new CA was made, and everything it signs is "
                 "issued again",
                 p->reason);
    } else if (p->action == CERTLC_ACT_CREATED && ca)
        snprintf(e->message, sizeof e->message,
                 "the CA was deleted: a new CA was made, and "
                 "everything it signs is issued again");
    else if (p->action == CERTLC_ACT_CREATED)
        snprintf(e->message, sizeof e->message,
                 "the Secret was deleted: issued again");
    else
        snprintf(e->message, sizeof e->message, "issued again: %.480s",
                 p->reason);
}

/* A Secret that could not be issued: a failure, counted, or the await of
 * the external PKI, which is how it works and no fault. */
static void failed_event(certlc_observer *o, const certlc_tenant *t,
                         const pending *p, certlc_event *e)
{
    if (p->cause == CERTLC_CAUSE_AWAITING) {
        snprintf(e->reason, sizeof e->reason, CERTLC_EV_AWAITING);
        snprintf(e->cause, sizeof e->cause, "%s",
                 certlc_cause_label(p->cause));
        snprintf(e->message, sizeof e->message, "%.500s", p->reason);
        return;
    }
    const char *cause = certlc_cause_label(p->cause);
    const char *v[] = {t->namespace, t->name, p->secret, cause};
    certlc_metric_add(o->failures, v, 1);
    bool refused = p->cause == CERTLC_CAUSE_REFUSED;
    snprintf(e->type, sizeof e->type, "Warning");
    snprintf(e->reason, sizeof e->reason, "%s",
             refused ? CERTLC_EV_REFUSED : CERTLC_EV_FAILED);
    snprintf(e->cause, sizeof e->cause, "%s", cause);
    snprintf(e->message, sizeof e->message, "%.500s", p->reason);
}

/* The tenant's own events of a pass: provisioned, rolled out, rollout
 * failed. */
static void tenant_events(certlc_observer *o, const certlc_tenant *t,
                          size_t initial, const certlc_reconcile_result *res,
                          const certlc_tcp_status *st, bool have_st,
                          int64_t now, certlc_event **evs, size_t *n_evs)
{
    certlc_event e;
    if (initial > 0) {
        event_init(&e, t, "", now);
        snprintf(e.reason, sizeof e.reason, CERTLC_EV_PROVISIONED);
        snprintf(e.message, sizeof e.message, "%zu Secret(s) issued",
                 initial);
        push_event(evs, n_evs, &e);
    }
    if (res->rolled_out) {
        event_init(&e, t, "", now);
        snprintf(e.reason, sizeof e.reason, CERTLC_EV_ROLLED_OUT);
        if (o->cli->cfg->rollout_hook[0] != '\0')
            snprintf(e.message, sizeof e.message,
                     "the rollout hook succeeded; checksum %.80s",
                     have_st ? st->checksum : "?");
        else
            snprintf(e.message, sizeof e.message,
                     "the Secrets the control plane reads changed "
                     "(checksum %.80s); no rollout_hook is configured",
                     have_st ? st->checksum : "?");
        push_event(evs, n_evs, &e);
    }
    if (res->rollout_failed) {
        event_init(&e, t, "", now);
        snprintf(e.type, sizeof e.type, "Warning");
        snprintf(e.reason, sizeof e.reason, CERTLC_EV_ROLLOUT_FAILED);
        snprintf(e.message, sizeof e.message, "%.500s",
                 have_st && st->rollout_error[0] ? st->rollout_error
                                                 : "the rollout hook failed");
        push_event(evs, n_evs, &e);
    }
}

static void pass_events(certlc_observer *o, tstate *s, const certlc_tenant *t,
                        const certlc_obs_cert *nc, size_t n_nc,
                        const certlc_reconcile_result *res,
                        const certlc_tcp_status *st, bool have_st,
                        certlc_event **evs, size_t *n_evs)
{
    int64_t now = certlc_now();
    size_t initial = 0;
    certlc_event e;
    for (size_t i = 0; i < s->n_pend; i++) {
        const pending *p = &s->pend[i];
        const certlc_obs_cert *old =
            certlc_obs_cert_find(s->certs, s->n_certs, t->name, p->secret);
        event_init(&e, t, p->secret, now);
        if (p->action == CERTLC_ACT_CREATED && !s->provisioned) {
            initial++;
            continue;
        }
        if (p->action == CERTLC_ACT_CREATED ||
            p->action == CERTLC_ACT_REISSUED) {
            rotated_event(o, t, p, &e);
            event_certs(&e, old,
                        certlc_obs_cert_find(nc, n_nc, t->name, p->secret));
        } else if (p->action == CERTLC_ACT_FAILED) {
            failed_event(o, t, p, &e);
            if (p->cause != CERTLC_CAUSE_AWAITING)
                event_certs(&e, old, NULL);
        } else {
            continue;
        }
        push_event(evs, n_evs, &e);
    }
    tenant_events(o, t, initial, res, st, have_st, now, evs, n_evs);
}

/* Which certificates have gauges, and the tenant's counts by status, as
 * of now; the gauges themselves are drawn from these when scraped
 * (obs_tenants.h). Under the registry's lock. */
static void judge_certs(certlc_observer *o, tstate *s, const certlc_tenant *t,
                        certlc_obs_cert *nc, size_t n_nc)
{
    const certlc_config *cfg = o->cli->cfg;
    int64_t now = certlc_now();
    uint32_t valid = 0, expiring = 0, invalid = 0;
    int64_t ca_warn = cfg->renew_before > 30 * 86400 ? cfg->renew_before
                                                     : 30 * 86400;
    for (size_t k = 0; k < n_nc; k++) {
        certlc_obs_cert *c = &nc[k];
        char secret[256];
        snprintf(secret, sizeof secret, "%s-%s", t->name, c->item->suffix);
        c->shown = c->state == CERTLC_CERT_OK && c->not_after > now &&
                   !failed_now(s, secret);
        if (!c->shown)
            invalid++;
        else if (c->ca ? c->not_after - now < ca_warn
                       : now >= c->not_after - cfg->renew_before)
            expiring++;
        else
            valid++;
    }
    s->valid = valid;
    s->expiring = expiring;
    s->invalid = invalid;
    s->renew_before = cfg->renew_before;
    s->gauged = true;
}

static void set_status_metrics(certlc_observer *o, tstate *s,
                               const certlc_tenant *t,
                               const certlc_tcp_status *st, bool have_st)
{
    const char *cur = have_st && st->phase[0] ? st->phase
                                              : CERTLC_PHASE_PROVISIONING;
    s->phase = -1;
    for (size_t i = 0; i < certlc_obs_n_phases; i++)
        if (strcmp(cur, certlc_obs_phases[i]) == 0)
            s->phase = (int)i;
    const certlc_ca_rotation_status *r = have_st ? &st->ca_rotation : NULL;
    if (r != NULL && r->phase[0] != '\0') {
        /* An abort shows as done: it is over as soon as it is recorded. */
        for (size_t i = 0; i < certlc_ca_overlap_n_phases; i++) {
            const char *ph = certlc_ca_overlap_phases[i];
            const char *v[] = {t->namespace, t->name, r->ca, ph};
            certlc_metric_set(o->ca_phase, v, strcmp(r->phase, ph) == 0);
        }
        const char *v[] = {t->namespace, t->name, r->ca};
        certlc_metric_set(o->ca_phase_end, v, (double)r->phase_ends);
    }
    if (t->datastore[0] == '\0')
        return;
    snprintf(s->datastore, sizeof s->datastore, "%s", t->datastore);
    const certlc_config *cfg = o->cli->cfg;
    const certlc_datastore *ds = certlc_datastore_find(
        cfg->datastores, cfg->n_datastores, t->datastore);
    const certlc_condition *ready =
        have_st ? certlc_status_condition(st, "DatastoreReady") : NULL;
    const certlc_condition *down =
        have_st ? certlc_status_condition(st, "DatastoreUnreachable") : NULL;
    if (ds != NULL && (ready != NULL || down != NULL)) {
        const char *v[] = {ds->name, ds->driver};
        certlc_metric_set(o->ds_up, v, down != NULL && down->status ? 0 : 1);
    }
    s->awaiting = ready != NULL && !ready->status &&
                  strcmp(ready->reason, "AwaitingExternalPKI") == 0;
    /* The await while the tenant keeps its current copy. */
    const certlc_condition *aw =
        have_st ? certlc_status_condition(st, "AwaitingExternalPKI") : NULL;
    s->awaiting |= aw != NULL && aw->status;
    double n = 0;
    const certlc_obs_table *tb = &o->tenants;
    for (size_t i = 0; i < tb->n; i++)
        n += strcmp(tb->t[i]->datastore, t->datastore) == 0 &&
             tb->t[i]->awaiting;
    const char *v[] = {t->datastore};
    certlc_metric_set(o->awaiting, v, n);
}

/* The pass's events into the tenant's event document, and a CA rotation
 * (the rollout hook and the rotations say the rest already) into the
 * log. */
static void record_events(certlc_observer *o, const certlc_tenant *t,
                          const certlc_event *evs, size_t n_evs)
{
    certlc_err err = {{0}};
    if (n_evs > 0 &&
        certlc_events_record(o->cli->store, t->namespace, t->name, evs, n_evs,
                             &err) != 0)
        certlc_logx(CERTLC_LOG_WARN, COMPONENT, t->namespace, t->name, NULL,
                    "cannot record %zu event(s): %s", n_evs, err.msg);
    for (size_t i = 0; i < n_evs; i++)
        if (strcmp(evs[i].reason, CERTLC_EV_CA_ROTATED) == 0 ||
            strcmp(evs[i].reason, CERTLC_EV_ROLLED_OUT) == 0)
            certlc_logx(strcmp(evs[i].reason, CERTLC_EV_CA_ROTATED) == 0
                            ? CERTLC_LOG_INFO
                            : CERTLC_LOG_DEBUG,
                        "engine", t->namespace, t->name,
                        evs[i].secret[0] ? evs[i].secret : NULL, "%s: %s",
                        evs[i].reason, evs[i].message);
}

void certlc_observer_pass_end(certlc_observer *o, const certlc_tenant *t,
                              const certlc_reconcile_result *res, int rc,
                              const certlc_pass_statuses *sts)
{
    (void)rc;
    if (o == NULL)
        return;
    tstate *s = tenant_state(o, t);
    if (s == NULL)
        return;
    if (!s->known)
        first_look(o, s, t, sts);
    const certlc_tcp_status *pass_st =
        sts != NULL && sts->have_after ? sts->after : NULL;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double secs = (double)(end.tv_sec - s->start.tv_sec) +
                  (double)(end.tv_nsec - s->start.tv_nsec) / 1e9;
    certlc_metric_observe(o->duration, NULL, secs);

    certlc_obs_cert *nc = NULL;
    size_t n_nc = 0;
    /* A pass that wrote nothing left the certificates as they were read
     * last time: reading them back would double the cost of every pass
     * that only re-checks. */
    bool unchanged = s->known && s->n_pend == 0 && res != NULL &&
                     res->created + res->reissued + res->failed == 0;
    certlc_tcp_status loaded;
    certlc_err err = {{0}};
    /* The pass holds its status already: decoding it again from the store
     * would cost as much as the pass's own load. */
    bool have_st = pass_st != NULL ||
                   certlc_status_load(o->cli->store, t->namespace, t->name,
                                      &loaded, &err) == 0;
    const certlc_tcp_status *st = pass_st != NULL ? pass_st : &loaded;
    if (unchanged && !s->first) {
        nc = s->certs;
        n_nc = s->n_certs;
    } else if (inventory(o, t, unchanged && have_st ? st : NULL, NULL, NULL,
                         &nc, &n_nc) != 0) {
        /* A first pass that changed nothing has just judged (or recorded)
         * every Secret: its records say each notAfter. After a change,
         * the certificates are read back for their serials. */
        certlc_error(COMPONENT, "%s/%s: out of memory reading the "
                                "certificates back",
                     t->namespace, t->name);
        return;
    }
    s->first = false;
    certlc_event *evs = NULL;
    size_t n_evs = 0;
    certlc_metrics_lock(o->reg);
    uint64_t parses = certlc_validation_parses();
    certlc_metric_add(o->parses, NULL, (double)(parses - o->parses_seen));
    o->parses_seen = parses;
    pass_events(o, s, t, nc, n_nc, res, st, have_st, &evs, &n_evs);
    judge_certs(o, s, t, nc, n_nc);
    set_status_metrics(o, s, t, st, have_st);
    if (nc != s->certs) {
        certlc_obs_certs_free(s->certs, s->n_certs);
        s->certs = nc;
        s->n_certs = n_nc;
    }
    certlc_metrics_unlock(o->reg);

    record_events(o, t, evs, n_evs);
    free(evs);
    s->provisioned = s->provisioned || have_st;
    /* The pass's events are told: their records (1.3 KB each, a dozen a
     * provisioning pass) are not kept for every tenant until its next. */
    free(s->pend);
    s->pend = NULL;
    s->n_pend = s->cap_pend = 0;
}

int certlc_observer_run_pass(certlc_observer *o, certlc_store *store,
                             const certlc_config *cfg,
                             certlc_ds_registry *reg, const certlc_tenant *t,
                             certlc_reconcile_cb cb, void *arg,
                             certlc_reconcile_result *res, certlc_err *err)
{
    certlc_observer_pass_begin(o, t);
    /* On the heap: a status is large. NULL (out of memory): the observer
     * reads it from the store. */
    certlc_pass_statuses sts = {0};
    if (o != NULL) {
        sts.before = malloc(sizeof *sts.before);
        sts.after = malloc(sizeof *sts.after);
    }
    int rc = certlc_reconcile_tenant_status(store, cfg, reg, t, cb, arg, res,
                                            o != NULL ? &sts : NULL, err);
    certlc_observer_pass_end(o, t, res, rc, &sts);
    free(sts.before);
    free(sts.after);
    return rc;
}
