/* The file store: one Kubernetes JSON file per Secret.
 *
 *   <dir>/.lock                    flock'd by every writer; also holds the
 *                                  last resourceVersion issued (see next_rv)
 *   <dir>/<namespace>/<name>.json  a Secret
 *   <dir>/<namespace>/tcp/<tenant>.json  a tenant's status
 *
 * Every write happens under an exclusive flock on .lock, so that the
 * operator and the command line serialise; reads take no lock, because a
 * write replaces a file by rename and a reader sees the old or the new one,
 * never half of either. Everything is opened relative to a descriptor of
 * <dir>, with names checked first, so no path built from a Secret's name
 * can leave the directory.
 *
 * Durability is batched: each Secret's file is fsync'd before its rename
 * (so it is whole or absent), but the fsync of its directory, which makes
 * the rename itself survive a power cut, is deferred (pending_dfd) until
 * the next status write, removal, flush or close: one directory fsync for
 * all the Secrets of a tenant's pass, always before the status that
 * records them.
 *
 * The watch is inotify on <dir>, each namespace directory and each tcp
 * directory; a write shows up as the rename of its temp file onto
 * <name>.json, a removal as the unlink, a person's edit as a close after
 * writing.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "encryption.h"
#include "hex.h"
#include "log.h"
#include "names.h"
#include "writer_lock.h"

#define COMPONENT "store"

/* Longest name: "<name>.json" in one directory entry (names.h). */
#define MAX_FILE_NAME CERTLC_OBJECT_NAME_MAX
/* Refuse to read files larger than this: a Secret is at most 1 MiB. */
#define MAX_FILE_SIZE ((size_t)64 << 20)

struct fstore {
    certlc_store base;
    char *dir;
    int dirfd;
    int lockfd;
    pid_t lock_pid; /* the process that opened lockfd */
    /* flock does not exclude threads sharing lockfd: the mutex does. */
    pthread_mutex_t mu;
    uint64_t last_rv;
    /* A directory with renames not yet fsync'd (under mu); -1: none. */
    int pending_dfd;
    char pending_where[PATH_MAX];

    /* The watch, set up by the first watch_fd call (one thread at a time). */
    char *abs_dir; /* inotify wants paths: this one survives a chdir */
    int inofd;
    struct wdir {
        int wd;
        char ns[256]; /* "" for <dir> itself */
        bool tcp;     /* <dir>/<ns>/tcp */
    } *wds;
    size_t nwds, capwds;
    certlc_store_event *q; /* events read from inotify, not yet handed out */
    size_t qn, qcap;
    bool qoverflow; /* an overflow event is queued: drop the rest */
};

/* ---- names ------------------------------------------------------------- */

/* The one check of names (names.c), before any path is built from them:
 * no '/', never "." or "..". `max` is gone: both stores accept the same
 * names, up to CERTLC_OBJECT_NAME_MAX. */
static int check_name(const char *what, const char *s, size_t max,
                      certlc_err *err)
{
    (void)max;
    return certlc_check_object_name(what, s, err);
}

static int check_ns_name(const char *ns, const char *name, const char *what,
                         certlc_err *err)
{
    if (check_name("namespace", ns, 253, err) != 0)
        return -1;
    return check_name(what, name, (size_t)MAX_FILE_NAME, err);
}

/* ---- locking and resourceVersion --------------------------------------- */

