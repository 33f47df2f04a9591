#include "selector.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

enum op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS };

struct req {
    enum op op;
    char *key;
    char **values; /* one for = and !=, one or more for in and notin */
    size_t nvalues;
};

struct certlc_selector {
    struct req *reqs;
    size_t n, cap;
};

struct parser {
    const char *text;
    size_t pos;
    certlc_err *err;
};

/* Positions in messages count from 1, as a person reads the text. */
CERTLC_PRINTF(3, 4)
static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return certlc_err_set(p->err,
                          "invalid label selector \"%s\": %s at position %zu",
                          p->text, what, pos + 1);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Characters that end a word: blanks, punctuation of the grammar. */
static bool is_word(char c)
{
    return c != '\0' && !is_space(c) && strchr(",()=!<>", c) == NULL;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static void skip_space(struct parser *p)
{
    while (is_space(p->text[p->pos]))
        p->pos++;
}

/* The word at p->pos, advanced past; *n is its length (may be 0). */
static const char *word(struct parser *p, size_t *n)
{
    const char *w = p->text + p->pos;
    while (is_word(p->text[p->pos]))
        p->pos++;
    *n = (size_t)(p->text + p->pos - w);
    return w;
}

/* Label value: empty, or up to 63 of [A-Za-z0-9._-] starting and ending
 * with an alphanumeric. Returns a reason, or NULL when valid. */
static const char *check_name(const char *s, size_t n, size_t max)
{
    if (n == 0)
        return NULL;
    if (n > max)
        return max == 63 ? "longer than 63 characters"
                         : "longer than 253 characters";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return "may contain only letters, digits, '-', '_' and '.'";
    }
    if (!is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return "must start and end with a letter or digit";
    return NULL;
}

/* DNS subdomain prefix of a key: lower case, digits, '-' and '.'. */
static const char *check_prefix(const char *s, size_t n)
{
    if (n == 0)
        return "empty prefix before '/'";
    if (n > 253)
        return "prefix longer than 253 characters";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok)
            return "prefix may contain only lower case letters, digits, "
                   "'-' and '.'";
        if (c == '.' && (i == 0 || s[i - 1] == '.'))
            return "prefix has an empty DNS label";
    }
    if (!is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return "prefix must start and end with a letter or digit";
    return NULL;
}

/* Key: [prefix/]name, name as a label value but not empty. */
static const char *check_key(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    const char *name = s;
    size_t nlen = n;
    if (slash != NULL) {
        const char *why = check_prefix(s, (size_t)(slash - s));
        if (why != NULL)
            return why;
        name = slash + 1;
        nlen = n - (size_t)(name - s);
        if (memchr(name, '/', nlen) != NULL)
            return "more than one '/'";
    }
    if (nlen == 0)
        return "empty name";
    return check_name(name, nlen, 63);
}

static int read_key(struct parser *p, char **out)
{
    size_t start = p->pos, n;
    const char *w = word(p, &n);
    if (n == 0) {
        char c = p->text[p->pos];
        if (c == '\0')
            return fail(p, start, "expected a label key, found the end");
        return fail(p, start, "expected a label key, found '%c'", c);
    }
    const char *why = check_key(w, n);
    if (why != NULL)
        return fail(p, start, "invalid key \"%.*s\" (%s)", (int)n, w, why);
    *out = strndup(w, n);
    return *out == NULL ? certlc_err_set(p->err, "out of memory") : 0;
}

static int add_value(struct parser *p, struct req *r)
{
    skip_space(p);
    size_t start = p->pos, n;
    const char *w = word(p, &n);
    const char *why = check_name(w, n, 63);
    if (why != NULL)
        return fail(p, start, "invalid value \"%.*s\" (%s)", (int)n, w, why);
    char **values = realloc(r->values, (r->nvalues + 1) * sizeof *values);
    if (values == NULL)
        return certlc_err_set(p->err, "out of memory");
    r->values = values;
    r->values[r->nvalues] = strndup(w, n);
    if (r->values[r->nvalues] == NULL)
        return certlc_err_set(p->err, "out of memory");
    r->nvalues++;
    skip_space(p);
    return 0;
}

/* `( v, v, ... )` after in / notin. */
static int read_set(struct parser *p, struct req *r, const char *opname)
{
    skip_space(p);
    if (p->text[p->pos] != '(')
        return fail(p, p->pos, "expected '(' after '%s'", opname);
    size_t open = p->pos++;
    skip_space(p);
    if (p->text[p->pos] == ')')
        return fail(p, p->pos, "empty set of values after '%s'", opname);
    for (;;) {
        if (add_value(p, r) != 0)
            return -1;
        char c = p->text[p->pos];
        if (c == ',') {
            p->pos++;
        } else if (c == ')') {
            p->pos++;
            return 0;
        } else if (c == '\0') {
            return fail(p, open, "missing ')'");
        } else {
            return fail(p, p->pos, "expected ',' or ')', found '%c'", c);
        }
    }
}

