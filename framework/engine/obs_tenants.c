/* The observer's tenant table and the gauges drawn from it
 * (obs_tenants.h). */
#include "obs_tenants.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

/* Sorted, as the exposition sorts label values. */
const char *const certlc_obs_phases[] = {
    CERTLC_PHASE_CA_ROTATING, CERTLC_PHASE_FAILED, CERTLC_PHASE_NOT_READY,
    CERTLC_PHASE_PROVISIONING, CERTLC_PHASE_READY};
const size_t certlc_obs_n_phases =
    sizeof certlc_obs_phases / sizeof certlc_obs_phases[0];

/* ---- the table ------------------------------------------------------------ */

/* FNV-1a over "ns/name". */
static uint64_t key_hash(const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = ns; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static void idx_put(certlc_obs_table *tb, size_t i)
{
    size_t mask = tb->idx_cap - 1;
    size_t j = key_hash(tb->t[i]->ns, tb->t[i]->name) & mask;
    while (tb->idx[j] != 0)
        j = (j + 1) & mask;
    tb->idx[j] = i + 1;
}

static int reindex(certlc_obs_table *tb, size_t cap)
{
    size_t *idx = calloc(cap, sizeof *idx);
    if (idx == NULL)
        return -1;
    free(tb->idx);
    tb->idx = idx;
    tb->idx_cap = cap;
    for (size_t i = 0; i < tb->n; i++)
        idx_put(tb, i);
    return 0;
}

static certlc_obs_tenant *find(const certlc_obs_table *tb, const char *ns,
                               const char *name)
{
    if (tb->idx_cap == 0)
        return NULL;
    size_t mask = tb->idx_cap - 1;
    for (size_t j = key_hash(ns, name) & mask; tb->idx[j] != 0;
         j = (j + 1) & mask) {
        certlc_obs_tenant *s = tb->t[tb->idx[j] - 1];
        if (strcmp(s->name, name) == 0 && strcmp(s->ns, ns) == 0)
            return s;
    }
    return NULL;
}

certlc_obs_tenant *certlc_obs_tenant_get(certlc_obs_table *tb, const char *ns,
                                         const char *name)
{
    certlc_obs_tenant *s = find(tb, ns, name);
    if (s != NULL)
        return s;
    if (tb->n == tb->cap) {
        size_t cap = tb->cap == 0 ? 16 : tb->cap * 2;
        certlc_obs_tenant **v = realloc(tb->t, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        tb->t = v;
        tb->cap = cap;
    }
    if ((tb->n + 1) * 2 > tb->idx_cap &&
        reindex(tb, tb->idx_cap == 0 ? 32 : tb->idx_cap * 2) != 0)
        return NULL;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return NULL;
    tb->t[tb->n] = s;
    snprintf(s->ns, sizeof s->ns, "%s", ns);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->phase = -1;
    idx_put(tb, tb->n++);
    return s;
}

static void tenant_fini(certlc_obs_tenant *s)
{
    certlc_obs_certs_free(s->certs, s->n_certs);
    free(s->pend);
    free(s);
}

void certlc_obs_tenants_keep(certlc_obs_table *tb,
                             bool (*keep)(void *arg,
                                          const certlc_obs_tenant *s),
                             void (*gone)(void *arg,
                                          const certlc_obs_tenant *s),
                             void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < tb->n; i++) {
        if (keep(arg, tb->t[i])) {
            tb->t[kept++] = tb->t[i];
            continue;
        }
        gone(arg, tb->t[i]);
        tenant_fini(tb->t[i]);
    }
    if (kept == tb->n)
        return;
    tb->n = kept;
    /* Same size: no allocation, so it cannot fail. */
    memset(tb->idx, 0, tb->idx_cap * sizeof *tb->idx);
    for (size_t i = 0; i < tb->n; i++)
        idx_put(tb, i);
}

void certlc_obs_table_free(certlc_obs_table *tb)
{
    for (size_t i = 0; i < tb->n; i++)
        tenant_fini(tb->t[i]);
    free(tb->t);
    free(tb->idx);
    memset(tb, 0, sizeof *tb);
}

/* ---- certificate records ---------------------------------------------------- */

static const char *cert_key(const certlc_obs_cert *c)
{
    return c->ds_ca ? "ca.crt" : c->item->cert_key;
}

/* Secrets of one tenant share the "<tcp>-" prefix: their suffixes order
 * them as their names do. */
static int cmp_cert(const void *x, const void *y)
{
    const certlc_obs_cert *a = x, *b = y;
    int r = strcmp(a->item->suffix, b->item->suffix);
    if (r == 0)
        r = strcmp(cert_key(a), cert_key(b));
    if (r == 0) /* the certificate before the DataStore CA it carries */
        r = (int)a->ds_ca - (int)b->ds_ca;
    return r;
}

void certlc_obs_certs_free(certlc_obs_cert *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i].serial);
    free(v);
}