static int open_lock_file(struct fstore *st)
{
    st->lockfd = openat(st->dirfd, ".lock",
                        O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (st->lockfd < 0 || fchmod(st->lockfd, 0600) != 0)
        return -1;
    st->lock_pid = getpid();
    return 0;
}

static int lock(struct fstore *st, certlc_err *err)
{
    pthread_mutex_lock(&st->mu);
    /* A child of fork() shares the parent's open file description, and so
     * its flock: it would not exclude the parent. Reopen in the child. */
    if (st->lock_pid != getpid()) {
        close(st->lockfd);
        if (open_lock_file(st) != 0) {
            int e = errno;
            pthread_mutex_unlock(&st->mu);
            return certlc_err_set(err, "%s/.lock: cannot open: %s", st->dir,
                                  strerror(e));
        }
    }
    while (flock(st->lockfd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        pthread_mutex_unlock(&st->mu);
        return certlc_err_set(err, "%s/.lock: cannot lock: %s", st->dir,
                              strerror(e));
    }
    return 0;
}

static void unlock(struct fstore *st)
{
    flock(st->lockfd, LOCK_UN);
    pthread_mutex_unlock(&st->mu);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The next resourceVersion, under the lock: the largest of the time now in
 * microseconds since the epoch, the Secret's stored version + 1, and the
 * last version issued + 1. The last one issued is kept in .lock itself, so
 * versions increase across every process that writes this store, even when
 * the clock steps back; losing that file's content only loses the last
 * guarantee, not the other two. */
static int next_rv(struct fstore *st, uint64_t stored, uint64_t *out,
                   certlc_err *err)
{
    char buf[32];
    ssize_t n = pread(st->lockfd, buf, sizeof buf - 1, 0);
    uint64_t last = 0;
    if (n > 0) {
        buf[n] = '\0';
        last = strtoull(buf, NULL, 10);
    }
    if (st->last_rv > last)
        last = st->last_rv;
    uint64_t rv = now_us();
    if (stored + 1 > rv)
        rv = stored + 1;
    if (last + 1 > rv)
        rv = last + 1;
    int len = snprintf(buf, sizeof buf, "%020" PRIu64 "\n", rv);
    if (pwrite(st->lockfd, buf, (size_t)len, 0) != len)
        return certlc_err_set(err, "%s/.lock: cannot record the "
                                   "resourceVersion: %s",
                              st->dir, strerror(errno));
    st->last_rv = rv;
    *out = rv;
    return 0;
}

/* ---- files ------------------------------------------------------------- */

/* Opens (and with create, makes, 0700) the directory `name` under parent.
 * Returns the descriptor, -1 with errno otherwise. */
static int open_dir_at(int parent, const char *name, bool create)
{
    int fd = openat(parent, name,
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT || !create)
        return fd;
    if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST)
        return -1;
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    /* umask may have taken bits away; make it exactly 0700, and make the
     * new entry durable in its parent. */
    if (fchmod(fd, 0700) != 0 || fsync(parent) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* A namespace directory (or its tcp directory) that is a symbolic link
 * would let whoever made the link decide where keys are written, and
 * listings would show another namespace's Secrets: it is refused by every
 * reader and writer with this one message. */
#define CERTLC_NS_LINK_FMT                                                    \
    "%s/%s: refused: the namespace directory is a symbolic link: expected "  \
    "a directory (remove the link)"

static bool ns_is_link(struct fstore *st, const char *ns, bool tcp)
{
    struct stat sb;
    if (fstatat(st->dirfd, ns, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    if (S_ISLNK(sb.st_mode))
        return true;
    if (!tcp)
        return false;
    char rel[300];
    snprintf(rel, sizeof rel, "%s/tcp", ns);
    return fstatat(st->dirfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISLNK(sb.st_mode);
}

/* The directory of a namespace, or of its tenant status files (tcp true).
 * Returns the fd, CERTLC_NOTFOUND (only without create), or -1. */
static int open_ns(struct fstore *st, const char *ns, bool tcp, bool create,
                   int *out, certlc_err *err)
{
    int fd = open_dir_at(st->dirfd, ns, create);
    if (fd >= 0 && tcp) {
        int sub = open_dir_at(fd, "tcp", create);
        int e = errno;
        close(fd);
        errno = e;
        fd = sub;
    }
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    int e = errno;
    if (e == ENOTDIR || e == ELOOP) {
        char rel[300];
        snprintf(rel, sizeof rel, "%s%s", ns, tcp ? "/tcp" : "");
        if (ns_is_link(st, ns, tcp))
            return certlc_err_set(err, CERTLC_NS_LINK_FMT, st->dir, rel);
    }
    errno = e;
    if (!create && (errno == ENOENT || errno == ENOTDIR))
        return CERTLC_NOTFOUND;
    return certlc_err_set(err, "%s/%s%s: %s", st->dir, ns, tcp ? "/tcp" : "",
                          strerror(errno));
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes `file` in the directory dfd atomically: a temp file (0600, made
 * with O_EXCL), every byte, fsync, rename over the target, fsync of the
 * directory. `where` names the directory in messages. Call under the lock. */
static int write_atomic(int dfd, const char *where, const char *file,
                        const char *buf, size_t len, bool sync_dir,
                        certlc_err *err)
{
    char tmp[NAME_MAX + 1];
    /* "<file>.tmp.<pid>", the file's stem shortened when a long name would
     * not fit NAME_MAX; ".json.tmp." stays the mark sweep_dir looks for.
     * Writers hold the lock, so one temp file at a time per process. */
    size_t flen = strlen(file);
    if (flen > 200 && flen > 5 && strcmp(file + flen - 5, ".json") == 0)
        snprintf(tmp, sizeof tmp, "%.195s.json.tmp.%ld", file,
                 (long)getpid());
    else
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", file, (long)getpid());
    int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
    int fd = openat(dfd, tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* Left by a crashed process that had our pid: we hold the lock,
         * so no live writer owns it. */
        unlinkat(dfd, tmp, 0);
        fd = openat(dfd, tmp, flags, 0600);
    }
    if (fd < 0)
        return certlc_err_set(err, "%s/%s: cannot create: %s", where, tmp,
                              strerror(errno));
    const char *step = "cannot set mode 0600";
    if (fchmod(fd, 0600) != 0)
        goto fail;
    step = "cannot write";
    if (write_all(fd, buf, len) != 0 || write_all(fd, "\n", 1) != 0)
        goto fail;
    step = "cannot fsync";
    if (fsync(fd) != 0)
        goto fail;
    step = "cannot close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    step = "cannot rename into place";
    if (renameat(dfd, tmp, dfd, file) != 0)
        goto fail;
    if (sync_dir && fsync(dfd) != 0)
        return certlc_err_set(err, "%s: cannot fsync the directory: %s",
                              where, strerror(errno));
    return 0;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlinkat(dfd, tmp, 0);
    return certlc_err_set(err, "%s/%s: %s: %s", where, tmp, step,
                          strerror(e));
}

static void buf_free(char *buf, size_t cap)
{
    if (buf != NULL) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
}

/* Reads a regular file below dfd into a NUL-terminated buffer of *cap
 * bytes (release with buf_free: it may hold keys). Returns 0,
 * CERTLC_NOTFOUND, or -1 with errno. */
static int read_file(int dfd, const char *rel, char **out, size_t *len,
                     size_t *cap)
{
    /* O_NONBLOCK: a FIFO planted in the directory must not hang us. */
    int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? CERTLC_NOTFOUND : -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        goto fail;
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    size_t size = (size_t)sb.st_size + 1, n = 0;
    if (size > MAX_FILE_SIZE) {
        close(fd);
        errno = EFBIG;
        return -1;
    }
    char *buf = malloc(size + 1);
    if (buf == NULL)
        goto fail;
    for (;;) {
        if (n == size) {
            /* The file grew since fstat: grow without leaving a copy. */
            if (size > MAX_FILE_SIZE) {
                buf_free(buf, size + 1);
                close(fd);
                errno = EFBIG;
                return -1;
            }
            char *bigger = malloc(size * 2 + 1);
            if (bigger == NULL) {
                buf_free(buf, size + 1);
                goto fail;
            }
            memcpy(bigger, buf, n);
            buf_free(buf, size + 1);
            buf = bigger;
            size *= 2;
        }
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            buf_free(buf, size + 1);
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    *cap = size + 1;
    return 0;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* ---- Secrets ----------------------------------------------------------- */

/* SHA-256 (hex) of a Secret's stored bytes (its file without the final
 * newline): what get puts in stored_digest and peek answers. */
static void stored_digest(const char *buf, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) && n == 32)
        certlc_hex(md, n, out);
    else
        out[0] = '\0';
}

/* Parses the Secret in <ns>/<file> below dfd (the store dir or the
 * namespace's). Returns 0, CERTLC_NOTFOUND, -1 when the file cannot be
 * read, -2 when it cannot be used as this Secret; messages start with the
 * file's path. */
static int load(struct fstore *st, int dfd, const char *rel, const char *ns,
                const char *name, certlc_secret **out, certlc_err *err)
{
    char *buf;
    size_t len, cap;
    int rc = read_file(dfd, rel, &buf, &len, &cap);
    if (rc == CERTLC_NOTFOUND)
        return rc;
    if (rc != 0)
        return certlc_err_set(err, "%s/%s/%s.json: %s", st->dir, ns, name,
                              errno == EINVAL ? "not a regular file"
                                              : strerror(errno));
    /* The envelope (encryption.h); its associated data is the file's path
     * below the store directory. write_atomic ends every file with a
     * newline, which is not part of the envelope. */
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    char digest[65];
    stored_digest(buf, len, digest);
    char aad[600];
    snprintf(aad, sizeof aad, "%s/%s.json", ns, name);
    unsigned char *plain = NULL;
    size_t plen = 0;
    rc = certlc_encryption_open(st->base.enc, aad, buf, len, &plain, &plen,
                                err);
    buf_free(buf, cap);
    if (rc != 0) {
        certlc_err_prefix(err, "%s/%s/%s.json", st->dir, ns, name);
        return rc == CERTLC_UNDECRYPTABLE ? rc : -1;
    }
    certlc_secret *s = certlc_secret_from_json((char *)plain, plen, err);
    buf_free((char *)plain, plen + 1);
    if (s == NULL) {
        certlc_err_prefix(err, "%s/%s/%s.json", st->dir, ns, name);
        return -2;
    }
    /* The path is authoritative: a file copied under another name must not
     * make the engine act on a Secret it did not ask for. */
    if (strcmp(s->namespace, ns) != 0 || strcmp(s->name, name) != 0) {
        certlc_err_set(err,
                       "%s/%s/%s.json: holds Secret %s/%s, not the one its "
                       "path names",
                       st->dir, ns, name, s->namespace, s->name);
        certlc_secret_free(s);
        return -2;
    }
    memcpy(s->stored_digest, digest, sizeof digest);
    *out = s;
    return 0;
}

/* The deferred directory fsync (see the top): done now. Under the lock. */
static int flush_pending(struct fstore *st, certlc_err *err)
{
    if (st->pending_dfd < 0)
        return 0;
    int rc = 0;
    if (fsync(st->pending_dfd) != 0)
        rc = certlc_err_set(err, "%s: cannot fsync the directory: %s",
                            st->pending_where, strerror(errno));
    close(st->pending_dfd);
    st->pending_dfd = -1;
    return rc;
}

/* A rename in dfd (<where>) whose directory fsync waits for the next
 * flush_pending. Under the lock. */
static int defer_dir_sync(struct fstore *st, int dfd, const char *where,
                          certlc_err *err)
{
    if (st->pending_dfd >= 0 && strcmp(st->pending_where, where) == 0)
        return 0;
    if (flush_pending(st, err) != 0)
        return -1;
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) {
        if (fsync(dfd) != 0)
            return certlc_err_set(err, "%s: cannot fsync the directory: %s",
                                  where, strerror(errno));
        return 0;
    }
    st->pending_dfd = dup_fd;
    snprintf(st->pending_where, sizeof st->pending_where, "%s", where);
    return 0;
}

/* Writes s as <where>/<file>: its JSON, in the envelope (encryption.h);
 * the digest of what was written into digest. */
static int write_secret(struct fstore *st, int fd, const char *where,
                        const char *file, const certlc_secret *s,
                        char digest[65], certlc_err *err)
{
    size_t len;
    char *json = certlc_secret_to_json(s, &len, err);
    if (json == NULL)
        return -1;
    char aad[600];
    snprintf(aad, sizeof aad, "%s/%s", s->namespace, file);
    unsigned char *env = NULL;
    size_t envn = 0;
    int rc = certlc_encryption_seal(st->base.enc, aad, json, len, &env, &envn,
                                    err);
    certlc_secret_json_free(json, len);
    if (rc != 0)
        return -1;
    rc = write_atomic(fd, where, file, (const char *)env, envn, false, err);
    stored_digest((const char *)env, envn, digest);
    buf_free((char *)env, envn + 1);
    if (rc == 0)
        rc = defer_dir_sync(st, fd, where, err);
    return rc;
}

static int fs_get(certlc_store *base, const char *ns, const char *name,
                  certlc_secret **out, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, name, "name", err) != 0)
        return -1;
    char rel[600];
    snprintf(rel, sizeof rel, "%s/%s.json", ns, name);
    int rc = load(st, st->dirfd, rel, ns, name, out, err);
    if (rc == CERTLC_NOTFOUND)
        certlc_err_set(err, "secrets \"%s\" not found in namespace \"%s\"",
                       name, ns);
    return rc == -2 ? -1 : rc;
}

/* The digest get would set, from the file's bytes alone: no decryption,
 * no JSON. */
static int fs_peek(certlc_store *base, const char *ns, const char *name,
                   char digest[65], certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, name, "name", err) != 0)
        return -1;
    char rel[600];
    snprintf(rel, sizeof rel, "%s/%s.json", ns, name);
    char *buf;
    size_t len, cap;
    int rc = read_file(st->dirfd, rel, &buf, &len, &cap);
    if (rc == CERTLC_NOTFOUND)
        return rc;
    if (rc != 0)
        return certlc_err_set(err, "%s/%s: %s", st->dir, rel,
                              strerror(errno));
    stored_digest(buf, len > 0 && buf[len - 1] == '\n' ? len - 1 : len,
                  digest);
    buf_free(buf, cap);
    return digest[0] != '\0' ? 0 : certlc_err_set(err, "out of memory");
}

/* Appends the Secrets of one namespace. With `tolerant` (listing every
 * namespace), a namespace directory that cannot be opened is a warning,
 * not a failure of the whole listing. */
static int list_ns(struct fstore *st, const char *ns,
                   const certlc_selector *sel, bool tolerant,
                   certlc_secret_list *out, certlc_err *err)
{
    int fd;
    certlc_err e1;
    int rc = open_ns(st, ns, false, false, &fd, &e1);
    DIR *d = NULL;
    if (rc == 0) {
        d = fdopendir(fd);
        if (d == NULL) {
            int e = errno;
            close(fd);
            rc = certlc_err_set(&e1, "%s/%s: %s", st->dir, ns, strerror(e));
        }
    }
    if (rc == CERTLC_NOTFOUND)
        return 0;
    if (rc != 0) {
        if (!tolerant)
            return certlc_err_set(err, "%s", e1.msg);
        certlc_warn(COMPONENT, "%s; skipped", e1.msg);
        return 0;
    }
    struct dirent *de;
    rc = 0;
    while ((de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t n = strlen(f);
        /* Only <name>.json: temp files end in ".tmp.<pid>", and the tcp
         * directory has no suffix. */
        if (f[0] == '.' || n <= 5 || strcmp(f + n - 5, ".json") != 0)
            continue;
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
            continue;
        char name[NAME_MAX + 1];
        memcpy(name, f, n - 5);
        name[n - 5] = '\0';
        certlc_err e2;
        if (check_name("name", name, (size_t)MAX_FILE_NAME, &e2) != 0) {
            certlc_warn(COMPONENT, "%s/%s/%s: skipped: %s", st->dir, ns, f,
                        e2.msg);
            continue;
        }
        certlc_secret *s = NULL;
        int lr = load(st, dirfd(d), f, ns, name, &s, &e2);
        if (lr == CERTLC_NOTFOUND) /* removed since readdir */
            continue;
        if (lr != 0) {
            certlc_warn(COMPONENT, "%s; skipped", e2.msg);
            continue;
        }
        if (!certlc_selector_match(sel, &s->labels)) {
            certlc_secret_free(s);
            continue;
        }
        if (certlc_secret_list_push(out, s) != 0) {
            certlc_secret_free(s);
            rc = certlc_err_set(err, "listing %s/%s: out of memory", st->dir,
                                ns);
            break;
        }
    }
    closedir(d);
    return rc;
}

/* The state directory itself, for walking its namespaces. */
static DIR *open_top(struct fstore *st, certlc_err *err)
{
    int fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        certlc_err_set(err, "%s: %s", st->dir, strerror(e));
    }
    return d;
}

static int fs_list(certlc_store *base, const char *ns,
                   const certlc_selector *sel, certlc_secret_list *out,
                   certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (ns != NULL) {
        if (check_name("namespace", ns, 253, err) != 0)
            return -1;
        return list_ns(st, ns, sel, false, out, err);
    }
    DIR *d = open_top(st, err);
    if (d == NULL)
        return -1;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        if (de->d_type == DT_LNK && f[0] != '.' &&
            check_name("namespace", f, 253, NULL) == 0) {
            certlc_warn(COMPONENT, CERTLC_NS_LINK_FMT "; skipped", st->dir, f);
            continue;
        }
        if (f[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
            continue;
        if (check_name("namespace", f, 253, NULL) != 0)
            continue; /* not a namespace of ours (lost+found, ...) */
        rc = list_ns(st, f, sel, true, out, err);
    }
    closedir(d);
    return rc;
}

/* Writes s as the next version after stored_rv (0: none), created at
 * created: on success s carries its new resourceVersion, creation time and
 * stored digest; on failure s is as it was. Under the lock. */
static int write_version(struct fstore *st, int fd, const char *file,
                         certlc_secret *s, uint64_t stored_rv, int64_t created,
                         certlc_err *err)
{
    uint64_t old_rv = s->resource_version;
    int64_t old_ts = s->creation_timestamp;
    if (next_rv(st, stored_rv, &s->resource_version, err) != 0)
        return -1;
    s->creation_timestamp = created;
    char where[PATH_MAX], written[65];
    snprintf(where, sizeof where, "%s/%s", st->dir, s->namespace);
    int rc = write_secret(st, fd, where, file, s, written, err);
    if (rc != 0) {
        s->resource_version = old_rv;
        s->creation_timestamp = old_ts;
    } else {
        memcpy(s->stored_digest, written, sizeof written);
    }
    return rc;
}

static int fs_create(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (s == NULL)
        return certlc_err_set(err, "no Secret given");
    if (check_ns_name(s->namespace, s->name, "name", err) != 0)
        return -1;
    if (lock(st, err) != 0)
        return -1;
    int fd = -1, rc;
    if (open_ns(st, s->namespace, false, true, &fd, err) != 0) {
        rc = -1;
        goto out;
    }
    char file[NAME_MAX + 1];
    snprintf(file, sizeof file, "%s.json", s->name);
    struct stat sb;
    if (fstatat(fd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        rc = CERTLC_CONFLICT;
        certlc_err_set(err, "secrets \"%s\" already exists in namespace \"%s\"",
                       s->name, s->namespace);
        goto out;
    }
    if (errno != ENOENT) {
        rc = certlc_err_set(err, "%s/%s/%s: %s", st->dir, s->namespace, file,
                            strerror(errno));
        goto out;
    }
    rc = write_version(st, fd, file, s, 0, (int64_t)time(NULL), err);
out:
    if (fd >= 0)
        close(fd);
    unlock(st);
    return rc;
}

static int fs_update(certlc_store *base, certlc_secret *s, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (s == NULL)
        return certlc_err_set(err, "no Secret given");
    if (check_ns_name(s->namespace, s->name, "name", err) != 0)
        return -1;
    if (lock(st, err) != 0)
        return -1;
    int fd = -1;
    certlc_secret *stored = NULL;
    int rc = open_ns(st, s->namespace, false, false, &fd, err);
    char file[NAME_MAX + 1];
    snprintf(file, sizeof file, "%s.json", s->name);
    if (rc == 0)
        rc = load(st, fd, file, s->namespace, s->name, &stored, err);
    if (rc == CERTLC_NOTFOUND) {
        certlc_err_set(err, "secrets \"%s\" not found in namespace \"%s\"",
                       s->name, s->namespace);
        goto out;
    }
    if (rc == -2) {
        /* Whatever is there is not what the caller read: let it decide. */
        certlc_err_prefix(err, "Operation cannot be fulfilled on secrets "
                               "\"%s\": the stored Secret cannot be parsed",
                          s->name);
        rc = CERTLC_CONFLICT;
        goto out;
    }
    if (rc != 0)
        goto out;
    if (stored->resource_version != s->resource_version) {
        rc = CERTLC_CONFLICT;
        certlc_err_set(err,
                       "Operation cannot be fulfilled on secrets \"%s\": the "
                       "object has been modified (resourceVersion %" PRIu64
                       ", not %" PRIu64 "); please apply your changes to the "
                       "latest version and try again",
                       s->name, stored->resource_version, s->resource_version);
        goto out;
    }
    rc = write_version(st, fd, file, s, stored->resource_version,
                       stored->creation_timestamp, err);
out:
    certlc_secret_free(stored);
    if (fd >= 0)
        close(fd);
    unlock(st);
    return rc;
}

/* Unlinks <ns>[/tcp]/<name>.json under the lock. */
static int remove_file(struct fstore *st, const char *ns, bool tcp,
                       const char *name, const char *notfound,
                       certlc_err *err)
{
    if (lock(st, err) != 0)
        return -1;
    int fd = -1;
    int rc = flush_pending(st, err);
    if (rc == 0)
        rc = open_ns(st, ns, tcp, false, &fd, err);
    if (rc == 0) {
        char file[NAME_MAX + 1];
        snprintf(file, sizeof file, "%s.json", name);
        if (unlinkat(fd, file, 0) != 0) {
            if (errno == ENOENT)
                rc = CERTLC_NOTFOUND;
            else
                rc = certlc_err_set(err, "%s/%s%s/%s: cannot remove: %s",
                                    st->dir, ns, tcp ? "/tcp" : "", file,
                                    strerror(errno));
        } else if (fsync(fd) != 0) {
            rc = certlc_err_set(err, "%s/%s%s: cannot fsync the directory: %s",
                                st->dir, ns, tcp ? "/tcp" : "",
                                strerror(errno));
        }
        close(fd);
    }
    unlock(st);
    if (rc == CERTLC_NOTFOUND)
        certlc_err_set(err, notfound, name, ns);
    return rc;
}

static int fs_remove(certlc_store *base, const char *ns, const char *name,
                     certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, name, "name", err) != 0)
        return -1;
    return remove_file(st, ns, false, name,
                       "secrets \"%s\" not found in namespace \"%s\"", err);
}

/* ---- tenant status ----------------------------------------------------- */

static int fs_status_get(certlc_store *base, const char *ns, const char *tcp,
                         char **json, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, tcp, "tenant name", err) != 0)
        return -1;
    char rel[600];
    snprintf(rel, sizeof rel, "%s/tcp/%s.json", ns, tcp);
    size_t len, cap;
    int rc = read_file(st->dirfd, rel, json, &len, &cap);
    if (rc == CERTLC_NOTFOUND)
        certlc_err_set(err,
                       "status of tenant \"%s\" not found in namespace \"%s\"",
                       tcp, ns);
    else if (rc != 0)
        certlc_err_set(err, "%s/%s: %s", st->dir, rel, strerror(errno));
    return rc;
}

static int fs_status_put(certlc_store *base, const char *ns, const char *tcp,
                         const char *json, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, tcp, "tenant name", err) != 0)
        return -1;
    if (json == NULL)
        return certlc_err_set(err, "status of tenant \"%s\": none given", tcp);
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    if (doc == NULL)
        return certlc_err_set(err,
                              "status of tenant \"%s\": not valid JSON: %s "
                              "(line %d, column %d)",
                              tcp, jerr.text, jerr.line, jerr.column);
    json_decref(doc);

    if (lock(st, err) != 0)
        return -1;
    int fd = -1;
    int rc = open_ns(st, ns, true, true, &fd, err);
    if (rc == 0) {
        char file[NAME_MAX + 1], where[PATH_MAX];
        snprintf(file, sizeof file, "%s.json", tcp);
        snprintf(where, sizeof where, "%s/%s/tcp", st->dir, ns);
        /* The Secrets it records are durable before it is. */
        rc = flush_pending(st, err);
        if (rc == 0)
            rc = write_atomic(fd, where, file, json, strlen(json), true, err);
        close(fd);
    }
    unlock(st);
    return rc;
}

