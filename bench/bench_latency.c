/* bench_latency STATE_DIR NAMESPACE COUNT SCRATCH_DIR NAME...
 *
 * With a `certlc run` operator running on STATE_DIR: COUNT times, deletes
 * one Secret (the NAMEs in turn) through the file store, as `certlc delete
 * secret` does, and measures the time from the deletion to the Secret's
 * file being renamed back into place (inotify IN_MOVED_TO on
 * STATE_DIR/NAMESPACE/NAME.json). Between two deletions it waits until the
 * store has been quiet for 100 ms (BENCH_QUIET_MS in the environment: more,
 * for the operator's key pool to refill), so that the operator is idle
 * again.
 *
 * After each deletion it also measures, in this process, the least work
 * that re-creating that Secret takes: one P-256 key and leaf certificate
 * issued and PEM-encoded with bare OpenSSL (bare.c), then the same Secret
 * removed and created again in a file store at SCRATCH_DIR (same temp file,
 * fsync, rename and directory fsync path; put SCRATCH_DIR on the same file
 * system as STATE_DIR).
 *
 * Prints, in milliseconds:
 *   count= median= p90= p99= max= remove_median= base_median= base_p99=
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "bare.h"
#include "clock.h"
#include "log.h"
#include "store.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of sorted v, nearest rank. */
static double pct(const double *v, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* Reads pending inotify events; true when one is IN_MOVED_TO or IN_CREATE
 * of `file` (NULL: any event counts). Waits at most timeout_ms for the
 * first. -1 on error, 0 on timeout without a match, 1 on a match. */
static int wait_event(int fd, const char *file, int timeout_ms)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct pollfd p = {fd, POLLIN, 0};
    double deadline = bench_wall() + timeout_ms / 1000.0;
    for (;;) {
        int left = (int)((deadline - bench_wall()) * 1000.0);
        if (left < 0)
            return 0;
        int n = poll(&p, 1, left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf);
        if (len < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        for (char *q = buf; q < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            if (file == NULL)
                return 1;
            if ((ev->mask & (IN_MOVED_TO | IN_CREATE)) && ev->len > 0 &&
                strcmp(ev->name, file) == 0)
                return 1;
            q += sizeof *ev + ev->len;
        }
    }
}

/* Waits until no event arrived for quiet_ms (at most 10 s). */
static void wait_quiet(int fd, int quiet_ms)
{
    double give_up = bench_wall() + 10.0;
    while (bench_wall() < give_up && wait_event(fd, NULL, quiet_ms) == 1)
        ;
}

int main(int argc, char **argv)
{
    if (argc < 6 || atoi(argv[3]) <= 0) {
        fprintf(stderr, "usage: bench_latency STATE_DIR NAMESPACE COUNT "
                        "SCRATCH_DIR NAME...\n");
        return 2;
    }
    const char *state_dir = argv[1], *ns = argv[2], *scratch_dir = argv[4];
    size_t count = (size_t)atoi(argv[3]);
    char **names = argv + 5;
    size_t n_names = (size_t)(argc - 5);
    certlc_log_set_level(CERTLC_LOG_ERROR);

    certlc_err err = {{0}};
    certlc_store *st = certlc_store_file_open(state_dir, &err);
    certlc_store *scratch = st ? certlc_store_file_open(scratch_dir, &err)
                               : NULL;
    if (scratch == NULL) {
        fprintf(stderr, "bench_latency: %s\n", err.msg);
        return 1;
    }
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    char path[PATH_MAX], tcp_path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", state_dir, ns);
    snprintf(tcp_path, sizeof tcp_path, "%s/%s/tcp", state_dir, ns);
    if (ino < 0 ||
        inotify_add_watch(ino, path, IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                         IN_CLOSE_WRITE) < 0) {
        fprintf(stderr, "bench_latency: inotify on %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    /* The tenant status is written after the Secrets: wait for it too. */
    (void)inotify_add_watch(ino, tcp_path, IN_MOVED_TO | IN_CREATE |
                                               IN_CLOSE_WRITE);

    /* The baseline's CA, made once. */
    EVP_PKEY *ca_key = bare_keygen(BARE_EC_P256);
    X509 *ca = ca_key ? bare_cert(ca_key, NULL, ca_key, "kubernetes", NULL,
                                  NULL, NULL, false)
                      : NULL;
    double *lat = calloc(count, sizeof *lat);
    double *rm = calloc(count, sizeof *rm);
    double *base = calloc(count, sizeof *base);
    if (ca == NULL || lat == NULL || rm == NULL || base == NULL) {
        fprintf(stderr, "bench_latency: setup failed\n");
        return 1;
    }

    const char *q = getenv("BENCH_QUIET_MS");
    int quiet_ms = q != NULL && atoi(q) > 0 ? atoi(q) : 100;
    wait_quiet(ino, quiet_ms);
    for (size_t i = 0; i < count; i++) {
        const char *name = names[i % n_names];
        char file[300];
        snprintf(file, sizeof file, "%s.json", name);
        certlc_secret *old = NULL;
        if (certlc_store_get(st, ns, name, &old, &err) != 0) {
            fprintf(stderr, "bench_latency: %s/%s is not in the store\n", ns,
                    name);
            return 1;
        }

        double t0 = bench_wall();
        int rc = certlc_store_remove(st, ns, name, &err);
        double t1 = bench_wall();
        if (rc != 0) {
            fprintf(stderr, "bench_latency: delete %s: %s\n", name, err.msg);
            return 1;
        }
        if (wait_event(ino, file, 10000) != 1) {
            fprintf(stderr, "bench_latency: %s did not come back within "
                            "10 s\n", name);
            return 1;
        }
        lat[i] = (bench_wall() - t0) * 1000.0;
        rm[i] = (t1 - t0) * 1000.0;
        wait_quiet(ino, quiet_ms);

        /* The baseline, under the same noise. */
        bare_counts c = {0, 0, 0};
        double b0 = bench_wall();
        int brc = bare_leaf(BARE_EC_P256, ca, ca_key, &c);
        int r = certlc_store_remove(scratch, ns, name, &err);
        if (brc == 0 && (r == 0 || r == CERTLC_NOTFOUND))
            r = certlc_store_create(scratch, old, &err);
        base[i] = (bench_wall() - b0) * 1000.0;
        certlc_secret_free(old);
        if (brc != 0 || r != 0) {
            fprintf(stderr, "bench_latency: baseline failed: %s\n", err.msg);
            return 1;
        }
    }
    qsort(lat, count, sizeof *lat, cmp_double);
    qsort(rm, count, sizeof *rm, cmp_double);
    qsort(base, count, sizeof *base, cmp_double);
    printf("count=%zu median=%.3f p90=%.3f p99=%.3f max=%.3f "
           "remove_median=%.3f base_median=%.3f base_p99=%.3f\n",
           count, pct(lat, count, 50), pct(lat, count, 90),
           pct(lat, count, 99), lat[count - 1], pct(rm, count, 50),
           pct(base, count, 50), pct(base, count, 99));
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(lat);
    free(rm);
    free(base);
    close(ino);
    certlc_store_close(scratch);
    certlc_store_close(st);
    return 0;
}
