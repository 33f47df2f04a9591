#include "rollout.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "hex.h"
#include "log.h"
#include "plan.h"
#include "sha256.h"
#include "timefmt.h"

/* The first 16 hex digits of the SHA-256 of the Secret's data. */
static int secret_digest(const certlc_secret *s, char out[20])
{
    char full[65];
    if (certlc_secret_data_digest(s, full) != 0)
        return -1;
    snprintf(out, 20, "%.16s", full);
    return 0;
}

static const char *recorded(const certlc_tcp_status *st, const char *name)
{
    for (size_t i = 0; i < st->n_rolled; i++)
        if (strcmp(st->rolled[i].name, name) == 0)
            return st->rolled[i].digest;
    return NULL;
}

/* The supervisor of the operator; NULL: hooks run to their end in the
 * pass (run --once). One per process, like the operator itself. */
static certlc_hooks *supervisor;

void certlc_rollout_supervise(certlc_hooks *h)
{
    supervisor = h;
}

/* What a running hook will record when it exits 0. */
typedef struct rollout_ctx {
    certlc_rolled_secret rolled[CERTLC_STATUS_MAX_DIGESTS];
    size_t n_rolled;
    char checksum[72];
    char ca_phase[16]; /* the CA rotation phase it rolls out, "" if none */
} rollout_ctx;

static bool hook_ok(const certlc_hook_end *end)
{
    return !end->timed_out && !end->stopped && WIFEXITED(end->status) &&
           WEXITSTATUS(end->status) == 0;
}

/* One sentence on how the hook ended, without its output. */
static void describe_end(const certlc_hook_end *end, char *buf, size_t size)
{
    if (end->timed_out)
        snprintf(buf, size, "rollout_hook (PID %ld) killed with its process "
                 "group after the timeout of %llds (rollout_hook_timeout)",
                 end->pid, (long long)end->timeout);
    else if (end->stopped)
        snprintf(buf, size, "rollout_hook (PID %ld) ended because the "
                 "operator stopped; it runs again at the next start", end->pid);
    else if (WIFEXITED(end->status))
        snprintf(buf, size, "rollout_hook (PID %ld) exited with status %d "
                 "after %llds", end->pid, WEXITSTATUS(end->status),
                 (long long)end->seconds);
    else
        snprintf(buf, size, "rollout_hook (PID %ld) killed by signal %d (%s) "
                 "after %llds", end->pid, WTERMSIG(end->status),
                 strsignal(WTERMSIG(end->status)), (long long)end->seconds);
}

/* Moves st forward by how the hook ended: the digests only when it
 * exited 0, so that anything else is tried again. */
static void apply_end(certlc_tcp_status *st, const rollout_ctx *ctx,
                      const certlc_hook_end *end, int64_t now)
{
    char how[200];
    describe_end(end, how, sizeof how);
    snprintf(st->rollout_output, sizeof st->rollout_output, "%s", end->tail);
    if (hook_ok(end)) {
        memcpy(st->rolled, ctx->rolled, sizeof st->rolled);
        st->n_rolled = ctx->n_rolled;
        snprintf(st->checksum, sizeof st->checksum, "%s", ctx->checksum);
        st->last_rollout = now;
        st->rollout_error[0] = '\0';
        /* The CA rotation may leave this phase (ca_overlap.h). */
        if (ctx->ca_phase[0] != '\0' &&
            strcmp(ctx->ca_phase, st->ca_rotation.phase) == 0)
            snprintf(st->ca_rotation.rolled, sizeof st->ca_rotation.rolled,
                     "%s", ctx->ca_phase);
        certlc_status_set_condition(st, "RolledOut", true, "HookSucceeded",
                                    how, now);
        return;
    }
    /* The end of the output, where a failing script says why. */
    size_t tl = strlen(end->tail);
    const char *last = end->tail + (tl > 40 ? tl - 40 : 0);
    int n = snprintf(st->rollout_error, sizeof st->rollout_error, "%s", how);
    if (end->tail[0] != '\0' && n > 0 &&
        (size_t)n < sizeof st->rollout_error)
        snprintf(st->rollout_error + n, sizeof st->rollout_error - (size_t)n,
                 "; output: %s%s", tl > 40 ? "..." : "", last);
    certlc_status_set_condition(st, "RolledOut", false,
                                end->timed_out ? "HookTimedOut"
                                : end->stopped ? "HookStopped"
                                               : "HookFailed",
                                st->rollout_error, now);
}