static int fs_status_remove(certlc_store *base, const char *ns,
                            const char *tcp, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (check_ns_name(ns, tcp, "tenant name", err) != 0)
        return -1;
    return remove_file(st, ns, true, tcp,
                       "status of tenant \"%s\" not found in namespace \"%s\"",
                       err);
}

/* ---- watch ------------------------------------------------------------ */

/* Beyond this many undelivered events, they collapse into one overflow. */
#define MAX_QUEUED 4096
#define WATCH_MASK                                                            \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |  \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW |           \
     IN_EXCL_UNLINK)

static void queue_event(struct fstore *st, const char *ns, const char *name,
                        bool status, bool removed, bool overflow)
{
    if (st->qoverflow)
        return; /* everything is looked at again anyway */
    if (overflow || st->qn >= MAX_QUEUED) {
        st->qn = 0;
        st->qoverflow = true;
        overflow = true;
    }
    if (!overflow && st->qn > 0) {
        /* A write seen twice (close, then rename) is one event. */
        const certlc_store_event *last = &st->q[st->qn - 1];
        if (strcmp(last->ns, ns) == 0 && strcmp(last->name, name) == 0 &&
            last->status == status && last->removed == removed)
            return;
    }
    if (st->qn == st->qcap) {
        size_t cap = st->qcap == 0 ? 64 : st->qcap * 2;
        certlc_store_event *q = realloc(st->q, cap * sizeof *q);
        if (q == NULL) {
            /* Cannot remember it: make the reader look at everything. */
            st->qn = 0;
            if (st->qcap == 0)
                return;
            overflow = true;
            st->qoverflow = true;
        } else {
            st->q = q;
            st->qcap = cap;
        }
    }
    certlc_store_event *ev = &st->q[st->qn++];
    memset(ev, 0, sizeof *ev);
    ev->overflow = overflow;
    if (!overflow) {
        snprintf(ev->ns, sizeof ev->ns, "%s", ns);
        snprintf(ev->name, sizeof ev->name, "%s", name);
        ev->status = status;
        ev->removed = removed;
    }
}

