/* The operator: reconcile at start, then wait for work without polling.
 *
 * What wakes it: the store's watch (a Secret changed or was deleted), the
 * earliest deadline in the priority queue (a certificate due for renewal, a
 * failed step to retry), and signals (SIGHUP reloads the configuration,
 * SIGTERM and SIGINT end the loop between two steps). Signals are read
 * through a signalfd, so a step is never interrupted halfway.
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "datastore_external.h"
#include "deadline.h"
#include "encryption.h"
#include "hooks.h"
#include "keypool.h"
#include "log.h"
#include "leader.h"
#include "store_etcd.h"
#include "observe.h"
#include "plan.h"
#include "ds_registry.h"
#include "reconcile.h"
#include "status.h"
#include "rollout.h"
#include "timefmt.h"
#include "workers.h"


#define RETRY_MIN_SECONDS 5
#define RETRY_MAX_SECONDS 300
/* Rounds of draining the watch after a wake-up (wait_for_work): bounded so
 * that a store changing without pause still gets its passes. */
#define DRAIN_ROUNDS 64
/* The longest gap between two events of one burst of changes. */
#define BURST_GAP_MS 1

typedef struct tenant_state {
    bool dirty;
    uint64_t generation; /* of its current deadline */
    int64_t backoff;     /* seconds; 0 when the last pass succeeded */
} tenant_state;

typedef struct engine {
    certlc_runtime *cli; /* the runtime: configuration, store, datastores */
    tenant_state *ts;
    certlc_deadlines queue;
    int sigfd;
    int watchfd;
    bool stop;
    certlc_observer *obs; /* Metrics, events, systemd */
    certlc_leader *leader; /* etcd replicas; NULL with the file store */
    certlc_hooks *hooks;   /* the rollout hooks running in the background */
    certlc_workers *workers; /* passes over tenants on every core */
    certlc_keypool *keypool; /* keys generated ahead; NULL: none */
    size_t *batch;           /* the tenants of the current run of passes */
} engine;

static void log_event(const certlc_reconcile_event *ev, void *arg)
{
    certlc_observer_event(arg, ev);
    /* An await of the external PKI is its normal course, not an error. */
    bool awaiting = ev->cause == CERTLC_CAUSE_AWAITING;
    const char *what = ev->action == CERTLC_ACT_CREATED    ? "created"
                       : ev->action == CERTLC_ACT_REISSUED ? "reissued"
                       : awaiting                          ? "awaited"
                                                           : "failed";
    certlc_logx(ev->action == CERTLC_ACT_FAILED && !awaiting ? CERTLC_LOG_ERROR
                                                             : CERTLC_LOG_INFO,
                "engine", ev->tenant->namespace, ev->tenant->name, ev->secret,
                "secret \"%s\" %s%s%s", ev->secret, what,
                ev->reason[0] ? ": " : "", ev->reason);
}

static void schedule(engine *e, size_t i, int64_t at)
{
    if (at == INT64_MAX)
        return;
    certlc_deadline d = {at, i, ++e->ts[i].generation};
    if (certlc_deadlines_push(&e->queue, d) != 0)
        certlc_error("engine", "out of memory scheduling a deadline");
}

static bool acting(engine *e);

