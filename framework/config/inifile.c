#include "inifile.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "path.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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

typedef struct line_reader {
    const char *data;
    size_t len;
    size_t pos;
    int lineno;
    certlc_ini_doc *doc;
    int err_line;        /* first error found here, 0 if none */
    certlc_err err;
} line_reader;

void certlc_ini_doc_free(certlc_ini_doc *doc)
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
    /* inih drops whatever follows the first ']': "[tenant a]b]" would be
     * tenant "a" and "[tenant alpha] junk" tenant "alpha", silently. Only
     * an inline comment may follow. */
    const char *rest = p + 1;
    while (is_space(*rest))
        rest++;
    if (*rest != '\0' && *rest != '\n' && !(*rest == ';' && rest > p + 1)) {
        char msg[300];
        snprintf(msg, sizeof msg, "section header \"%.*s\" is followed by "
                 "\"%.*s\": expected nothing after its ']' (names hold no "
                 "']'; a comment starts with ' ;')", (int)(p - line + 1) > 128
                     ? 128 : (int)(p - line + 1), line,
                 (int)(strcspn(rest, "\n") > 64 ? 64 : strcspn(rest, "\n")),
                 rest);
        reader_fail(r, r->lineno, msg);
        return;
    }
    const char *b = line + 1;
    while (b < p && is_space(*b))
        b++;
    const char *e = p;
    while (e > b && is_space(e[-1]))
        e--;
    certlc_ini_section *sec = realloc(r->doc->sec, (r->doc->n_sec + 1) * sizeof *sec);
    if (sec == NULL) {
        reader_fail(r, r->lineno, "out of memory");
        return;
    }
    r->doc->sec = sec;
    sec = &sec[r->doc->n_sec];
    memset(sec, 0, sizeof *sec);
    sec->name = strndup(b, (size_t)(e - b));
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
    certlc_ini_section *sec = &r->doc->sec[r->doc->n_sec - 1];
    certlc_ini_kv *kv = realloc(sec->kv, (sec->n_kv + 1) * sizeof *kv);
    if (kv == NULL) {
        reader_fail(r, r->lineno, "out of memory");
        return 1;
    }
    sec->kv = kv;
    kv = &kv[sec->n_kv];
    kv->key = strdup(name);
    kv->value = strdup(value ? value : "");
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
int certlc_ini_read(const char *path, const char *display, certlc_ini_doc *doc,
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
        certlc_ini_doc_free(doc);
        return certlc_err_set(err, "%s: out of memory", display);
    }
    if (rc > 0 && (r.err_line == 0 || rc < r.err_line)) {
        certlc_ini_doc_free(doc);
        return certlc_err_set(err, "%s:%d: syntax error: expected [section], "
                              "key = value or a comment", display, rc);
    }
    if (r.err_line != 0) {
        certlc_ini_doc_free(doc);
        return certlc_err_set(err, "%s:%d: %s", display, r.err_line, r.err.msg);
    }
    return 0;
}


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

const char *certlc_ini_suggest(const char *key, const char *const *known)
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

int certlc_ini_key_err(const certlc_ini_where *w, const certlc_ini_kv *kv, certlc_err *err,
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
int certlc_ini_check_keys(const certlc_ini_where *w, const certlc_ini_section *sec,
                      const char *const *known, const char *repeatable,
                      certlc_err *err)
{
    for (size_t i = 0; i < sec->n_kv; i++) {
        const certlc_ini_kv *kv = &sec->kv[i];
        bool ok = false;
        for (size_t k = 0; known[k] != NULL && !ok; k++)
            ok = strcmp(kv->key, known[k]) == 0;
        if (!ok) {
            const char *s = certlc_ini_suggest(kv->key, known);
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


static bool has_ini_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".ini") == 0;
}

/* The *.ini regular files of `dir`, sorted by name. */
int certlc_ini_list_files(const char *dir, const char *display, char ***out,
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
        char *full = certlc_path_join(dir, e->d_name);
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
        if (v == NULL || (v[n] = strdup(e->d_name)) == NULL) {
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
