/* The etcd store.
 *
 *   <prefix>/secrets/<namespace>/<name>   a Secret, the file store's JSON
 *   <prefix>/status/<namespace>/<tenant>  a tenant's status document
 *   <prefix>/leader                       the operator replica that leads
 *
 * resourceVersion is the key's mod_revision, so it is not written into the
 * value (it is not known before the write); creationTimestamp is. Create is
 * a transaction on create_revision == 0, update one on mod_revision == the
 * Secret's resourceVersion: a write based on a stale read fails with
 * CERTLC_CONFLICT and never overwrites. With a fence (store_etcd.h) every
 * write also requires the leader key to be held by the operator's lease.
 *
 * The watch. The engine waits in poll(2) on one descriptor, so the watch
 * must end in one. A thread reads etcd's /v3/watch stream with a blocking
 * curl_easy_perform, turns each event into a certlc_store_event in a queue,
 * and writes one byte into a pipe when the queue stops being empty;
 * watch_read drains the queue, never blocking. A thread rather than curl's
 * multi interface because the stream must be resumed on another endpoint,
 * after a backoff, from the last revision seen, with a relist when that
 * revision was compacted: straight-line code in a thread, where the multi
 * interface would have put curl's timers and sockets into every caller's
 * poll loop (the engine's and `get tcp -w`'s) and changed the store
 * interface. The thread only touches the queue, under its mutex.
 */
#include "store_etcd.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "encryption.h"
#include "log.h"
#include "names.h"
#include "store_leader.h"
#include "wipe_alloc.h"

#define COMPONENT "store"
#define LIST_PAGE 500
#define QUEUE_MAX 100000
/* A watch stream silent this long has its endpoint probed (on_progress). */
#define WATCH_SILENCE_MS 5000
#define WATCH_PROBE_TIMEOUT_MS 2000

struct estore {
    certlc_store base;
    certlc_etcd *cl;
    char *prefix;     /* "/certlc" */
    char *leader_b64; /* base64 of <prefix>/leader */
    _Atomic int64_t fence;

    /* The watch. */
    pthread_t thr;
    bool started;
    atomic_bool stop;
    int pipefd[2];
    pthread_mutex_t qmu;
    certlc_store_event *q;
    size_t qn, qcap;
    bool signalled;
    int64_t next_rev; /* the thread's: the first revision not yet seen */
    char *line;       /* the thread's: the stream's unfinished line */
    size_t linen, linecap;
    bool compacted, connected;
    /* The thread's: silence detection (see on_progress). */
    CURL *probe;
    const char *watch_url;        /* the endpoint the stream is on */
    struct curl_slist *watch_hdr; /* its headers, auth included */
    int64_t heard_ms;             /* last byte from the stream, or probe */
    bool silent;                  /* the stream was given up as hung */
};

static const struct certlc_store_ops etcd_ops;

bool certlc_store_is_etcd(const certlc_store *st)
{
    return st != NULL && st->ops == &etcd_ops;
}

certlc_etcd *certlc_store_etcd_client(certlc_store *base, const char **prefix)
{
    if (!certlc_store_is_etcd(base))
        return NULL;
    struct estore *st = (struct estore *)base;
    if (prefix != NULL)
        *prefix = st->prefix;
    return st->cl;
}

void certlc_store_etcd_fence(certlc_store *base, int64_t lease)
{
    if (certlc_store_is_etcd(base))
        atomic_store(&((struct estore *)base)->fence, lease);
}

/* ---- names and keys ---------------------------------------------------- */

/* The file store's rule (names.c), so both stores accept the same names
 * and no name can reach outside its key prefix. */
static int check_name(const char *what, const char *s, certlc_err *err)
{
    return certlc_check_object_name(what, s, err);
}

/* A Secret to write: given, with a valid namespace and name. */
static int check_secret(const certlc_secret *s, certlc_err *err)
{
    if (s == NULL)
        return certlc_err_set(err, "no Secret given");
    if (check_name("namespace", s->namespace, err) != 0 ||
        check_name("name", s->name, err) != 0)
        return -1;
    return 0;
}

/* base64 of "<prefix>/<kind>/<ns>/<name>" (ns, name may be NULL for a
 * prefix ending in '/'). */
static char *key_b64(struct estore *st, const char *kind, const char *ns,
                     const char *name)
{
    char key[1024];
    snprintf(key, sizeof key, "%s/%s/%s%s%s", st->prefix, kind,
             ns ? ns : "", ns ? "/" : "", name ? name : "");
    return certlc_etcd_b64(key);
}

static char *key_plain(struct estore *st, const char *kind, const char *ns,
                       const char *name)
{
    char key[1024];
    snprintf(key, sizeof key, "%s/%s/%s%s%s", st->prefix, kind, ns ? ns : "",
             ns ? "/" : "", name ? name : "");
    return strdup(key);
}

/* ---- values ------------------------------------------------------------ */

static void wipe_free(char *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, strlen(p));
        free(p);
    }
}

/* The Secret's JSON as stored (no resourceVersion), in the envelope of
 * encryption.h (associated data: the etcd key), base64. */
static char *secret_value_b64(struct estore *st, certlc_secret *s,
                              certlc_err *err)
{
    uint64_t rv = s->resource_version;
    s->resource_version = 0;
    size_t len = 0;
    char *json = certlc_secret_to_json(s, &len, err);
    s->resource_version = rv;
    if (json == NULL)
        return NULL;
    char *key = key_plain(st, "secrets", s->namespace, s->name);
    unsigned char *env = NULL;
    size_t envn = 0;
    int rc = key == NULL ? certlc_err_set(err, "out of memory")
                         : certlc_encryption_seal(st->base.enc, key, json, len,
                                                  &env, &envn, err);
    free(key);
    certlc_secret_json_free(json, len);
    if (rc != 0)
        return NULL;
    size_t n;
    char *b = certlc_base64_encode(env, envn, &n);
    OPENSSL_cleanse(env, envn);
    free(env);
    if (b == NULL)
        certlc_err_set(err, "out of memory");
    return b;
}

