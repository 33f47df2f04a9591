#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "duration.h"

/* ---- small helpers ---------------------------------------------------- */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* malloc'd "a" + "/" + "b", without a doubled slash. */
static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    bool slash = la > 0 && a[la - 1] != '/';
    char *d = malloc(la + slash + lb + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, a, la);
    if (slash)
        d[la] = '/';
    memcpy(d + la + slash, b, lb + 1);
    return d;
}

/* Lexical cleanup of an absolute path: collapses "//", "." and "..", as
 * Go's filepath.Clean does. In place; the result is never longer. */
static void path_clean_abs(char *p)
{
    const char *end = p + strlen(p);
    const char *in = p + 1;
    char *out = p + 1; /* after the leading '/'; never ahead of `in` */
    while (in < end) {
        const char *slash = memchr(in, '/', (size_t)(end - in));
        size_t n = slash ? (size_t)(slash - in) : (size_t)(end - in);
        if (n == 0 || (n == 1 && in[0] == '.')) {
            /* skip */
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            if (out > p + 1) {
                out--; /* the '/' ending the previous component */
                while (out > p + 1 && out[-1] != '/')
                    out--;
            }
        } else {
            memmove(out, in, n);
            out += n;
            *out++ = '/';
        }
        in += n + 1;
    }
    if (out > p + 1)
        out--; /* no trailing '/' */
    *out = '\0';
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- INI reading -----------------------------------------------------------
 *
 * libinih does the key = value parsing and comments (';' and '#' at the start
 * of a line, ';' after whitespace inline). Debian's build of inih calls the
 * handler without a line number and does not report section headers, so the
 * file is fed to ini_parse_stream through a reader that counts lines and
 * notes every [section] header itself. The reader also hands lines over with
 * their leading whitespace removed: inih would otherwise take an indented
 * line as the continuation of the previous value, and an indented key would
 * silently become part of another key's value. */

typedef struct ini_kv {
    char *key;
    char *value;
    int line;
} ini_kv;

typedef struct ini_section {
    char *name; /* trimmed text between the brackets */
    int line;
    ini_kv *kv;
    size_t n_kv;
} ini_section;

typedef struct ini_doc {
    ini_section *sec;
    size_t n_sec;
} ini_doc;

typedef struct line_reader {
    const char *data;
    size_t len;
    size_t pos;
    int lineno;
    ini_doc *doc;
    int err_line;        /* first error found here, 0 if none */
    certlc_err err;
} line_reader;

static void doc_free(ini_doc *doc)
{
    for (size_t i = 0; i < doc->n_sec; i++) {
        for (size_t j = 0; j < doc->sec[i].n_kv; j++) {
            free(doc->sec[i].kv[j].key);
            free(doc->sec[i].kv[j].value);
        }
        free(doc->sec[i].kv);
        free(doc->sec[i].name);
    }
    free(doc->sec);
    doc->sec = NULL;
    doc->n_sec = 0;
}

static void reader_fail(line_reader *r, int line, const char *msg)
{
    if (r->err_line != 0)
        return;
    r->err_line = line;
    snprintf(r->err.msg, sizeof r->err.msg, "%s", msg);
}

static void note_section(line_reader *r, const char *line)
{
    /* As inih: the name ends at ']' or at an inline ';' comment, which makes
     * the header a syntax error that inih reports. */
    const char *p = line + 1;
    while (*p != '\0' && *p != ']' && !(*p == ';' && is_space(p[-1])))
        p++;
    if (*p != ']')
        return;
    const char *b = line + 1;
    while (b < p && is_space(*b))
        b++;
    const char *e = p;
    while (e > b && is_space(e[-1]))
        e--;
    ini_section *sec = realloc(r->doc->sec, (r->doc->n_sec + 1) * sizeof *sec);
    if (sec == NULL) {
        reader_fail(r, r->lineno, "out of memory");
        return;
    }
    r->doc->sec = sec;
    sec = &sec[r->doc->n_sec];
    memset(sec, 0, sizeof *sec);
    sec->name = xstrndup(b, (size_t)(e - b));
    sec->line = r->lineno;
    if (sec->name == NULL) {
        reader_fail(r, r->lineno, "out of memory");
        return;
    }
    r->doc->n_sec++;
}

static char *reader_next(char *str, int num, void *stream)
{
    line_reader *r = stream;
    if (r->pos >= r->len || num < 3)
        return NULL;
    const char *line = r->data + r->pos;
    const char *nl = memchr(line, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - line) : r->len - r->pos;
    r->pos += n + (nl != NULL);
    r->lineno++;

    if (r->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    while (n > 0 && is_space(line[n - 1]))
        n--;
    while (n > 0 && is_space(*line)) {
        line++;
        n--;
    }
    if (memchr(line, '\0', n) != NULL) {
        reader_fail(r, r->lineno, "contains a NUL byte");
        n = 0;
    }
    size_t max = (size_t)num - 2; /* room for '\n' and the NUL */
    if (n > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "line is longer than %zu characters", max);
        reader_fail(r, r->lineno, msg);
        n = 0; /* inih sees an empty line instead */
    }
    memcpy(str, line, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    if (n > 0 && str[0] == '[')
        note_section(r, str);
    return str;
}

static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
    line_reader *r = user;
    (void)section; /* inih truncates it; the reader has the real one */
    if (r->err_line != 0)
        return 1;
    if (r->doc->n_sec == 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "key '%.64s' is outside any [section]", name);
        reader_fail(r, r->lineno, msg);
        return 1;
    }
    ini_section *sec = &r->doc->sec[r->doc->n_sec - 1];
    ini_kv *kv = realloc(sec->kv, (sec->n_kv + 1) * sizeof *kv);
    if (kv == NULL) {
        reader_fail(r, r->lineno, "out of memory");
        return 1;
    }
    sec->kv = kv;
    kv = &kv[sec->n_kv];
    kv->key = xstrdup(name);
    kv->value = xstrdup(value ? value : "");
    kv->line = r->lineno;
    if (kv->key == NULL || kv->value == NULL) {
        free(kv->key);
        free(kv->value);
        reader_fail(r, r->lineno, "out of memory");
        return 1;
    }
    sec->n_kv++;
    return 1;
}

