/* Hook processes supervised from a poll loop.
 *
 * The rollout hook runs in a child process of its own process group, so
 * that the operator goes on reconciling other tenants while it runs, and a
 * timeout can end the hook together with everything it started. The owner
 * of the supervisor puts certlc_hooks_fds() into its poll(2), waits at most
 * certlc_hooks_timeout_ms(), and calls certlc_hooks_service() after each
 * wakeup: that reads the hooks' output (the last CERTLC_HOOK_TAIL bytes are
 * kept), kills the process group of a hook past its timeout, reaps the
 * hooks that ended and calls the done callback for each, once.
 */
#ifndef CERTLC_HOOKS_H
#define CERTLC_HOOKS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CERTLC_HOOK_TAIL 400

typedef struct certlc_hooks certlc_hooks;

/* How a hook ended. */
typedef struct certlc_hook_end {
    const char *ns, *tcp;
    void *ctx;         /* as given to certlc_hooks_start; the callback owns it */
    long pid;
    int status;        /* from waitpid */
    bool timed_out;    /* killed after its timeout */
    bool stopped;      /* ended because the supervisor was freed */
    int64_t timeout;   /* seconds, as given */
    int64_t seconds;   /* how long it ran */
    const char *tail;  /* the end of its stdout and stderr, NUL-terminated */
} certlc_hook_end;

typedef void (*certlc_hook_done_cb)(const certlc_hook_end *end, void *arg);

certlc_hooks *certlc_hooks_new(certlc_hook_done_cb cb, void *arg);
/* Ends the hooks still running (SIGTERM to each process group, SIGKILL
 * after a grace period), calling the callback for each with stopped set. */
void certlc_hooks_free(certlc_hooks *h);

/* Starts `/bin/sh -c cmd` with stdin from /dev/null, stdout and stderr to a
 * pipe, and the pairs of env (NULL-terminated: name, value, ...) added to
 * the environment. At most one hook per tenant (ns, tcp). *pid (may be
 * NULL) gets the child's PID. */
int certlc_hooks_start(certlc_hooks *h, const char *ns, const char *tcp,
                       const char *cmd, const char *const *env,
                       int64_t timeout, void *ctx, long *pid,
                       certlc_err *err);
bool certlc_hooks_running(const certlc_hooks *h, const char *ns,
                          const char *tcp);
size_t certlc_hooks_count(const certlc_hooks *h);

/* The descriptors to poll for POLLIN (at most 2 per running hook); returns
 * how many were written, up to max. */
size_t certlc_hooks_fds(const certlc_hooks *h, struct pollfd *fds, size_t max);
/* ms until the earliest hook timeout; -1 when no hook runs. */
int certlc_hooks_timeout_ms(const certlc_hooks *h);
void certlc_hooks_service(certlc_hooks *h);

#endif
