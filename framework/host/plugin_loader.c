#include "plugin_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

/* The part of the descriptor this host cannot do without: up to verify. */
#define DRIVER_MIN_SIZE                                                       \
    (offsetof(certlc_driver, verify) + sizeof(((certlc_driver *)0)->verify))

/* Far beyond what the descriptor will ever grow to: a larger size is a
 * corrupt or hostile descriptor, not a newer driver. */
#define DRIVER_MAX_SIZE 65536u
#define DRIVER_NAME_MAX 64

typedef struct certlc_refusal {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    char *msg;
} certlc_refusal;

static void refusal_free(certlc_refusal *r)
{
    free(r->path);
    free(r->msg);
}

static bool same_file(const certlc_refusal *r, const char *path,
                      const struct stat *st)
{
    return strcmp(r->path, path) == 0 && r->dev == st->st_dev &&
           r->ino == st->st_ino && r->size == st->st_size &&
           r->mtime.tv_sec == st->st_mtim.tv_sec &&
           r->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void remember_refusal(certlc_plugins *ps, const char *path,
                             const struct stat *st, const char *msg)
{
    certlc_refusal *v = realloc(ps->refused,
                                (ps->n_refused + 1) * sizeof *v);
    if (v == NULL)
        return;
    ps->refused = v;
    certlc_refusal *r = &v[ps->n_refused];
    r->path = strdup(path);
    r->msg = strdup(msg);
    if (r->path == NULL || r->msg == NULL) {
        refusal_free(r);
        return;
    }
    r->dev = st->st_dev;
    r->ino = st->st_ino;
    r->size = st->st_size;
    r->mtime = st->st_mtim;
    ps->n_refused++;
}

static const char *writers(mode_t m)
{
    return (m & S_IWGRP) && (m & S_IWOTH) ? "group and others"
           : (m & S_IWGRP)                ? "group"
                                          : "others";
}

/* One component of the path to a driver: owned by root or by the user the
 * operator runs as, and not writable by anyone else, as sshd's StrictModes
 * wants of authorized_keys. A root-owned directory with the sticky bit
 * (/tmp) is safe too: no one can replace there what they do not own. */
static int strict_one(const char *path, const char *what, const char *comp,
                      const struct stat *st, certlc_err *err)
{
    uid_t me = geteuid();
    if (st->st_uid != 0 && st->st_uid != me)
        return certlc_err_set(err, "%s: refused: %s %s is owned by uid %lu: "
                              "expected root or the operator's user (uid "
                              "%lu) (chown root %s)", path, what, comp,
                              (unsigned long)st->st_uid, (unsigned long)me,
                              comp);
    mode_t m = st->st_mode;
    if (!(m & (S_IWGRP | S_IWOTH)))
        return 0;
    if (S_ISDIR(m) && (m & S_ISVTX) && st->st_uid == 0)
        return 0;
    if (strcmp(what, "the file") == 0)
        return certlc_err_set(err, "%s: refused: writable by %s (mode "
                              "%04o): expected no write permission for "
                              "group and others (chmod go-w)", path,
                              writers(m), (unsigned)(m & 07777));
    return certlc_err_set(err, "%s: refused: %s %s is writable by %s (mode "
                          "%04o): expected no write permission for group "
                          "and others (chmod go-w %s), or a root-owned "
                          "directory with the sticky bit", path, what, comp,
                          writers(m), (unsigned)(m & 07777), comp);
}

/* `dir` (a real path, modified) and every directory above it. */
static int strict_dirs(const char *path, char *dir, certlc_err *err)
{
    for (;;) {
        struct stat ds;
        if (stat(dir, &ds) != 0)
            return certlc_err_set(err, "%s: refused: directory %s: %s", path,
                                  dir, strerror(errno));
        if (strict_one(path, "directory", dir, &ds, err) != 0)
            return -1;
        char *slash = strrchr(dir, '/');
        if (slash == NULL || (slash == dir && dir[1] == '\0'))
            return 0;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
}

/* StrictModes for drivers: the file, then every directory up to '/' of
 * the path as named (where a symlink could be swapped) and of the real
 * path. Anyone who can write one of them can plant code that the operator
 * (often root) would run. */
static int strict_modes(const char *path, const struct stat *st,
                        certlc_err *err)
{
    if (strict_one(path, "the file", path, st, err) != 0)
        return -1;
    char *named = strdup(path);
    if (named == NULL)
        return certlc_err_set(err, "out of memory");
    char *slash = strrchr(named, '/');
    if (slash == NULL)
        strcpy(named, ".");
    else if (slash == named)
        slash[1] = '\0';
    else
        *slash = '\0';
    char *dir = realpath(named, NULL);
    char *real = realpath(path, NULL);
    free(named);
    int rc;
    if (dir == NULL || real == NULL)
        rc = certlc_err_set(err, "%s: %s: expected a driver file here", path,
                            strerror(errno));
    else
        rc = strict_dirs(path, dir, err);
    if (rc == 0) {
        slash = strrchr(real, '/');
        if (slash == real)
            slash[1] = '\0';
        else
            *slash = '\0';
        rc = strict_dirs(path, real, err);
    }
    free(dir);
    free(real);
    return rc;
}

static const char *method_missing(const certlc_driver *d)
{
    if (d->init == NULL) return "init";
    if (d->fini == NULL) return "fini";
    if (d->provision == NULL) return "provision";
    if (d->deprovision == NULL) return "deprovision";
    if (d->rotate == NULL) return "rotate";
    if (d->verify == NULL) return "verify";
    if (d->mode == CERTLC_DRV_MODE_EXTERNAL && d->accept == NULL)
        return "accept";
    return NULL;
}

/* The checks after dlopen; 0 when d may be used. */
static int check_descriptor(certlc_plugins *ps, const char *path,
                            const certlc_driver *raw, certlc_driver *d,
                            certlc_err *err)
{
    if (raw == NULL)
        return certlc_err_set(err, "%s: refused: %s() returned NULL: "
                              "expected a driver descriptor", path,
                              CERTLC_DRIVER_ENTRY);
    if (raw->magic != CERTLC_DRIVER_MAGIC)
        return certlc_err_set(err, "%s: refused: bad magic: expected "
                              "0x%08x, found 0x%08x (not a certlc driver "
                              "descriptor)", path, CERTLC_DRIVER_MAGIC,
                              raw->magic);
    if (raw->abi_major != CERTLC_DRIVER_ABI_MAJOR)
        return certlc_err_set(err, "%s: refused: incompatible driver ABI: "
                              "host is version %u, driver is version %u "
                              "(rebuild it against this certlc/driver.h)",
                              path, CERTLC_DRIVER_ABI_MAJOR, raw->abi_major);
    if (raw->size > DRIVER_MAX_SIZE)
        return certlc_err_set(err, "%s: refused: driver descriptor size %u "
                              "is beyond any sane bound: expected at most %u "
                              "bytes (a corrupt descriptor?)", path,
                              raw->size, (unsigned)DRIVER_MAX_SIZE);
    if (raw->size < DRIVER_MIN_SIZE)
        return certlc_err_set(err, "%s: refused: driver descriptor too "
                              "short: expected at least %zu bytes, found %u",
                              path, (size_t)DRIVER_MIN_SIZE, raw->size);
    memset(d, 0, sizeof *d);
    memcpy(d, raw, raw->size < sizeof *d ? raw->size : sizeof *d);
    if (d->name == NULL || d->name[0] == '\0')
        return certlc_err_set(err, "%s: refused: the driver has no name: "
                              "expected a non-empty name, found %s", path,
                              d->name == NULL ? "NULL" : "\"\"");
    /* The name reaches logs, metrics labels and messages: printable, and
     * short (strnlen: never read far into what may not end). */
    size_t nlen = strnlen(d->name, DRIVER_NAME_MAX + 1);
    if (nlen > DRIVER_NAME_MAX)
        return certlc_err_set(err, "%s: refused: the driver name is longer "
                              "than %d bytes: expected a short name",
                              path, DRIVER_NAME_MAX);
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)d->name[i];
        if (c < 0x20 || c == 0x7f)
            return certlc_err_set(err, "%s: refused: the driver name holds "
                                  "the control character 0x%02x at byte %zu: "
                                  "expected printable characters", path, c,
                                  i);
    }
    if (d->mode != CERTLC_DRV_MODE_ISSUE &&
        d->mode != CERTLC_DRV_MODE_EXTERNAL)
        return certlc_err_set(err, "%s: refused: driver '%s': unknown "
                              "rotation mode: expected %d (issue) or %d "
                              "(external), found %u", path, d->name,
                              CERTLC_DRV_MODE_ISSUE, CERTLC_DRV_MODE_EXTERNAL,
                              d->mode);
    const char *missing = method_missing(d);
    if (missing != NULL)
        return certlc_err_set(err, "%s: refused: driver '%s': required "
                              "method '%s' is missing: expected a function, "
                              "found NULL", path, d->name, missing);
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->items[i]->drv.name, d->name) == 0)
            return certlc_err_set(err, "%s: refused: a driver named '%s' is "
                                  "already loaded from %s: expected a "
                                  "unique name, found a duplicate", path,
                                  d->name, ps->items[i]->path);
    return 0;
}