/* Parses a kv object into a Secret. -1 with a message naming the key. */
static int secret_from_kv(struct estore *st, const json_t *kv, const char *ns,
                          const char *name, certlc_secret **out,
                          certlc_err *err)
{
    size_t len;
    size_t envn;
    char *env = certlc_etcd_kv_bytes(kv, "value", &envn);
    if (env == NULL)
        return certlc_err_set(err, "etcd key %s/secrets/%s/%s: value is not "
                              "base64", st->prefix, ns, name);
    char *key = key_plain(st, "secrets", ns, name);
    unsigned char *val = NULL;
    int orc = key == NULL ? certlc_err_set(err, "out of memory")
                          : certlc_encryption_open(st->base.enc, key, env, envn,
                                                   &val, &len, err);
    free(key);
    OPENSSL_cleanse(env, envn);
    free(env);
    if (orc != 0) {
        certlc_err_prefix(err, "etcd key %s/secrets/%s/%s", st->prefix, ns,
                          name);
        return orc == CERTLC_UNDECRYPTABLE ? orc : -1;
    }
    certlc_secret *s = certlc_secret_from_json((char *)val, len, err);
    OPENSSL_cleanse(val, len);
    free(val);
    if (s == NULL) {
        certlc_err_prefix(err, "etcd key %s/secrets/%s/%s", st->prefix, ns, name);
        return -1;
    }
    if (strcmp(s->namespace, ns) != 0 || strcmp(s->name, name) != 0) {
        certlc_err_set(err, "etcd key %s/secrets/%s/%s: holds Secret %s/%s, not "
                       "the one its key names", st->prefix, ns, name,
                       s->namespace, s->name);
        certlc_secret_free(s);
        return -1;
    }
    s->resource_version = (uint64_t)certlc_etcd_int(kv, "mod_revision");
    *out = s;
    return 0;
}

/* ---- requests ---------------------------------------------------------- */

/* The first kv of a range on one key, borrowed from *resp (decref it). */
static int range_one(struct estore *st, const char *kb64, json_t **resp,
                     json_t **kv, certlc_err *err)
{
    json_t *req = json_pack("{s:s}", "key", kb64);
    int rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, resp, 0, NULL,
                                    NULL, err)
                 : certlc_err_set(err, "out of memory");
    json_decref(req);
    if (rc != 0)
        return -1;
    *kv = json_array_get(json_object_get(*resp, "kvs"), 0);
    return *kv != NULL ? 0 : CERTLC_NOTFOUND;
}

/* The fence's compare (or NULL without a fence). */
static json_t *fence_compare(struct estore *st, int64_t lease)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)lease);
    return json_pack("{s:s, s:s, s:s}", "key", st->leader_b64, "target",
                     "LEASE", "lease", id);
}

typedef struct txn_result {
    json_t *resp;
    bool succeeded;
    bool ambiguous;
    json_t *target_kv; /* failure: the key's current kv, or NULL */
} txn_result;

/* One transaction: compares cmp (consumed) plus the fence, then op
 * (consumed) on success; on failure reads the key and the leader key.
 * -1 also when the fence failed: this replica no longer leads. */
static int txn(struct estore *st, const char *kb64, json_t *cmp, json_t *op,
               txn_result *r, certlc_err *err)
{
    memset(r, 0, sizeof *r);
    int64_t lease = atomic_load(&st->fence);
    json_t *cmps = json_array(), *succ = json_array(), *fail = json_array();
    json_t *req = json_pack("{s:o, s:o, s:o}", "compare", cmps, "success", succ,
                            "failure", fail);
    if (cmps == NULL || succ == NULL || fail == NULL || req == NULL ||
        (cmp != NULL && json_array_append_new(cmps, cmp) != 0) ||
        (lease != 0 && json_array_append_new(cmps, fence_compare(st, lease)) != 0) ||
        json_array_append_new(succ, op) != 0 ||
        json_array_append_new(fail, json_pack("{s:{s:s}}", "request_range",
                                              "key", kb64)) != 0 ||
        json_array_append_new(fail, json_pack("{s:{s:s}}", "request_range",
                                              "key", st->leader_b64)) != 0) {
        json_decref(req);
        return certlc_err_set(err, "out of memory");
    }
    int rc = certlc_etcd_call(st->cl, "/v3/kv/txn", req, &r->resp, 0,
                              &r->ambiguous, NULL, err);
    json_decref(req);
    if (rc != 0) {
        if (r->ambiguous)
            certlc_err_prefix(err, "the write may or may not have been "
                              "applied (the next pass reads it back)");
        return -1;
    }
    r->succeeded = json_is_true(json_object_get(r->resp, "succeeded"));
    if (r->succeeded)
        return 0;
    json_t *resps = json_object_get(r->resp, "responses");
    json_t *rr0 = json_object_get(json_array_get(resps, 0), "response_range");
    json_t *rr1 = json_object_get(json_array_get(resps, 1), "response_range");
    r->target_kv = json_array_get(json_object_get(rr0, "kvs"), 0);
    if (lease != 0) {
        json_t *lk = json_array_get(json_object_get(rr1, "kvs"), 0);
        if (lk == NULL || certlc_etcd_int(lk, "lease") != lease) {
            json_decref(r->resp);
            r->resp = NULL;
            return certlc_err_set(err, "not written: this operator no longer "
                                  "holds the leader key %s/leader (its lease "
                                  "%llx expired or was revoked)", st->prefix,
                                  (unsigned long long)lease);
        }
    }
    return 0;
}

/* After a failed compare that followed an ambiguous attempt: was it our
 * own first attempt that got through? Then the value stored is ours. */
static bool is_ours(const json_t *kv, const char *vb64)
{
    const char *v = json_string_value(json_object_get(kv, "value"));
    return kv != NULL && v != NULL && strcmp(v, vb64) == 0;
}