static void record_event(certlc_store *store, const certlc_hook_end *end,
                         const certlc_tcp_status *st, int64_t now)
{
    certlc_event ev = {.first = now, .last = now, .count = 1};
    bool ok = hook_ok(end);
    snprintf(ev.type, sizeof ev.type, "%s", ok ? "Normal" : "Warning");
    snprintf(ev.reason, sizeof ev.reason, "%s",
             ok ? CERTLC_EV_ROLLED_OUT : CERTLC_EV_ROLLOUT_FAILED);
    snprintf(ev.ns, sizeof ev.ns, "%s", end->ns);
    snprintf(ev.tenant, sizeof ev.tenant, "%s", end->tcp);
    if (ok)
        snprintf(ev.message, sizeof ev.message, "the rollout hook succeeded; "
                 "checksum %.80s", st->checksum);
    else {
        char how[200];
        size_t tl = strlen(end->tail);
        describe_end(end, how, sizeof how);
        snprintf(ev.message, sizeof ev.message, "%s%s%s%.280s", how,
                 tl ? "; output: " : "", tl > 280 ? "..." : "",
                 end->tail + (tl > 280 ? tl - 280 : 0));
    }
    certlc_err err;
    if (certlc_events_record(store, end->ns, end->tcp, &ev, 1, &err) != 0)
        certlc_warn("rollout", "%s/%s: cannot record the event: %s", end->ns,
                    end->tcp, err.msg);
}

int certlc_rollout_hook_ended(certlc_store *store, const certlc_hook_end *end)
{
    rollout_ctx *ctx = end->ctx;
    int64_t now = certlc_now();
    certlc_tcp_status st;
    certlc_err err;
    if (certlc_status_load(store, end->ns, end->tcp, &st, &err) < 0) {
        certlc_warn("rollout", "%s/%s: %s; the rollout is recorded in a new "
                    "status", end->ns, end->tcp, err.msg);
        memset(&st, 0, sizeof st);
    }
    apply_end(&st, ctx, end, now);
    st.updated = now;
    if (certlc_status_save(store, end->ns, end->tcp, &st, &err) != 0)
        certlc_warn("rollout", "%s/%s: cannot save the status: %s", end->ns,
                    end->tcp, err.msg);
    record_event(store, end, &st, now);
    if (hook_ok(end))
        certlc_info("rollout", "%s/%s: the rollout hook succeeded after %llds",
                    end->ns, end->tcp, (long long)end->seconds);
    else
        certlc_warn("rollout", "%s/%s: %s", end->ns, end->tcp,
                    st.rollout_error);
    free(ctx);
    return hook_ok(end) ? 0 : -1;
}

/* run --once: the hook's end, kept for the pass that waits for it. */
typedef struct sync_end {
    bool done, ok;
    certlc_tcp_status *st;
    int64_t now;
} sync_end;

static void sync_done(const certlc_hook_end *end, void *arg)
{
    sync_end *s = arg;
    apply_end(s->st, end->ctx, end, s->now);
    s->done = true;
    s->ok = hook_ok(end);
}

/* Without a supervisor: start the hook and wait for its end here. */
static int run_hook_here(const certlc_config *cfg, const certlc_tenant *t,
                         const char *const *env, rollout_ctx *ctx,
                         certlc_tcp_status *st, int64_t now, certlc_err *err)
{
    sync_end s = {.st = st, .now = now};
    certlc_hooks *h = certlc_hooks_new(sync_done, &s);
    if (h == NULL)
        return certlc_err_set(err, "rollout_hook: out of memory");
    if (certlc_hooks_start(h, t->namespace, t->name, cfg->rollout_hook, env,
                           cfg->rollout_hook_timeout, ctx, NULL, err) != 0) {
        certlc_hooks_free(h);
        return -1;
    }
    while (!s.done) {
        struct pollfd fds[2];
        size_t n = certlc_hooks_fds(h, fds, 2);
        poll(fds, n, certlc_hooks_timeout_ms(h));
        certlc_hooks_service(h);
    }
    certlc_hooks_free(h);
    if (!s.ok)
        return certlc_err_set(err, "%s", st->rollout_error);
    return 0;
}

/* The digest of a Secret of the plan: as the pass read or wrote it, or
 * from the store for those it did not (the datastore's, written by its
 * driver); "absent" when there is none. */
static void plan_digest(const certlc_pass *p, certlc_rolled_secret *r)
{
    const certlc_pass_secret *seen = certlc_pass_seen(p, r->name);
    if (seen != NULL) {
        snprintf(r->digest, sizeof r->digest, "%.16s", seen->digest);
        return;
    }
    certlc_secret *s = NULL;
    certlc_err gerr;
    if (certlc_store_get(p->store, p->t->namespace, r->name, &s, &gerr) != 0 ||
        secret_digest(s, r->digest) != 0)
        snprintf(r->digest, sizeof r->digest, "absent");
    certlc_secret_free(s);
}

/* Into next (a copy of the pass's status): the digest of each Secret of
 * the plan as the pass left it, and the checksum over them (and over the
 * CA rotation's phase); into changed, the names whose digest differs from
 * the one recorded at the last rollout. 0, or -1 with err. */
