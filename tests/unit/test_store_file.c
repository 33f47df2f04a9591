#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

struct fixture {
    char dir[160];
    char state[192]; /* dir/state: created by the store */
    certlc_store *st;
};

static int rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 100)
        tmp = "/tmp";
    snprintf(f->dir, sizeof f->dir, "%s/certlc-test-store-XXXXXX", tmp);
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    certlc_err err = {{0}};
    f->st = certlc_store_file_open(f->state, &err);
    if (f->st == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    certlc_store_close(f->st);
    rm_rf(f->dir);
    free(f);
    return 0;
}

static certlc_secret *secret(const char *ns, const char *name, const char *tier)
{
    certlc_secret *s = certlc_secret_new(ns, name, NULL);
    assert_non_null(s);
    assert_int_equal(certlc_kvlist_set_str(&s->labels, "tier", tier), 0);
    const unsigned char key[] = {0x30, 0x82, 0, 1, 0, 0xff};
    assert_int_equal(certlc_kvlist_set(&s->data, "tls.key", key, sizeof key), 0);
    return s;
}

static void create_ok(certlc_store *st, const char *ns, const char *name,
                      const char *tier)
{
    certlc_secret *s = secret(ns, name, tier);
    certlc_err err = {{0}};
    int rc = certlc_store_create(st, s, &err);
    if (rc != 0)
        fail_msg("create %s/%s: %d %s", ns, name, rc, err.msg);
    certlc_secret_free(s);
}

static int mode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (int)(sb.st_mode & 07777);
}

/* Number of entries in dir whose name contains `part`. */
static int count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strstr(de->d_name, part) != NULL;
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_create_get(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    certlc_secret *s = secret("ns1", "t1-ca", "gold");
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    assert_true(s->resource_version > 0);
    time_t now = time(NULL);
    assert_true(s->creation_timestamp <= now && s->creation_timestamp >= now - 5);

    /* Creating again is a conflict, and changes nothing. */
    certlc_secret *again = secret("ns1", "t1-ca", "silver");
    assert_int_equal(certlc_store_create(f->st, again, &err), CERTLC_CONFLICT);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(again->resource_version, 0);
    certlc_secret_free(again);

    certlc_secret *got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "t1-ca", &got, &err), 0);
    assert_string_equal(got->name, "t1-ca");
    assert_string_equal(got->namespace, "ns1");
    assert_string_equal(certlc_kvlist_str(&got->labels, "tier"), "gold");
    assert_int_equal(got->resource_version, s->resource_version);
    assert_int_equal(got->creation_timestamp, s->creation_timestamp);
    const certlc_kv *kv = certlc_kvlist_get(&got->data, "tls.key");
    assert_int_equal(kv->len, 6);
    assert_memory_equal(kv->value, certlc_kvlist_get(&s->data, "tls.key")->value, 6);
    certlc_secret_free(got);
    certlc_secret_free(s);

    got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "nope", &got, &err), CERTLC_NOTFOUND);
    assert_non_null(strstr(err.msg, "not found"));
    assert_null(got);
    assert_int_equal(certlc_store_get(f->st, "other", "t1-ca", &got, &err), CERTLC_NOTFOUND);
}

/* peek: the digest of the stored bytes, the one get and a write report;
 * any change of the bytes (a hand edit that keeps the resourceVersion
 * included) changes it. */