/* Reads `path` (named `display` in messages) into doc. */
static int ini_read(const char *path, const char *display, ini_doc *doc,
                    certlc_err *err)
{
    memset(doc, 0, sizeof *doc);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return certlc_err_set(err, "%s: cannot open: %s", display, strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *d = realloc(data, ncap);
            if (d == NULL) {
                free(data);
                fclose(f);
                return certlc_err_set(err, "%s: out of memory", display);
            }
            data = d;
            cap = ncap;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int read_err = ferror(f);
    int saved = errno;
    fclose(f);
    if (read_err) {
        free(data);
        return certlc_err_set(err, "%s: cannot read: %s", display, strerror(saved));
    }

    line_reader r = {.data = data, .len = len, .doc = doc};
    int rc = ini_parse_stream(reader_next, &r, on_key, &r);
    free(data);
    if (rc < 0) {
        doc_free(doc);
        return certlc_err_set(err, "%s: out of memory", display);
    }
    if (rc > 0 && (r.err_line == 0 || rc < r.err_line)) {
        doc_free(doc);
        return certlc_err_set(err, "%s:%d: syntax error: expected [section], "
                              "key = value or a comment", display, rc);
    }
    if (r.err_line != 0) {
        doc_free(doc);
        return certlc_err_set(err, "%s:%d: %s", display, r.err_line, r.err.msg);
    }
    return 0;
}

/* ---- value checks ---------------------------------------------------------- */

bool certlc_dns1123_label(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i < n - 1))
            return false;
    }
    return true;
}

/* RFC 1123 subdomain as Kubernetes checks it: dot-separated labels, at most
 * 253 characters. With `wildcard`, a leading "*." is allowed too. */