/* The base64 key of <prefix>/<kind>/<ns>/<name> once both names are
 * checked (`what` names the second in a message), or NULL with err. */
static char *checked_key(struct estore *st, const char *kind,
                         const char *what, const char *ns, const char *name,
                         certlc_err *err)
{
    if (check_name("namespace", ns, err) != 0 ||
        check_name(what, name, err) != 0)
        return NULL;
    char *k = key_b64(st, kind, ns, name);
    if (k == NULL)
        certlc_err_set(err, "out of memory");
    return k;
}

/* Reads the one key checked_key names: 0 with *kv in *resp (the caller
 * frees *resp, set or NULL in every case), CERTLC_NOTFOUND, or -1 with
 * err. */
static int range_checked(struct estore *st, const char *kind,
                         const char *what, const char *ns, const char *name,
                         json_t **resp, json_t **kv, certlc_err *err)
{
    *resp = NULL;
    char *k = checked_key(st, kind, what, ns, name, err);
    if (k == NULL)
        return -1;
    int rc = range_one(st, k, resp, kv, err);
    free(k);
    return rc;
}

/* ---- Secrets ----------------------------------------------------------- */

static int es_get(certlc_store *base, const char *ns, const char *name,
                  certlc_secret **out, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    json_t *resp, *kv = NULL;
    int rc = range_checked(st, "secrets", "name", ns, name, &resp, &kv, err);
    if (rc == 0)
        rc = secret_from_kv(st, kv, ns, name, out, err);
    else if (rc == CERTLC_NOTFOUND)
        certlc_err_set(err, "secrets \"%s\" not found in namespace \"%s\"", name,
                       ns);
    json_decref(resp);
    return rc;
}

/* "<prefix>/secrets/<ns>/<name>" into ns and name; false otherwise. */
static bool split_key(struct estore *st, const char *key, const char *kind,
                      char *ns, size_t nss, char *name, size_t names)
{
    size_t pl = strlen(st->prefix), kl = strlen(kind);
    if (strncmp(key, st->prefix, pl) != 0 || key[pl] != '/' ||
        strncmp(key + pl + 1, kind, kl) != 0 || key[pl + 1 + kl] != '/')
        return false;
    const char *p = key + pl + kl + 2;
    const char *slash = strchr(p, '/');
    if (slash == NULL || (size_t)(slash - p) >= nss || strlen(slash + 1) >= names)
        return false;
    memcpy(ns, p, (size_t)(slash - p));
    ns[slash - p] = '\0';
    snprintf(name, names, "%s", slash + 1);
    return check_name("namespace", ns, NULL) == 0 &&
           check_name("name", name, NULL) == 0;
}

/* The Secrets of one page of a listing (kvs) that sel matches, appended
 * to out; those that do not parse are skipped with a warning. *last is
 * the page's last key (malloc'd; NULL when none could be read). 0, or -1
 * with err. */
static int list_page(struct estore *st, json_t *kvs,
                     const certlc_selector *sel, certlc_secret_list *out,
                     char **last, certlc_err *err)
{
    size_t i;
    json_t *kv;
    json_array_foreach(kvs, i, kv) {
        free(*last);
        *last = certlc_etcd_kv_bytes(kv, "key", NULL);
        char kns[256], kname[256];
        if (*last == NULL || !split_key(st, *last, "secrets", kns, sizeof kns,
                                        kname, sizeof kname))
            continue;
        certlc_secret *s = NULL;
        certlc_err e2;
        if (secret_from_kv(st, kv, kns, kname, &s, &e2) != 0) {
            certlc_warn(COMPONENT, "%s; skipped", e2.msg);
            continue;
        }
        if (certlc_selector_keep(sel, s, out) != 0)
            return certlc_err_set(err, "listing: out of memory");
    }
    return 0;
}

/* The Secrets under <prefix>/secrets/[<ns>/[<name prefix>]]: one range
 * read, in pages. */
static int list_range(struct estore *st, const char *ns, const char *prefix,
                      const certlc_selector *sel, certlc_secret_list *out,
                      certlc_err *err)
{
    char *from = key_plain(st, "secrets", ns, prefix);
    char *end = from ? certlc_etcd_prefix_end_b64(from) : NULL;
    char *start = from ? certlc_etcd_b64(from) : NULL;
    int rc = 0;
    int64_t rev = 0;
    if (end == NULL || start == NULL)
        rc = certlc_err_set(err, "out of memory");
    /* Pages of LIST_PAGE keys, all read at the revision of the first. */
    while (rc == 0) {
        json_t *req = json_pack("{s:s, s:s, s:i}", "key", start, "range_end", end,
                                "limit", LIST_PAGE);
        if (req != NULL && rev != 0)
            json_object_set_new(req, "revision", json_integer(rev));
        json_t *resp = NULL;
        rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, &resp, 0, NULL,
                                    NULL, err)
                 : certlc_err_set(err, "out of memory");
        json_decref(req);
        if (rc != 0)
            break;
        if (rev == 0)
            rev = certlc_etcd_int(json_object_get(resp, "header"), "revision");
        char *last = NULL;
        rc = list_page(st, json_object_get(resp, "kvs"), sel, out, &last,
                       err);
        bool more = json_is_true(json_object_get(resp, "more"));
        json_decref(resp);
        if (rc != 0 || !more || last == NULL) {
            free(last);
            break;
        }
        /* The next page starts just after the last key: key + "\0". */
        size_t ln = strlen(last);
        size_t bn;
        free(start);
        start = certlc_base64_encode(last, ln + 1, &bn);
        free(last);
        if (start == NULL)
            rc = certlc_err_set(err, "out of memory");
    }
    free(from);
    free(end);
    free(start);
    return rc;
}

/* Puts Secret s in a transaction that compares the key's `field` (etcd's
 * `target`) with want. 0 with *r (the caller frees r->resp) and *landed:
 * true when the put happened (s->resource_version set), also after an
 * ambiguous attempt whose value is the one stored; -1 with err. */