static void test_peek(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    certlc_secret *s = secret("ns1", "t1-ca", "gold");
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    assert_int_equal(strlen(s->stored_digest), 64);
    char d1[65];
    assert_int_equal(certlc_store_peek(f->st, "ns1", "t1-ca", d1, &err), 0);
    assert_string_equal(d1, s->stored_digest);
    certlc_secret *got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "t1-ca", &got, &err), 0);
    assert_string_equal(got->stored_digest, d1);
    /* A copy may be changed: it does not claim the stored bytes. */
    certlc_secret *dup = certlc_secret_dup(got);
    assert_string_equal(dup->stored_digest, "");
    certlc_secret_free(dup);

    /* Rewritten by update: a new digest, reported by the write. */
    assert_int_equal(certlc_kvlist_set_str(&got->labels, "tier", "silver"), 0);
    assert_int_equal(certlc_store_update(f->st, got, &err), 0);
    char d2[65];
    assert_int_equal(certlc_store_peek(f->st, "ns1", "t1-ca", d2, &err), 0);
    assert_string_not_equal(d2, d1);
    assert_string_equal(d2, got->stored_digest);

    /* One byte changed by hand, resourceVersion kept: another digest. */
    char path[300];
    snprintf(path, sizeof path, "%s/ns1/t1-ca.json", f->state);
    FILE *fp = fopen(path, "r+");
    assert_non_null(fp);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    char *tier = strstr(buf, "silver");
    assert_non_null(tier);
    tier[0] = 'S';
    rewind(fp);
    assert_int_equal(fwrite(buf, 1, n, fp), n);
    fclose(fp);
    char d3[65];
    assert_int_equal(certlc_store_peek(f->st, "ns1", "t1-ca", d3, &err), 0);
    assert_string_not_equal(d3, d2);
    certlc_secret *again = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "t1-ca", &again, &err), 0);
    assert_int_equal(again->resource_version, got->resource_version);
    assert_string_equal(again->stored_digest, d3);
    certlc_secret_free(again);
    certlc_secret_free(got);
    certlc_secret_free(s);
    assert_int_equal(certlc_store_peek(f->st, "ns1", "nope", d3, &err),
                     CERTLC_NOTFOUND);
}

static void test_modes(void **state)
{
    struct fixture *f = *state;
    create_ok(f->st, "ns1", "a", "gold");
    char path[512];
    assert_int_equal(mode_of(f->state), 0700);
    snprintf(path, sizeof path, "%s/ns1", f->state);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/ns1/a.json", f->state);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof path, "%s/.lock", f->state);
    assert_int_equal(mode_of(path), 0600);

    /* Whatever the umask. */
    mode_t old = umask(0);
    create_ok(f->st, "ns2", "b", "gold");
    umask(0777);
    create_ok(f->st, "ns3", "c", "gold");
    umask(old);
    snprintf(path, sizeof path, "%s/ns2", f->state);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/ns2/b.json", f->state);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof path, "%s/ns3", f->state);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/ns3/c.json", f->state);
    assert_int_equal(mode_of(path), 0600);

    /* The file is a Kubernetes Secret a person can read. */
    snprintf(path, sizeof path, "%s/ns1/a.json", f->state);
    FILE *fp = fopen(path, "r");
    char buf[1024] = {0};
    assert_true(fread(buf, 1, sizeof buf - 1, fp) > 0);
    fclose(fp);
    assert_non_null(strstr(buf, "\"kind\":\"Secret\""));
    assert_non_null(strstr(buf, "\"tls.key\":\"MIIAAQD/\""));
}

static void test_open_fixes_mode_and_reports_errors(void **state)
{
    struct fixture *f = *state;
    certlc_store_close(f->st);
    f->st = NULL;
    assert_int_equal(chmod(f->state, 0755), 0);
    certlc_err err = {{0}};
    f->st = certlc_store_file_open(f->state, &err);
    assert_non_null(f->st);
    assert_int_equal(mode_of(f->state), 0700);

    /* Only the last component is created. */
    char path[512];
    snprintf(path, sizeof path, "%s/no/such", f->dir);
    assert_null(certlc_store_file_open(path, &err));
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file or directory"));

    /* A file where the directory should be. */
    snprintf(path, sizeof path, "%s/file", f->dir);
    write_text(path, "x");
    assert_null(certlc_store_file_open(path, &err));
    assert_non_null(strstr(err.msg, path));

    assert_null(certlc_store_file_open("", &err));
}