static void reconcile_one(engine *e, size_t i)
{
    const certlc_tenant *t = &e->cli->cfg->tenants[i];
    tenant_state *s = &e->ts[i];
    certlc_reconcile_result res;
    certlc_err err = {{0}};
    s->dirty = false;
    certlc_debug("engine", "%s/%s: pass", t->namespace, t->name);
    int rc = certlc_observer_run_pass(e->obs, e->cli->store, e->cli->cfg,
                                      e->cli->datastores, t, log_event, e->obs,
                                      &res, &err);
    int64_t next = res.next_due;
    if (rc != 0 || res.failed > 0 || res.rollout_failed) {
        if (rc != 0)
            certlc_error("engine", "%s/%s: %s", t->namespace, t->name,
                         err.msg);
        s->backoff = s->backoff == 0 ? RETRY_MIN_SECONDS : s->backoff * 2;
        if (s->backoff > RETRY_MAX_SECONDS)
            s->backoff = RETRY_MAX_SECONDS;
        int64_t retry = certlc_now() + s->backoff;
        certlc_warn("engine", "%s/%s: incomplete; retrying in %llds",
                    t->namespace, t->name, (long long)s->backoff);
        if (retry < next)
            next = retry;
    } else {
        s->backoff = 0;
        if (res.created + res.reissued > 0)
            certlc_info("engine", "%s/%s: ready (%zu created, %zu reissued)",
                        t->namespace, t->name, res.created, res.reissued);
    }
    schedule(e, i, next);
}

/* One job of the worker pool, under the pass lock (workers.h). With
 * replicas, leadership can end during a long run of passes: the rest wait,
 * still marked, for the next time this replica leads. */
static void pass_job(void *arg, size_t k)
{
    engine *e = arg;
    if (!acting(e) || e->stop)
        return;
    reconcile_one(e, e->batch[k]);
}

/* The passes of every marked tenant, spread over the workers: each tenant
 * is one job, so a tenant's Secrets have one writer. */
static void run_marked(engine *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->cli->cfg->n_tenants; i++)
        if (e->ts[i].dirty)
            e->batch[n++] = i;
    certlc_workers_run(e->workers, n, pass_job, e);
    /* What a pass wrote without a status after it (a failed step) is made
     * durable now rather than at the next status write (store.h). */
    certlc_err err;
    if (n > 0 && certlc_store_flush(e->cli->store, &err) != 0)
        certlc_error("engine", "%s", err.msg);
}

/* A rollout hook ended: its result goes into the status; a success is
 * followed by a pass (what changed while it ran gets its own rollout), a
 * failure by a retry with the same backoff as a failed pass. */
static void hook_ended(const certlc_hook_end *end, void *arg)
{
    engine *e = arg;
    int rc = certlc_rollout_hook_ended(e->cli->store, end);
    const certlc_config *cfg = e->cli->cfg;
    for (size_t i = 0; i < cfg->n_tenants && !end->stopped; i++) {
        const certlc_tenant *t = &cfg->tenants[i];
        if (strcmp(t->namespace, end->ns) != 0 || strcmp(t->name, end->tcp) != 0)
            continue;
        tenant_state *s = &e->ts[i];
        if (rc == 0) {
            s->dirty = true;
            break;
        }
        s->backoff = s->backoff == 0 ? RETRY_MIN_SECONDS : s->backoff * 2;
        if (s->backoff > RETRY_MAX_SECONDS)
            s->backoff = RETRY_MAX_SECONDS;
        certlc_warn("engine", "%s/%s: rollout incomplete; retrying in %llds",
                    t->namespace, t->name, (long long)s->backoff);
        schedule(e, i, certlc_now() + s->backoff);
        break;
    }
}

/* Marks the tenant a Secret belongs to: "<tenant>-<suffix of the plan>".
 * Each '-' of the name may end the tenant's name; the tenant is then
 * looked up (config.h, a binary search), not compared with every tenant:
 * a pass writes a dozen files, and each is an event. */
static void mark_secret(engine *e, const certlc_store_event *ev)
{
    const certlc_config *cfg = e->cli->cfg;
    for (const char *dash = strchr(ev->name, '-'); dash != NULL;
         dash = strchr(dash + 1, '-')) {
        char tcp[sizeof ev->name];
        size_t len = (size_t)(dash - ev->name);
        if (certlc_plan_item(dash + 1) == NULL)
            continue;
        memcpy(tcp, ev->name, len);
        tcp[len] = '\0';
        const certlc_tenant *t = certlc_config_tenant(cfg, ev->ns, tcp);
        if (t != NULL)
            e->ts[t - cfg->tenants].dirty = true;
    }
    /* A delivery to a DataStore's client_cert_secret. */
    if (!certlc_external_watched(cfg, ev->ns, ev->name))
        return;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (certlc_external_watches(cfg, &cfg->tenants[i], ev->ns, ev->name))
            e->ts[i].dirty = true;
}