static int put_secret(struct estore *st, certlc_secret *s, const char *target,
                      const char *field, const char *want, txn_result *r,
                      bool *landed, certlc_err *err)
{
    memset(r, 0, sizeof *r);
    *landed = false;
    char *k = key_b64(st, "secrets", s->namespace, s->name);
    char *v = secret_value_b64(st, s, err);
    if (k == NULL || v == NULL) {
        free(k);
        wipe_free(v);
        return v == NULL ? -1 : certlc_err_set(err, "out of memory");
    }
    int rc = txn(st, k,
                 json_pack("{s:s, s:s, s:s}", "key", k, "target", target,
                           field, want),
                 json_pack("{s:{s:s, s:s}}", "request_put", "key", k, "value", v),
                 r, err);
    if (rc == 0 && r->succeeded) {
        s->resource_version = (uint64_t)certlc_etcd_int(
            json_object_get(r->resp, "header"), "revision");
        *landed = true;
    } else if (rc == 0 && r->ambiguous && is_ours(r->target_kv, v)) {
        s->resource_version =
            (uint64_t)certlc_etcd_int(r->target_kv, "mod_revision");
        *landed = true;
    }
    free(k);
    wipe_free(v);
    return rc;
}

static int es_list(certlc_store *base, const char *ns,
                   const certlc_selector *sel, certlc_secret_list *out,
                   certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    if (ns != NULL && check_name("namespace", ns, err) != 0)
        return -1;
    return list_range(st, ns, NULL, sel, out, err);
}

static int es_list_prefix(certlc_store *base, const char *ns,
                          const char *prefix, certlc_secret_list *out,
                          certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    if (check_name("namespace", ns, err) != 0)
        return -1;
    return list_range(st, ns, prefix, NULL, out, err);
}

static int es_create(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    if (check_secret(s, err) != 0)
        return -1;
    int64_t ts = s->creation_timestamp;
    s->creation_timestamp = (int64_t)time(NULL);
    txn_result r;
    bool landed;
    int rc = put_secret(st, s, "CREATE", "create_revision", "0", &r, &landed,
                        err);
    if (rc == 0 && !landed) {
        rc = CERTLC_CONFLICT;
        certlc_err_set(err, "secrets \"%s\" already exists in namespace \"%s\"",
                       s->name, s->namespace);
    }
    if (rc != 0)
        s->creation_timestamp = ts;
    json_decref(r.resp);
    return rc;
}

static int es_update(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    if (check_secret(s, err) != 0)
        return -1;
    if (s->creation_timestamp == 0) {
        /* Keep the stored creationTimestamp: the CAS below proves that it
         * is still the one read here. */
        certlc_secret *cur = NULL;
        int g = es_get(base, s->namespace, s->name, &cur, err);
        if (g != 0)
            return g;
        s->creation_timestamp = cur->creation_timestamp;
        certlc_secret_free(cur);
    }
    char rv[32];
    snprintf(rv, sizeof rv, "%llu", (unsigned long long)s->resource_version);
    txn_result r;
    bool landed;
    int rc = put_secret(st, s, "MOD", "mod_revision", rv, &r, &landed, err);
    if (rc == 0 && !landed && r.target_kv == NULL) {
        rc = CERTLC_NOTFOUND;
        certlc_err_set(err, "secrets \"%s\" not found in namespace \"%s\"",
                       s->name, s->namespace);
    } else if (rc == 0 && !landed) {
        rc = CERTLC_CONFLICT;
        certlc_err_set(err, "secrets \"%s\" in namespace \"%s\" was changed by "
                       "someone else (resourceVersion %s, now %lld)", s->name,
                       s->namespace, rv,
                       (long long)certlc_etcd_int(r.target_kv, "mod_revision"));
    }
    json_decref(r.resp);
    return rc;
}

/* Deletes one key (under the fence when there is one). */
static int delete_key(struct estore *st, const char *k, const char *what,
                      const char *ns, const char *name, certlc_err *err)
{
    txn_result r;
    int rc = txn(st, k, NULL,
                 json_pack("{s:{s:s}}", "request_delete_range", "key", k), &r,
                 err);
    if (rc != 0)
        return -1;
    int64_t deleted = 0;
    if (r.succeeded) {
        json_t *d = json_object_get(json_array_get(json_object_get(r.resp, "responses"), 0),
                                    "response_delete_range");
        deleted = certlc_etcd_int(d, "deleted");
    }
    json_decref(r.resp);
    /* Nothing deleted after an ambiguous attempt: that attempt did it. */
    if (deleted == 0 && !r.ambiguous)
        return certlc_err_set(err, "%s \"%s\" not found in namespace \"%s\"",
                              what, name, ns),
               CERTLC_NOTFOUND;
    return 0;
}

static int es_remove(certlc_store *base, const char *ns, const char *name,
                     certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    char *k = checked_key(st, "secrets", "name", ns, name, err);
    if (k == NULL)
        return -1;
    int rc = delete_key(st, k, "secrets", ns, name, err);
    free(k);
    return rc;
}

/* ---- tenant status ----------------------------------------------------- */

static int es_status_get(certlc_store *base, const char *ns, const char *tcp,
                         char **json, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    json_t *resp, *kv = NULL;
    int rc = range_checked(st, "status", "tenant", ns, tcp, &resp, &kv, err);
    if (rc == 0) {
        *json = certlc_etcd_kv_bytes(kv, "value", NULL);
        if (*json == NULL)
            rc = certlc_err_set(err, "etcd key %s/status/%s/%s: value is not "
                                "base64", st->prefix, ns, tcp);
    } else if (rc == CERTLC_NOTFOUND) {
        certlc_err_set(err, "no status for tenant %s/%s", ns, tcp);
    }
    json_decref(resp);
    return rc;
}