static void test_list_selector(void **state)
{
    struct fixture *f = *state;
    create_ok(f->st, "ns1", "a", "gold");
    create_ok(f->st, "ns1", "b", "silver");
    create_ok(f->st, "ns2", "c", "gold");
    create_ok(f->st, "ns2", "d", "bronze");

    certlc_err err = {{0}};
    certlc_secret_list l = {0};
    assert_int_equal(certlc_store_list(f->st, NULL, NULL, &l, &err), 0);
    assert_int_equal(l.n, 4);
    certlc_secret_list_sort(&l);
    assert_string_equal(l.items[0]->name, "a");
    assert_string_equal(l.items[3]->namespace, "ns2");
    assert_string_equal(l.items[3]->name, "d");
    certlc_secret_list_free(&l);

    assert_int_equal(certlc_store_list(f->st, "ns1", NULL, &l, &err), 0);
    assert_int_equal(l.n, 2);
    certlc_secret_list_free(&l);

    certlc_selector *sel = certlc_selector_parse("tier in (gold, bronze)", &err);
    assert_int_equal(certlc_store_list(f->st, NULL, sel, &l, &err), 0);
    assert_int_equal(l.n, 3);
    certlc_secret_list_sort(&l);
    assert_string_equal(l.items[0]->name, "a");
    assert_string_equal(l.items[1]->name, "c");
    assert_string_equal(l.items[2]->name, "d");
    certlc_secret_list_free(&l);
    assert_int_equal(certlc_store_list(f->st, "ns2", sel, &l, &err), 0);
    assert_int_equal(l.n, 2);
    certlc_secret_list_free(&l);
    certlc_selector_free(sel);

    /* An unknown namespace is empty, not an error. */
    assert_int_equal(certlc_store_list(f->st, "ghost", NULL, &l, &err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(certlc_store_list(f->st, "../etc", NULL, &l, &err), -1);
    assert_non_null(strstr(err.msg, "invalid namespace \"../etc\""));
}

static void test_update_cas(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    certlc_secret *s = secret("ns1", "a", "gold");
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    int64_t created = s->creation_timestamp;
    uint64_t rv1 = s->resource_version;

    /* A second reader, then the first one writes. */
    certlc_secret *other = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "a", &other, &err), 0);

    assert_int_equal(certlc_kvlist_set_str(&s->labels, "tier", "platinum"), 0);
    s->creation_timestamp = 1; /* ignored: the stored one is kept */
    assert_int_equal(certlc_store_update(f->st, s, &err), 0);
    assert_true(s->resource_version > rv1);
    assert_int_equal(s->creation_timestamp, created);

    /* The second one's version is stale now. */
    assert_int_equal(certlc_kvlist_set_str(&other->labels, "tier", "tin"), 0);
    assert_int_equal(certlc_store_update(f->st, other, &err), CERTLC_CONFLICT);
    assert_non_null(strstr(err.msg, "the object has been modified"));
    assert_int_equal(other->resource_version, rv1);

    certlc_secret *got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "a", &got, &err), 0);
    assert_string_equal(certlc_kvlist_str(&got->labels, "tier"), "platinum");
    assert_int_equal(got->creation_timestamp, created);
    assert_int_equal(got->resource_version, s->resource_version);
    certlc_secret_free(got);

    /* Absent: not found. */
    certlc_secret *ghost = secret("ns1", "ghost", "x");
    assert_int_equal(certlc_store_update(f->st, ghost, &err), CERTLC_NOTFOUND);
    assert_non_null(strstr(err.msg, "not found"));
    certlc_secret_free(ghost);
    ghost = secret("nons", "ghost", "x");
    assert_int_equal(certlc_store_update(f->st, ghost, &err), CERTLC_NOTFOUND);
    certlc_secret_free(ghost);

    /* An unparsable stored file is a conflict, with a message. */
    char path[512];
    snprintf(path, sizeof path, "%s/ns1/a.json", f->state);
    write_text(path, "{broken");
    assert_int_equal(certlc_store_update(f->st, s, &err), CERTLC_CONFLICT);
    assert_non_null(strstr(err.msg, "cannot be parsed"));
    assert_non_null(strstr(err.msg, path));

    certlc_secret_free(other);
    certlc_secret_free(s);
}

static void test_remove(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    create_ok(f->st, "ns1", "a", "gold");
    assert_int_equal(certlc_store_remove(f->st, "ns1", "a", &err), 0);
    certlc_secret *got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "a", &got, &err), CERTLC_NOTFOUND);
    assert_int_equal(certlc_store_remove(f->st, "ns1", "a", &err), CERTLC_NOTFOUND);
    assert_non_null(strstr(err.msg, "secrets \"a\" not found"));
    assert_int_equal(certlc_store_remove(f->st, "nons", "a", &err), CERTLC_NOTFOUND);

    /* Works on a file that cannot be parsed. */
    char path[512];
    snprintf(path, sizeof path, "%s/ns1/bad.json", f->state);
    write_text(path, "garbage");
    assert_int_equal(certlc_store_remove(f->st, "ns1", "bad", &err), 0);
    assert_int_equal(access(path, F_OK), -1);

    /* Created again after removal: a fresh object. */
    create_ok(f->st, "ns1", "a", "gold");
}