static bool dns1123_subdomain(const char *s, bool wildcard)
{
    if (wildcard && s[0] == '*' && s[1] == '.')
        s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    char label[64];
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t ln = dot ? (size_t)(dot - p) : strlen(p);
        if (ln == 0 || ln > 63)
            return false;
        memcpy(label, p, ln);
        label[ln] = '\0';
        if (!certlc_dns1123_label(label))
            return false;
        if (dot == NULL)
            return true;
        p = dot + 1;
    }
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int certlc_cidr_first_ip(const char *cidr, char *buf, size_t size, certlc_err *err)
{
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    if (slash == NULL || slash == cidr || (size_t)(slash - cidr) >= INET6_ADDRSTRLEN)
        goto bad;
    char addr[INET6_ADDRSTRLEN];
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';

    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int bits = family == AF_INET6 ? 128 : 32;
    unsigned char ip[16];
    if (inet_pton(family, addr, ip) != 1)
        goto bad;

    const char *p = slash + 1;
    int prefix = 0;
    if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
        goto bad;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        prefix = prefix * 10 + (*p - '0');
        if (prefix > bits)
            goto bad;
    }
    if (prefix == bits)
        return certlc_err_set(err, "\"%s\" has no address after its network address",
                              cidr);

    /* Clear the host bits, then add one: the lowest bit is a host bit. */
    for (int i = 0; i < bits / 8; i++) {
        int keep = prefix - i * 8;
        if (keep <= 0)
            ip[i] = 0;
        else if (keep < 8)
            ip[i] &= (unsigned char)(0xFF << (8 - keep));
    }
    ip[bits / 8 - 1] |= 1;

    char out[INET6_ADDRSTRLEN];
    if (inet_ntop(family, ip, out, sizeof out) == NULL)
        goto bad;
    if (buf == NULL || strlen(out) >= size)
        return certlc_err_set(err, "buffer too small for the first address of \"%s\"",
                              cidr);
    memcpy(buf, out, strlen(out) + 1);
    return 0;

bad:
    return certlc_err_set(err, "\"%s\" is not an IPv4 or IPv6 CIDR (e.g. 10.96.0.0/16 "
                          "or fd00:10:96::/112)", cidr ? cidr : "");
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_port(const char *s, int *out)
{
    int v = 0;
    if (*s == '\0' || *s == '0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
        if (v > 65535)
            return false;
    }
    *out = v;
    return true;
}