static int es_status_put(certlc_store *base, const char *ns, const char *tcp,
                         const char *json, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    char *k = checked_key(st, "status", "tenant", ns, tcp, err);
    if (k == NULL)
        return -1;
    char *v = certlc_etcd_b64(json);
    if (v == NULL) {
        free(k);
        return certlc_err_set(err, "out of memory");
    }
    txn_result r;
    int rc = txn(st, k, NULL,
                 json_pack("{s:{s:s, s:s}}", "request_put", "key", k, "value", v),
                 &r, err);
    json_decref(r.resp);
    free(k);
    free(v);
    return rc;
}

static int es_status_remove(certlc_store *base, const char *ns, const char *tcp,
                            certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    char *k = checked_key(st, "status", "tenant", ns, tcp, err);
    if (k == NULL)
        return -1;
    int rc = delete_key(st, k, "status of tenant", ns, tcp, err);
    free(k);
    return rc;
}

/* ---- the watch --------------------------------------------------------- */

/* Under qmu. */
static void push_event(struct estore *st, const char *ns, const char *name,
                       int status, int removed, int overflow)
{
    if (overflow || st->qn >= QUEUE_MAX) {
        /* Everything may have changed: one overflow event says it all. */
        st->qn = 0;
        overflow = 1;
    }
    if (st->qn == st->qcap) {
        size_t cap = st->qcap == 0 ? 64 : st->qcap * 2;
        certlc_store_event *q = realloc(st->q, cap * sizeof *q);
        if (q == NULL) {
            st->qn = 0;
            overflow = 1;
        } else {
            st->q = q;
            st->qcap = cap;
        }
    }
    if (st->qcap == 0)
        return;
    certlc_store_event *ev = &st->q[st->qn++];
    memset(ev, 0, sizeof *ev);
    ev->overflow = overflow;
    if (!overflow) {
        snprintf(ev->ns, sizeof ev->ns, "%s", ns);
        snprintf(ev->name, sizeof ev->name, "%s", name);
        ev->status = status;
        ev->removed = removed;
    }
    if (!st->signalled) {
        char b = 1;
        if (write(st->pipefd[1], &b, 1) == 1)
            st->signalled = true;
    }
}

static void queue_overflow(struct estore *st)
{
    pthread_mutex_lock(&st->qmu);
    push_event(st, "", "", 0, 0, 1);
    pthread_mutex_unlock(&st->qmu);
}

/* One line of the stream: {"result":{...}} or {"error":{...}}. Returns
 * false to end the stream. */
static bool watch_line(struct estore *st, const char *text, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (j == NULL)
        return true; /* not a message (keep-alive whitespace) */
    json_t *res = json_object_get(j, "result");
    if (res == NULL) {
        json_t *e = json_object_get(j, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        certlc_warn(COMPONENT, "etcd watch: %s", msg ? msg : "error");
        /* Unauthenticated, by the gateway's codes (not its words). */
        if (certlc_etcd_int(e, "grpc_code") == 16 ||
            certlc_etcd_int(e, "http_code") == 401)
            certlc_etcd_token_invalidate(st->cl);
        json_decref(j);
        return false;
    }
    if (json_is_true(json_object_get(res, "created"))) {
        st->connected = true;
        certlc_info(COMPONENT, "etcd watch on %s from revision %lld",
                    st->watch_url, (long long)st->next_rev);
    }
    if (certlc_etcd_int(res, "compact_revision") > 0) {
        st->compacted = true;
        json_decref(j);
        return false;
    }
    if (json_is_true(json_object_get(res, "canceled"))) {
        const char *why = json_string_value(json_object_get(res, "cancel_reason"));
        certlc_warn(COMPONENT, "etcd watch canceled: %s", why ? why : "no reason given");
        json_decref(j);
        return false;
    }
    json_t *evs = json_object_get(res, "events"), *ev;
    size_t i;
    pthread_mutex_lock(&st->qmu);
    json_array_foreach(evs, i, ev) {
        json_t *kv = json_object_get(ev, "kv");
        int64_t mod = certlc_etcd_int(kv, "mod_revision");
        if (mod >= st->next_rev)
            st->next_rev = mod + 1;
        char *key = certlc_etcd_kv_bytes(kv, "key", NULL);
        char ns[256], name[256];
        const char *type = json_string_value(json_object_get(ev, "type"));
        int removed = type != NULL && strcmp(type, "DELETE") == 0;
        if (key != NULL && split_key(st, key, "secrets", ns, sizeof ns, name, sizeof name))
            push_event(st, ns, name, 0, removed, 0);
        else if (key != NULL && split_key(st, key, "status", ns, sizeof ns, name, sizeof name))
            push_event(st, ns, name, 1, removed, 0);
        free(key);
    }
    pthread_mutex_unlock(&st->qmu);
    json_decref(j);
    return true;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct estore *st = arg;
    size_t add = size * nmemb;
    st->heard_ms = mono_ms();
    if (st->linen + add + 1 > st->linecap) {
        size_t cap = st->linecap ? st->linecap : 65536;
        while (cap < st->linen + add + 1)
            cap *= 2;
        if (cap > ((size_t)1 << 30))
            return 0;
        char *p = realloc(st->line, cap);
        if (p == NULL)
            return 0;
        st->line = p;
        st->linecap = cap;
    }
    memcpy(st->line + st->linen, ptr, add);
    st->linen += add;
    size_t startl = 0;
    for (size_t i = st->linen - add; i < st->linen; i++) {
        if (st->line[i] != '\n')
            continue;
        if (!watch_line(st, st->line + startl, i - startl))
            return 0;
        startl = i + 1;
    }
    memmove(st->line, st->line + startl, st->linen - startl);
    st->linen -= startl;
    return add;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr, (void)arg;
    return size * nmemb;
}

/* Does the member the stream is on still answer? A small read on the same
 * endpoint, with a short timeout. */
static bool endpoint_answers(struct estore *st)
{
    char url[1100], body[600];
    snprintf(url, sizeof url, "%s/v3/kv/range", st->watch_url);
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"count_only\":true}",
             st->leader_b64);
    CURL *h = st->probe;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, st->watch_hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WATCH_PROBE_TIMEOUT_MS);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    /* Any answer will do: an error (auth, no leader) is not a hang, and a
     * member without a leader answers too late to count. */
    return rc == CURLE_OK && code > 0;
}