/* The name of the Secret (or tenant) a file holds: "<name>.json" with a
 * valid name; false for temp files and anything else. */
static bool json_stem(const char *file, char *name, size_t size)
{
    size_t n = strlen(file);
    if (n <= 5 || n - 5 >= size || strcmp(file + n - 5, ".json") != 0)
        return false;
    memcpy(name, file, n - 5);
    name[n - 5] = '\0';
    return check_name("name", name, (size_t)MAX_FILE_NAME, NULL) == 0;
}

static struct wdir *find_wd(struct fstore *st, int wd)
{
    for (size_t i = 0; i < st->nwds; i++)
        if (st->wds[i].wd == wd)
            return &st->wds[i];
    return NULL;
}

static void forget_wd(struct fstore *st, struct wdir *w)
{
    *w = st->wds[--st->nwds];
}

/* Watches <dir>, <dir>/<ns> or <dir>/<ns>/tcp. A directory that is gone
 * already is not an error: its removal has been or will be seen. */
static int watch_add(struct fstore *st, const char *ns, bool tcp,
                     certlc_err *err)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s%s%s%s", st->abs_dir,
                     *ns != '\0' ? "/" : "", ns, tcp ? "/tcp" : "");
    if (n < 0 || (size_t)n >= sizeof path)
        return certlc_err_set(err, "%s/%s: path too long to watch", st->dir,
                              ns);
    int wd = inotify_add_watch(st->inofd, path, WATCH_MASK);
    if (wd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return certlc_err_set(err, "cannot watch %s: %s%s", path,
                              strerror(errno),
                              errno == ENOSPC ? " (raise fs.inotify."
                                                "max_user_watches)"
                                              : "");
    }
    struct wdir *w = find_wd(st, wd);
    if (w == NULL) {
        if (st->nwds == st->capwds) {
            size_t cap = st->capwds == 0 ? 16 : st->capwds * 2;
            struct wdir *wds = realloc(st->wds, cap * sizeof *wds);
            if (wds == NULL) {
                inotify_rm_watch(st->inofd, wd);
                return certlc_err_set(err, "watch: out of memory");
            }
            st->wds = wds;
            st->capwds = cap;
        }
        w = &st->wds[st->nwds++];
    }
    w->wd = wd;
    snprintf(w->ns, sizeof w->ns, "%s", ns);
    w->tcp = tcp;
    return 0;
}