/* "v1.26.0", with an optional pre-release or build suffix ("v1.27.0-rc.1"). */
static bool is_version(const char *s)
{
    if (*s++ != 'v')
        return false;
    for (int part = 0; part < 3; part++) {
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        if (part < 2 && *s++ != '.')
            return false;
    }
    if (*s == '\0')
        return true;
    if (*s != '-' && *s != '+')
        return false;
    if (*++s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

/* Levenshtein distance, capped: for "did you mean" hints on unknown keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; known[i] != NULL; i++) {
        size_t d = edit_distance(key, known[i]);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}

/* ---- one section's keys ---------------------------------------------------- */

/* Error context: "<file>:<line>: [<section>] <key>: ". */
typedef struct where {
    const char *file;
    const char *section; /* as written between the brackets */
} where;

static int key_err(const where *w, const ini_kv *kv, certlc_err *err,
                   const char *fmt, ...) CERTLC_PRINTF(4, 5);

static int key_err(const where *w, const ini_kv *kv, certlc_err *err,
                   const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    char what[CERTLC_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* ';' starts an inline comment, '#' only at the start of a line. */
    const char *hint = strstr(kv->value, " #") || strstr(kv->value, "\t#")
                           ? " (inline comments start with ';')" : "";
    return certlc_err_set(err, "%s:%d: [%s] %s: %s%s", w->file, kv->line, w->section,
                          kv->key, what, hint);
}

/* Rejects unknown and repeated keys (except those listed in `repeatable`). */
static int check_keys(const where *w, const ini_section *sec,
                      const char *const *known, const char *repeatable,
                      certlc_err *err)
{
    for (size_t i = 0; i < sec->n_kv; i++) {
        const ini_kv *kv = &sec->kv[i];
        bool ok = false;
        for (size_t k = 0; known[k] != NULL && !ok; k++)
            ok = strcmp(kv->key, known[k]) == 0;
        if (!ok) {
            const char *s = suggest(kv->key, known);
            if (s != NULL)
                return certlc_err_set(err, "%s:%d: [%s] unknown key '%s' (did you mean "
                                      "'%s'?)", w->file, kv->line, w->section,
                                      kv->key, s);
            return certlc_err_set(err, "%s:%d: [%s] unknown key '%s'", w->file,
                                  kv->line, w->section, kv->key);
        }
        if (repeatable != NULL && strcmp(kv->key, repeatable) == 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sec->kv[j].key, kv->key) == 0)
                return certlc_err_set(err, "%s:%d: [%s] duplicate key '%s' (first set "
                                      "at line %d)", w->file, kv->line, w->section,
                                      kv->key, sec->kv[j].line);
        }
    }
    return 0;
}

/* ---- certlc.ini ----------------------------------------------------------- */

static const char *const certlc_keys[] = {
    "state_dir", "plugins_dir", "tenants_dir", "datastores_dir", "key_algorithm",
    "ca_validity", "leaf_validity", "renew_before", "rollout_hook", "log_level",
    NULL,
};

/* A directory setting: where it resolves to and how to show it. */
typedef struct dir_setting {
    const char *key;
    const char *value; /* as written, or the default */
    int line;          /* 0 for the default */
    char **abs;        /* into certlc_config */
    char *display;     /* relative to the working directory when possible */
} dir_setting;

typedef struct duration_setting {
    const char *key;
    const char *text;
    int line;
    int64_t *out;
} duration_setting;

/* malloc'd folder part of `path` as given ("" when there is none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup("");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static int resolve_dir(dir_setting *d, const char *base_real, const char *base_given,
                       const where *w, certlc_err *err)
{
    if (d->value[0] == '\0')
        return certlc_err_set(err, "%s:%d: [%s] %s: must not be empty", w->file,
                              d->line, w->section, d->key);
    char *abs = d->value[0] == '/' ? xstrdup(d->value) : path_join(base_real, d->value);
    char *display = d->value[0] == '/' || base_given[0] == '\0'
                        ? xstrdup(d->value) : path_join(base_given, d->value);
    if (abs == NULL || display == NULL) {
        free(abs);
        free(display);
        return certlc_err_set(err, "out of memory");
    }
    path_clean_abs(abs);
    *d->abs = abs;
    d->display = display;
    return 0;
}

static int load_certlc_ini(certlc_config *cfg, const ini_doc *doc,
                           dir_setting *tenants, certlc_err *err)
{
    const char *file = cfg->path;
    where w = {file, "certlc"};
    const ini_section *main_sec = NULL;
    for (size_t i = 0; i < doc->n_sec; i++) {
        const ini_section *sec = &doc->sec[i];
        if (strcmp(sec->name, "certlc") != 0)
            return certlc_err_set(err, "%s:%d: unknown section [%s] (certlc.ini has "
                                  "one section, [certlc])", file, sec->line, sec->name);
        if (main_sec != NULL)
            return certlc_err_set(err, "%s:%d: duplicate section [certlc] (first at "
                                  "line %d)", file, sec->line, main_sec->line);
        main_sec = sec;
    }

    dir_setting dirs[] = {
        {"state_dir", "var", 0, &cfg->state_dir, NULL},
        {"plugins_dir", "plugins.d", 0, &cfg->plugins_dir, NULL},
        {"tenants_dir", "tenants.d", 0, &cfg->tenants_dir, NULL},
        {"datastores_dir", "datastores.d", 0, &cfg->datastores_dir, NULL},
    };
    duration_setting durs[] = {
        {"ca_validity", "87600h", 0, &cfg->ca_validity},
        {"leaf_validity", "8760h", 0, &cfg->leaf_validity},
        {"renew_before", "24h", 0, &cfg->renew_before},
    };
    const size_t n_dirs = sizeof dirs / sizeof dirs[0];
    const size_t n_durs = sizeof durs / sizeof durs[0];
    const char *rollout_hook = "";
    int rc = -1;

    cfg->key_algorithm = CERTLC_KEY_RSA2048;
    cfg->log_level = CERTLC_LOG_INFO;

    if (main_sec != NULL) {
        if (check_keys(&w, main_sec, certlc_keys, NULL, err) != 0)
            return -1;
        for (size_t i = 0; i < main_sec->n_kv; i++) {
            const ini_kv *kv = &main_sec->kv[i];
            bool done = false;
            for (size_t k = 0; k < n_dirs && !done; k++) {
                if (strcmp(kv->key, dirs[k].key) == 0) {
                    dirs[k].value = kv->value;
                    dirs[k].line = kv->line;
                    done = true;
                }
            }
            for (size_t k = 0; k < n_durs && !done; k++) {
                if (strcmp(kv->key, durs[k].key) == 0) {
                    durs[k].text = kv->value;
                    durs[k].line = kv->line;
                    done = true;
                }
            }
            if (done)
                continue;
            if (strcmp(kv->key, "key_algorithm") == 0) {
                if (certlc_key_alg_parse(kv->value, &cfg->key_algorithm) != 0)
                    return key_err(&w, kv, err, "unknown key algorithm \"%s\" (use "
                                   "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256 or "
                                   "ecdsa-p384)", kv->value);
            } else if (strcmp(kv->key, "log_level") == 0) {
                if (certlc_log_level_parse(kv->value, &cfg->log_level) != 0)
                    return key_err(&w, kv, err, "unknown log level \"%s\" (use debug, "
                                   "info, warn or error)", kv->value);
            } else if (strcmp(kv->key, "rollout_hook") == 0) {
                rollout_hook = kv->value;
            }
        }
    }

    for (size_t k = 0; k < n_durs; k++) {
        if (certlc_duration_parse(durs[k].text, durs[k].out, err) != 0) {
            certlc_err_prefix(err, "%s:%d: [certlc] %s", file, durs[k].line, durs[k].key);
            return -1;
        }
    }
    /* durs[]: 0 ca_validity, 1 leaf_validity, 2 renew_before. */
    if (cfg->renew_before >= cfg->leaf_validity) {
        int line = durs[2].line > durs[1].line ? durs[2].line : durs[1].line;
        return certlc_err_set(err, "%s:%d: [certlc] renew_before (%s) must be shorter "
                              "than leaf_validity (%s)", file, line, durs[2].text,
                              durs[1].text);
    }
    if (cfg->ca_validity < cfg->leaf_validity) {
        int line = durs[0].line > durs[1].line ? durs[0].line : durs[1].line;
        return certlc_err_set(err, "%s:%d: [certlc] ca_validity (%s) must not be "
                              "shorter than leaf_validity (%s)", file, line,
                              durs[0].text, durs[1].text);
    }

    cfg->rollout_hook = xstrdup(rollout_hook);
    if (cfg->rollout_hook == NULL)
        return certlc_err_set(err, "out of memory");

    /* Relative paths are relative to the folder of certlc.ini. */
    char *base_given = dir_of(file);
    char *base_real = NULL;
    if (base_given == NULL)
        return certlc_err_set(err, "out of memory");
    base_real = realpath(base_given[0] ? base_given : ".", NULL);
    if (base_real == NULL) {
        certlc_err_set(err, "%s: cannot resolve its folder: %s", file, strerror(errno));
        goto out;
    }
    for (size_t k = 0; k < n_dirs; k++) {
        if (resolve_dir(&dirs[k], base_real, base_given, &w, err) != 0)
            goto out;
    }
    rc = 0;
    *tenants = dirs[2];
    dirs[2].display = NULL;
out:
    for (size_t k = 0; k < n_dirs; k++)
        free(dirs[k].display);
    free(base_real);
    free(base_given);
    return rc;
}