/* Called by curl about once a second while the stream waits. A member that
 * hangs (SIGSTOP, a stuck disk) keeps its TCP connection open and its
 * kernel keeps answering TCP keepalives, so the stream would wait forever
 * on it. etcd's own progress notifications come every 10 minutes by
 * default (--experimental-watch-progress-notify-interval in etcd 3.4), far
 * too late. So after WATCH_SILENCE_MS without a byte the same endpoint is
 * asked a small question; no answer within WATCH_PROBE_TIMEOUT_MS ends the
 * stream, which resumes on the next endpoint from the last revision. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
                       curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct estore *st = arg;
    if (atomic_load(&st->stop))
        return 1;
    if (st->probe == NULL || mono_ms() - st->heard_ms < WATCH_SILENCE_MS)
        return 0;
    if (endpoint_answers(st)) {
        st->heard_ms = mono_ms();
        return 0;
    }
    st->silent = true;
    return 1;
}

/* The revision to start from when there is none: now + 1. */
static int current_revision(struct estore *st, int64_t *rev, certlc_err *err)
{
    char *k = certlc_etcd_b64(st->prefix);
    json_t *req = k ? json_pack("{s:s, s:b}", "key", k, "count_only", 1) : NULL;
    json_t *resp = NULL;
    int rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, &resp, 0, NULL,
                                    NULL, err)
                 : certlc_err_set(err, "out of memory");
    json_decref(req);
    free(k);
    if (rc == 0)
        *rev = certlc_etcd_int(json_object_get(resp, "header"), "revision");
    json_decref(resp);
    return rc;
}