/* A namespace (or its tcp directory) that appeared while being watched:
 * watch it, then report what is in it already, since files made before the
 * watch was in place produce no event. With `report` false (the first
 * call) only the watches are set up. */
static int watch_ns(struct fstore *st, const char *ns, bool tcp, bool report,
                    certlc_err *err)
{
    if (watch_add(st, ns, tcp, err) != 0)
        return -1;
    char rel[300];
    snprintf(rel, sizeof rel, "%s%s", ns, tcp ? "/tcp" : "");
    int fd = openat(st->dirfd, rel,
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    struct dirent *de;
    int rc = 0;
    char name[NAME_MAX + 1];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!tcp && strcmp(de->d_name, "tcp") == 0)
            rc = watch_ns(st, ns, true, report, err);
        else if (report && json_stem(de->d_name, name, sizeof name))
            queue_event(st, ns, name, tcp, false, false);
    }
    closedir(d);
    return rc;
}

static void remove_ns_watches(struct fstore *st, const char *ns)
{
    for (size_t i = 0; i < st->nwds;) {
        if (strcmp(st->wds[i].ns, ns) == 0) {
            inotify_rm_watch(st->inofd, st->wds[i].wd);
            forget_wd(st, &st->wds[i]);
        } else {
            i++;
        }
    }
}

