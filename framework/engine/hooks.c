#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"

extern char **environ;

/* How long a hook gets between SIGTERM and SIGKILL when the supervisor ends. */
#define STOP_GRACE_MS 5000
/* Without pidfd_open (Linux before 5.3) an exit is noticed by polling. */
#define NO_PIDFD_POLL_MS 100

typedef struct hook {
    char *ns, *tcp;
    void *ctx;
    pid_t pid;
    int pidfd; /* readable when the child exits; -1 without pidfd_open */
    int outfd; /* the read end of its stdout/stderr; -1 after EOF */
    int64_t start_ms, timeout;
    char tail[CERTLC_HOOK_TAIL + 1];
    size_t tail_n;
} hook;

struct certlc_hooks {
    hook *v;
    size_t n, cap;
    certlc_hook_done_cb cb;
    void *arg;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

certlc_hooks *certlc_hooks_new(certlc_hook_done_cb cb, void *arg)
{
    certlc_hooks *h = calloc(1, sizeof *h);
    if (h != NULL) {
        h->cb = cb;
        h->arg = arg;
    }
    return h;
}

/* Keeps the last CERTLC_HOOK_TAIL bytes of what the hook wrote. */
static void keep_tail(hook *k, const char *buf, size_t n)
{
    if (n >= CERTLC_HOOK_TAIL) {
        memcpy(k->tail, buf + n - CERTLC_HOOK_TAIL, CERTLC_HOOK_TAIL);
        k->tail_n = CERTLC_HOOK_TAIL;
        return;
    }
    if (k->tail_n + n > CERTLC_HOOK_TAIL) {
        size_t drop = k->tail_n + n - CERTLC_HOOK_TAIL;
        memmove(k->tail, k->tail + drop, k->tail_n - drop);
        k->tail_n -= drop;
    }
    memcpy(k->tail + k->tail_n, buf, n);
    k->tail_n += n;
}

static void read_output(hook *k)
{
    char buf[4096];
    while (k->outfd >= 0) {
        ssize_t r = read(k->outfd, buf, sizeof buf);
        if (r > 0) {
            keep_tail(k, buf, (size_t)r);
            continue;
        }
        if (r < 0 && (errno == EINTR))
            continue;
        if (r == 0 || errno != EAGAIN) {
            close(k->outfd);
            k->outfd = -1;
        }
        break;
    }
}

/* The tail as one printable line-oriented text: it goes into JSON (the
 * status, the events) and the log, which want UTF-8 without controls. */
static void printable_tail(hook *k)
{
    size_t n = k->tail_n;
    while (n > 0 && (k->tail[n - 1] == '\n' || k->tail[n - 1] == ' ' ||
                     k->tail[n - 1] == '\r' || k->tail[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k->tail[i];
        if (c == '\n' || c == '\t')
            k->tail[i] = c == '\n' ? '\n' : ' ';
        else if (c < 0x20 || c >= 0x7f)
            k->tail[i] = '?';
    }
    k->tail[n] = '\0';
}

/* The environment of the child, built before fork: setenv is not safe
 * after fork in a process with threads (the watch, the metrics server). */
static char **child_env(const char *const *env)
{
    size_t n_env = 0, n_add = 0;
    while (environ[n_env] != NULL)
        n_env++;
    while (env[2 * n_add] != NULL)
        n_add++;
    char **out = calloc(n_env + n_add + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n_env; i++) {
        bool replaced = false;
        for (size_t a = 0; a < n_add && !replaced; a++) {
            size_t len = strlen(env[2 * a]);
            replaced = strncmp(environ[i], env[2 * a], len) == 0 &&
                       environ[i][len] == '=';
        }
        if (!replaced)
            out[o++] = environ[i];
    }
    for (size_t a = 0; a < n_add; a++) {
        size_t len = strlen(env[2 * a]) + strlen(env[2 * a + 1]) + 2;
        char *kv = malloc(len);
        if (kv == NULL) {
            out[o] = NULL;
            return out; /* best effort: the rest is missing */
        }
        snprintf(kv, len, "%s=%s", env[2 * a], env[2 * a + 1]);
        out[o++] = kv;
    }
    out[o] = NULL;
    return out;
}

static void free_child_env(char **envp)
{
    if (envp == NULL)
        return;
    size_t n_env = 0;
    while (environ[n_env] != NULL)
        n_env++;
    for (size_t i = 0; envp[i] != NULL; i++) {
        bool inherited = false;
        for (size_t k = 0; k < n_env && !inherited; k++)
            inherited = envp[i] == environ[k];
        if (!inherited)
            free(envp[i]);
    }
    free(envp);
}

/* In the child: only async-signal-safe calls until execve. */
static void child(const char *cmd, char **envp, int out)
{
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the engine blocks some */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &dfl, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    char *const argv[] = {"sh", "-c", (char *)cmd, NULL};
    execve("/bin/sh", argv, envp);
    _exit(127);
}

static int grow(certlc_hooks *h)
{
    hook *v = certlc_grow(h->v, h->n, &h->cap, sizeof *v, 8);
    if (v == NULL)
        return -1;
    h->v = v;
    return 0;
}

int certlc_hooks_start(certlc_hooks *h, const char *ns, const char *tcp,
                       const char *cmd, const char *const *env,
                       int64_t timeout, void *ctx, long *pid_out,
                       certlc_err *err)
{
    if (certlc_hooks_running(h, ns, tcp))
        return certlc_err_set(err, "rollout_hook: %s/%s: a hook is already "
                              "running", ns, tcp);
    hook k = {.pidfd = -1, .outfd = -1, .ctx = ctx, .timeout = timeout};
    k.ns = strdup(ns);
    k.tcp = strdup(tcp);
    char **envp = child_env(env);
    int p[2] = {-1, -1};
    if (k.ns == NULL || k.tcp == NULL || envp == NULL || grow(h) != 0) {
        certlc_err_set(err, "rollout_hook: out of memory");
        goto fail;
    }
    if (pipe2(p, O_CLOEXEC) != 0) {
        certlc_err_set(err, "rollout_hook: pipe: %s", strerror(errno));
        goto fail;
    }
    k.start_ms = now_ms();
    k.pid = fork();
    if (k.pid < 0) {
        certlc_err_set(err, "rollout_hook: fork: %s", strerror(errno));
        goto fail;
    }
    if (k.pid == 0)
        child(cmd, envp, p[1]);
    setpgid(k.pid, k.pid); /* also here: no race with a kill of the group */
    close(p[1]);
    p[1] = -1;
    k.outfd = p[0];
    fcntl(k.outfd, F_SETFL, fcntl(k.outfd, F_GETFL) | O_NONBLOCK);
#ifdef SYS_pidfd_open
    k.pidfd = (int)syscall(SYS_pidfd_open, k.pid, 0);
#endif
    free_child_env(envp);
    h->v[h->n++] = k;
    if (pid_out != NULL)
        *pid_out = (long)k.pid;
    return 0;
fail:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    free_child_env(envp);
    free(k.ns);
    free(k.tcp);
    return -1;
}

bool certlc_hooks_running(const certlc_hooks *h, const char *ns,
                          const char *tcp)
{
    for (size_t i = 0; h != NULL && i < h->n; i++)
        if (strcmp(h->v[i].ns, ns) == 0 && strcmp(h->v[i].tcp, tcp) == 0)
            return true;
    return false;
}

size_t certlc_hooks_count(const certlc_hooks *h)
{
    return h == NULL ? 0 : h->n;
}

size_t certlc_hooks_fds(const certlc_hooks *h, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; h != NULL && i < h->n; i++) {
        if (h->v[i].pidfd >= 0 && n < max)
            fds[n++] = (struct pollfd){h->v[i].pidfd, POLLIN, 0};
        if (h->v[i].outfd >= 0 && n < max)
            fds[n++] = (struct pollfd){h->v[i].outfd, POLLIN, 0};
    }
    return n;
}

int certlc_hooks_timeout_ms(const certlc_hooks *h)
{
    if (h == NULL || h->n == 0)
        return -1;
    int64_t now = now_ms(), best = INT64_MAX;
    for (size_t i = 0; i < h->n; i++) {
        int64_t left = h->v[i].start_ms + h->v[i].timeout * 1000 - now;
        if (h->v[i].pidfd < 0 && left > NO_PIDFD_POLL_MS)
            left = NO_PIDFD_POLL_MS;
        if (left < best)
            best = left;
    }
    if (best < 0)
        best = 0;
    return best > 3600 * 1000 ? 3600 * 1000 : (int)best;
}

/* Removes hook i and tells the callback how it ended. */
static void finish(certlc_hooks *h, size_t i, int status, bool timed_out,
                   bool stopped)
{
    hook k = h->v[i];
    memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof *h->v);
    h->n--;
    /* What is left in the pipe; a descendant that still holds it open
     * (a daemon the hook started) is not waited for. */
    read_output(&k);
    if (k.outfd >= 0)
        close(k.outfd);
    if (k.pidfd >= 0)
        close(k.pidfd);
    printable_tail(&k);
    certlc_hook_end end = {
        .ns = k.ns, .tcp = k.tcp, .ctx = k.ctx, .pid = (long)k.pid,
        .status = status, .timed_out = timed_out, .stopped = stopped,
        .timeout = k.timeout, .seconds = (now_ms() - k.start_ms) / 1000,
        .tail = k.tail,
    };
    if (h->cb != NULL)
        h->cb(&end, h->arg);
    free(k.ns);
    free(k.tcp);
}

static pid_t reap(pid_t pid, int *status, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, status, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

void certlc_hooks_service(certlc_hooks *h)
{
    int64_t now = now_ms();
    for (size_t i = 0; h != NULL && i < h->n;) {
        hook *k = &h->v[i];
        read_output(k);
        int status = 0;
        pid_t r = reap(k->pid, &status, WNOHANG);
        if (r == k->pid || (r < 0 && errno == ECHILD)) {
            finish(h, i, status, false, false);
            continue;
        }
        if (now >= k->start_ms + k->timeout * 1000) {
            /* The whole group: whatever the hook started goes with it. */
            kill(-k->pid, SIGKILL);
            reap(k->pid, &status, 0);
            finish(h, i, status, true, false);
            continue;
        }
        i++;
    }
}

void certlc_hooks_free(certlc_hooks *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        kill(-h->v[i].pid, SIGTERM);
    int64_t until = now_ms() + STOP_GRACE_MS;
    while (h->n > 0) {
        hook *k = &h->v[0];
        int status = 0;
        pid_t r = reap(k->pid, &status, WNOHANG);
        if (r == 0 && now_ms() < until) {
            read_output(k);
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
            continue;
        }
        if (r == 0) {
            kill(-k->pid, SIGKILL);
            reap(k->pid, &status, 0);
        }
        finish(h, 0, status, false, true);
    }
    free(h->v);
    free(h);
}