static void mark_all(engine *e)
{
    for (size_t i = 0; i < e->cli->cfg->n_tenants; i++)
        e->ts[i].dirty = true;
}

/* Reads what the watch has queued; returns how many events. */
static size_t drain_watch(engine *e)
{
    certlc_store_event evs[64];
    size_t n, total = 0;
    certlc_err err;
    do {
        if (e->cli->store->ops->watch_read(e->cli->store, evs, 64, &n,
                                           &err) != 0) {
            certlc_error("engine", "watch: %s", err.msg);
            mark_all(e);
            return total;
        }
        total += n;
        for (size_t k = 0; k < n; k++) {
            if (evs[k].overflow)
                mark_all(e);
            else if (!evs[k].status)
                mark_secret(e, &evs[k]);
        }
    } while (n == 64);
    return total;
}

/* What is queued now, and what follows it closely: the watch is drained
 * for as long as events keep coming less than BURST_GAP_MS apart, then
 * the passes start. A single change (a deleted Secret) costs that gap and
 * nothing more; a burst (a bulk deletion) ends up in the marks of this one
 * wake-up however long it lasts, so each tenant it touches gets one pass,
 * not one per event. */
static void drain_queued(engine *e)
{
    struct pollfd p = {e->watchfd, POLLIN, 0};
    drain_watch(e);
    for (int round = 0; round < DRAIN_ROUNDS; round++) {
        if (poll(&p, 1, BURST_GAP_MS) <= 0 || !(p.revents & POLLIN))
            break;
        drain_watch(e);
    }
}

