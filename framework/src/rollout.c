#include "rollout.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "plan.h"

#define HOOK_TIMEOUT_SECONDS 300

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 over the Secret's data, entries in key order (the kvlist keeps
 * them sorted), each as key, NUL, 8-byte length, value. */
static int secret_digest(const certlc_secret *s, char out[20])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < s->data.n; i++) {
        const certlc_kv *kv = &s->data.items[i];
        uint64_t n = kv->len;
        ok = EVP_DigestUpdate(ctx, kv->key, strlen(kv->key) + 1) &&
             EVP_DigestUpdate(ctx, &n, sizeof n) &&
             EVP_DigestUpdate(ctx, kv->value, kv->len);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    hex(md, 8, out);
    return 0;
}

static const char *recorded(const certlc_tcp_status *st, const char *name)
{
    for (size_t i = 0; i < st->n_rolled; i++)
        if (strcmp(st->rolled[i].name, name) == 0)
            return st->rolled[i].digest;
    return NULL;
}

/* Runs the hook through /bin/sh with the rollout's environment; waits at
 * most HOOK_TIMEOUT_SECONDS. Returns 0 when it exited 0. */
static int run_hook(const char *hook, const char *const *env, certlc_err *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return certlc_err_set(err, "rollout_hook: fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        for (size_t i = 0; env[i] != NULL; i += 2)
            setenv(env[i], env[i + 1], 1);
        execl("/bin/sh", "sh", "-c", hook, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    for (int waited = 0;; waited++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return certlc_err_set(err, "rollout_hook: waitpid: %s",
                                  strerror(errno));
        if (waited >= HOOK_TIMEOUT_SECONDS * 20) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return certlc_err_set(err, "rollout_hook: killed after %d s",
                                  HOOK_TIMEOUT_SECONDS);
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return certlc_err_set(err, "rollout_hook exited with status %d",
                              WEXITSTATUS(status));
    return certlc_err_set(err, "rollout_hook killed by signal %d",
                          WTERMSIG(status));
}

certlc_rollout_result certlc_rollout_tenant(certlc_store *store,
                                            const certlc_config *cfg,
                                            const certlc_tenant *t,
                                            certlc_tcp_status *st,
                                            int64_t now, certlc_err *err)
{
    certlc_tcp_status next = *st;
    next.n_rolled = 0;
    char changed[4096] = "";
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    EVP_MD_CTX *sum = EVP_MD_CTX_new();
    if (sum == NULL || !EVP_DigestInit_ex(sum, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(sum);
        certlc_err_ssl(err, "rollout: SHA-256");
        return CERTLC_ROLLOUT_FAILED;
    }
    for (size_t i = 0; i < n && next.n_rolled < CERTLC_STATUS_MAX_DIGESTS;
         i++) {
        if (!certlc_plan_enabled(&items[i], t))
            continue;
        certlc_rolled_secret *r = &next.rolled[next.n_rolled];
        certlc_plan_secret_name(t, &items[i], r->name, sizeof r->name);
        certlc_secret *s = NULL;
        certlc_err gerr;
        if (certlc_store_get(store, t->namespace, r->name, &s, &gerr) != 0 ||
            secret_digest(s, r->digest) != 0)
            snprintf(r->digest, sizeof r->digest, "absent");
        certlc_secret_free(s);
        EVP_DigestUpdate(sum, r->name, strlen(r->name) + 1);
        EVP_DigestUpdate(sum, r->digest, strlen(r->digest) + 1);
        const char *was = recorded(st, r->name);
        if (was == NULL || strcmp(was, r->digest) != 0) {
            size_t used = strlen(changed);
            snprintf(changed + used, sizeof changed - used, "%s%s",
                     used ? " " : "", r->name);
        }
        next.n_rolled++;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(sum, md, &mdlen);
    EVP_MD_CTX_free(sum);
    hex(md, 32, next.checksum);
    if (changed[0] == '\0' && strcmp(next.checksum, st->checksum) == 0)
        return CERTLC_ROLLOUT_NONE;

    if (cfg->rollout_hook[0] != '\0') {
        const char *env[] = {"CERTLC_TCP", t->name,
                             "CERTLC_NAMESPACE", t->namespace,
                             "CERTLC_CHECKSUM", next.checksum,
                             "CERTLC_CHANGED", changed,
                             "CERTLC_STATE_DIR", cfg->state_dir,
                             NULL, NULL};
        certlc_info("rollout", "%s/%s: running the rollout hook; changed: %s",
                    t->namespace, t->name, changed);
        if (run_hook(cfg->rollout_hook, env, err) != 0) {
            snprintf(st->rollout_error, sizeof st->rollout_error, "%.250s",
                     err ? err->msg : "rollout_hook failed");
            return CERTLC_ROLLOUT_FAILED;
        }
    }
    next.last_rollout = now;
    next.rollout_error[0] = '\0';
    *st = next;
    return CERTLC_ROLLOUT_DONE;
}
