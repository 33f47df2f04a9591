#include "pass.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sha256.h"
#include "timefmt.h"
#include "workers.h"

void certlc_pass_begin(certlc_pass *p, certlc_store *store,
                       const certlc_config *cfg,
                       certlc_ds_registry *datastores, const certlc_tenant *t,
                       int64_t now, certlc_reconcile_cb cb, void *arg,
                       certlc_reconcile_result *res)
{
    memset(p, 0, sizeof *p);
    memset(res, 0, sizeof *res);
    res->next_due = INT64_MAX;
    p->store = store;
    p->cfg = cfg;
    p->datastores = datastores;
    p->t = t;
    p->now = now;
    p->cb = cb;
    p->arg = arg;
    p->res = res;
    certlc_err err = {{0}};
    /* Reading and decoding the status and peeking the Secrets are most of
     * a pass with nothing to do: where the store allows, they run outside
     * the pass lock, on every core. They touch only this tenant's files
     * and this pass's memory. */
    bool unlocked = certlc_store_concurrent_reads(store);
    if (unlocked)
        certlc_workers_leave_pass();
    p->status_rc = certlc_status_load(store, t->namespace, t->name, &p->status,
                                      &err);
    /* An unreadable status is rewritten whole at the end of the pass. */
    if (p->status_rc < 0 && p->status_rc != CERTLC_NOTFOUND)
        memset(&p->status, 0, sizeof p->status);
    else if (p->status_rc == 0)
        certlc_validation_prefetch(store, &p->status, t->namespace,
                                   &p->peeks);
    if (unlocked)
        certlc_workers_enter_pass();
    p->saved = p->status;
}

void certlc_pass_report(certlc_pass *p, const char *name,
                        certlc_action action, certlc_cause cause,
                        const char *reason)
{
    switch (action) {
    case CERTLC_ACT_UNCHANGED: p->res->unchanged++; break;
    case CERTLC_ACT_CREATED: p->res->created++; break;
    case CERTLC_ACT_REISSUED: p->res->reissued++; break;
    case CERTLC_ACT_FAILED: p->res->failed++; break;
    }
    if (action == CERTLC_ACT_UNCHANGED)
        return;
    if (action == CERTLC_ACT_FAILED && p->first_failure[0] == '\0')
        snprintf(p->first_failure, sizeof p->first_failure, "%.200s: %.390s",
                 name, reason);
    certlc_reconcile_event ev = {p->t, name, action, reason, cause};
    if (p->cb != NULL)
        p->cb(&ev, p->arg);
}

int certlc_pass_save_status(certlc_pass *p, certlc_err *err)
{
    /* Writing an unchanged status would wake every watcher for nothing. */
    p->status.updated = p->saved.updated;
    if (p->status_rc == 0 &&
        memcmp(&p->status, &p->saved, sizeof p->status) == 0)
        return 0;
    if (p->status.created == 0)
        p->status.created = p->now;
    p->status.updated = p->now;
    if (certlc_status_save(p->store, p->t->namespace, p->t->name, &p->status,
                           err) != 0)
        return -1;
    p->saved = p->status;
    p->status_rc = 0;
    return 0;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int certlc_secret_data_digest(const certlc_secret *s, char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, certlc_sha256(), NULL);
    for (size_t i = 0; ok && i < s->data.n; i++) {
        const certlc_kv *kv = &s->data.items[i];
        uint64_t n = kv->len;
        ok = EVP_DigestUpdate(ctx, kv->key, strlen(kv->key) + 1) &&
             EVP_DigestUpdate(ctx, &n, sizeof n) &&
             EVP_DigestUpdate(ctx, kv->value, kv->len);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    hex(md, 32, out);
    return 0;
}

/* The entry for name, made when missing; NULL when the table is full. */
static certlc_pass_secret *seen_entry(certlc_pass *p, const char *name)
{
    for (size_t i = 0; i < p->n_seen; i++)
        if (strcmp(p->seen[i].name, name) == 0)
            return &p->seen[i];
    if (p->n_seen == CERTLC_PASS_MAX_SEEN)
        return NULL; /* the rollout reads the rest from the store */
    certlc_pass_secret *e = &p->seen[p->n_seen++];
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

void certlc_pass_saw(certlc_pass *p, const certlc_secret *s)
{
    certlc_pass_secret *e = seen_entry(p, s->name);
    if (e == NULL)
        return;
    e->rv = s->resource_version;
    if (certlc_secret_data_digest(s, e->digest) != 0)
        e->digest[0] = '\0';
    snprintf(e->stored, sizeof e->stored, "%s", s->stored_digest);
}

void certlc_pass_saw_unread(certlc_pass *p, const char *name, uint64_t rv,
                            const char *digest, const char *stored)
{
    certlc_pass_secret *e = seen_entry(p, name);
    if (e == NULL)
        return;
    e->rv = rv;
    snprintf(e->digest, sizeof e->digest, "%s", digest);
    snprintf(e->stored, sizeof e->stored, "%s", stored);
}

const certlc_pass_secret *certlc_pass_seen(const certlc_pass *p,
                                           const char *name)
{
    for (size_t i = 0; i < p->n_seen; i++)
        if (strcmp(p->seen[i].name, name) == 0)
            return p->seen[i].digest[0] ? &p->seen[i] : NULL;
    return NULL;
}

void certlc_pass_note_clamp(const certlc_pass *p, const char *secret,
                            const char *ca_desc, int64_t validity,
                            int64_t ca_end)
{
    if (p->now + validity <= ca_end)
        return;
    char when[32];
    certlc_time_rfc3339(ca_end, when, sizeof when);
    certlc_logx(CERTLC_LOG_WARN, "engine", p->t->namespace, p->t->name, NULL,
                "%s: notAfter clamped to %s, the notAfter of %s "
                "(leaf_validity would outlive the CA)",
                secret, when, ca_desc);
}
