/* Leader election on etcd; see leader.h. */
#include "leader.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_etcd.h"
#include "wipe_alloc.h"

#define COMPONENT "leader"
#define CAMPAIGN_EVERY_MS 1000

struct certlc_leader {
    certlc_store *st;
    certlc_etcd *cl;
    char *identity;
    char *key_b64; /* <prefix>/leader */
    char *key;
    int64_t ttl;   /* seconds */
    pthread_t thr;
    atomic_bool stop;
    int pipefd[2];
    pthread_mutex_t mu;
    int64_t acting_until; /* monotonic ms; 0 when not leading (under mu) */
    int64_t lease;        /* the thread's */
    bool leading;         /* the thread's */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(certlc_leader *l, int64_t ms)
{
    int64_t end = mono_ms() + ms;
    while (!atomic_load(&l->stop) && mono_ms() < end) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void notify(certlc_leader *l)
{
    char b = 1;
    if (write(l->pipefd[1], &b, 1) < 0) {
        /* full: the reader has a wake-up pending anyway */
    }
}

static void set_acting(certlc_leader *l, int64_t until)
{
    pthread_mutex_lock(&l->mu);
    l->acting_until = until;
    pthread_mutex_unlock(&l->mu);
}

static int call(certlc_leader *l, const char *path, json_t *req, json_t **out,
                long timeout_ms, certlc_err *err)
{
    int rc = req != NULL ? certlc_etcd_call(l->cl, path, req, out, timeout_ms,
                                            NULL, NULL, err)
                         : certlc_err_set(err, "out of memory");
    json_decref(req);
    return rc;
}

static int grant(certlc_leader *l, certlc_err *err)
{
    json_t *out = NULL;
    if (call(l, "/v3/lease/grant", json_pack("{s:I}", "TTL", (json_int_t)l->ttl),
             &out, 0, err) != 0)
        return -1;
    l->lease = certlc_etcd_int(out, "ID");
    json_decref(out);
    return l->lease != 0 ? 0 : certlc_err_set(err, "etcd granted no lease");
}

static void lease_revoke(certlc_leader *l)
{
    if (l->lease == 0)
        return;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)l->lease);
    json_t *out = NULL;
    certlc_err err;
    if (call(l, "/v3/lease/revoke", json_pack("{s:s}", "ID", id), &out, 3000,
             &err) != 0)
        certlc_debug(COMPONENT, "revoking lease %llx: %s",
                     (unsigned long long)l->lease, err.msg);
    json_decref(out);
    l->lease = 0;
}

/* 1: renewed, 0: the lease is gone, -1: no answer. */
static int keepalive(certlc_leader *l, certlc_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)l->lease);
    json_t *out = NULL;
    if (call(l, "/v3/lease/keepalive", json_pack("{s:s}", "ID", id), &out,
             (long)(l->ttl * 1000 / 3), err) != 0)
        return -1;
    json_t *res = json_object_get(out, "result");
    int64_t ttl = certlc_etcd_int(res != NULL ? res : out, "TTL");
    json_decref(out);
    return ttl > 0 ? 1 : 0;
}

/* 1: the key is ours (lease), 0: someone else's or nobody's, -1: error. */
static int holds_key(certlc_leader *l, certlc_err *err)
{
    json_t *out = NULL;
    if (call(l, "/v3/kv/range", json_pack("{s:s}", "key", l->key_b64), &out,
             (long)(l->ttl * 1000 / 3), err) != 0)
        return -1;
    json_t *kv = json_array_get(json_object_get(out, "kvs"), 0);
    int rc = kv != NULL && certlc_etcd_int(kv, "lease") == l->lease;
    json_decref(out);
    return rc;
}

/* The transaction: put the leader key with our lease if nobody has it. */
static int campaign(certlc_leader *l, certlc_err *err)
{
    char id[32], since[32];
    snprintf(id, sizeof id, "%lld", (long long)l->lease);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char hex[32];
    snprintf(hex, sizeof hex, "%llx", (unsigned long long)l->lease);
    json_t *val = json_pack("{s:s, s:s, s:s}", "identity", l->identity, "lease",
                            hex, "since", since);
    char *text = val ? json_dumps(val, JSON_COMPACT) : NULL;
    json_decref(val);
    char *vb = text ? certlc_etcd_b64(text) : NULL;
    certlc_json_free(text);
    if (vb == NULL)
        return certlc_err_set(err, "out of memory");
    json_t *out = NULL;
    int rc = call(l, "/v3/kv/txn",
                  json_pack("{s:[{s:s, s:s, s:s}], s:[{s:{s:s, s:s, s:s}}], "
                            "s:[{s:{s:s}}]}",
                            "compare", "key", l->key_b64, "target", "CREATE",
                            "create_revision", "0",
                            "success", "request_put", "key", l->key_b64, "value",
                            vb, "lease", id,
                            "failure", "request_range", "key", l->key_b64),
                  &out, 0, err);
    free(vb);
    if (rc != 0)
        return -1;
    rc = json_is_true(json_object_get(out, "succeeded")) ? 1 : 0;
    if (rc == 0) {
        json_t *rr = json_object_get(json_array_get(json_object_get(out, "responses"), 0),
                                     "response_range");
        json_t *kv = json_array_get(json_object_get(rr, "kvs"), 0);
        rc = kv != NULL && certlc_etcd_int(kv, "lease") == l->lease;
    }
    json_decref(out);
    return rc;
}