static int handle_event(struct fstore *st, const struct inotify_event *ev,
                        certlc_err *err)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        queue_event(st, "", "", false, false, true);
        return 0;
    }
    struct wdir *w = find_wd(st, ev->wd);
    if (w == NULL)
        return 0;
    /* Copied: watching a new directory may move st->wds. */
    char ns[sizeof w->ns];
    memcpy(ns, w->ns, sizeof ns);
    bool tcp = w->tcp;
    if (ev->mask & IN_IGNORED) {
        if (w->ns[0] == '\0')
            queue_event(st, "", "", false, false, true);
        forget_wd(st, w);
        return 0;
    }
    const char *name = ev->len > 0 ? ev->name : "";
    bool dir = (ev->mask & IN_ISDIR) != 0;
    bool in = (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0;
    if (ns[0] == '\0') {
        /* The state directory: namespaces come and go. */
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
            queue_event(st, "", "", false, false, true);
        } else if (dir && name[0] != '.' &&
                   check_name("namespace", name, 253, NULL) == 0) {
            if (in)
                return watch_ns(st, name, false, true, err);
            if (ev->mask & IN_MOVED_FROM) {
                /* Its Secrets left without an event each. */
                remove_ns_watches(st, name);
                queue_event(st, "", "", false, false, true);
            }
        }
        return 0;
    }
    if (dir) {
        if (!tcp && strcmp(name, "tcp") == 0) {
            if (in)
                return watch_ns(st, ns, true, true, err);
            if (ev->mask & IN_MOVED_FROM)
                queue_event(st, "", "", false, false, true);
        }
        return 0;
    }
    char stem[NAME_MAX + 1];
    if (!json_stem(name, stem, sizeof stem))
        return 0;
    /* IN_CREATE alone is not reported: the content follows with a close. */
    if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        queue_event(st, ns, stem, tcp, false, false);
    else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
        queue_event(st, ns, stem, tcp, true, false);
    return 0;
}

static int fs_watch_fd(certlc_store *base, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (st->inofd >= 0)
        return st->inofd;
    st->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (st->inofd < 0)
        return certlc_err_set(err, "%s: cannot watch: inotify: %s", st->dir,
                              strerror(errno));
    if (watch_add(st, "", false, err) != 0)
        goto fail;
    int fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        certlc_err_set(err, "%s: %s", st->dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        if (f[0] != '.' && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
            check_name("namespace", f, 253, NULL) == 0)
            rc = watch_ns(st, f, false, false, err);
    }
    closedir(d);
    if (rc != 0)
        goto fail;
    return st->inofd;
fail:
    close(st->inofd);
    st->inofd = -1;
    st->nwds = 0;
    return -1;
}