/* ---- tenants.d ------------------------------------------------------------- */

static const char *const tenant_keys[] = {
    "namespace", "version", "address", "port", "service_cidr", "cluster_domain",
    "cert_sans", "konnectivity", "datastore", NULL,
};

static void tenant_fini(certlc_tenant *t)
{
    free(t->name);
    free(t->namespace);
    free(t->version);
    free(t->address);
    free(t->service_cidr);
    free(t->cluster_domain);
    strv_free(t->cert_sans, t->n_cert_sans);
    free(t->datastore);
    free(t->source);
    memset(t, 0, sizeof *t);
}

static int add_sans(certlc_tenant *t, const where *w, const ini_kv *kv, certlc_err *err)
{
    const char *p = kv->value;
    if (*p == '\0')
        return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        if (b == e)
            return key_err(w, kv, err, "empty entry in \"%s\"", kv->value);
        char *san = xstrndup(b, (size_t)(e - b));
        if (san == NULL)
            return certlc_err_set(err, "out of memory");
        if (!is_ip(san) && !dns1123_subdomain(san, true)) {
            key_err(w, kv, err, "\"%s\" is neither an IP address nor a DNS name",
                    san);
            free(san);
            return -1;
        }
        char **v = realloc(t->cert_sans, (t->n_cert_sans + 1) * sizeof *v);
        if (v == NULL) {
            free(san);
            return certlc_err_set(err, "out of memory");
        }
        t->cert_sans = v;
        v[t->n_cert_sans++] = san;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int set_str(char **field, const char *value, certlc_err *err)
{
    char *d = xstrdup(value);
    if (d == NULL)
        return certlc_err_set(err, "out of memory");
    free(*field);
    *field = d;
    return 0;
}

#define DNS1123_RULE "(lowercase letters, digits and '-', at most 63)"

static int load_tenant(certlc_tenant *t, const char *file, const ini_section *sec,
                       certlc_err *err)
{
    memset(t, 0, sizeof *t);
    /* "[tenant NAME]" */
    const char *name = NULL;
    if (strncmp(sec->name, "tenant", 6) == 0 &&
        (sec->name[6] == '\0' || is_space(sec->name[6]))) {
        name = sec->name + 6;
        while (is_space(*name))
            name++;
        if (*name == '\0')
            return certlc_err_set(err, "%s:%d: [tenant] needs a name: [tenant NAME]",
                                  file, sec->line);
    } else {
        return certlc_err_set(err, "%s:%d: unknown section [%s] (tenant files hold "
                              "[tenant NAME] sections)", file, sec->line, sec->name);
    }
    if (!certlc_dns1123_label(name))
        return certlc_err_set(err, "%s:%d: tenant name \"%s\" is not a DNS-1123 label "
                              DNS1123_RULE, file, sec->line, name);

    where w = {file, sec->name};
    if (check_keys(&w, sec, tenant_keys, "cert_sans", err) != 0)
        return -1;

    char source[PATH_MAX + 32];
    snprintf(source, sizeof source, "%s:%d", file, sec->line);
    if (set_str(&t->name, name, err) || set_str(&t->namespace, "default", err) ||
        set_str(&t->service_cidr, "10.96.0.0/16", err) ||
        set_str(&t->cluster_domain, "cluster.local", err) ||
        set_str(&t->datastore, "", err) || set_str(&t->source, source, err))
        goto fail;
    t->port = 6443;
    t->konnectivity = false;

    for (size_t i = 0; i < sec->n_kv; i++) {
        const ini_kv *kv = &sec->kv[i];
        const char *k = kv->key, *v = kv->value;
        if (strcmp(k, "cert_sans") == 0) {
            if (add_sans(t, &w, kv, err) != 0)
                goto fail;
            continue;
        }
        if (strcmp(k, "port") == 0) {
            if (!parse_port(v, &t->port)) {
                key_err(&w, kv, err, "\"%s\" is not a port number (1-65535)", v);
                goto fail;
            }
            continue;
        }
        if (strcmp(k, "konnectivity") == 0) {
            if (!parse_bool(v, &t->konnectivity)) {
                key_err(&w, kv, err, "\"%s\" is not a boolean (use true or false)", v);
                goto fail;
            }
            continue;
        }
        char **field = NULL;
        if (strcmp(k, "namespace") == 0) {
            if (!certlc_dns1123_label(v)) {
                key_err(&w, kv, err, "\"%s\" is not a DNS-1123 label " DNS1123_RULE, v);
                goto fail;
            }
            field = &t->namespace;
        } else if (strcmp(k, "version") == 0) {
            if (!is_version(v)) {
                key_err(&w, kv, err, "\"%s\" is not a Kubernetes version like v1.26.0",
                        v);
                goto fail;
            }
            field = &t->version;
        } else if (strcmp(k, "address") == 0) {
            if (!is_ip(v) && !dns1123_subdomain(v, false)) {
                key_err(&w, kv, err, "\"%s\" is neither an IP address nor a DNS name",
                        v);
                goto fail;
            }
            field = &t->address;
        } else if (strcmp(k, "service_cidr") == 0) {
            char first[INET6_ADDRSTRLEN];
            if (certlc_cidr_first_ip(v, first, sizeof first, err) != 0) {
                certlc_err_prefix(err, "%s:%d: [%s] %s", file, kv->line, sec->name, k);
                goto fail;
            }
            field = &t->service_cidr;
        } else if (strcmp(k, "cluster_domain") == 0) {
            if (!dns1123_subdomain(v, false)) {
                key_err(&w, kv, err, "\"%s\" is not a DNS name", v);
                goto fail;
            }
            field = &t->cluster_domain;
        } else if (strcmp(k, "datastore") == 0) {
            field = &t->datastore;
        }
        if (field != NULL && set_str(field, v, err) != 0)
            goto fail;
    }
    if (t->version == NULL) {
        certlc_err_set(err, "%s:%d: [%s] missing required key 'version'", file,
                       sec->line, sec->name);
        goto fail;
    }
    if (t->address == NULL) {
        certlc_err_set(err, "%s:%d: [%s] missing required key 'address'", file,
                       sec->line, sec->name);
        goto fail;
    }
    return 0;
fail:
    tenant_fini(t);
    return -1;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int tenant_cmp(const void *a, const void *b)
{
    const certlc_tenant *x = a, *y = b;
    int c = strcmp(x->namespace, y->namespace);
    return c != 0 ? c : strcmp(x->name, y->name);
}

static bool has_ini_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".ini") == 0;
}