static int rollout_digests(const certlc_pass *p, certlc_tcp_status *next,
                           char *changed, size_t size, certlc_err *err)
{
    const certlc_tenant *t = p->t;
    const certlc_tcp_status *st = &p->status;
    next->n_rolled = 0;
    changed[0] = '\0';
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    EVP_MD_CTX *sum = EVP_MD_CTX_new();
    if (sum == NULL || !EVP_DigestInit_ex(sum, certlc_sha256(), NULL)) {
        EVP_MD_CTX_free(sum);
        return certlc_err_ssl(err, "rollout: SHA-256");
    }
    for (size_t i = 0; i < n && next->n_rolled < CERTLC_STATUS_MAX_DIGESTS;
         i++) {
        if (!certlc_plan_enabled(&items[i], t))
            continue;
        certlc_rolled_secret *r = &next->rolled[next->n_rolled];
        certlc_plan_secret_name(t, &items[i], r->name, sizeof r->name);
        plan_digest(p, r);
        EVP_DigestUpdate(sum, r->name, strlen(r->name) + 1);
        EVP_DigestUpdate(sum, r->digest, strlen(r->digest) + 1);
        const char *was = recorded(st, r->name);
        if (was == NULL || strcmp(was, r->digest) != 0) {
            size_t used = strlen(changed);
            snprintf(changed + used, size - used, "%s%s", used ? " " : "",
                     r->name);
        }
        next->n_rolled++;
    }
    /* Each phase of a CA rotation is a rollout of its own, even when no
     * Secret changed (done), so that the hook hears every phase. */
    const char *ca_phase = st->ca_rotation.phase;
    if (ca_phase[0] != '\0') {
        EVP_DigestUpdate(sum, "ca-rotation", sizeof "ca-rotation");
        EVP_DigestUpdate(sum, ca_phase, strlen(ca_phase) + 1);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(sum, md, &mdlen);
    EVP_MD_CTX_free(sum);
    certlc_hex(md, 32, next->checksum);
    return 0;
}

certlc_rollout_result certlc_rollout_tenant(certlc_pass *p, certlc_err *err)
{
    const certlc_config *cfg = p->cfg;
    const certlc_tenant *t = p->t;
    certlc_tcp_status *st = &p->status;
    int64_t now = p->now;
    certlc_tcp_status next = *st;
    char changed[4096];
    if (rollout_digests(p, &next, changed, sizeof changed, err) != 0)
        return CERTLC_ROLLOUT_FAILED;
    const char *ca_phase = st->ca_rotation.phase;
    if (changed[0] == '\0' && strcmp(next.checksum, st->checksum) == 0)
        return CERTLC_ROLLOUT_NONE;

    if (cfg->rollout_hook[0] == '\0') {
        next.last_rollout = now;
        next.rollout_error[0] = '\0';
        snprintf(next.ca_rotation.rolled, sizeof next.ca_rotation.rolled, "%s",
                 ca_phase);
        *st = next;
        return CERTLC_ROLLOUT_DONE;
    }
    if (certlc_hooks_running(supervisor, t->namespace, t->name))
        return CERTLC_ROLLOUT_WAITING;
    rollout_ctx *ctx = malloc(sizeof *ctx);
    if (ctx == NULL) {
        certlc_err_set(err, "rollout_hook: out of memory");
        return CERTLC_ROLLOUT_FAILED;
    }
    memcpy(ctx->rolled, next.rolled, sizeof ctx->rolled);
    ctx->n_rolled = next.n_rolled;
    memcpy(ctx->checksum, next.checksum, sizeof ctx->checksum);
    snprintf(ctx->ca_phase, sizeof ctx->ca_phase, "%s", ca_phase);
    /* CERTLC_CA_PHASE while a CA rotation runs, and once for its end:
     * later rollouts (a renewal months on) are not about it. */
    bool say_phase = ca_phase[0] != '\0' &&
                     (strcmp(ca_phase, "done") != 0 ||
                      strcmp(st->ca_rotation.rolled, "done") != 0);
    const char *env[] = {"CERTLC_TCP", t->name,
                         "CERTLC_NAMESPACE", t->namespace,
                         "CERTLC_CHECKSUM", next.checksum,
                         "CERTLC_CHANGED", changed,
                         "CERTLC_STATE_DIR", cfg->state_dir,
                         say_phase ? "CERTLC_CA_PHASE" : NULL, ca_phase,
                         NULL, NULL};
    certlc_info("rollout", "%s/%s: running the rollout hook; changed: %s",
                t->namespace, t->name, changed);
    if (supervisor == NULL) {
        int rc = run_hook_here(cfg, t, env, ctx, st, now, err);
        free(ctx);
        return rc == 0 ? CERTLC_ROLLOUT_DONE : CERTLC_ROLLOUT_FAILED;
    }
    long pid = 0;
    if (certlc_hooks_start(supervisor, t->namespace, t->name,
                           cfg->rollout_hook, env, cfg->rollout_hook_timeout,
                           ctx, &pid, err) != 0) {
        free(ctx);
        snprintf(st->rollout_error, sizeof st->rollout_error, "%.250s",
                 err ? err->msg : "rollout_hook failed");
        return CERTLC_ROLLOUT_FAILED;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "rollout_hook running (PID %ld, at most %llds); "
             "changed: %.200s", pid, (long long)cfg->rollout_hook_timeout,
             changed);
    certlc_status_set_condition(st, "RolledOut", false, "HookRunning", msg,
                                now);
    return CERTLC_ROLLOUT_STARTED;
}
