/* A store held in memory, for the benchmarks only: certlc's reconcile path
 * with no serialisation, no file and no fsync, so that what the file store
 * costs can be told apart from what issuance costs. Secrets are kept as
 * copies (certlc_secret_dup) in an open-addressing hash table. */
#include "memstore.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slot {
    char *key; /* "ns/name" (Secrets) or "ns/tcp/name" (status) */
    certlc_secret *secret;
    char *json;
} slot;

typedef struct mstore {
    certlc_store base;
    slot *slots;
    size_t cap, used;
    uint64_t rv;
} mstore;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key: the one holding it, or the empty one where it goes. */
static slot *find(mstore *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static int grow(mstore *m)
{
    if ((m->used + 1) * 2 < m->cap)
        return 0;
    size_t oldcap = m->cap;
    slot *old = m->slots;
    m->cap = oldcap ? oldcap * 2 : 1024;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (m->slots == NULL) {
        m->slots = old;
        m->cap = oldcap;
        return -1;
    }
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key != NULL)
            *find(m, old[i].key) = old[i];
    free(old);
    return 0;
}

/* Removing from linear probing: reinsert the run that follows. */
static void erase(mstore *m, slot *s)
{
    free(s->key);
    certlc_secret_free(s->secret);
    free(s->json);
    memset(s, 0, sizeof *s);
    m->used--;
    size_t i = (size_t)(s - m->slots);
    for (i = (i + 1) & (m->cap - 1); m->slots[i].key != NULL;
         i = (i + 1) & (m->cap - 1)) {
        slot moved = m->slots[i];
        memset(&m->slots[i], 0, sizeof moved);
        *find(m, moved.key) = moved;
    }
}

static void make_key(char *buf, size_t size, const char *ns, const char *mid,
                     const char *name)
{
    snprintf(buf, size, "%s/%s%s", ns, mid, name);
}

static int ms_get(certlc_store *base, const char *ns, const char *name,
                  certlc_secret **out, certlc_err *err)
{
    mstore *m = (mstore *)base;
    char key[600];
    make_key(key, sizeof key, ns, "", name);
    slot *s = find(m, key);
    if (s->key == NULL)
        return CERTLC_NOTFOUND;
    *out = certlc_secret_dup(s->secret);
    return *out != NULL ? 0 : certlc_err_set(err, "out of memory");
}

static int ms_list(certlc_store *base, const char *ns,
                   const certlc_selector *sel, certlc_secret_list *out,
                   certlc_err *err)
{
    (void)sel; /* the reconcile path never lists */
    mstore *m = (mstore *)base;
    for (size_t i = 0; i < m->cap; i++) {
        slot *s = &m->slots[i];
        if (s->secret == NULL ||
            (ns != NULL && strcmp(s->secret->namespace, ns) != 0))
            continue;
        certlc_secret *d = certlc_secret_dup(s->secret);
        if (d == NULL || certlc_secret_list_push(out, d) != 0) {
            certlc_secret_free(d);
            return certlc_err_set(err, "out of memory");
        }
    }
    return 0;
}

static int ms_put(mstore *m, certlc_secret *s, bool create, certlc_err *err)
{
    char key[600];
    make_key(key, sizeof key, s->namespace, "", s->name);
    if (grow(m) != 0)
        return certlc_err_set(err, "out of memory");
    slot *sl = find(m, key);
    if (create && sl->key != NULL)
        return CERTLC_CONFLICT;
    if (!create && sl->key == NULL)
        return CERTLC_NOTFOUND;
    if (!create && sl->secret->resource_version != s->resource_version)
        return CERTLC_CONFLICT;
    s->resource_version = ++m->rv;
    if (create)
        s->creation_timestamp = (int64_t)time(NULL);
    else
        s->creation_timestamp = sl->secret->creation_timestamp;
    certlc_secret *copy = certlc_secret_dup(s);
    if (copy == NULL)
        return certlc_err_set(err, "out of memory");
    if (sl->key == NULL) {
        sl->key = strdup(key);
        if (sl->key == NULL) {
            certlc_secret_free(copy);
            return certlc_err_set(err, "out of memory");
        }
        m->used++;
    }
    certlc_secret_free(sl->secret);
    sl->secret = copy;
    return 0;
}

static int ms_create(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    return ms_put((mstore *)base, s, true, err);
}

static int ms_update(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    return ms_put((mstore *)base, s, false, err);
}

static int ms_remove(certlc_store *base, const char *ns, const char *name,
                     certlc_err *err)
{
    (void)err;
    mstore *m = (mstore *)base;
    char key[600];
    make_key(key, sizeof key, ns, "", name);
    slot *s = find(m, key);
    if (s->key == NULL)
        return CERTLC_NOTFOUND;
    erase(m, s);
    return 0;
}

static int ms_status_get(certlc_store *base, const char *ns, const char *tcp,
                         char **json, certlc_err *err)
{
    mstore *m = (mstore *)base;
    char key[600];
    make_key(key, sizeof key, ns, "tcp/", tcp);
    slot *s = find(m, key);
    if (s->key == NULL)
        return CERTLC_NOTFOUND;
    *json = strdup(s->json);
    return *json != NULL ? 0 : certlc_err_set(err, "out of memory");
}

static int ms_status_put(certlc_store *base, const char *ns, const char *tcp,
                         const char *json, certlc_err *err)
{
    mstore *m = (mstore *)base;
    char key[600];
    make_key(key, sizeof key, ns, "tcp/", tcp);
    if (grow(m) != 0)
        return certlc_err_set(err, "out of memory");
    slot *s = find(m, key);
    char *copy = strdup(json);
    if (copy == NULL)
        return certlc_err_set(err, "out of memory");
    if (s->key == NULL) {
        s->key = strdup(key);
        if (s->key == NULL) {
            free(copy);
            return certlc_err_set(err, "out of memory");
        }
        m->used++;
    }
    free(s->json);
    s->json = copy;
    return 0;
}

static int ms_status_remove(certlc_store *base, const char *ns,
                            const char *tcp, certlc_err *err)
{
    (void)err;
    mstore *m = (mstore *)base;
    char key[600];
    make_key(key, sizeof key, ns, "tcp/", tcp);
    slot *s = find(m, key);
    if (s->key == NULL)
        return CERTLC_NOTFOUND;
    erase(m, s);
    return 0;
}

static int ms_watch_fd(certlc_store *base, certlc_err *err)
{
    (void)base;
    return certlc_err_set(err, "the memory store cannot be watched");
}

static int ms_watch_read(certlc_store *base, certlc_store_event *evs,
                         size_t max, size_t *n, certlc_err *err)
{
    (void)base;
    (void)evs;
    (void)max;
    *n = 0;
    return certlc_err_set(err, "the memory store cannot be watched");
}

static void ms_close(certlc_store *base)
{
    mstore *m = (mstore *)base;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        certlc_secret_free(m->slots[i].secret);
        free(m->slots[i].json);
    }
    free(m->slots);
    free(m);
}

static const struct certlc_store_ops ms_ops = {
    .get = ms_get,
    .list = ms_list,
    .create = ms_create,
    .update = ms_update,
    .remove = ms_remove,
    .status_get = ms_status_get,
    .status_put = ms_status_put,
    .status_remove = ms_status_remove,
    .watch_fd = ms_watch_fd,
    .watch_read = ms_watch_read,
    .close = ms_close,
};

certlc_store *bench_memstore_open(void)
{
    mstore *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->base.ops = &ms_ops;
    if (grow(m) != 0) {
        free(m);
        return NULL;
    }
    return &m->base;
}