int certlc_obs_certs_of(const certlc_cert_info *v, size_t n,
                        certlc_obs_cert **out)
{
    certlc_obs_cert *c = calloc(n > 0 ? n : 1, sizeof *c);
    if (c == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        c[i].item = v[i].item;
        c[i].not_after = v[i].not_after;
        c[i].state = (uint8_t)v[i].state;
        c[i].ca = v[i].ca != 0;
        c[i].tracked = v[i].tracked != 0;
        c[i].ds_ca = strcmp(v[i].key, v[i].item->cert_key) != 0;
        if (v[i].serial[0] != '\0' &&
            (c[i].serial = strdup(v[i].serial)) == NULL) {
            certlc_obs_certs_free(c, i);
            return -1;
        }
    }
    qsort(c, n, sizeof *c, cmp_cert);
    *out = c;
    return 0;
}

const certlc_obs_cert *certlc_obs_cert_find(const certlc_obs_cert *v,
                                            size_t n, const char *tcp,
                                            const char *secret)
{
    size_t len = strlen(tcp);
    if (strncmp(secret, tcp, len) != 0 || secret[len] != '-')
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!v[i].ds_ca && strcmp(v[i].item->suffix, secret + len + 1) == 0)
            return &v[i];
    return NULL;
}

/* ---- the gauges --------------------------------------------------------------- */

static int cmp_tenant(const void *x, const void *y)
{
    const certlc_obs_tenant *a = *(const certlc_obs_tenant *const *)x;
    const certlc_obs_tenant *b = *(const certlc_obs_tenant *const *)y;
    int r = strcmp(a->ns, b->ns);
    return r != 0 ? r : strcmp(a->name, b->name);
}

/* The tenants in label order, malloc'd; NULL when there are none or out of
 * memory (the scrape then shows no series of these families). */
static const certlc_obs_tenant **sorted(const certlc_obs_table *tb)
{
    if (tb->n == 0)
        return NULL;
    const certlc_obs_tenant **v = malloc(tb->n * sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < tb->n; i++)
        v[i] = tb->t[i];
    qsort(v, tb->n, sizeof *v, cmp_tenant);
    return v;
}

static void collect_certs(const certlc_obs_table *tb, bool renewal,
                          certlc_metric_emit emit, void *ctx)
{
    const certlc_obs_tenant **v = sorted(tb);
    for (size_t i = 0; v != NULL && i < tb->n; i++) {
        const certlc_obs_tenant *s = v[i];
        for (size_t k = 0; k < s->n_certs; k++) {
            const certlc_obs_cert *c = &s->certs[k];
            if (!c->shown || (renewal && (!c->tracked || c->ca)))
                continue;
            char secret[256];
            snprintf(secret, sizeof secret, "%s-%s", s->name,
                     c->item->suffix);
            const char *lv[] = {s->ns, s->name, secret, cert_key(c)};
            emit(ctx, lv,
                 (double)(renewal ? c->not_after - s->renew_before
                                  : c->not_after));
        }
    }
    free(v);
}

void certlc_obs_collect_expiry(void *arg, certlc_metric_emit emit, void *ctx)
{
    collect_certs(arg, false, emit, ctx);
}

void certlc_obs_collect_renewal(void *arg, certlc_metric_emit emit, void *ctx)
{
    collect_certs(arg, true, emit, ctx);
}

/* Calls fn for every tenant with gauges, in label order. */
static void each_gauged(const certlc_obs_table *tb,
                        void (*fn)(const certlc_obs_tenant *s,
                                   certlc_metric_emit emit, void *ctx),
                        certlc_metric_emit emit, void *ctx)
{
    const certlc_obs_tenant **v = sorted(tb);
    for (size_t i = 0; v != NULL && i < tb->n; i++)
        if (v[i]->gauged)
            fn(v[i], emit, ctx);
    free(v);
}

static void counts_of(const certlc_obs_tenant *s, certlc_metric_emit emit,
                      void *ctx)
{
    const char *e[] = {s->ns, s->name, "expiring"};
    emit(ctx, e, s->expiring);
    const char *in[] = {s->ns, s->name, "invalid"};
    emit(ctx, in, s->invalid);
    const char *va[] = {s->ns, s->name, "valid"};
    emit(ctx, va, s->valid);
}

static void phase_of(const certlc_obs_tenant *s, certlc_metric_emit emit,
                     void *ctx)
{
    for (size_t k = 0; k < certlc_obs_n_phases; k++) {
        const char *lv[] = {s->ns, s->name, certlc_obs_phases[k]};
        emit(ctx, lv, s->phase == (int)k);
    }
}

void certlc_obs_collect_counts(void *arg, certlc_metric_emit emit, void *ctx)
{
    each_gauged(arg, counts_of, emit, ctx);
}

void certlc_obs_collect_phase(void *arg, certlc_metric_emit emit, void *ctx)
{
    each_gauged(arg, phase_of, emit, ctx);
}