static void test_rv_increases(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    uint64_t last = 0;
    certlc_secret *s = secret("ns1", "a", "gold");
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    last = s->resource_version;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(certlc_store_update(f->st, s, &err), 0);
        assert_true(s->resource_version > last);
        last = s->resource_version;
        /* Other Secrets share the same sequence. */
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        certlc_secret *o = secret("ns2", name, "x");
        assert_int_equal(certlc_store_create(f->st, o, &err), 0);
        assert_true(o->resource_version > last);
        last = o->resource_version;
        certlc_secret_free(o);
    }
    certlc_secret_free(s);

    /* A stored version far in the future still moves forward... */
    char path[512];
    snprintf(path, sizeof path, "%s/ns1/a.json", f->state);
    write_text(path, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns1\","
                     "\"resourceVersion\":\"9000000000000000\"}}");
    s = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "a", &s, &err), 0);
    assert_int_equal(certlc_store_update(f->st, s, &err), 0);
    assert_int_equal(s->resource_version, 9000000000000001ULL);
    certlc_secret_free(s);

    /* ...and so does the store as a whole, for a new handle too (another
     * process): the last version lives in the store. */
    certlc_store *st2 = certlc_store_file_open(f->state, &err);
    assert_non_null(st2);
    certlc_secret *o = secret("ns3", "z", "x");
    assert_int_equal(certlc_store_create(st2, o, &err), 0);
    assert_true(o->resource_version > 9000000000000001ULL);
    certlc_secret_free(o);
    certlc_store_close(st2);
}

static void test_broken_file(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    create_ok(f->st, "ns1", "good", "gold");
    char path[512];
    snprintf(path, sizeof path, "%s/ns1/broken.json", f->state);
    write_text(path, "{\"kind\":\"Secret\",");
    /* A Secret stored under another Secret's name. */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/ns1/moved.json", f->state);
    write_text(path2, "{\"metadata\":{\"name\":\"good\",\"namespace\":\"ns1\"}}");

    certlc_secret *got = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "broken", &got, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not valid JSON"));
    assert_null(got);
    assert_int_equal(certlc_store_get(f->st, "ns1", "moved", &got, &err), -1);
    assert_non_null(strstr(err.msg, path2));

    /* list skips both, with warnings, and returns the rest. */
    certlc_secret_list l = {0};
    certlc_log_set_level(CERTLC_LOG_ERROR); /* keep the test output quiet */
    assert_int_equal(certlc_store_list(f->st, NULL, NULL, &l, &err), 0);
    certlc_log_set_level(CERTLC_LOG_INFO);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0]->name, "good");
    certlc_secret_list_free(&l);
}

