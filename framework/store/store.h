/* The store: where Secrets and tenant status live.
 *
 * An interface with one implementation per backend (file now, etcd later);
 * the engine, the command line and the drivers only see this. Every call
 * returns 0, CERTLC_NOTFOUND, CERTLC_CONFLICT or -1 with a message; get and
 * update also CERTLC_UNDECRYPTABLE (err.h) for a Secret that no configured
 * encryption key decrypts, which callers must leave in place.
 */
#ifndef CERTLC_STORE_H
#define CERTLC_STORE_H

#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "secret.h"
#include "selector.h"

typedef struct certlc_store certlc_store;
struct certlc_encryption;

/* scan's callback: one stored Secret. current: its stored value is written
 * the way the store writes now (encryption.h). Non-zero stops the scan. */
typedef int (*certlc_store_scan_cb)(const char *ns, const char *name,
                                    bool current, void *arg);

/* What changed in the store, as the watch reports it. */
typedef struct certlc_store_event {
    char ns[256];
    char name[256]; /* Secret name, or tenant name when `status` */
    int status;     /* 1: a tenant status changed, 0: a Secret */
    int removed;    /* 1: deleted */
    int overflow;   /* 1: events were lost; everything may have changed */
} certlc_store_event;

/* Who writes the store now, as `certlc get leader` shows it: the fields a
 * store fills (store_leader.h), in the order of the table's columns. */
#define CERTLC_STORE_LEADER_MAX 6
typedef struct certlc_store_leader_field {
    const char *key;    /* its key in -o json|yaml */
    const char *header; /* its column; NULL: in -o json|yaml only */
    int width;          /* the column's width; 0: the last column */
    char text[4200];    /* its cell in the table */
    char str[4200];     /* its JSON string, unless is_number */
    bool is_number;
    long long number;   /* its JSON number */
} certlc_store_leader_field;
typedef struct certlc_store_leader {
    certlc_store_leader_field f[CERTLC_STORE_LEADER_MAX];
    size_t n;
} certlc_store_leader;