int certlc_plugins_load(certlc_plugins *ps, const char *path,
                        certlc_plugin **out, certlc_err *err)
{
    *out = NULL;
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->items[i]->path, path) == 0) {
            *out = ps->items[i];
            return 0;
        }
    struct stat st;
    if (stat(path, &st) != 0)
        return certlc_err_set(err, "%s: %s: expected a driver file here",
                              path, strerror(errno));
    for (size_t i = 0; i < ps->n_refused; i++)
        if (same_file(&ps->refused[i], path, &st))
            return certlc_err_set(err, "%s", ps->refused[i].msg);
    if (!S_ISREG(st.st_mode))
        return certlc_err_set(err, "%s: refused: expected a regular file, "
                              "found %s", path,
                              S_ISDIR(st.st_mode) ? "a directory"
                                                  : "another kind of file");
    if (strict_modes(path, &st, err) != 0) {
        remember_refusal(ps, path, &st, err->msg);
        return -1;
    }
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        certlc_err_set(err, "%s: refused: dlopen failed: %s (most failures "
                       "are missing dependencies: check with 'ldd %s')",
                       path, why ? why : "unknown error", path);
        remember_refusal(ps, path, &st, err->msg);
        return -1;
    }
    /* dlsym returns a data pointer; POSIX guarantees the conversion. */
    certlc_driver_entry_fn entry;
    void *sym = dlsym(h, CERTLC_DRIVER_ENTRY);
    memcpy(&entry, &sym, sizeof entry);
    certlc_driver d;
    int rc;
    if (sym == NULL)
        rc = certlc_err_set(err, "%s: refused: no entry symbol: expected an "
                            "exported function %s(), found none (is it "
                            "marked CERTLC_DRIVER_EXPORT?)", path,
                            CERTLC_DRIVER_ENTRY);
    else
        rc = check_descriptor(ps, path, entry(certlc_host_table()), &d, err);
    certlc_plugin *p = NULL;
    certlc_plugin **v = NULL;
    if (rc == 0) {
        p = calloc(1, sizeof *p);
        v = realloc(ps->items, (ps->n + 1) * sizeof *v);
        if (v != NULL)
            ps->items = v;
        if (p == NULL || v == NULL || (p->path = strdup(path)) == NULL) {
            free(p);
            rc = certlc_err_set(err, "out of memory");
        }
    }
    if (rc != 0) {
        remember_refusal(ps, path, &st, err->msg);
        dlclose(h);
        return -1;
    }
    p->handle = h;
    p->drv = d;
    ps->items[ps->n++] = p;
    *out = p;
    return 0;
}

void certlc_plugins_clear(certlc_plugins *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        dlclose(ps->items[i]->handle);
        free(ps->items[i]->path);
        free(ps->items[i]);
    }
    free(ps->items);
    for (size_t i = 0; i < ps->n_refused; i++)
        refusal_free(&ps->refused[i]);
    free(ps->refused);
    memset(ps, 0, sizeof *ps);
}
