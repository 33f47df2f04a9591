#include "validation.h"

#include "hex.h"
#include "sha256.h"

#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

const certlc_validation *certlc_validation_find(const certlc_tcp_status *st,
                                                const char *name)
{
    for (size_t i = 0; i < st->n_validations; i++)
        if (strcmp(st->validations[i].name, name) == 0)
            return &st->validations[i];
    return NULL;
}

void certlc_validation_put(certlc_tcp_status *st, const certlc_validation *v)
{
    certlc_validation *slot =
        (certlc_validation *)certlc_validation_find(st, v->name);
    if (slot == NULL) {
        if (st->n_validations == CERTLC_STATUS_MAX_VALIDATIONS)
            return;
        /* Kept sorted by name, as the JSON has them: a status read back
         * compares equal to the one in memory. */
        size_t i = 0;
        while (i < st->n_validations &&
               strcmp(st->validations[i].name, v->name) < 0)
            i++;
        memmove(&st->validations[i + 1], &st->validations[i],
                (st->n_validations - i) * sizeof st->validations[0]);
        st->n_validations++;
        slot = &st->validations[i];
    }
    memcpy(slot, v, sizeof *slot);
}

void certlc_validation_drop(certlc_tcp_status *st, const char *name)
{
    const certlc_validation *v = certlc_validation_find(st, name);
    if (v == NULL)
        return;
    size_t i = (size_t)(v - st->validations);
    memmove(&st->validations[i], &st->validations[i + 1],
            (st->n_validations - i - 1) * sizeof st->validations[0]);
    st->n_validations--;
    memset(&st->validations[st->n_validations], 0,
           sizeof st->validations[0]);
}

/* Each field as its bytes and a NUL, so that no two inputs run together. */
static int put(EVP_MD_CTX *ctx, const char *s)
{
    return EVP_DigestUpdate(ctx, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static int put_list(EVP_MD_CTX *ctx, const char *const *v, size_t n)
{
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    int ok = put(ctx, count);
    for (size_t i = 0; ok && i < n; i++)
        ok = put(ctx, v[i]);
    return ok;
}

int certlc_validation_inputs(const certlc_item *item, const certlc_tenant *t,
                             const certlc_config *cfg,
                             const certlc_cert_spec *spec, char out[65])
{
    char url[512], flags[96];
    certlc_plan_server_url(item, t, url, sizeof url);
    snprintf(flags, sizeof flags, "%d %d %d %d %d %lld %d", (int)item->kind,
             spec->is_ca, spec->server_auth, spec->client_auth,
             spec->extra_sans_ok, (long long)spec->validity,
             (int)cfg->key_algorithm);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, certlc_sha256(), NULL) &&
             put(ctx, item->suffix) && put(ctx, item->type) &&
             put(ctx, flags) && put(ctx, t->namespace) && put(ctx, t->name) &&
             put(ctx, t->version) && put(ctx, url) && put(ctx, spec->cn) &&
             put_list(ctx, spec->orgs, spec->n_orgs) &&
             put_list(ctx, spec->dns, spec->n_dns) &&
             put_list(ctx, spec->ips, spec->n_ips) &&
             EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    certlc_hex(md, 32, out);
    return 0;
}

static bool good_verdict(const certlc_validation *v)
{
    return v != NULL && v->stored[0] != '\0' &&
           strcmp(v->verdict, "valid") == 0;
}

void certlc_validation_prefetch(certlc_store *store,
                                const certlc_tcp_status *st, const char *ns,
                                certlc_peeks *out)
{
    out->n = 0;
    if (!certlc_store_can_peek(store))
        return;
    for (size_t i = 0; i < st->n_validations; i++) {
        const certlc_validation *v = &st->validations[i];
        if (!good_verdict(v) || out->n == CERTLC_STATUS_MAX_VALIDATIONS)
            continue;
        struct certlc_peek *pk = &out->v[out->n++];
        snprintf(pk->name, sizeof pk->name, "%s", v->name);
        certlc_err err;
        if (certlc_store_peek(store, ns, v->name, pk->digest, &err) != 0)
            pk->digest[0] = '\0';
    }
}

/* The digest of ns/name's stored bytes into stored: from pre when it
 * holds the name, else peeked now. */
static int peeked(certlc_store *store, const char *ns, const char *name,
                  const certlc_peeks *pre, char stored[65])
{
    for (size_t i = 0; pre != NULL && i < pre->n; i++)
        if (strcmp(pre->v[i].name, name) == 0) {
            memcpy(stored, pre->v[i].digest, 65);
            return stored[0] != '\0' ? 0 : -1;
        }
    certlc_err err;
    return certlc_store_peek(store, ns, name, stored, &err) == 0 ? 0 : -1;
}

const certlc_validation *certlc_validation_unchanged(
    certlc_store *store, const certlc_tcp_status *st, const char *ns,
    const char *name, const certlc_peeks *pre)
{
    if (!certlc_store_can_peek(store))
        return NULL;
    const certlc_validation *v = certlc_validation_find(st, name);
    char stored[65];
    if (!good_verdict(v) || peeked(store, ns, name, pre, stored) != 0 ||
        strcmp(stored, v->stored) != 0)
        return NULL;
    return v;
}

int certlc_validation_digest(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data, len, md, &n, certlc_sha256(), NULL) || n != 32)
        return -1;
    certlc_hex(md, 32, out);
    return 0;
}

/* Atomic: passes may run on several threads. */
static atomic_uint_fast64_t parses;

void certlc_validation_count_parse(void)
{
    atomic_fetch_add(&parses, 1);
}

uint64_t certlc_validation_parses(void)
{
    return (uint64_t)atomic_load(&parses);
}