static bool same_strv(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_etcd(const certlc_etcd_config *a, const certlc_etcd_config *b)
{
    return same_strv(a->endpoints, a->n_endpoints, b->endpoints,
                     b->n_endpoints) &&
           same_str(a->prefix, b->prefix) && same_str(a->ca_cert, b->ca_cert) &&
           same_str(a->client_cert, b->client_cert) &&
           same_str(a->client_key, b->client_key) &&
           same_str(a->username, b->username) &&
           same_str(a->password_file, b->password_file);
}

#define SWAP(T, x, y) do { T t_ = (x); (x) = (y); (y) = t_; } while (0)

/* The keys that need a restart: state_dir, plugins_dir, store and
 * [store.etcd] (the store and the driver registry are opened once), and
 * leader_lease (the election runs with it). Swapping them between the
 * loaded and the running configuration gives every consumer of the next
 * one (store, rollout hook, driver loader) the running values; swapping
 * again undoes it. metrics_listen is not one: the observer moves the
 * metrics server live. */
static void swap_restart_keys(certlc_config *a, certlc_config *b)
{
    SWAP(char *, a->state_dir, b->state_dir);
    SWAP(char *, a->plugins_dir, b->plugins_dir);
    SWAP(certlc_store_kind, a->store, b->store);
    SWAP(certlc_etcd_config, a->etcd, b->etcd);
    SWAP(int64_t, a->leader_lease, b->leader_lease);
}

/* After the swap: `run` holds the running values, `asked` what the file
 * now says. */
static void warn_restart_keys(const certlc_config *run,
                              const certlc_config *asked)
{
    const char *file = run->path;
    if (strcmp(asked->state_dir, run->state_dir) != 0)
        certlc_warn("engine", "%s: [certlc] state_dir changed to %s: not "
                    "applied until a restart, still using %s", file,
                    asked->state_dir, run->state_dir);
    if (strcmp(asked->plugins_dir, run->plugins_dir) != 0)
        certlc_warn("engine", "%s: [certlc] plugins_dir changed to %s: not "
                    "applied until a restart, still using %s", file,
                    asked->plugins_dir, run->plugins_dir);
    if (asked->store != run->store)
        certlc_warn("engine", "%s: [certlc] store changed to %s: not "
                    "applied until a restart, still using the %s store",
                    file, asked->store == CERTLC_STORE_ETCD ? "etcd" : "file",
                    run->store == CERTLC_STORE_ETCD ? "etcd" : "file");
    if (run->store == CERTLC_STORE_ETCD && !same_etcd(&asked->etcd, &run->etcd))
        certlc_warn("engine", "%s: [store.etcd] changed: not applied until a "
                    "restart, still using the running settings", file);
    if (run->store == CERTLC_STORE_ETCD &&
        asked->leader_lease != run->leader_lease)
        certlc_warn("engine", "%s: [certlc] leader_lease changed: not "
                    "applied until a restart, still %llds", file,
                    (long long)run->leader_lease);
}

/* The key pool of the configured algorithm (keypool.h), replacing the one
 * running. Called when no pass runs. */
static void start_keypool(engine *e)
{
    const certlc_config *cfg = e->cli->cfg;
    certlc_pki_set_key_source(NULL, NULL);
    certlc_keypool_free(e->keypool);
    e->keypool = NULL;
    unsigned size = cfg->key_pool < 0
                        ? certlc_keypool_default_size(cfg->key_algorithm)
                        : (unsigned)cfg->key_pool;
    certlc_err err;
    e->keypool = certlc_keypool_start(cfg->key_algorithm, size, &err);
    if (e->keypool == NULL && size > 0) {
        certlc_warn("engine", "no key pool, keys are generated when needed: "
                    "%s", err.msg);
        return;
    }
    if (e->keypool != NULL) {
        certlc_pki_set_key_source(certlc_keypool_source, e->keypool);
        certlc_info("engine", "key pool: %u %s key(s) kept ready", size,
                    certlc_key_alg_name(cfg->key_algorithm));
    }
}

/* The worker pool of the configured size, replacing the one running.
 * Called when no pass runs; without one the passes run on this thread. */
static void start_workers(engine *e)
{
    certlc_workers_free(e->workers);
    e->workers = certlc_workers_new(e->cli->cfg->workers);
    if (e->workers == NULL)
        certlc_warn("engine", "no worker pool: one pass at a time");
    certlc_info("engine", "%u worker(s)", certlc_workers_count(e->workers));
}

static int reload(engine *e)
{
    certlc_config *cfg;
    certlc_err err;
    if (certlc_config_load(e->cli->config_path, &cfg, &err) != 0) {
        certlc_error("engine", "reload refused, keeping the running "
                     "configuration: %s", err.msg);
        return 0;
    }
    tenant_state *ts = calloc(cfg->n_tenants + 1, sizeof *ts);
    size_t *batch = calloc(cfg->n_tenants + 1, sizeof *batch);
    if (ts == NULL || batch == NULL) {
        free(ts);
        free(batch);
        certlc_config_free(cfg);
        certlc_error("engine", "reload: out of memory");
        return 0;
    }
    swap_restart_keys(cfg, e->cli->cfg);
    /* The encryption keys and the DataStore instances of the new
     * configuration, made beside the running ones: a key file, driver or
     * file that does not load refuses the whole reload instead of leaving
     * half of it applied. */
    certlc_encryption *enc = NULL;
    if (certlc_runtime_load_encryption(cfg, &enc, &err) != 0 ||
        certlc_ds_registry_reload(e->cli->datastores, cfg, &err) != 0) {
        certlc_encryption_free(enc);
        swap_restart_keys(cfg, e->cli->cfg);
        free(ts);
        free(batch);
        certlc_config_free(cfg);
        certlc_error("engine", "reload refused, keeping the running "
                     "configuration: %s", err.msg);
        return 0;
    }
    /* No pass runs now, and only passes read or write Secrets. */
    certlc_encryption_free(e->cli->store->enc);
    certlc_store_set_encryption(e->cli->store, enc);
    warn_restart_keys(cfg, e->cli->cfg);
    bool pool_changed = cfg->key_algorithm != e->cli->cfg->key_algorithm ||
                        cfg->key_pool != e->cli->cfg->key_pool;
    bool workers_changed = cfg->workers != e->cli->cfg->workers;
    certlc_config_free(e->cli->cfg);
    e->cli->cfg = cfg;
    /* Between two runs of passes: no worker is generating a key. */
    if (pool_changed)
        start_keypool(e);
    if (workers_changed)
        start_workers(e);
    free(e->batch);
    e->batch = batch;
    certlc_log_set_level(cfg->log_level);
    free(e->ts);
    e->ts = ts;
    certlc_deadlines_free(&e->queue);
    mark_all(e);
    certlc_observer_reload(e->obs);
    certlc_info("engine", "configuration reloaded: %zu tenant(s)",
                cfg->n_tenants);
    return 0;
}

static void read_signals(engine *e)
{
    struct signalfd_siginfo si;
    while (read(e->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            certlc_info("engine", "SIGHUP: reloading %s",
                        e->cli->config_path);
            reload(e);
        } else {
            certlc_info("engine", "signal %u: stopping", si.ssi_signo);
            e->stop = true;
        }
    }
}

/* Pops due deadlines; returns the poll timeout in ms until the next one. */
static int due_timeout(engine *e)
{
    int64_t now = certlc_now();
    const certlc_deadline *d;
    while ((d = certlc_deadlines_peek(&e->queue)) != NULL) {
        bool stale = d->tenant >= e->cli->cfg->n_tenants ||
                     d->generation != e->ts[d->tenant].generation;
        if (!stale && d->at > now)
            break;
        if (!stale)
            e->ts[d->tenant].dirty = true;
        certlc_deadlines_pop(&e->queue);
    }
    if (d == NULL)
        return 3600 * 1000;
    int64_t s = d->at - now;
    return s > 3600 ? 3600 * 1000 : (int)(s * 1000);
}

/* ---- with replicas on etcd, only the leader reconciles ---- */
static bool acting(engine *e)
{
    return e->leader == NULL || certlc_leader_acting(e->leader);
}

static void leader_changed(engine *e)
{
    if (certlc_leader_changed(e->leader)) {
        /* What changed while following was not acted on: look at all. */
        certlc_info("engine", "leading: reconciling every tenant");
        mark_all(e);
    }
}

static int start_leader(engine *e)
{
    char host[256] = "?", id[300];
    gethostname(host, sizeof host - 1);
    snprintf(id, sizeof id, "%s/%ld", host, (long)getpid());
    certlc_err err;
    e->leader = certlc_leader_start(e->cli->store, id, e->cli->cfg->leader_lease,
                                    &err);
    if (e->leader == NULL) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return -1;
    }
    certlc_info("engine", "replica %s campaigning for the leadership "
                "(leader_lease %llds)", id, (long long)e->cli->cfg->leader_lease);
    return 0;
}