static int read_requirement(struct parser *p, struct req *r)
{
    skip_space(p);
    if (p->text[p->pos] == '!') {
        p->pos++;
        skip_space(p);
        r->op = OP_NOT_EXISTS;
        return read_key(p, &r->key);
    }
    if (read_key(p, &r->key) != 0)
        return -1;
    skip_space(p);
    const char *t = p->text + p->pos;
    if (*t == '\0' || *t == ',') {
        r->op = OP_EXISTS;
        return 0;
    }
    if (t[0] == '=') {
        p->pos += t[1] == '=' ? 2 : 1;
        r->op = OP_EQ;
        return add_value(p, r);
    }
    if (t[0] == '!' && t[1] == '=') {
        p->pos += 2;
        r->op = OP_NE;
        return add_value(p, r);
    }
    size_t start = p->pos, n;
    const char *w = word(p, &n);
    if (n == 2 && strncmp(w, "in", 2) == 0) {
        r->op = OP_IN;
        return read_set(p, r, "in");
    }
    if (n == 5 && strncmp(w, "notin", 5) == 0) {
        r->op = OP_NOTIN;
        return read_set(p, r, "notin");
    }
    if (n > 0)
        return fail(p, start,
                    "unknown operator \"%.*s\" (expected =, ==, !=, in or "
                    "notin)",
                    (int)n, w);
    return fail(p, start, "unexpected '%c'", *t);
}

static void req_fini(struct req *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
}

void certlc_selector_free(certlc_selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++)
        req_fini(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

certlc_selector *certlc_selector_parse(const char *text, certlc_err *err)
{
    certlc_selector *sel = calloc(1, sizeof *sel);
    if (sel == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    struct parser p = {.text = text != NULL ? text : "", .pos = 0, .err = err};
    skip_space(&p);
    if (p.text[p.pos] == '\0')
        return sel;
    for (;;) {
        struct req *reqs =
            certlc_grow(sel->reqs, sel->n, &sel->cap, sizeof *reqs, 4);
        if (reqs == NULL) {
            certlc_err_set(err, "out of memory");
            goto fail;
        }
        sel->reqs = reqs;
        struct req *r = &sel->reqs[sel->n];
        memset(r, 0, sizeof *r);
        sel->n++; /* counted now so that a half-built one is freed */
        if (read_requirement(&p, r) != 0)
            goto fail;
        skip_space(&p);
        char c = p.text[p.pos];
        if (c == '\0')
            return sel;
        if (c != ',') {
            fail(&p, p.pos, "expected ',' or the end, found '%c'", c);
            goto fail;
        }
        p.pos++;
    }
fail:
    certlc_selector_free(sel);
    return NULL;
}

static bool value_in(const struct req *r, const certlc_kv *kv)
{
    for (size_t i = 0; i < r->nvalues; i++) {
        if (strlen(r->values[i]) == kv->len &&
            memcmp(r->values[i], kv->value, kv->len) == 0)
            return true;
    }
    return false;
}

bool certlc_selector_match(const certlc_selector *sel,
                           const certlc_kvlist *labels)
{
    if (sel == NULL)
        return true;
    for (size_t i = 0; i < sel->n; i++) {
        const struct req *r = &sel->reqs[i];
        const certlc_kv *kv = certlc_kvlist_get(labels, r->key);
        bool ok;
        switch (r->op) {
        case OP_EQ:
        case OP_IN:
            ok = kv != NULL && value_in(r, kv);
            break;
        case OP_NE:
        case OP_NOTIN:
            /* As in Kubernetes: an absent key is "not equal". */
            ok = kv == NULL || !value_in(r, kv);
            break;
        case OP_EXISTS:
            ok = kv != NULL;
            break;
        case OP_NOT_EXISTS:
        default:
            ok = kv == NULL;
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* ---- text out ---------------------------------------------------------- */

struct strbuf {
    char *p;
    size_t n, cap;
    bool failed;
};

static void sb_add(struct strbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n + 1);
    b->n += n;
}

char *certlc_selector_format(const certlc_selector *sel)
{
    struct strbuf b = {0};
    sb_add(&b, "");
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        const struct req *r = &sel->reqs[i];
        if (i > 0)
            sb_add(&b, ",");
        if (r->op == OP_NOT_EXISTS)
            sb_add(&b, "!");
        sb_add(&b, r->key);
        switch (r->op) {
        case OP_EQ: sb_add(&b, "="); break;
        case OP_NE: sb_add(&b, "!="); break;
        case OP_IN: sb_add(&b, " in ("); break;
        case OP_NOTIN: sb_add(&b, " notin ("); break;
        case OP_EXISTS:
        case OP_NOT_EXISTS:
        default: continue;
        }
        for (size_t v = 0; v < r->nvalues; v++) {
            if (v > 0)
                sb_add(&b, ",");
            sb_add(&b, r->values[v]);
        }
        if (r->op == OP_IN || r->op == OP_NOTIN)
            sb_add(&b, ")");
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int certlc_selector_keep(const certlc_selector *sel, certlc_secret *s,
                         certlc_secret_list *out)
{
    if (!certlc_selector_match(sel, &s->labels)) {
        certlc_secret_free(s);
        return 0;
    }
    if (certlc_secret_list_push(out, s) != 0) {
        certlc_secret_free(s);
        return -1;
    }
    return 0;
}