/* The *.ini regular files of `dir`, sorted by name. */
static int list_ini_files(const char *dir, const char *display, char ***out,
                          size_t *n_out, certlc_err *err)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return certlc_err_set(err, "cannot open %s: %s", display, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    int rc = 0;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_ini_suffix(e->d_name))
            continue;
        char *full = path_join(dir, e->d_name);
        if (full == NULL) {
            rc = certlc_err_set(err, "out of memory");
            break;
        }
        struct stat st;
        if (stat(full, &st) != 0) {
            rc = certlc_err_set(err, "%s/%s: cannot stat: %s", display, e->d_name,
                                strerror(errno));
            free(full);
            break;
        }
        free(full);
        if (!S_ISREG(st.st_mode))
            continue;
        char **v = realloc(names, (n + 1) * sizeof *v);
        if (v == NULL || (v[n] = xstrdup(e->d_name)) == NULL) {
            names = v ? v : names;
            rc = certlc_err_set(err, "out of memory");
            break;
        }
        names = v;
        n++;
        errno = 0;
    }
    if (rc == 0 && e == NULL && errno != 0)
        rc = certlc_err_set(err, "cannot read %s: %s", display, strerror(errno));
    closedir(d);
    if (rc != 0) {
        strv_free(names, n);
        return -1;
    }
    if (n > 0)
        qsort(names, n, sizeof *names, name_cmp);
    *out = names;
    *n_out = n;
    return 0;
}

