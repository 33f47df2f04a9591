/* Hook processes: exit status, output tail, environment, one per tenant,
 * the timeout killing the whole process group, and the end on free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"

typedef struct seen {
    int calls;
    int status;
    bool timed_out, stopped;
    char tail[CERTLC_HOOK_TAIL + 1];
    char tcp[64];
    void *ctx;
} seen;

static void done(const certlc_hook_end *end, void *arg)
{
    seen *s = arg;
    s->calls++;
    s->status = end->status;
    s->timed_out = end->timed_out;
    s->stopped = end->stopped;
    s->ctx = end->ctx;
    snprintf(s->tail, sizeof s->tail, "%s", end->tail);
    snprintf(s->tcp, sizeof s->tcp, "%s", end->tcp);
}

/* Runs the supervisor's loop until `calls` ends were reported. */
static void wait_ends(certlc_hooks *h, seen *s, int calls)
{
    for (int i = 0; s->calls < calls && i < 1000; i++) {
        struct pollfd fds[8];
        size_t n = certlc_hooks_fds(h, fds, 8);
        poll(fds, n, certlc_hooks_timeout_ms(h));
        certlc_hooks_service(h);
    }
    assert_int_equal(s->calls, calls);
}

static const char *const no_env[] = {NULL, NULL};

static void test_exit_status_output_env(void **state)
{
    (void)state;
    seen s = {0};
    certlc_hooks *h = certlc_hooks_new(done, &s);
    const char *env[] = {"CERTLC_TCP", "alpha", NULL, NULL};
    int ctx = 42;
    long pid = 0;
    certlc_err err;
    assert_int_equal(certlc_hooks_start(h, "default", "alpha",
                                        "echo \"$CERTLC_TCP out\"; echo err >&2; exit 3",
                                        env, 10, &ctx, &pid, &err), 0);
    assert_true(pid > 0);
    assert_true(certlc_hooks_running(h, "default", "alpha"));
    assert_false(certlc_hooks_running(h, "default", "beta"));
    /* One at a time per tenant. */
    assert_int_equal(certlc_hooks_start(h, "default", "alpha", "true", no_env,
                                        10, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "already running"));
    wait_ends(h, &s, 1);
    assert_true(WIFEXITED(s.status));
    assert_int_equal(WEXITSTATUS(s.status), 3);
    assert_false(s.timed_out);
    assert_string_equal(s.tail, "alpha out\nerr");
    assert_ptr_equal(s.ctx, &ctx);
    assert_string_equal(s.tcp, "alpha");
    assert_int_equal(certlc_hooks_count(h), 0);
    assert_int_equal(certlc_hooks_timeout_ms(h), -1);
    certlc_hooks_free(h);
}

static void test_tail_keeps_the_end(void **state)
{
    (void)state;
    seen s = {0};
    certlc_hooks *h = certlc_hooks_new(done, &s);
    certlc_err err;
    assert_int_equal(certlc_hooks_start(h, "default", "alpha",
                                        "head -c 9000 /dev/zero | tr '\\0' a; "
                                        "printf '\\001END\\n'",
                                        no_env, 10, NULL, NULL, &err), 0);
    wait_ends(h, &s, 1);
    size_t n = strlen(s.tail);
    assert_true(n > 0 && n <= CERTLC_HOOK_TAIL);
    /* Controls are made printable; the trailing newline is dropped. */
    assert_string_equal(s.tail + n - 4, "?END");
    assert_int_equal(s.tail[0], 'a');
    certlc_hooks_free(h);
}

/* gone: no such process, or a zombie waiting for init. */
static bool gone(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

static void test_timeout_kills_the_group(void **state)
{
    (void)state;
    char pidfile[] = "/tmp/certlc-hook-XXXXXX";
    int fd = mkstemp(pidfile);
    assert_true(fd >= 0);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "echo waiting; sleep 60 & echo $! > %s; wait",
             pidfile);
    seen s = {0};
    certlc_hooks *h = certlc_hooks_new(done, &s);
    certlc_err err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(certlc_hooks_start(h, "default", "alpha", cmd, no_env, 1,
                                        NULL, NULL, &err), 0);
    wait_ends(h, &s, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(s.timed_out);
    assert_true(WIFSIGNALED(s.status));
    assert_int_equal(WTERMSIG(s.status), SIGKILL);
    assert_string_equal(s.tail, "waiting");
    assert_true(t1.tv_sec - t0.tv_sec >= 1 && t1.tv_sec - t0.tv_sec < 5);
    FILE *f = fopen(pidfile, "r");
    long sleeper = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &sleeper), 1);
    fclose(f);
    unlink(pidfile);
    bool dead = false;
    for (int i = 0; i < 50 && !dead; i++) {
        dead = gone((pid_t)sleeper);
        if (!dead)
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    if (!dead)
        kill((pid_t)sleeper, SIGKILL);
    assert_true(dead); /* what the hook started went with it */
    certlc_hooks_free(h);
}

static void test_free_stops_running_hooks(void **state)
{
    (void)state;
    seen s = {0};
    certlc_hooks *h = certlc_hooks_new(done, &s);
    certlc_err err;
    assert_int_equal(certlc_hooks_start(h, "default", "beta", "sleep 60",
                                        no_env, 300, NULL, NULL, &err), 0);
    certlc_hooks_free(h);
    assert_int_equal(s.calls, 1);
    assert_true(s.stopped);
    assert_string_equal(s.tcp, "beta");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_output_env),
        cmocka_unit_test(test_tail_keeps_the_end),
        cmocka_unit_test(test_timeout_kills_the_group),
        cmocka_unit_test(test_free_stops_running_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