static int fs_watch_read(certlc_store *base, certlc_store_event *evs,
                         size_t max, size_t *n, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    *n = 0;
    if (st->inofd < 0)
        return certlc_err_set(err, "%s: not watched (call watch_fd first)",
                              st->dir);
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(st->inofd, buf, sizeof buf);
        if (len < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return certlc_err_set(err, "%s: reading the watch: %s", st->dir,
                                  strerror(errno));
        }
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            certlc_err e2;
            if (handle_event(st, ev, &e2) != 0) {
                /* A directory could not be watched: say so, and let the
                 * reader look at everything. */
                certlc_warn(COMPONENT, "%s", e2.msg);
                queue_event(st, "", "", false, false, true);
            }
            p += sizeof *ev + ev->len;
        }
    }
    size_t k = st->qn < max ? st->qn : max;
    if (k > 0) {
        memcpy(evs, st->q, k * sizeof *evs);
        memmove(st->q, st->q + k, (st->qn - k) * sizeof *st->q);
        st->qn -= k;
    }
    if (st->qn == 0)
        st->qoverflow = false;
    *n = k;
    return 0;
}

/* ---- open and close ---------------------------------------------------- */

static int fs_flush(certlc_store *base, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    if (lock(st, err) != 0)
        return -1;
    int rc = flush_pending(st, err);
    unlock(st);
    return rc;
}

static void fs_close(certlc_store *base)
{
    struct fstore *st = (struct fstore *)base;
    certlc_err err;
    pthread_mutex_lock(&st->mu);
    if (flush_pending(st, &err) != 0)
        certlc_error(COMPONENT, "%s", err.msg);
    pthread_mutex_unlock(&st->mu);
    if (st->lockfd >= 0)
        close(st->lockfd);
    if (st->dirfd >= 0)
        close(st->dirfd);
    if (st->inofd >= 0)
        close(st->inofd);
    pthread_mutex_destroy(&st->mu);
    free(st->wds);
    free(st->q);
    free(st->abs_dir);
    free(st->dir);
    certlc_encryption_free(st->base.enc);
    free(st);
}

/* ---- readiness ------------------------------------------------- */

/* The state directory is still where it was opened, is a directory the
 * process may use, and holds its lock file. Touches nothing that another
 * thread changes (dirfd and abs_dir are fixed at open). */
static int fs_ping(certlc_store *base, certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    struct stat opened, now, lk;
    if (fstat(st->dirfd, &opened) != 0)
        return certlc_err_set(err, "%s: %s", st->dir, strerror(errno));
    if (stat(st->abs_dir, &now) != 0)
        return certlc_err_set(err, "state directory %s: %s", st->abs_dir,
                              strerror(errno));
    if (!S_ISDIR(now.st_mode) || now.st_dev != opened.st_dev ||
        now.st_ino != opened.st_ino)
        return certlc_err_set(err, "state directory %s was replaced or moved "
                                   "since the operator opened it",
                              st->abs_dir);
    if (access(st->abs_dir, R_OK | W_OK | X_OK) != 0)
        return certlc_err_set(err, "state directory %s: %s", st->abs_dir,
                              strerror(errno));
    if (fstatat(st->dirfd, ".lock", &lk, AT_SYMLINK_NOFOLLOW) != 0)
        return certlc_err_set(err, "%s/.lock: %s", st->abs_dir,
                              strerror(errno));
    if (!S_ISREG(lk.st_mode))
        return certlc_err_set(err, "%s/.lock: not a regular file",
                              st->abs_dir);
    return 0;
}

/* ---- the rewrite's scan ------------------------------------------------ */