static void nap(struct estore *st, int ms)
{
    for (int i = 0; i < ms / 50 && !atomic_load(&st->stop); i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The watch thread's second handle, for probes (on_progress), goes with
 * the thread. */
static void drop_probe(struct estore *st)
{
    if (st->probe != NULL)
        curl_easy_cleanup(st->probe);
    st->probe = NULL;
}

/* The watched range, base64 as etcd wants it: every key under "<prefix>/".
 * Leaves *kb or *eb NULL when out of memory. */
static void watch_range_b64(struct estore *st, char **kb, char **eb)
{
    char *from = key_plain(st, "", NULL, NULL); /* "<prefix>//" */
    size_t pl = from ? strlen(from) : 0;
    if (from != NULL)
        from[pl - 1] = '\0'; /* "<prefix>/" */
    *kb = from ? certlc_etcd_b64(from) : NULL;
    *eb = from ? certlc_etcd_prefix_end_b64(from) : NULL;
    free(from);
}

/* A failure before the stream could start says so once per outage, not on
 * every retry. */
static void warn_retrying(bool *warned, const certlc_err *err)
{
    if (!*warned)
        certlc_warn(COMPONENT, "etcd watch: %s; retrying", err->msg);
    *warned = true;
}

/* The body of a watch from st->next_rev; NULL when out of memory. */
static char *watch_request_body(struct estore *st, const char *kb, const char *eb)
{
    /* progress_notify: whatever the server sends counts as a sign of
     * life, and saves a probe (on_progress). */
    json_t *req = json_pack("{s:{s:s, s:s, s:I, s:b}}", "create_request", "key", kb,
                            "range_end", eb, "start_revision",
                            (json_int_t)st->next_rev, "progress_notify", 1);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return body;
}

/* Streams one watch on endpoint until it ends (server, network, silence
 * or stop); on_stream feeds the events to the reader meanwhile. */
static CURLcode run_watch_stream(struct estore *st, CURL *h, const char *endpoint,
                                 const char *token, const char *body,
                                 char ebuf[CURL_ERROR_SIZE])
{
    char url[1024], auth[600];
    snprintf(url, sizeof url, "%s/v3/watch", endpoint);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (token[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: %s", token);
        hdr = curl_slist_append(hdr, auth);
    }
    st->linen = 0;
    st->compacted = st->connected = st->silent = false;
    st->watch_url = endpoint;
    st->watch_hdr = hdr;
    st->heard_ms = mono_ms();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, st);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    return rc;
}

/* After a stream that ended on its own: a stream that had connected ends
 * the outage (backoff and warning reset); then the end is said once per
 * outage, except a hung member, which is always worth a line. */
static void report_stream_end(struct estore *st, const char *endpoint, CURLcode rc,
                              const char *ebuf, bool *warned, int *backoff)
{
    if (st->connected) {
        *backoff = 200;
        if (*warned)
            certlc_info(COMPONENT, "etcd watch: resumed");
        *warned = false;
    }
    if (st->silent) /* Always said: a hung member is worth a line */
        certlc_warn(COMPONENT, "etcd watch on %s: nothing for %d s and no "
                    "answer to a probe within %d ms (the member hangs?); "
                    "resuming from revision %lld%s", endpoint,
                    WATCH_SILENCE_MS / 1000, WATCH_PROBE_TIMEOUT_MS,
                    (long long)st->next_rev,
                    certlc_etcd_n_endpoints(st->cl) > 1 ? " on the next endpoint" : "");
    else if (!*warned)
        certlc_warn(COMPONENT, "etcd watch on %s ended (%s); resuming from "
                    "revision %lld%s", endpoint,
                    rc != CURLE_OK ? (ebuf[0] ? ebuf : curl_easy_strerror(rc))
                                   : "stream closed",
                    (long long)st->next_rev,
                    certlc_etcd_n_endpoints(st->cl) > 1 ? " on the next endpoint" : "");
    *warned = true;
}

static void *watch_main(void *arg)
{
    struct estore *st = arg;
    CURL *h = certlc_etcd_stream_handle(st->cl);
    st->probe = certlc_etcd_stream_handle(st->cl); /* NULL: no probing */
    if (h == NULL) {
        certlc_error(COMPONENT, "etcd watch: out of memory");
        queue_overflow(st);
        drop_probe(st);
        return NULL;
    }
    char *kb, *eb;
    watch_range_b64(st, &kb, &eb);
    size_t ep = 0;
    int backoff = 200;
    bool warned = false;
    while (!atomic_load(&st->stop) && kb != NULL && eb != NULL) {
        certlc_err err;
        if (st->next_rev == 0) {
            int64_t rev;
            if (current_revision(st, &rev, &err) != 0) {
                warn_retrying(&warned, &err);
                nap(st, backoff);
                continue;
            }
            st->next_rev = rev + 1;
        }
        char token[512];
        if (certlc_etcd_token(st->cl, token, sizeof token, &err) != 0) {
            warn_retrying(&warned, &err);
            nap(st, backoff);
            continue;
        }
        char *body = watch_request_body(st, kb, eb);
        if (body == NULL)
            break;
        const char *endpoint = certlc_etcd_endpoint(st->cl, ep);
        char ebuf[CURL_ERROR_SIZE] = "";
        CURLcode rc = run_watch_stream(st, h, endpoint, token, body, ebuf);
        certlc_json_free(body);
        OPENSSL_cleanse(token, sizeof token);
        if (atomic_load(&st->stop))
            break;
        if (st->compacted) {
            /* The revision to resume from is gone: whatever changed since
             * is unknown, so the reader relists everything. */
            certlc_warn(COMPONENT, "etcd watch: revision %lld was compacted; "
                        "relisting", (long long)st->next_rev);
            queue_overflow(st);
            st->next_rev = 0;
            continue;
        }
        report_stream_end(st, endpoint, rc, ebuf, &warned, &backoff);
        ep++;
        nap(st, backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    free(kb);
    free(eb);
    curl_easy_cleanup(h);
    drop_probe(st);
    return NULL;
}

static int es_watch_fd(certlc_store *base, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    if (st->started)
        return st->pipefd[0];
    int64_t rev;
    if (current_revision(st, &rev, err) != 0) {
        certlc_err_prefix(err, "cannot watch the store");
        return -1;
    }
    if (pipe2(st->pipefd, O_NONBLOCK | O_CLOEXEC) != 0)
        return certlc_err_set(err, "cannot watch the store: pipe: %s",
                              strerror(errno));
    st->next_rev = rev + 1;
    atomic_store(&st->stop, false);
    int e = pthread_create(&st->thr, NULL, watch_main, st);
    if (e != 0) {
        close(st->pipefd[0]);
        close(st->pipefd[1]);
        st->pipefd[0] = st->pipefd[1] = -1;
        return certlc_err_set(err, "cannot watch the store: thread: %s",
                              strerror(e));
    }
    st->started = true;
    return st->pipefd[0];
}

static int es_watch_read(certlc_store *base, certlc_store_event *evs,
                         size_t max, size_t *n, certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    *n = 0;
    if (!st->started)
        return certlc_err_set(err, "etcd store: not watched (call watch_fd "
                              "first)");
    pthread_mutex_lock(&st->qmu);
    size_t k = st->qn < max ? st->qn : max;
    if (k > 0) {
        memcpy(evs, st->q, k * sizeof *evs);
        memmove(st->q, st->q + k, (st->qn - k) * sizeof *st->q);
        st->qn -= k;
    }
    if (st->qn == 0 && st->signalled) {
        char buf[64];
        while (read(st->pipefd[0], buf, sizeof buf) > 0)
            ;
        st->signalled = false;
    }
    pthread_mutex_unlock(&st->qmu);
    *n = k;
    return 0;
}

/* ---- open, close, ping ------------------------------------------------- */

static int ping_within(struct estore *st, long ms, certlc_err *err)
{
    json_t *req = json_pack("{s:s, s:b}", "key", st->leader_b64, "count_only", 1);
    json_t *resp = NULL;
    int rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, &resp, ms,
                                    NULL, NULL, err)
                 : certlc_err_set(err, "out of memory");
    json_decref(req);
    json_decref(resp);
    return rc;
}

/* For /readyz: must not block for long. */
static int es_ping(certlc_store *base, certlc_err *err)
{
    return ping_within((struct estore *)base, 2000, err);
}

static void es_close(certlc_store *base)
{
    struct estore *st = (struct estore *)base;
    if (st->started) {
        atomic_store(&st->stop, true);
        pthread_join(st->thr, NULL);
        close(st->pipefd[0]);
        close(st->pipefd[1]);
    }
    certlc_etcd_free(st->cl);
    pthread_mutex_destroy(&st->qmu);
    free(st->q);
    free(st->line);
    free(st->prefix);
    free(st->leader_b64);
    certlc_encryption_free(st->base.enc);
    free(st);
}

/* The rewrite's scan: every Secret key, in pages, values read raw. */
static int es_scan(certlc_store *base, certlc_store_scan_cb cb, void *arg,
                   certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    char *from = key_plain(st, "secrets", NULL, NULL);
    char *end = from ? certlc_etcd_prefix_end_b64(from) : NULL;
    char *start = from ? certlc_etcd_b64(from) : NULL;
    int rc = end != NULL && start != NULL ? 0
                                          : certlc_err_set(err, "out of memory");
    bool stop = false;
    while (rc == 0 && !stop) {
        json_t *req = json_pack("{s:s, s:s, s:i}", "key", start, "range_end",
                                end, "limit", LIST_PAGE);
        json_t *resp = NULL;
        rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, &resp, 0, NULL,
                                    NULL, err)
                 : certlc_err_set(err, "out of memory");
        json_decref(req);
        if (rc != 0)
            break;
        size_t i;
        json_t *kv;
        char *last = NULL;
        json_array_foreach(json_object_get(resp, "kvs"), i, kv) {
            free(last);
            last = certlc_etcd_kv_bytes(kv, "key", NULL);
            char kns[256], kname[256];
            if (stop || last == NULL ||
                !split_key(st, last, "secrets", kns, sizeof kns, kname,
                           sizeof kname))
                continue;
            size_t n = 0;
            char *v = certlc_etcd_kv_bytes(kv, "value", &n);
            bool current = v != NULL &&
                           certlc_encryption_is_current(st->base.enc, v, n);
            if (v != NULL) {
                OPENSSL_cleanse(v, n);
                free(v);
            }
            stop = cb(kns, kname, current, arg) != 0;
        }
        bool more = json_is_true(json_object_get(resp, "more"));
        json_decref(resp);
        if (!more || last == NULL) {
            free(last);
            break;
        }
        size_t bn;
        free(start);
        start = certlc_base64_encode(last, strlen(last) + 1, &bn);
        free(last);
        if (start == NULL)
            rc = certlc_err_set(err, "out of memory");
    }
    free(from);
    free(end);
    free(start);
    return rc;
}

/* The leader key's value (malloc'd JSON: identity, lease, since) and the
 * seconds left on its lease (-1 when it has none). CERTLC_NOTFOUND when
 * nobody leads. */
static int leader_key(struct estore *st, char **json, int64_t *ttl_left,
                      certlc_err *err)
{
    json_t *req = json_pack("{s:s}", "key", st->leader_b64), *out = NULL;
    int rc = req ? certlc_etcd_call(st->cl, "/v3/kv/range", req, &out, 0,
                                    NULL, NULL, err)
                 : certlc_err_set(err, "out of memory");
    json_decref(req);
    if (rc != 0)
        return -1;
    json_t *kv = json_array_get(json_object_get(out, "kvs"), 0);
    if (kv == NULL) {
        json_decref(out);
        return CERTLC_NOTFOUND;
    }
    *json = certlc_etcd_kv_bytes(kv, "value", NULL);
    int64_t lease = certlc_etcd_int(kv, "lease");
    json_decref(out);
    *ttl_left = -1;
    if (lease != 0) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)lease);
        req = json_pack("{s:s}", "ID", id);
        if (req != NULL &&
            certlc_etcd_call(st->cl, "/v3/lease/timetolive", req, &out, 0,
                             NULL, NULL, err) == 0) {
            *ttl_left = certlc_etcd_int(out, "TTL");
            json_decref(out);
        }
        json_decref(req);
    }
    return *json != NULL ? 0 : certlc_err_set(err, "out of memory");
}

