/* What the observer remembers of every tenant between passes, and the
 * per-certificate and per-tenant gauges drawn from it when /metrics is
 * scraped.
 *
 * The observer keeps one record per certificate of every tenant, so the
 * record is small (certlc_obs_cert, 40 bytes, against the inventory's
 * 700-byte certlc_cert_info) and the gauges are not kept a second time as
 * series of the metrics registry (metrics.h, collected families): at
 * 10,000 tenants the two together were most of the operator's memory.
 *
 * The table is read by the HTTP server's thread while the engine changes
 * it: whoever adds, removes or changes a tenant's record holds the metrics
 * registry's lock (certlc_metrics_lock). */
#ifndef CERTLC_OBS_TENANTS_H
#define CERTLC_OBS_TENANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "inventory.h"
#include "metrics.h"
#include "reconcile.h"

/* One certificate of a tenant as last seen. Its Secret is
 * <tcp>-<item->suffix>; its data key item->cert_key, or "ca.crt" for the
 * DataStore CA carried by the datastore certificate's Secret. */
typedef struct certlc_obs_cert {
    const certlc_item *item;
    int64_t not_after;
    char *serial;     /* NULL when not read (taken from a record) */
    uint8_t state;    /* CERTLC_CERT_* */
    bool ca, tracked;
    bool ds_ca;       /* the DataStore CA (key ca.crt) */
    bool shown;       /* has an expiry gauge: valid at the last pass */
} certlc_obs_cert;

/* An event of the pass being observed. */
typedef struct certlc_obs_pending {
    char secret[256];
    certlc_action action;
    certlc_cause cause;
    char reason[CERTLC_ERR_MAX];
} certlc_obs_pending;

/* The certlc_tenant_phase values, in the order their series are shown. */
extern const char *const certlc_obs_phases[];
extern const size_t certlc_obs_n_phases;

typedef struct certlc_obs_tenant {
    char ns[64], name[64];
    bool known;       /* looked at once: provisioned and certs are set */
    bool provisioned; /* had a status before: a creation is a rotation */
    bool first;       /* in its first pass in this process */
    bool awaiting;    /* its datastore waits for the external PKI */
    char datastore[64];
    certlc_obs_cert *certs; /* sorted by Secret, then key */
    size_t n_certs;
    certlc_obs_pending *pend;
    size_t n_pend, cap_pend;
    struct timespec start;
    /* The gauges of the last pass's end. */
    bool gauged;
    int phase; /* index in certlc_obs_phases; -1: none of them */
    uint32_t valid, expiring, invalid;
    int64_t renew_before;
} certlc_obs_tenant;

typedef struct certlc_obs_table {
    /* Each record has its own allocation: a pass keeps a pointer to its
     * tenant's across the stretches it runs outside the pass lock, while
     * other passes add tenants. */
    certlc_obs_tenant **t;
    size_t n, cap;
    size_t *idx; /* open addressing over t[], (i + 1), 0 empty */
    size_t idx_cap;
} certlc_obs_table;

/* The record of ns/name, made when missing; NULL when out of memory.
 * A record stays where it is until certlc_obs_tenants_keep drops it. */
certlc_obs_tenant *certlc_obs_tenant_get(certlc_obs_table *tb, const char *ns,
                                         const char *name);
/* Keeps the records for which keep(arg, record) is true; calls gone(arg,
 * record) for each other one before freeing it. */
void certlc_obs_tenants_keep(certlc_obs_table *tb,
                             bool (*keep)(void *arg,
                                          const certlc_obs_tenant *s),
                             void (*gone)(void *arg,
                                          const certlc_obs_tenant *s),
                             void *arg);
void certlc_obs_table_free(certlc_obs_table *tb);

/* The records of an inventory (inventory.h), sorted as the gauges show
 * them. *out is malloc'd (free with certlc_obs_certs_free). 0 or -1. */
int certlc_obs_certs_of(const certlc_cert_info *v, size_t n,
                        certlc_obs_cert **out);
void certlc_obs_certs_free(certlc_obs_cert *v, size_t n);
/* The first record of a Secret <tcp>-<suffix> (its own certificate, not
 * the DataStore CA its Secret also carries); NULL when there is none. */
const certlc_obs_cert *certlc_obs_cert_find(const certlc_obs_cert *v,
                                            size_t n, const char *tcp,
                                            const char *secret);

/* The collect callbacks (metrics.h) of the families drawn from the table
 * (arg: the table): certificate notAfter, renewal time, certificates by
 * status, tenant phase. */
void certlc_obs_collect_expiry(void *arg, certlc_metric_emit emit, void *ctx);
void certlc_obs_collect_renewal(void *arg, certlc_metric_emit emit, void *ctx);
void certlc_obs_collect_counts(void *arg, certlc_metric_emit emit, void *ctx);
void certlc_obs_collect_phase(void *arg, certlc_metric_emit emit, void *ctx);

#endif