static int load_tenants(certlc_config *cfg, const dir_setting *td, certlc_err *err)
{
    char **files;
    size_t n_files;
    if (list_ini_files(cfg->tenants_dir, td->display, &files, &n_files, err) != 0) {
        if (td->line > 0)
            certlc_err_prefix(err, "%s:%d: [certlc] tenants_dir", cfg->path, td->line);
        else
            certlc_err_prefix(err, "%s: [certlc] tenants_dir (default)", cfg->path);
        return -1;
    }
    int rc = 0;
    for (size_t f = 0; f < n_files && rc == 0; f++) {
        char *path = path_join(cfg->tenants_dir, files[f]);
        char *display = path_join(td->display, files[f]);
        ini_doc doc;
        if (path == NULL || display == NULL) {
            rc = certlc_err_set(err, "out of memory");
        } else if (ini_read(path, display, &doc, err) != 0) {
            rc = -1;
        } else {
            for (size_t s = 0; s < doc.n_sec && rc == 0; s++) {
                certlc_tenant *v = realloc(cfg->tenants,
                                           (cfg->n_tenants + 1) * sizeof *v);
                if (v == NULL) {
                    rc = certlc_err_set(err, "out of memory");
                    break;
                }
                cfg->tenants = v;
                certlc_tenant *t = &v[cfg->n_tenants];
                if (load_tenant(t, display, &doc.sec[s], err) != 0) {
                    rc = -1;
                    break;
                }
                for (size_t i = 0; i < cfg->n_tenants; i++) {
                    const certlc_tenant *o = &cfg->tenants[i];
                    if (strcmp(o->namespace, t->namespace) == 0 &&
                        strcmp(o->name, t->name) == 0) {
                        rc = certlc_err_set(err, "%s: tenant %s/%s is defined twice: "
                                            "here and at %s", t->source, t->namespace,
                                            t->name, o->source);
                        tenant_fini(t);
                        break;
                    }
                }
                if (rc == 0)
                    cfg->n_tenants++;
            }
            doc_free(&doc);
        }
        free(path);
        free(display);
    }
    strv_free(files, n_files);
    if (rc == 0 && cfg->n_tenants > 1)
        qsort(cfg->tenants, cfg->n_tenants, sizeof *cfg->tenants, tenant_cmp);
    return rc;
}