/* Who leads: the leader key's holder (leader.h), its lease and the
 * seconds left on it, and since when it leads. */
static int es_leader(certlc_store *base, certlc_store_leader *out,
                     certlc_err *err)
{
    struct estore *st = (struct estore *)base;
    char *text = NULL;
    int64_t ttl = -1;
    int rc = leader_key(st, &text, &ttl, err);
    if (rc == CERTLC_NOTFOUND)
        certlc_err_set(err, "no replica leads (no %s/leader key)",
                       st->prefix);
    if (rc != 0)
        return rc;
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    const char *id = json_string_value(json_object_get(v, "identity"));
    const char *lease = json_string_value(json_object_get(v, "lease"));
    const char *since = json_string_value(json_object_get(v, "since"));
    char t[32];
    snprintf(t, sizeof t, "%llds", (long long)ttl);
    certlc_store_leader_add(out, "store", NULL, 0, "etcd", NULL);
    certlc_store_leader_add(out, "identity", "LEADER", 28, id ? id : "?",
                            id ? id : "");
    certlc_store_leader_add(out, "lease", "LEASE", 18, lease ? lease : "?",
                            lease ? lease : "");
    certlc_store_leader_add_number(out, "ttl", "TTL", 6, ttl >= 0 ? t : "-",
                                   (long long)ttl);
    certlc_store_leader_add(out, "since", "SINCE", 0, since ? since : "?",
                            since ? since : "");
    json_decref(v);
    free(text);
    return 0;
}

static const struct certlc_store_ops etcd_ops = {
    .get = es_get,
    .list = es_list,
    .list_prefix = es_list_prefix,
    .create = es_create,
    .update = es_update,
    .remove = es_remove,
    .status_get = es_status_get,
    .status_put = es_status_put,
    .status_remove = es_status_remove,
    .watch_fd = es_watch_fd,
    .watch_read = es_watch_read,
    .close = es_close,
    .ping = es_ping,
    .scan = es_scan,
    .leader = es_leader,
};

certlc_store *certlc_store_etcd_open(const struct certlc_etcd_config *cfg,
                                     certlc_err *err)
{
    struct estore *st = calloc(1, sizeof *st);
    if (st == NULL) {
        certlc_err_set(err, "etcd store: out of memory");
        return NULL;
    }
    st->base.ops = &etcd_ops;
    st->pipefd[0] = st->pipefd[1] = -1;
    pthread_mutex_init(&st->qmu, NULL);
    char leader[1024];
    snprintf(leader, sizeof leader, "%s/leader", cfg->prefix ? cfg->prefix : "/certlc");
    st->prefix = strdup(cfg->prefix ? cfg->prefix : "/certlc");
    st->leader_b64 = certlc_etcd_b64(leader);
    if (st->prefix == NULL || st->leader_b64 == NULL) {
        certlc_err_set(err, "etcd store: out of memory");
        es_close(&st->base);
        return NULL;
    }
    st->cl = certlc_etcd_new(cfg, err);
    if (st->cl == NULL) {
        es_close(&st->base);
        return NULL;
    }
    /* Fail now, with the reason, rather than at the first Secret. */
    if (ping_within(st, 0, err) != 0) {
        es_close(&st->base);
        return NULL;
    }
    return &st->base;
}