/* Waits for a signal, a watch event, the leader, a hook or the next
 * deadline. Returns -1 when poll fails. */
static int wait_for_work(engine *e, int timeout)
{
    size_t max = 3 + 2 * certlc_hooks_count(e->hooks);
    struct pollfd *fds = calloc(max, sizeof *fds);
    if (fds == NULL) {
        certlc_error("engine", "out of memory");
        return -1;
    }
    fds[0] = (struct pollfd){e->sigfd, POLLIN, 0};
    fds[1] = (struct pollfd){e->watchfd, POLLIN, 0};
    /* -1 (ignored) without a leader */
    fds[2] = (struct pollfd){e->leader ? certlc_leader_fd(e->leader) : -1,
                             POLLIN, 0};
    size_t n = 3 + certlc_hooks_fds(e->hooks, fds + 3, max - 3);
    int ht = certlc_hooks_timeout_ms(e->hooks);
    if (ht >= 0 && ht < timeout)
        timeout = ht;
    int r = poll(fds, n, timeout);
    if (r < 0 && errno != EINTR) {
        certlc_error("engine", "poll: %s", strerror(errno));
        free(fds);
        return -1;
    }
    if (fds[0].revents & POLLIN)
        read_signals(e);
    if (fds[1].revents & POLLIN)
        drain_queued(e);
    if (fds[2].revents & POLLIN)
        leader_changed(e);
    free(fds);
    return 0;
}

