/* Compare-and-swap on the etcd store, from two writers.
 *
 *   store_cas CONFIG stale     two clients read one Secret; the first
 *                              update wins, the second gets a conflict,
 *                              reads again and then succeeds
 *   store_cas CONFIG race N    this process and a forked child each add 1
 *                              to a counter annotation N times, with
 *                              read-modify-update retried on conflict;
 *                              prints the final count (2N: no lost write)
 *   store_cas CONFIG prefix    Secrets listed by name prefix: those of the
 *                              namespace with the prefix, no other
 *
 * Built by test_store_etcd.sh against the built libcertlc.a. Prints
 * "ok - ..." / "not ok - ..." like the shell tests.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "store.h"
#include "wipe_alloc.h"

static certlc_store *open_store(const char *conf)
{
    certlc_config *cfg;
    certlc_err err;
    if (certlc_config_load(conf, &cfg, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    certlc_store *st = certlc_store_etcd_open(&cfg->etcd, &err);
    certlc_config_free(cfg);
    if (st == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    return st;
}

static int bump(certlc_store *st, int *conflicts)
{
    for (;;) {
        certlc_secret *s = NULL;
        certlc_err err;
        if (certlc_store_get(st, "default", "cas-counter", &s, &err) != 0) {
            fprintf(stderr, "get: %s\n", err.msg);
            return -1;
        }
        const char *v = certlc_kvlist_str(&s->annotations, "count");
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (v ? atoi(v) : 0) + 1);
        certlc_kvlist_set_str(&s->annotations, "count", buf);
        int rc = certlc_store_update(st, s, &err);
        certlc_secret_free(s);
        if (rc == 0)
            return 0;
        if (rc != CERTLC_CONFLICT) {
            fprintf(stderr, "update: %s\n", err.msg);
            return -1;
        }
        (*conflicts)++;
    }
}

static int put(certlc_store *st, const char *ns, const char *name)
{
    certlc_err err;
    certlc_store_remove(st, ns, name, &err);
    certlc_secret *s = certlc_secret_new(ns, name, "Opaque");
    certlc_kvlist_set_str(&s->data, "v", name);
    int rc = certlc_store_create(st, s, &err);
    if (rc != 0)
        fprintf(stderr, "create %s/%s: %s\n", ns, name, err.msg);
    certlc_secret_free(s);
    return rc;
}

static int prefix(certlc_store *st)
{
    const char *const ns1[] = {"pfx-refused-1", "pfx-refused-2", "pfx-x",
                               "pfy-refused-1", "pfx-refuse"};
    for (size_t i = 0; i < sizeof ns1 / sizeof ns1[0]; i++)
        if (put(st, "default", ns1[i]) != 0)
            return 1;
    if (put(st, "other", "pfx-refused-3") != 0)
        return 1;
    certlc_secret_list l = {0};
    certlc_err err;
    int rc = certlc_store_list_prefix(st, "default", "pfx-refused-", &l, &err);
    certlc_secret_list_sort(&l);
    bool ok = rc == 0 && l.n == 2 &&
              strcmp(l.items[0]->name, "pfx-refused-1") == 0 &&
              strcmp(l.items[1]->name, "pfx-refused-2") == 0;
    printf("%s - listing by name prefix gives the 2 Secrets with it, in its "
           "namespace only (got %zu)\n", ok ? "ok" : "not ok", l.n);
    certlc_secret_list_free(&l);
    return !ok;
}

int main(int argc, char **argv)
{
    certlc_wipe_alloc_install();
    if (argc < 3)
        return 2;
    certlc_err err;
    if (strcmp(argv[2], "stale") == 0) {
        certlc_store *a = open_store(argv[1]), *b = open_store(argv[1]);
        certlc_secret *s = certlc_secret_new("default", "cas-stale", "Opaque");
        certlc_kvlist_set_str(&s->data, "v", "0");
        certlc_store_remove(a, "default", "cas-stale", &err);
        int fails = 0;
        if (certlc_store_create(a, s, &err) != 0)
            return fprintf(stderr, "create: %s\n", err.msg), 1;
        certlc_secret *sa = NULL, *sb = NULL;
        certlc_store_get(a, "default", "cas-stale", &sa, &err);
        certlc_store_get(b, "default", "cas-stale", &sb, &err);
        certlc_kvlist_set_str(&sa->data, "v", "from-a");
        certlc_kvlist_set_str(&sb->data, "v", "from-b");
        int ra = certlc_store_update(a, sa, &err);
        int rb = certlc_store_update(b, sb, &err);
        printf("%s - the first writer's update wins\n", ra == 0 ? "ok" : "not ok");
        printf("%s - the second writer, with a stale resourceVersion, gets a "
               "conflict (%s)\n", rb == CERTLC_CONFLICT ? "ok" : "not ok", err.msg);
        fails += ra != 0 || rb != CERTLC_CONFLICT;
        certlc_secret *now = NULL;
        certlc_store_get(b, "default", "cas-stale", &now, &err);
        const char *v = now ? certlc_kvlist_str(&now->data, "v") : NULL;
        printf("%s - the stored value is the winner's, not overwritten\n",
               v && strcmp(v, "from-a") == 0 ? "ok" : "not ok");
        fails += !(v && strcmp(v, "from-a") == 0);
        certlc_kvlist_set_str(&now->data, "v", "from-b");
        int rr = certlc_store_update(b, now, &err);
        printf("%s - the loser retries from the new state and succeeds\n",
               rr == 0 ? "ok" : "not ok");
        fails += rr != 0;
        certlc_secret_free(s);
        certlc_secret_free(sa);
        certlc_secret_free(sb);
        certlc_secret_free(now);
        certlc_store_close(a);
        certlc_store_close(b);
        return fails != 0;
    }
    if (strcmp(argv[2], "prefix") == 0) {
        certlc_store *st = open_store(argv[1]);
        int rc = prefix(st);
        certlc_store_close(st);
        return rc;
    }
    if (strcmp(argv[2], "race") == 0 && argc > 3) {
        int n = atoi(argv[3]);
        certlc_store *st = open_store(argv[1]);
        certlc_store_remove(st, "default", "cas-counter", &err);
        certlc_secret *s = certlc_secret_new("default", "cas-counter", "Opaque");
        certlc_kvlist_set_str(&s->annotations, "count", "0");
        if (certlc_store_create(st, s, &err) != 0)
            return fprintf(stderr, "create: %s\n", err.msg), 1;
        certlc_secret_free(s);
        certlc_store_close(st);
        fflush(stdout);
        pid_t child = fork();
        st = open_store(argv[1]);
        int conflicts = 0, rc = 0;
        for (int i = 0; i < n && rc == 0; i++)
            rc = bump(st, &conflicts);
        if (child == 0) {
            certlc_store_close(st);
            _exit(rc == 0 ? 0 : 1);
        }
        int status;
        waitpid(child, &status, 0);
        certlc_secret *f = NULL;
        certlc_store_get(st, "default", "cas-counter", &f, &err);
        const char *c = f ? certlc_kvlist_str(&f->annotations, "count") : NULL;
        printf("%s %d\n", c ? c : "?", conflicts);
        certlc_secret_free(f);
        certlc_store_close(st);
        return rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    return 2;
}