/* ---- public ----------------------------------------------------------------- */

int certlc_config_load(const char *path, certlc_config **out, certlc_err *err)
{
    *out = NULL;
    if (path == NULL || *path == '\0')
        return certlc_err_set(err, "no configuration file given");
    certlc_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL || (cfg->path = xstrdup(path)) == NULL) {
        free(cfg);
        return certlc_err_set(err, "out of memory");
    }
    ini_doc doc;
    if (ini_read(path, path, &doc, err) != 0) {
        certlc_config_free(cfg);
        return -1;
    }
    dir_setting tenants = {0};
    int rc = load_certlc_ini(cfg, &doc, &tenants, err);
    doc_free(&doc);
    if (rc == 0)
        rc = load_tenants(cfg, &tenants, err);
    free(tenants.display);
    if (rc != 0) {
        certlc_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

void certlc_config_free(certlc_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->state_dir);
    free(cfg->plugins_dir);
    free(cfg->tenants_dir);
    free(cfg->datastores_dir);
    free(cfg->rollout_hook);
    for (size_t i = 0; i < cfg->n_tenants; i++)
        tenant_fini(&cfg->tenants[i]);
    free(cfg->tenants);
    free(cfg);
}

const certlc_tenant *certlc_config_tenant(const certlc_config *cfg, const char *ns,
                                          const char *name)
{
    if (cfg == NULL || name == NULL)
        return NULL;
    if (ns == NULL)
        ns = "default";
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const certlc_tenant *t = &cfg->tenants[i];
        if (strcmp(t->namespace, ns) == 0 && strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}