static void test_no_temp_files(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    certlc_secret *s = secret("ns1", "a", "gold");
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(certlc_store_update(f->st, s, &err), 0);
    certlc_secret_free(s);
    assert_int_equal(certlc_store_status_put(f->st, "ns1", "t1", "{}", &err), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/ns1", f->state);
    assert_int_equal(count_entries(path, ".tmp."), 0);
    snprintf(path, sizeof path, "%s/ns1/tcp", f->state);
    assert_int_equal(count_entries(path, ".tmp."), 0);

    /* A temp file left by a crash is not a Secret. */
    snprintf(path, sizeof path, "%s/ns1/b.json.tmp.12345", f->state);
    write_text(path, "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns1\"}}");
    certlc_secret_list l = {0};
    assert_int_equal(certlc_store_list(f->st, "ns1", NULL, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0]->name, "a");
    certlc_secret_list_free(&l);

    /* ...nor is one with our own pid: the next write replaces it. */
    snprintf(path, sizeof path, "%s/ns1/c.json.tmp.%ld", f->state, (long)getpid());
    write_text(path, "stale");
    create_ok(f->st, "ns1", "c", "gold");
    assert_int_equal(access(path, F_OK), -1);
}

/* Opening the store sweeps the temp files a crashed writer left, but not
 * those of a writer that is still alive: a `certlc get` beside a running
 * operator must not remove a file an instant before its rename. */
static void test_sweep_spares_live_writers(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    create_ok(f->st, "ns1", "a", "gold");
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    pid_t live = fork();
    assert_true(live >= 0);
    if (live == 0) {
        pause();
        _exit(0);
    }
    char gone[512], busy[512];
    snprintf(gone, sizeof gone, "%s/ns1/a.json.tmp.%ld", f->state, (long)dead);
    snprintf(busy, sizeof busy, "%s/ns1/a.json.tmp.%ld", f->state, (long)live);
    write_text(gone, "half");
    write_text(busy, "half");
    certlc_store *st2 = certlc_store_file_open(f->state, &err);
    assert_non_null(st2);
    certlc_store_close(st2);
    kill(live, SIGKILL);
    waitpid(live, NULL, 0);
    assert_int_equal(access(gone, F_OK), -1);
    assert_int_equal(access(busy, F_OK), 0);
}

static void test_invalid_names(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    const char *bad[] = {"../x", "a/b", "..", ".", "", "-a", "a-", "A", "a..b",
                         "a_b", ".hidden"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        certlc_secret *s = secret("ns1", bad[i], "x");
        assert_int_equal(certlc_store_create(f->st, s, &err), -1);
        assert_non_null(strstr(err.msg, "name"));
        free(s->name);
        s->name = strdup("z");
        free(s->namespace);
        s->namespace = strdup(bad[i]);
        assert_int_equal(certlc_store_create(f->st, s, &err), -1);
        assert_non_null(strstr(err.msg, "namespace"));
        certlc_secret *got = NULL;
        assert_int_equal(certlc_store_get(f->st, "ns1", bad[i], &got, &err), -1);
        assert_int_equal(certlc_store_get(f->st, bad[i], "a", &got, &err), -1);
        assert_int_equal(certlc_store_remove(f->st, "ns1", bad[i], &err), -1);
        assert_int_equal(certlc_store_status_put(f->st, "ns1", bad[i], "{}", &err), -1);
        certlc_secret_free(s);
    }
    certlc_secret *s = secret("ns1", "../x", "x");
    assert_int_equal(certlc_store_create(f->st, s, &err), -1);
    assert_non_null(strstr(err.msg, "invalid name \"../x\""));
    certlc_secret_free(s);
    assert_int_equal(certlc_store_remove(f->st, "a/b", "x", &err), -1);
    assert_non_null(strstr(err.msg, "invalid namespace \"a/b\""));

    /* Long names: up to the limit both stores share (names.h), which
     * "<name>.json" holds in one directory entry; the temp file's name is
     * shortened. */
    char name[300];
    memset(name, 'a', sizeof name);
    name[250] = '\0';
    create_ok(f->st, "ns1", name, "x");
    certlc_secret *got250 = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", name, &got250, &err), 0);
    certlc_secret_free(got250);
    name[250] = 'a';
    name[251] = '\0';
    s = secret("ns1", name, "x");
    assert_int_equal(certlc_store_create(f->st, s, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 250"));
    certlc_secret_free(s);

    /* Nothing escaped the state directory. */
    char path[512];
    snprintf(path, sizeof path, "%s/x.json", f->dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_status(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    char *json = NULL;
    assert_int_equal(certlc_store_status_get(f->st, "ns1", "t1", &json, &err), CERTLC_NOTFOUND);
    assert_non_null(strstr(err.msg, "not found"));
    const char *doc = "{\"phase\":\"Ready\",\"checksum\":\"abc\"}";
    assert_int_equal(certlc_store_status_put(f->st, "ns1", "t1", doc, &err), 0);
    assert_int_equal(certlc_store_status_get(f->st, "ns1", "t1", &json, &err), 0);
    assert_non_null(strstr(json, doc));
    free(json);
    assert_int_equal(certlc_store_status_put(f->st, "ns1", "t1", "{\"phase\":\"NotReady\"}", &err), 0);
    assert_int_equal(certlc_store_status_get(f->st, "ns1", "t1", &json, &err), 0);
    assert_non_null(strstr(json, "NotReady"));
    free(json);

    char path[512];
    snprintf(path, sizeof path, "%s/ns1/tcp/t1.json", f->state);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof path, "%s/ns1/tcp", f->state);
    assert_int_equal(mode_of(path), 0700);

    /* Status files are not Secrets. */
    certlc_secret_list l = {0};
    assert_int_equal(certlc_store_list(f->st, NULL, NULL, &l, &err), 0);
    assert_int_equal(l.n, 0);

    assert_int_equal(certlc_store_status_put(f->st, "ns1", "t1", "{nope", &err), -1);
    assert_non_null(strstr(err.msg, "not valid JSON"));

    assert_int_equal(certlc_store_status_remove(f->st, "ns1", "t1", &err), 0);
    assert_int_equal(certlc_store_status_remove(f->st, "ns1", "t1", &err), CERTLC_NOTFOUND);
    assert_int_equal(certlc_store_status_get(f->st, "ns1", "t1", &json, &err), CERTLC_NOTFOUND);
    assert_int_equal(certlc_store_status_remove(f->st, "nons", "t1", &err), CERTLC_NOTFOUND);
}

static double elapsed_ms(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void test_lock_serialises_processes(void **state)
{
    struct fixture *f = *state;
    char lock_path[512];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", f->state);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Another process (the command line, say) holds the lock. */
        int fd = open(lock_path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) != 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        struct timespec nap = {0, 300 * 1000 * 1000};
        nanosleep(&nap, NULL);
        _exit(0);
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    create_ok(f->st, "ns1", "a", "gold");
    double ms = elapsed_ms(&t0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (ms < 250)
        fail_msg("the write took %.0f ms: it did not wait for the lock", ms);

    /* Without the other process, no wait. */
    certlc_err err = {{0}};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(certlc_store_remove(f->st, "ns1", "a", &err), 0);
    assert_true(elapsed_ms(&t0) < 250);
}

/* Two processes add to one counter with get, update and retry on
 * conflict: the compare-and-swap loses no increment. */
static void test_cas_between_processes(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    certlc_secret *s = certlc_secret_new("ns1", "counter", NULL);
    assert_int_equal(certlc_kvlist_set_str(&s->data, "n", "0"), 0);
    assert_int_equal(certlc_store_create(f->st, s, &err), 0);
    certlc_secret_free(s);
    enum { PER_CHILD = 25 };
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] != 0)
            continue;
        certlc_store *st = certlc_store_file_open(f->state, &err);
        if (st == NULL)
            _exit(1);
        for (int i = 0; i < PER_CHILD;) {
            certlc_secret *c = NULL;
            if (certlc_store_get(st, "ns1", "counter", &c, &err) != 0)
                _exit(2);
            char num[16];
            snprintf(num, sizeof num, "%d", atoi(certlc_kvlist_str(&c->data, "n")) + 1);
            certlc_kvlist_set_str(&c->data, "n", num);
            int rc = certlc_store_update(st, c, &err);
            certlc_secret_free(c);
            if (rc == 0)
                i++;
            else if (rc != CERTLC_CONFLICT)
                _exit(3);
        }
        certlc_store_close(st);
        _exit(0);
    }
    for (int k = 0; k < 2; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    s = NULL;
    assert_int_equal(certlc_store_get(f->st, "ns1", "counter", &s, &err), 0);
    assert_string_equal(certlc_kvlist_str(&s->data, "n"), "50");
    certlc_secret_free(s);
}

/* The descriptor of <state>/.lock that the store holds, found in /proc. */
static int store_lock_fd(const char *state)
{
    char want[512], link[512], path[300];
    snprintf(want, sizeof want, "%s/.lock", state);
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    struct dirent *de;
    int found = -1;
    while ((de = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            if (strcmp(link, want) == 0)
                found = atoi(de->d_name);
        }
    }
    closedir(d);
    return found;
}

/* A child process that inherited the store must still be excluded by the
 * parent's lock: flock belongs to the open file description, which fork
 * shares, so the store reopens .lock in the child. */
static void test_lock_after_fork(void **state)
{
    struct fixture *f = *state;
    int fd = store_lock_fd(f->state);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* as if mid-write */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        certlc_secret *s = secret("ns1", "child", "x");
        certlc_err err = {{0}};
        int rc = certlc_store_create(f->st, s, &err);
        certlc_secret_free(s);
        _exit(rc != 0 ? 2 : elapsed_ms(&t0) < 250 ? 3 : 0);
    }
    struct timespec nap = {0, 300 * 1000 * 1000};
    nanosleep(&nap, NULL);
    /* The child has not written yet. */
    char path[512];
    snprintf(path, sizeof path, "%s/ns1/child.json", f->state);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(flock(fd, LOCK_UN), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(access(path, F_OK), 0);
}

/* Waits up to a second for the watch, then reads every event. */
static size_t drain(certlc_store *st, int fd, certlc_store_event *evs, size_t max)
{
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 1000);
    size_t total = 0, n;
    certlc_err err = {{0}};
    do {
        if (st->ops->watch_read(st, evs + total, max - total < 3 ? max - total : 3,
                                &n, &err) != 0)
            fail_msg("watch_read: %s", err.msg);
        total += n;
    } while (n > 0 && total < max);
    return total;
}

/* Whether evs holds the event, and nothing about temp or other files. */
static bool has_event(const certlc_store_event *evs, size_t n, const char *ns,
                      const char *name, int status, int removed)
{
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (strstr(evs[i].name, "tmp") != NULL || strstr(evs[i].name, ".json") != NULL)
            fail_msg("event for a file that is no Secret: %s", evs[i].name);
        found |= !evs[i].overflow && strcmp(evs[i].ns, ns) == 0 &&
                 strcmp(evs[i].name, name) == 0 && evs[i].status == status &&
                 evs[i].removed == removed;
    }
    return found;
}

static void test_watch(void **state)
{
    struct fixture *f = *state;
    certlc_err err = {{0}};
    size_t n;
    certlc_store_event evs[64];
    assert_int_equal(f->st->ops->watch_read(f->st, evs, 64, &n, &err), -1);
    assert_non_null(strstr(err.msg, "watch_fd"));

    create_ok(f->st, "old", "before", "x"); /* before the watch: no event */
    int fd = f->st->ops->watch_fd(f->st, &err);
    assert_true(fd >= 0);
    assert_int_equal(f->st->ops->watch_fd(f->st, &err), fd);
    assert_int_equal(drain(f->st, fd, evs, 64), 0);

    /* In a namespace that existed, and one that did not. */
    create_ok(f->st, "old", "a", "x");
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "old", "a", 0, 0));
    create_ok(f->st, "new", "b", "x");
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "new", "b", 0, 0));
    /* The new namespace is watched from now on. */
    certlc_secret *s = NULL;
    assert_int_equal(certlc_store_get(f->st, "new", "b", &s, &err), 0);
    assert_int_equal(certlc_store_update(f->st, s, &err), 0);
    certlc_secret_free(s);
    n = drain(f->st, fd, evs, 64);
    assert_int_equal(n, 1);
    assert_true(has_event(evs, n, "new", "b", 0, 0));

    assert_int_equal(certlc_store_remove(f->st, "new", "b", &err), 0);
    n = drain(f->st, fd, evs, 64);
    assert_int_equal(n, 1);
    assert_true(has_event(evs, n, "new", "b", 0, 1));

    /* Tenant status, in a new tcp directory and then an existing one. */
    assert_int_equal(certlc_store_status_put(f->st, "old", "t1", "{}", &err), 0);
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "old", "t1", 1, 0));
    assert_int_equal(certlc_store_status_put(f->st, "old", "t1", "{\"a\":1}", &err), 0);
    n = drain(f->st, fd, evs, 64);
    assert_int_equal(n, 1);
    assert_true(has_event(evs, n, "old", "t1", 1, 0));

    /* A person's edit and a person's rm. */
    char path[512];
    snprintf(path, sizeof path, "%s/old/before.json", f->state);
    write_text(path, "{}");
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "old", "before", 0, 0));
    assert_int_equal(unlink(path), 0);
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "old", "before", 0, 1));

    /* More events than the reader takes at once: none is lost. */
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        create_ok(f->st, "old", name, "x");
    }
    n = drain(f->st, fd, evs, 64);
    assert_int_equal(n, 10);
    assert_true(has_event(evs, n, "old", "m0", 0, 0));
    assert_true(has_event(evs, n, "old", "m9", 0, 0));

    /* Too many undelivered events become one overflow. */
    for (int i = 0; i < 4200; i++) {
        snprintf(path, sizeof path, "%s/old/bulk%d.json", f->state, i);
        write_text(path, "{}");
    }
    n = drain(f->st, fd, evs, 64);
    assert_int_equal(n, 1);
    assert_true(evs[0].overflow);
    /* And then events flow again. */
    create_ok(f->st, "old", "after", "x");
    n = drain(f->st, fd, evs, 64);
    assert_true(has_event(evs, n, "old", "after", 0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peek, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fixes_mode_and_reports_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_selector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_cas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rv_increases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temp_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_spares_live_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_serialises_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_after_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cas_between_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_file", tests, NULL, NULL);
}