struct certlc_store_ops {
    /* *out is a new Secret the caller frees. A Secret that exists but cannot
     * be parsed is -1 with a message naming the file and the fault. */
    int (*get)(certlc_store *st, const char *ns, const char *name,
               certlc_secret **out, certlc_err *err);
    /* ns NULL: every namespace; sel NULL: every Secret. Secrets that cannot
     * be parsed are skipped with a warning in the log. Appends to *out. */
    int (*list)(certlc_store *st, const char *ns, const certlc_selector *sel,
                certlc_secret_list *out, certlc_err *err);
    /* CERTLC_CONFLICT when it exists. On success sets s->resource_version
     * and s->creation_timestamp. */
    int (*create)(certlc_store *st, certlc_secret *s, certlc_err *err);
    /* Compare-and-swap: CERTLC_CONFLICT unless the stored resourceVersion
     * equals s->resource_version; CERTLC_NOTFOUND when absent. Keeps the
     * stored creationTimestamp. On success sets s->resource_version. */
    int (*update)(certlc_store *st, certlc_secret *s, certlc_err *err);
    /* Works on unparsable Secrets too. CERTLC_NOTFOUND when absent. */
    int (*remove)(certlc_store *st, const char *ns, const char *name,
                  certlc_err *err);
    /* Tenant status: an opaque JSON document per (namespace, tenant).
     * status_get: *json is malloc'd (NUL-terminated); CERTLC_NOTFOUND. */
    int (*status_get)(certlc_store *st, const char *ns, const char *tcp,
                      char **json, certlc_err *err);
    int (*status_put)(certlc_store *st, const char *ns, const char *tcp,
                      const char *json, certlc_err *err);
    int (*status_remove)(certlc_store *st, const char *ns, const char *tcp,
                         certlc_err *err);
    /* Change notification, without polling. watch_fd returns a descriptor
     * (owned by the store) that becomes readable when something changed;
     * events are collected from the first call on. watch_read drains the
     * pending events into evs (at most max), never blocking; *n is set. */
    int (*watch_fd)(certlc_store *st, certlc_err *err);
    int (*watch_read)(certlc_store *st, certlc_store_event *evs, size_t max,
                      size_t *n, certlc_err *err);
    void (*close)(certlc_store *st);
    /* 0 when the store answers now (for /readyz), -1 with why
     * otherwise. May be called from another thread while the others run,
     * and must not block for long. NULL: always answers. */
    int (*ping)(certlc_store *st, certlc_err *err);
    /* Every stored Secret, the undecryptable and unparsable ones too, in
     * no particular order, without decrypting any: what the rewrite of
     * the encryption walks. NULL: not supported. */
    int (*scan)(certlc_store *st, certlc_store_scan_cb cb, void *arg,
                certlc_err *err);
    /* The one writer of the store (writer_lock.h): with wait, blocks until
     * the holder is gone, else refuses naming it. 0 with *fd_out (close it
     * to release), -1 after a message on stderr. NULL: the store needs no
     * lock (etcd: the compare-and-swap of every write guards, and
     * replicas elect a leader). */
    int (*writer_lock)(certlc_store *st, bool wait, int *fd_out);
    /* Who writes the store now into *out (the file store: the PID holding
     * its writer lock; the etcd store: the leader key's holder and its
     * lease): 0, CERTLC_NOTFOUND with err saying that nobody does, or -1
     * with err. NULL: the store cannot tell. */
    int (*leader)(certlc_store *st, certlc_store_leader *out,
                  certlc_err *err);
    /* -1 with why when the store is gone for good, so that a watch on it
     * would wait forever (the file store's state directory removed or
     * replaced), else 0. NULL: never gone (an etcd cluster that does not
     * answer may come back, and its watch resumes by itself). */
    int (*lost)(certlc_store *st, certlc_err *err);
    /* Makes every write returned so far durable, where the store batches
     * that (the file store defers the fsync of a directory to the status
     * write that follows its Secrets). NULL: writes are durable at once. */
    int (*flush)(certlc_store *st, certlc_err *err);
    /* The SHA-256 (hex) of the bytes stored for a Secret, as get sets
     * stored_digest, without decoding it: 0, CERTLC_NOTFOUND, or -1. NULL:
     * the store cannot tell it cheaper than a get. */
    int (*peek)(certlc_store *st, const char *ns, const char *name,
                char digest[65], certlc_err *err);
    /* get, peek and status_get may run in several threads at once, beside
     * the calls of another thread: they touch nothing of the store but
     * what open set up (and the encryption keys, which change only between
     * runs of passes). A pass then reads outside the pass lock
     * (workers.h). */
    bool concurrent_reads;
    /* The Secrets of namespace ns whose names start with prefix, appended
     * to *out, reading no other: what list would give, filtered, at the
     * cost of the few. NULL: list, then filter. */
    int (*list_prefix)(certlc_store *st, const char *ns, const char *prefix,
                       certlc_secret_list *out, certlc_err *err);
};

struct certlc_store {
    const struct certlc_store_ops *ops;
    /* Encryption at rest of the Secrets (encryption.h), owned by the
     * store and freed by close; NULL: stored as plaintext. Status
     * documents are not encrypted: they hold no key material. */
    struct certlc_encryption *enc;
};

/* Hands the store its encryption (once, right after it is opened, before
 * any other call). The store owns enc from then on. */
static inline void certlc_store_set_encryption(certlc_store *st,
                                               struct certlc_encryption *enc)
{
    st->enc = enc;
}

/* The file store: one JSON file per Secret at <dir>/<namespace>/<name>.json,
 * tenant status at <dir>/<namespace>/tcp/<tenant>.json. Creates dir (0700)
 * when missing. Writes are atomic (temp file, fsync, rename, fsync of the
 * directory), files 0600, directories 0700, serialised between processes
 * by an flock on <dir>/.lock. */
certlc_store *certlc_store_file_open(const char *dir, certlc_err *err);

/* The etcd store (store_etcd.c, store_etcd.h): one key per Secret
 * at <prefix>/secrets/<namespace>/<name>, tenant status at
 * <prefix>/status/<namespace>/<tenant>, the same JSON as the file store;
 * resourceVersion is the key's etcd mod_revision. */
struct certlc_etcd_config;
certlc_store *certlc_store_etcd_open(const struct certlc_etcd_config *cfg,
                                     certlc_err *err);

/* Convenience wrappers over st->ops. */
/* *fd_out is -1 when the store needs no writer lock: its replicas elect a
 * leader instead (leader.h). */