/* One namespace directory's <name>.json files, read raw. */
static int scan_ns(struct fstore *st, const char *ns, certlc_store_scan_cb cb,
                   void *arg, certlc_err *err)
{
    int fd;
    int rc = open_ns(st, ns, false, false, &fd, err);
    if (rc == CERTLC_NOTFOUND)
        return 0;
    if (rc != 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int e = errno;
        close(fd);
        return certlc_err_set(err, "%s/%s: %s", st->dir, ns, strerror(e));
    }
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t n = strlen(f);
        if (f[0] == '.' || n <= 5 || strcmp(f + n - 5, ".json") != 0 ||
            (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
            continue;
        char name[NAME_MAX + 1];
        memcpy(name, f, n - 5);
        name[n - 5] = '\0';
        if (check_name("name", name, (size_t)MAX_FILE_NAME, NULL) != 0)
            continue;
        char *buf;
        size_t len, cap;
        int r = read_file(dirfd(d), f, &buf, &len, &cap);
        if (r == CERTLC_NOTFOUND)
            continue;
        bool current = r == 0 &&
                       certlc_encryption_is_current(st->base.enc, buf, len);
        if (r == 0)
            buf_free(buf, cap);
        if (cb(ns, name, current, arg) != 0)
            rc = 1;
    }
    closedir(d);
    return rc;
}

static int fs_scan(certlc_store *base, certlc_store_scan_cb cb, void *arg,
                   certlc_err *err)
{
    struct fstore *st = (struct fstore *)base;
    DIR *d = open_top(st, err);
    if (d == NULL)
        return -1;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        if (f[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
            check_name("namespace", f, 253, NULL) != 0)
            continue;
        rc = scan_ns(st, f, cb, arg, err);
    }
    closedir(d);
    return rc < 0 ? -1 : 0;
}

/* The writer lock is the state directory's operator.pid (writer_lock.h),
 * not .lock: .lock serialises single writes of any process, operator.pid
 * one pass-running process per directory. */
static int fs_writer_lock(certlc_store *base, bool wait, int *fd_out)
{
    return certlc_writer_lock(((struct fstore *)base)->dir, wait, fd_out);
}

static int fs_writer_holder(certlc_store *base, char *pid, size_t size)
{
    return certlc_writer_lock_holder(((struct fstore *)base)->dir, pid, size);
}

static const struct certlc_store_ops file_ops = {
    .get = fs_get,
    .peek = fs_peek,
    .list = fs_list,
    .create = fs_create,
    .update = fs_update,
    .remove = fs_remove,
    .status_get = fs_status_get,
    .status_put = fs_status_put,
    .status_remove = fs_status_remove,
    .watch_fd = fs_watch_fd,
    .watch_read = fs_watch_read,
    .flush = fs_flush,
    .close = fs_close,
    .ping = fs_ping,
    .scan = fs_scan,
    .writer_lock = fs_writer_lock,
    .writer_holder = fs_writer_holder,
    /* Unanswered here means gone: no one else brings a directory back. */
    .lost = fs_ping,
};

/* Whether the process that is writing a temp file ("<file>.tmp.<pid>") is
 * still alive. Every command opens the store, and a `certlc get` beside a
 * running operator (or the second of two `run --once`, before it is refused
 * the writer lock) must not remove a temp file an instant before its writer
 * renames it. A PID since reused only delays the sweep to a later start. */
static bool writer_alive(const char *pid_text)
{
    char *end;
    errno = 0;
    long pid = strtol(pid_text, &end, 10);
    if (errno != 0 || end == pid_text || *end != '\0' || pid <= 0)
        return false;
    if ((pid_t)pid == getpid())
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Removes the temp files of one directory (relative to the state dir) whose
 * writer is gone. */
static void sweep_dir(struct fstore *st, const char *rel)
{
    int dfd = openat(st->dirfd, rel,
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0)
        return;
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        const char *mark = strstr(e->d_name, ".json.tmp.");
        if (mark != NULL) {
            if (writer_alive(mark + strlen(".json.tmp.")))
                continue;
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                certlc_warn("store", "%s/%s/%s: removed a temp file left by "
                            "an interrupted write", st->dir, rel, e->d_name);
        } else if (strcmp(rel, ".") == 0 &&
                   (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)) {
            char sub[NAME_MAX + 8];
            snprintf(sub, sizeof sub, "%s", e->d_name);
            sweep_dir(st, sub);
            snprintf(sub, sizeof sub, "%s/tcp", e->d_name);
            sweep_dir(st, sub);
        }
    }
    closedir(d);
}

/* The tree is made 0700 (directories) and 0600 (files): Secrets hold
 * private keys. A mode found wider or narrower at start (a restore from a
 * backup, a hand-made directory, an umask) is set back, and said. */
static void repair_mode(struct fstore *st, int dfd, const char *rel,
                        const char *name, const struct stat *sb)
{
    mode_t want = S_ISDIR(sb->st_mode) ? 0700 : 0600;
    if ((sb->st_mode & 07777) == want)
        return;
    if (fchmodat(dfd, name, want, 0) != 0)
        certlc_warn("store", "%s/%s%s%s: mode %04o, expected %04o: cannot "
                    "repair it: %s", st->dir, rel, rel[0] ? "/" : "", name,
                    (unsigned)(sb->st_mode & 07777), (unsigned)want,
                    strerror(errno));
    else
        certlc_warn("store", "%s/%s%s%s: mode %04o repaired to %04o", st->dir,
                    rel, rel[0] ? "/" : "", name,
                    (unsigned)(sb->st_mode & 07777), (unsigned)want);
}

/* `rel` ("" for the state directory), at most two levels down: namespaces
 * and their tcp directories. Symbolic links are not followed. */
static void repair_tree(struct fstore *st, int dfd, const char *rel,
                        int depth)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        struct stat sb;
        if (strcmp(f, ".") == 0 || strcmp(f, "..") == 0 ||
            fstatat(dirfd(d), f, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
            continue;
        repair_mode(st, dirfd(d), rel, f, &sb);
        if (!S_ISDIR(sb.st_mode) || depth >= 2)
            continue;
        int sub = openat(dirfd(d), f,
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (sub < 0)
            continue;
        char subrel[PATH_MAX];
        snprintf(subrel, sizeof subrel, "%s%s%s", rel, rel[0] ? "/" : "", f);
        repair_tree(st, sub, subrel, depth + 1);
        close(sub);
    }
    closedir(d);
}

/* Every write happens under the lock, so a temp file seen while holding it
 * belongs to a writer that died mid-write (SIGKILL, power loss): its target
 * was never replaced, and the temp file is garbage. */
static void sweep_temp_files(struct fstore *st)
{
    if (lock(st, NULL) != 0)
        return;
    sweep_dir(st, ".");
    unlock(st);
}

certlc_store *certlc_store_file_open(const char *dir, certlc_err *err)
{
    if (dir == NULL || *dir == '\0') {
        certlc_err_set(err, "file store: no state directory given");
        return NULL;
    }
    struct fstore *st = calloc(1, sizeof *st);
    if (st == NULL || (st->dir = strdup(dir)) == NULL) {
        free(st);
        certlc_err_set(err, "file store %s: out of memory", dir);
        return NULL;
    }
    st->base.ops = &file_ops;
    st->dirfd = st->lockfd = st->inofd = st->pending_dfd = -1;
    pthread_mutex_init(&st->mu, NULL);

    bool created = mkdir(dir, 0700) == 0;
    if (!created && errno != EEXIST) {
        certlc_err_set(err, "cannot create the state directory %s: %s", dir,
                       strerror(errno));
        goto fail;
    }
    st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dirfd < 0 || (st->abs_dir = realpath(dir, NULL)) == NULL) {
        certlc_err_set(err, "cannot open the state directory %s: %s", dir,
                       strerror(errno));
        goto fail;
    }
    struct stat sb;
    if (fstat(st->dirfd, &sb) != 0 ||
        ((sb.st_mode & 07777) != 0700 && fchmod(st->dirfd, 0700) != 0)) {
        certlc_err_set(err, "cannot make the state directory %s mode 0700: %s",
                       dir, strerror(errno));
        goto fail;
    }
    if ((sb.st_mode & 07777) != 0700 && !created)
        certlc_warn("store", "%s: mode %04o repaired to 0700", dir,
                    (unsigned)(sb.st_mode & 07777));
    /* Creating the lock file proves the directory is writable now, rather
     * than at the first rotation. */
    if (open_lock_file(st) != 0) {
        certlc_err_set(err, "cannot create %s/.lock: %s (is the state "
                            "directory writable?)",
                       dir, strerror(errno));
        goto fail;
    }
    sweep_temp_files(st);
    repair_tree(st, st->dirfd, "", 0);
    return &st->base;
fail:
    fs_close(&st->base);
    return NULL;
}