static void lose(certlc_leader *l, const char *why)
{
    if (l->leading) {
        certlc_warn(COMPONENT, "%s: stopped acting as the leader", why);
        l->leading = false;
        set_acting(l, 0);
        notify(l);
    }
}

static void *leader_main(void *arg)
{
    certlc_leader *l = arg;
    const int64_t period = l->ttl * 1000 / 3;  /* keepalive */
    const int64_t valid = l->ttl * 1000 * 3 / 4; /* act after a keepalive */
    int64_t next_keepalive = 0, valid_until = 0;
    bool warned = false;
    while (!atomic_load(&l->stop)) {
        certlc_err err;
        int64_t now = mono_ms();
        if (l->lease == 0) {
            if (grant(l, &err) != 0) {
                if (!warned)
                    certlc_warn(COMPONENT, "cannot get a lease: %s; retrying", err.msg);
                warned = true;
                nap(l, CAMPAIGN_EVERY_MS);
                continue;
            }
            valid_until = now + valid;
            next_keepalive = now + period;
        } else if (now >= next_keepalive) {
            int k = keepalive(l, &err);
            if (k == 1 && l->leading && holds_key(l, &err) == 0)
                k = 0; /* the key was taken away (etcdctl del): campaign again */
            if (k == 1) {
                valid_until = now + valid;
                next_keepalive = now + period;
                if (warned)
                    certlc_info(COMPONENT, "lease renewed again");
                warned = false;
            } else if (k == 0) {
                lose(l, "the leader lease expired");
                l->lease = 0;
                continue;
            } else {
                if (!warned)
                    certlc_warn(COMPONENT, "cannot renew lease %llx: %s",
                                (unsigned long long)l->lease, err.msg);
                warned = true;
                next_keepalive = mono_ms() + CAMPAIGN_EVERY_MS;
            }
        }
        if (mono_ms() >= valid_until) {
            lose(l, "the leader lease could not be renewed in time");
            /* It may still be alive on the server: revoke it when we can,
             * and campaign with a new one. */
            lease_revoke(l);
            continue;
        }
        if (!l->leading) {
            int c = campaign(l, &err);
            if (c == 1) {
                l->leading = true;
                certlc_store_etcd_fence(l->st, l->lease);
                set_acting(l, valid_until);
                certlc_info(COMPONENT, "this replica (%s) leads now, lease %llx",
                            l->identity, (unsigned long long)l->lease);
                notify(l);
            } else if (c < 0) {
                if (!warned)
                    certlc_warn(COMPONENT, "campaign: %s", err.msg);
                warned = true;
            }
        } else {
            set_acting(l, valid_until);
        }
        int64_t wake = next_keepalive;
        if (!l->leading && mono_ms() + CAMPAIGN_EVERY_MS < wake)
            wake = mono_ms() + CAMPAIGN_EVERY_MS;
        nap(l, wake - mono_ms());
    }
    return NULL;
}

/* What certlc_leader_start made, once its thread is gone (or was never
 * started). */
static void leader_free(certlc_leader *l)
{
    if (l->pipefd[0] >= 0) {
        close(l->pipefd[0]);
        close(l->pipefd[1]);
    }
    pthread_mutex_destroy(&l->mu);
    free(l->key);
    free(l->key_b64);
    free(l->identity);
    free(l);
}

certlc_leader *certlc_leader_start(certlc_store *st, const char *identity,
                                   int64_t lease_seconds, certlc_err *err)
{
    const char *prefix;
    certlc_etcd *cl = certlc_store_etcd_client(st, &prefix);
    if (cl == NULL) {
        certlc_err_set(err, "leader election needs the etcd store");
        return NULL;
    }
    certlc_leader *l = calloc(1, sizeof *l);
    if (l == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    l->st = st;
    l->cl = cl;
    l->ttl = lease_seconds;
    l->pipefd[0] = l->pipefd[1] = -1;
    pthread_mutex_init(&l->mu, NULL);
    size_t kn = strlen(prefix) + sizeof "/leader";
    l->key = malloc(kn);
    if (l->key != NULL)
        snprintf(l->key, kn, "%s/leader", prefix);
    l->key_b64 = l->key ? certlc_etcd_b64(l->key) : NULL;
    l->identity = strdup(identity);
    if (l->key_b64 == NULL || l->identity == NULL) {
        certlc_err_set(err, "out of memory");
        goto fail;
    }
    if (pipe2(l->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        certlc_err_set(err, "leader election: pipe: %m");
        goto fail;
    }
    /* Until this replica leads, its store writes nothing: the fence -1 is
     * a lease nobody holds. */
    certlc_store_etcd_fence(st, -1);
    int e = pthread_create(&l->thr, NULL, leader_main, l);
    if (e != 0) {
        certlc_err_set(err, "leader election: thread: %s", strerror(e));
        goto fail;
    }
    return l;
fail:
    leader_free(l);
    return NULL;
}

int certlc_leader_fd(const certlc_leader *l)
{
    return l->pipefd[0];
}

bool certlc_leader_acting(certlc_leader *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t until = l->acting_until;
    pthread_mutex_unlock(&l->mu);
    return until != 0 && mono_ms() < until;
}

bool certlc_leader_changed(certlc_leader *l)
{
    char buf[64];
    while (read(l->pipefd[0], buf, sizeof buf) > 0)
        ;
    return certlc_leader_acting(l);
}

void certlc_leader_stop(certlc_leader *l)
{
    if (l == NULL)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thr, NULL);
    /* Hand over now rather than after the lease. */
    lease_revoke(l);
    leader_free(l);
}