static inline int certlc_store_writer_lock(certlc_store *st, bool wait,
                                           int *fd_out)
{
    *fd_out = -1;
    return st->ops->writer_lock != NULL
               ? st->ops->writer_lock(st, wait, fd_out) : 0;
}
static inline bool certlc_store_lost(certlc_store *st, certlc_err *err)
{
    return st->ops->lost != NULL && st->ops->lost(st, err) != 0;
}
/* See leader above; -1 with a message when the store cannot tell. */
static inline int certlc_store_leader_get(certlc_store *st,
                                          certlc_store_leader *out,
                                          certlc_err *err)
{
    out->n = 0;
    if (st->ops->leader == NULL)
        return certlc_err_set(err, "the store cannot tell who writes it");
    return st->ops->leader(st, out, err);
}
/* See peek above; -1 with a message when the store has no peek. */
static inline int certlc_store_peek(certlc_store *st, const char *ns,
                                    const char *name, char digest[65],
                                    certlc_err *err)
{
    if (st->ops->peek == NULL)
        return certlc_err_set(err, "the store cannot peek");
    return st->ops->peek(st, ns, name, digest, err);
}
static inline bool certlc_store_can_peek(const certlc_store *st)
{
    return st->ops->peek != NULL;
}
/* See concurrent_reads above. */
static inline bool certlc_store_concurrent_reads(const certlc_store *st)
{
    return st->ops->concurrent_reads;
}
static inline int certlc_store_get(certlc_store *st, const char *ns,
                                   const char *name, certlc_secret **out,
                                   certlc_err *err)
{
    return st->ops->get(st, ns, name, out, err);
}
static inline int certlc_store_list(certlc_store *st, const char *ns,
                                    const certlc_selector *sel,
                                    certlc_secret_list *out, certlc_err *err)
{
    return st->ops->list(st, ns, sel, out, err);
}
/* See list_prefix above. */
static inline int certlc_store_list_prefix(certlc_store *st, const char *ns,
                                           const char *prefix,
                                           certlc_secret_list *out,
                                           certlc_err *err)
{
    if (st->ops->list_prefix != NULL)
        return st->ops->list_prefix(st, ns, prefix, out, err);
    certlc_secret_list all = {0};
    int rc = st->ops->list(st, ns, NULL, &all, err);
    for (size_t i = 0; rc == 0 && i < all.n; i++) {
        if (strncmp(all.items[i]->name, prefix, strlen(prefix)) != 0)
            continue;
        if (certlc_secret_list_push(out, all.items[i]) != 0)
            rc = certlc_err_set(err, "listing: out of memory");
        else
            all.items[i] = NULL;
    }
    certlc_secret_list_free(&all);
    return rc;
}
static inline int certlc_store_create(certlc_store *st, certlc_secret *s,
                                      certlc_err *err)
{
    return st->ops->create(st, s, err);
}
static inline int certlc_store_update(certlc_store *st, certlc_secret *s,
                                      certlc_err *err)
{
    return st->ops->update(st, s, err);
}
static inline int certlc_store_remove(certlc_store *st, const char *ns,
                                      const char *name, certlc_err *err)
{
    return st->ops->remove(st, ns, name, err);
}
/* Tenant status: see status_get, status_put and status_remove above. */
static inline int certlc_store_status_get(certlc_store *st, const char *ns,
                                          const char *tcp, char **json,
                                          certlc_err *err)
{
    return st->ops->status_get(st, ns, tcp, json, err);
}
static inline int certlc_store_status_put(certlc_store *st, const char *ns,
                                          const char *tcp, const char *json,
                                          certlc_err *err)
{
    return st->ops->status_put(st, ns, tcp, json, err);
}
static inline int certlc_store_status_remove(certlc_store *st, const char *ns,
                                             const char *tcp, certlc_err *err)
{
    return st->ops->status_remove(st, ns, tcp, err);
}
static inline int certlc_store_ping(certlc_store *st, certlc_err *err)
{
    return st->ops->ping != NULL ? st->ops->ping(st, err) : 0;
}
static inline int certlc_store_flush(certlc_store *st, certlc_err *err)
{
    return st->ops->flush != NULL ? st->ops->flush(st, err) : 0;
}
static inline void certlc_store_close(certlc_store *st)
{
    if (st != NULL)
        st->ops->close(st);
}

#endif