static int loop(engine *e)
{
    mark_all(e);
    while (!e->stop) {
        if (acting(e))
            run_marked(e);
        certlc_hooks_service(e->hooks);
        int timeout = due_timeout(e);
        bool any = false;
        for (size_t i = 0; i < e->cli->cfg->n_tenants; i++)
            any |= e->ts[i].dirty;
        if (any && acting(e)) /* A follower waits in poll */
            continue;
        if (wait_for_work(e, timeout) != 0)
            return -1;
        certlc_hooks_service(e->hooks);
    }
    return 0;
}

int certlc_engine_main(certlc_runtime *c)
{
    certlc_err err;
    if (certlc_runtime_open(c, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return EXIT_FAILURE;
    }
    int rc;
    engine e = {.cli = c, .sigfd = -1, .watchfd = -1};
    int lockfd = -1;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    rc = EXIT_FAILURE;
    /* A store with a writer lock (the file store) keeps one operator per
     * state directory with it; one without (lockfd stays -1: etcd) has
     * its replicas elect a leader (below). */
    if (certlc_store_writer_lock(c->store, false, &lockfd) != 0)
        goto out;
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
        (e.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        fprintf(stderr, "certlc: signalfd: %s\n", strerror(errno));
        goto out;
    }
    e.watchfd = c->store->ops->watch_fd(c->store, &err);
    if (e.watchfd < 0) {
        fprintf(stderr, "certlc: cannot watch the store: %s\n", err.msg);
        goto out;
    }
    /* After the signal mask, which its thread inherits */
    if (lockfd < 0 && start_leader(&e) != 0)
        goto out;
    e.ts = calloc(c->cfg->n_tenants + 1, sizeof *e.ts);
    e.batch = calloc(c->cfg->n_tenants + 1, sizeof *e.batch);
    if (e.ts == NULL || e.batch == NULL)
        goto out;
    /* After the signal mask, which their threads inherit */
    start_workers(&e);
    start_keypool(&e);
    certlc_info("engine", "operator started (PID %ld): %zu tenant(s), state "
                "in %s", (long)getpid(), c->cfg->n_tenants, c->cfg->state_dir);
    e.obs = certlc_observer_start(c); /* After the signal mask */
    e.hooks = certlc_hooks_new(hook_ended, &e);
    if (e.hooks == NULL)
        goto out;
    certlc_rollout_supervise(e.hooks);
    rc = loop(&e) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    certlc_info("engine", "operator stopped");
out:
    /* A hook still running is ended; its digests were not recorded, so it
     * runs again at the next start. */
    certlc_rollout_supervise(NULL);
    certlc_hooks_free(e.hooks);
    certlc_observer_stop(e.obs); /* Before the store closes */
    certlc_leader_stop(e.leader); /* Hands over at once */
    certlc_workers_free(e.workers);
    certlc_pki_set_key_source(NULL, NULL);
    certlc_keypool_free(e.keypool); /* Wipes the keys not used */
    if (e.sigfd >= 0)
        close(e.sigfd);
    if (lockfd >= 0)
        close(lockfd);
    free(e.ts);
    free(e.batch);
    certlc_deadlines_free(&e.queue);
    certlc_runtime_close(c);
    return rc;
}
