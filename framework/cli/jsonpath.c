/* kubectl's JSONPath: a parser building the same node tree as client-go's
 * parser.go, and an evaluator following its jsonpath.go step by step,
 * including its quirks (['a.b'] means .a.b, a filter skips items lacking
 * the field but fails on an integer compared with a float), because
 * scripts depend on the exact bytes kubectl prints. */
#include "jsonpath.h"
#include "grow.h"
#include "wipe_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    N_LIST,
    N_TEXT,
    N_FIELD,
    N_ARRAY,
    N_FILTER,
    N_INT,
    N_FLOAT,
    N_BOOL,
    N_WILDCARD,
    N_RECURSIVE,
    N_UNION,
    N_IDENT,
} node_type;

typedef struct param {
    long value;
    bool known;
    bool derived;
} param;

typedef struct node node;
struct node {
    node_type type;
    char *text;       /* TEXT, FIELD, IDENT; FILTER: the operator */
    long ival;        /* INT, BOOL */
    double fval;      /* FLOAT */
    param params[3];  /* ARRAY */
    node **kids;      /* LIST, UNION (lists); FILTER: left, right */
    size_t n_kids, cap_kids;
};

struct certlc_jsonpath {
    node *root;
    bool allow_missing;
    /* Evaluation state, as in client-go: the ranges opening, open and
     * ending, and the last {end} met. */
    int begin_range, in_range, end_range;
    node *last_end;
};


/* ---- nodes ---- */

static node *node_new(node_type t)
{
    node *n = calloc(1, sizeof *n);
    if (n != NULL)
        n->type = t;
    return n;
}

static void node_free(node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int node_append(node *list, node *kid)
{
    if (kid == NULL)
        return -1;
    /* Doubling: a template of many actions must not cost a copy of the
     * list per action. */
    if (list->n_kids == list->cap_kids) {
        size_t cap = list->cap_kids ? list->cap_kids * 2 : 4;
        node **k = realloc(list->kids, cap * sizeof *k);
        if (k == NULL) {
            node_free(kid);
            return -1;
        }
        list->kids = k;
        list->cap_kids = cap;
    }
    list->kids[list->n_kids++] = kid;
    return 0;
}

static node *text_node(node_type t, const char *s, size_t len)
{
    node *n = node_new(t);
    if (n == NULL)
        return NULL;
    n->text = strndup(s, len);
    if (n->text == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

/* ---- the parser (client-go's parser.go, position for position) ---- */

typedef struct parser {
    const char *in;
    size_t len, pos, start;
    /* Errors in a union, ['key'] or filter (parsed again on their own)
     * name the end of that group in the user's template. */
    bool sub;
    size_t base;
    node *root;
    certlc_err *err;
} parser;

#define EOF_R (-1)

static int perr(parser *p, const char *fmt, ...) CERTLC_PRINTF(2, 3);
static int perr(parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    certlc_err_set(p->err, "%s at position %zu", msg,
                   p->sub ? p->base : p->pos + 1);
    return -1;
}

static int next(parser *p)
{
    if (p->pos >= p->len)
        return EOF_R;
    return (unsigned char)p->in[p->pos++];
}

static void backup(parser *p, int r)
{
    if (r != EOF_R)
        p->pos--;
}

static int peek(parser *p)
{
    return p->pos < p->len ? (unsigned char)p->in[p->pos] : EOF_R;
}

static bool has_prefix(const parser *p, const char *pre)
{
    size_t l = strlen(pre);
    return p->len - p->pos >= l && memcmp(p->in + p->pos, pre, l) == 0;
}

static bool is_space(int r) { return r == ' ' || r == '\t'; }
static bool is_eol(int r) { return r == '\r' || r == '\n'; }
/* Bytes of multi-byte UTF-8 count as letters, as unicode.IsLetter would
 * mostly have it. */
static bool is_alnum(int r)
{
    return r == '_' || (r >= 0 && (isalnum(r) || r >= 0x80));
}

static bool is_terminator(int r)
{
    if (is_space(r) || is_eol(r))
        return true;
    switch (r) {
    case EOF_R: case '.': case ',': case '[': case ']': case '$': case '@':
    case '{': case '}':
        return true;
    default:
        return false;
    }
}

static int parse_template(parser *p);

/* Parses "{" TEXT "}" as a template of its own and returns its one action
 * (a list), as parseAction does for unions, dict keys and filters. */
static node *parse_action(parser *outer, const char *text, size_t len)
{
    char *buf = malloc(len + 3);
    if (buf == NULL)
        return NULL;
    buf[0] = '{';
    memcpy(buf + 1, text, len);
    buf[len + 1] = '}';
    buf[len + 2] = '\0';
    parser p = {.in = buf, .len = len + 2, .err = outer->err, .sub = true,
                .base = outer->sub ? outer->base : outer->pos};
    p.root = node_new(N_LIST);
    node *out = NULL;
    if (p.root != NULL && parse_template(&p) == 0 && p.root->n_kids > 0 &&
        p.root->kids[0]->type == N_LIST) {
        out = p.root->kids[0];
        p.root->kids[0] = p.root->kids[--p.root->n_kids];
        p.root->kids[p.root->n_kids] = NULL;
    }
    node_free(p.root);
    free(buf);
    return out;
}

static void consume(parser *p, size_t *s, size_t *l)
{
    *s = p->start;
    *l = p->pos - p->start;
    p->start = p->pos;
}

/* Text up to the next "{": 1 when an action opens there (its list in
 * *ACTION), 0 at the end of the template, -1 on an error. */
static int parse_text(parser *p, node **action)
{
    for (;;) {
        if (has_prefix(p, "{")) {
            if (p->pos > p->start) {
                size_t s, l;
                consume(p, &s, &l);
                if (node_append(p->root, text_node(N_TEXT, p->in + s, l)))
                    return perr(p, "out of memory");
            }
            p->pos++;
            p->start = p->pos;
            node *list = node_new(N_LIST);
            if (node_append(p->root, list))
                return perr(p, "out of memory");
            *action = list;
            return 1;
        }
        if (next(p) == EOF_R)
            break;
    }
    if (p->pos > p->start) {
        size_t s, l;
        consume(p, &s, &l);
        if (node_append(p->root, text_node(N_TEXT, p->in + s, l)))
            return perr(p, "out of memory");
    }
    return 0;
}

static int parse_field(parser *p, node *cur)
{
    p->start = p->pos;
    for (;;) {
        int r = next(p);
        if (r == '\\') {
            next(p);
        } else if (is_terminator(r)) {
            backup(p, r);
            break;
        }
    }
    size_t s, l;
    consume(p, &s, &l);
    node *n;
    if (l == 1 && p->in[s] == '*') {
        n = node_new(N_WILDCARD);
    } else {
        /* Backslashes only escape: "kamaji\.clastix\.io/name". */
        n = node_new(N_FIELD);
        if (n != NULL && (n->text = malloc(l + 1)) != NULL) {
            size_t k = 0;
            for (size_t i = 0; i < l; i++)
                if (p->in[s + i] != '\\')
                    n->text[k++] = p->in[s + i];
            n->text[k] = '\0';
        } else {
            free(n);
            n = NULL;
        }
    }
    if (node_append(cur, n))
        return perr(p, "out of memory");
    return 0;
}

static int parse_identifier(parser *p, node *cur)
{
    int r;
    do {
        r = next(p);
    } while (!is_terminator(r));
    backup(p, r);
    size_t s, l;
    consume(p, &s, &l);
    node *n;
    if ((l == 4 && memcmp(p->in + s, "true", 4) == 0) ||
        (l == 5 && memcmp(p->in + s, "false", 5) == 0)) {
        n = node_new(N_BOOL);
        if (n != NULL)
            n->ival = l == 4;
    } else {
        n = text_node(N_IDENT, p->in + s, l);
    }
    if (node_append(cur, n))
        return perr(p, "out of memory");
    return 0;
}

static int parse_recursive(parser *p, node *cur)
{
    if (cur->n_kids > 0 && cur->kids[cur->n_kids - 1]->type == N_RECURSIVE)
        return perr(p, "invalid multiple recursive descent");
    p->pos += 2;
    p->start = p->pos;
    if (node_append(cur, node_new(N_RECURSIVE)))
        return perr(p, "out of memory");
    if (is_alnum(peek(p)))
        return parse_field(p, cur);
    return 0;
}

static int parse_number(parser *p, node *cur)
{
    int r = peek(p);
    if (r == '+' || r == '-')
        next(p);
    for (;;) {
        r = next(p);
        if (r != '.' && !(r >= '0' && r <= '9')) {
            backup(p, r);
            break;
        }
    }
    size_t s, l;
    consume(p, &s, &l);
    char buf[64];
    p->pos = s; /* errors name where the number starts */
    if (l >= sizeof buf)
        return perr(p, "cannot parse number %.*s", (int)l, p->in + s);
    memcpy(buf, p->in + s, l);
    buf[l] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    node *n;
    if (l > 0 && *end == '\0' && errno == 0 && buf[l - 1] != '+' &&
        buf[l - 1] != '-') {
        n = node_new(N_INT);
        if (n != NULL)
            n->ival = v;
        p->pos = s + l;
    } else {
        double d = strtod(buf, &end);
        if (l == 0 || *end != '\0' || strchr(buf, '.') == NULL ||
            strchr(buf, '.') != strrchr(buf, '.'))
            return perr(p, "cannot parse number %s", buf);
        n = node_new(N_FLOAT);
        if (n != NULL)
            n->fval = d;
        p->pos = s + l;
    }
    if (node_append(cur, n))
        return perr(p, "out of memory");
    return 0;
}

/* One part of a slice "[a:b:c]": an optional '-' and digits. */
static bool slice_part(const char **s, const char *end)
{
    if (*s < end && **s == '-')
        (*s)++;
    while (*s < end && **s >= '0' && **s <= '9')
        (*s)++;
    return true;
}

static int parse_slice(parser *p, node *cur, const char *t, size_t len)
{
    /* ^(-?\d*)(:-?\d*)?(:-?\d*)?$ */
    const char *part[3] = {0}, *pend[3] = {0}, *s = t, *end = t + len;
    part[0] = s;
    slice_part(&s, end);
    pend[0] = s;
    for (int i = 1; i < 3 && s < end && *s == ':'; i++) {
        part[i] = ++s;
        slice_part(&s, end);
        pend[i] = s;
    }
    if (s != end)
        return perr(p, "invalid array index %.*s", (int)len, t);
    node *n = node_new(N_ARRAY);
    if (n == NULL)
        return perr(p, "out of memory");
    for (int i = 0; i < 3; i++) {
        size_t l = part[i] ? (size_t)(pend[i] - part[i]) : 0;
        bool present = part[i] != NULL && (i > 0 || l > 0);
        if (present && l > 0) {
            char buf[32];
            char *e;
            if (l >= sizeof buf) {
                node_free(n);
                return perr(p, "array index %.*s is not a number", (int)l,
                            part[i]);
            }
            memcpy(buf, part[i], l);
            buf[l] = '\0';
            errno = 0;
            n->params[i].value = strtol(buf, &e, 10);
            if (*e != '\0' || errno != 0 || strcmp(buf, "-") == 0) {
                node_free(n);
                return perr(p, "array index %s is not a number", buf);
            }
            n->params[i].known = true;
        } else if (!present && i == 1) {
            /* [n] is [n:n+1]; for n = LONG_MAX, what Go's int64 wraps
             * to (without C's undefined overflow): out of bounds. */
            n->params[1].known = true;
            n->params[1].value = n->params[0].value < LONG_MAX
                                     ? n->params[0].value + 1
                                     : LONG_MIN;
            n->params[1].derived = true;
        }
    }
    if (node_append(cur, n))
        return perr(p, "out of memory");
    return 0;
}

static int parse_array(parser *p, node *cur)
{
    for (;;) {
        int r = next(p);
        if (r == EOF_R || r == '\n')
            return perr(p, "unterminated array");
        if (r == ']')
            break;
    }
    size_t s, l;
    consume(p, &s, &l);
    const char *t = p->in + s + 1;
    size_t tl = l - 2;
    if (tl == 1 && *t == '*')
        t = ":";
    if (memchr(t, ',', tl) != NULL) {
        node *u = node_new(N_UNION);
        if (u == NULL)
            return perr(p, "out of memory");
        const char *q = t, *end = t + tl;
        while (q <= end) {
            const char *c = memchr(q, ',', (size_t)(end - q));
            if (c == NULL)
                c = end;
            const char *a = q, *b = c;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            char *item = malloc((size_t)(b - a) + 3);
            if (item == NULL) {
                node_free(u);
                return perr(p, "out of memory");
            }
            item[0] = '[';
            memcpy(item + 1, a, (size_t)(b - a));
            item[b - a + 1] = ']';
            node *list = parse_action(p, item, (size_t)(b - a) + 2);
            free(item);
            if (list == NULL || node_append(u, list)) {
                node_free(u);
                return -1;
            }
            q = c + 1;
        }
        if (node_append(cur, u))
            return perr(p, "out of memory");
        return 0;
    }
    /* ['key'] is .key, parsed again (so ['a.b'] is .a.b, as in kubectl). */
    if (tl >= 2 && t[0] == '\'' && t[tl - 1] == '\'' &&
        memchr(t + 1, '\'', tl - 2) == NULL) {
        char *f = malloc(tl);
        if (f == NULL)
            return perr(p, "out of memory");
        f[0] = '.';
        memcpy(f + 1, t + 1, tl - 2);
        node *list = parse_action(p, f, tl - 1);
        free(f);
        if (list == NULL)
            return -1;
        for (size_t i = 0; i < list->n_kids; i++) {
            if (node_append(cur, list->kids[i])) {
                list->kids[i] = NULL;
                node_free(list);
                return perr(p, "out of memory");
            }
            list->kids[i] = NULL;
        }
        node_free(list);
        return 0;
    }
    return parse_slice(p, cur, t, tl);
}

/* The operator of a filter: ^([^!<>=]+)([!<>=]+)(.+?)$ */
static bool split_filter(const char *t, size_t len, size_t *op, size_t *op_len)
{
    size_t i = 0;
    while (i < len && strchr("!<>=", t[i]) == NULL)
        i++;
    if (i == 0 || i == len)
        return false;
    size_t j = i;
    while (j < len && strchr("!<>=", t[j]) != NULL)
        j++;
    if (j == len)
        return false;
    *op = i;
    *op_len = j - i;
    return true;
}

static int parse_filter(parser *p, node *cur)
{
    p->pos += 3;
    p->start = p->pos;
    bool begin = false, end = false;
    int pair = 0;
    for (;;) {
        int r = next(p);
        if (r == EOF_R || r == '\n')
            return perr(p, "unterminated filter");
        if (r == '"' || r == '\'') {
            if (!begin) {
                begin = true;
                pair = r;
                continue;
            }
            if (p->in[p->pos - 2] != '\\' && r == pair)
                end = true;
        } else if (r == ')' && begin == end) {
            break;
        }
    }
    if (next(p) != ']')
        return perr(p, "unclosed array expect ]");
    size_t s, l;
    consume(p, &s, &l);
    const char *t = p->in + s;
    l -= 2;
    node *f = node_new(N_FILTER);
    if (f == NULL)
        return perr(p, "out of memory");
    size_t op, op_len;
    node *left, *right;
    if (!split_filter(t, l, &op, &op_len)) {
        left = parse_action(p, t, l);
        right = node_new(N_LIST);
        f->text = strdup("exists");
    } else {
        left = parse_action(p, t, op);
        right = left ? parse_action(p, t + op + op_len, l - op - op_len)
                     : NULL;
        f->text = strndup(t + op, op_len);
    }
    if (left == NULL || right == NULL || f->text == NULL) {
        node_free(left);
        node_free(right);
        node_free(f);
        return -1;
    }
    node_append(f, left);
    node_append(f, right);
    if (f->n_kids != 2) {
        node_free(f);
        return perr(p, "out of memory");
    }
    if (node_append(cur, f))
        return perr(p, "out of memory");
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *o, unsigned long c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Go's strconv.Unquote, also for single quotes (UnquoteExtend). Returns
 * the length written to OUT (at most IN_LEN bytes) or -1. */
static long unquote(const char *in, size_t n, char *out)
{
    if (n < 2 || in[0] != in[n - 1] || (in[0] != '"' && in[0] != '\''))
        return -1;
    char q = in[0];
    size_t k = 0;
    for (size_t i = 1; i < n - 1;) {
        char c = in[i];
        if (c == q || c == '\n')
            return -1;
        if (c != '\\') {
            out[k++] = c;
            i++;
            continue;
        }
        if (++i >= n - 1)
            return -1;
        c = in[i++];
        int digits = 0;
        switch (c) {
        case 'a': out[k++] = '\a'; break;
        case 'b': out[k++] = '\b'; break;
        case 'f': out[k++] = '\f'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case 'v': out[k++] = '\v'; break;
        case '\\': out[k++] = '\\'; break;
        case '\'': case '"':
            if (c != q)
                return -1;
            out[k++] = c;
            break;
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
            if (c >= '0' && c <= '7') {
                if (i + 2 > n - 1)
                    return -1;
                int v = c - '0';
                for (int d = 0; d < 2; d++) {
                    if (in[i] < '0' || in[i] > '7')
                        return -1;
                    v = v * 8 + in[i++] - '0';
                }
                if (v > 255)
                    return -1;
                out[k++] = (char)v;
                break;
            }
            return -1;
        }
        if (digits > 0) {
            unsigned long v = 0;
            for (int d = 0; d < digits; d++) {
                if (i >= n - 1 || hexval(in[i]) < 0)
                    return -1;
                v = v * 16 + (unsigned long)hexval(in[i++]);
            }
            if (c == 'x')
                out[k++] = (char)v;
            else if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
                return -1;
            else
                k += put_utf8(out + k, v);
        }
    }
    return (long)k;
}

static int parse_quote(parser *p, node *cur, int endq)
{
    for (;;) {
        int r = next(p);
        if (r == EOF_R || r == '\n')
            return perr(p, "unterminated quoted string");
        if (r == endq && p->in[p->pos - 2] != '\\')
            break;
    }
    size_t s, l;
    consume(p, &s, &l);
    char *buf = malloc(l + 1);
    if (buf == NULL)
        return perr(p, "out of memory");
    long k = unquote(p->in + s, l, buf);
    if (k < 0) {
        free(buf);
        return perr(p, "unquote string %.*s error invalid syntax", (int)l,
                    p->in + s);
    }
    node *n = text_node(N_TEXT, buf, (size_t)k);
    free(buf);
    if (node_append(cur, n))
        return perr(p, "out of memory");
    return 0;
}

/* The tokens of one action, up to its "}" (client-go's parseInsideAction
 * calls itself after each token; this loops instead). 0 or -1. */
static int parse_inside(parser *p, node *cur)
{
    for (;;) {
        int rc;
        if (has_prefix(p, "}")) {
            p->pos++;
            p->start = p->pos;
            return 0;
        }
        if (has_prefix(p, "[?(")) {
            rc = parse_filter(p, cur);
        } else if (has_prefix(p, "..")) {
            rc = parse_recursive(p, cur);
        } else {
            int r = next(p);
            if (r == EOF_R || is_eol(r))
                return perr(p, "unclosed action");
            if (r == ' ' || r == '@' || r == '$') {
                p->start = p->pos;
                continue;
            }
            if (r == '[') {
                rc = parse_array(p, cur);
            } else if (r == '"' || r == '\'') {
                rc = parse_quote(p, cur, r);
            } else if (r == '.') {
                rc = parse_field(p, cur);
            } else if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
                backup(p, r);
                rc = parse_number(p, cur);
            } else if (is_alnum(r)) {
                backup(p, r);
                rc = parse_identifier(p, cur);
            } else {
                backup(p, r); /* the position named is the character's */
                if (r >= 0x20 && r < 0x7f)
                    return perr(p, "unrecognized character in action: "
                                   "'%c'", r);
                return perr(p, "unrecognized character in action: 0x%02x",
                            r);
            }
        }
        if (rc != 0)
            return -1;
    }
}

/* Whether ACTION (its list) holds the identifier NAME: range or end. */
static bool has_ident(const node *action, const char *name)
{
    for (size_t i = 0; i < action->n_kids; i++)
        if (action->kids[i]->type == N_IDENT &&
            strcmp(action->kids[i]->text, name) == 0)
            return true;
    return false;
}

/* The template: text and actions one after the other, in a loop, so that
 * a template of any length parses in constant stack. Evaluating a {range}
 * takes a level of recursion until its {end}: ranges open at once are
 * limited to CERTLC_JSONPATH_MAX_RANGES. */
static int parse_template(parser *p)
{
    int open = 0, r;
    node *action = NULL;
    while ((r = parse_text(p, &action)) == 1) {
        size_t at = p->pos - 1; /* the action's "{" */
        if (parse_inside(p, action) != 0)
            return -1;
        if (has_ident(action, "range") &&
            ++open > CERTLC_JSONPATH_MAX_RANGES) {
            p->pos = at;
            return perr(p, "more than %d {range} open at once",
                        CERTLC_JSONPATH_MAX_RANGES);
        }
        if (has_ident(action, "end") && open > 0)
            open--;
    }
    return r;
}

certlc_jsonpath *certlc_jsonpath_parse(const char *tmpl, certlc_err *err)
{
    certlc_jsonpath *jp = calloc(1, sizeof *jp);
    if (jp == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    jp->allow_missing = true;
    parser p = {.in = tmpl, .len = strlen(tmpl), .err = err};
    p.root = jp->root = node_new(N_LIST);
    if (p.root == NULL || parse_template(&p) != 0) {
        if (p.root == NULL)
            certlc_err_set(err, "out of memory");
        certlc_jsonpath_free(jp);
        return NULL;
    }
    return jp;
}

void certlc_jsonpath_free(certlc_jsonpath *jp)
{
    if (jp == NULL)
        return;
    node_free(jp->root);
    free(jp);
}

void certlc_jsonpath_allow_missing(certlc_jsonpath *jp, bool allow)
{
    jp->allow_missing = allow;
}

/* ---- evaluation (client-go's jsonpath.go) ---- */

/* A list of values; each slot holds a reference. */
typedef struct vals {
    json_t **v;
    size_t n, cap;
} vals;

static int vals_push(vals *l, json_t *j) /* steals j */
{
    if (j == NULL)
        return -1;
    json_t **v = certlc_grow(l->v, l->n, &l->cap, sizeof *v, 8);
    if (v == NULL) {
        json_decref(j);
        return -1;
    }
    l->v = v;
    l->v[l->n++] = j;
    return 0;
}

static void vals_free(vals *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int vals_copy(vals *dst, const vals *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (vals_push(dst, json_incref(src->v[i])))
            return -1;
    return 0;
}

static int oom(certlc_err *err)
{
    return certlc_err_set(err, "out of memory");
}

/* Keys in sorted order, for a map's values (.* and ..): Go walks a map in
 * no fixed order; certlc walks it in the order kubectl prints it. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **certlc_json_sorted_keys(json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    const char **keys = malloc((*n ? *n : 1) * sizeof *keys);
    if (keys == NULL)
        return NULL;
    size_t i = 0;
    const char *k;
    json_t *x;
    json_object_foreach(obj, k, x) keys[i++] = k;
    qsort(keys, *n, sizeof *keys, cmp_str);
    return keys;
}

static int children(json_t *v, vals *out)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (vals_push(out, json_incref(json_array_get(v, i))))
                return -1;
    } else if (json_is_object(v)) {
        size_t n;
        const char **keys = certlc_json_sorted_keys(v, &n);
        if (keys == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (vals_push(out, json_incref(json_object_get(v, keys[i])))) {
                free(keys);
                return -1;
            }
        free(keys);
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    if (json_is_object(v))
        return "map[string]interface {}";
    if (json_is_array(v))
        return "[]interface {}";
    if (json_is_string(v))
        return "string";
    if (json_is_integer(v))
        return "int64";
    if (json_is_real(v))
        return "float64";
    if (json_is_boolean(v))
        return "bool";
    return "<nil>";
}

static int walk(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                certlc_err *err);

static int eval_list(certlc_jsonpath *jp, vals *in, node *list, vals *out,
                     certlc_err *err)
{
    vals cur = {0};
    if (vals_copy(&cur, in))
        return oom(err);
    for (size_t i = 0; i < list->n_kids; i++) {
        vals next_v = {0};
        int rc = walk(jp, &cur, list->kids[i], &next_v, err);
        vals_free(&cur);
        cur = next_v;
        if (rc != 0) {
            vals_free(&cur);
            return -1;
        }
    }
    *out = cur;
    return 0;
}

static int eval_field(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                      certlc_err *err)
{
    if (in->n == 0)
        return 0;
    for (size_t i = 0; i < in->n; i++) {
        json_t *v = in->v[i];
        if (json_is_object(v)) {
            json_t *x = json_object_get(v, n->text);
            if (x != NULL && vals_push(out, json_incref(x)))
                return oom(err);
        }
    }
    if (out->n == 0 && !jp->allow_missing)
        return certlc_err_set(err, "%s is not found", n->text);
    return 0;
}

static int eval_array(vals *in, node *n, vals *out, certlc_err *err)
{
    for (size_t i = 0; i < in->n; i++) {
        json_t *v = in->v[i];
        if (json_is_null(v))
            continue;
        if (!json_is_array(v))
            return certlc_err_set(err, "%s is not array or slice",
                                  type_name(v));
        long len = (long)json_array_size(v);
        param p[3];
        memcpy(p, n->params, sizeof p);
        if (!p[0].known)
            p[0].value = 0;
        if (p[0].value < 0)
            p[0].value += len;
        if (!p[1].known)
            p[1].value = len;
        if (p[1].value < 0 || (p[1].value == 0 && p[1].derived))
            p[1].value += len;
        if (p[1].value == p[0].value)
            return 0; /* zero elements asked for: kubectl stops here */
        if (p[0].value >= len || p[0].value < 0)
            return certlc_err_set(err, "array index out of bounds: index "
                                  "%ld, length %ld", p[0].value, len);
        if (p[1].value > len || p[1].value < 0)
            return certlc_err_set(err, "array index out of bounds: index "
                                  "%ld, length %ld", p[1].value - 1, len);
        if (p[0].value > p[1].value)
            return certlc_err_set(err, "starting index %ld is greater than "
                                  "ending index %ld", p[0].value, p[1].value);
        long step = 1;
        if (p[2].known) {
            if (p[2].value <= 0)
                return certlc_err_set(err, "step must be > 0");
            step = p[2].value;
        }
        /* k + step may exceed LONG_MAX: compare what is left instead. */
        for (long k = p[0].value; k < p[1].value;) {
            if (vals_push(out, json_incref(json_array_get(v, (size_t)k))))
                return oom(err);
            if (p[1].value - k <= step)
                break;
            k += step;
        }
    }
    return 0;
}

static int eval_union(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                      certlc_err *err)
{
    for (size_t i = 0; i < n->n_kids; i++) {
        vals t = {0};
        if (eval_list(jp, in, n->kids[i], &t, err) != 0)
            return -1;
        int rc = vals_copy(out, &t);
        vals_free(&t);
        if (rc)
            return oom(err);
    }
    return 0;
}

static int eval_recursive(vals *in, vals *out, certlc_err *err)
{
    for (size_t i = 0; i < in->n; i++) {
        json_t *v = in->v[i];
        vals kids = {0};
        if (children(v, &kids))
            return oom(err);
        int rc = 0;
        if (kids.n > 0) {
            if (vals_push(out, json_incref(v)))
                rc = oom(err);
            else
                rc = eval_recursive(&kids, out, err);
        }
        vals_free(&kids);
        if (rc)
            return -1;
    }
    return 0;
}

/* Go template's eq and lt: values of the same basic kind only (integers,
 * floats, strings; bools for eq); an integer against a float or a string is
 * an error, as in kubectl. */
static int compare(const char *op, json_t *l, json_t *r, bool *pass,
                   certlc_err *err)
{
    int c;
    bool ordered = strcmp(op, "==") != 0 && strcmp(op, "!=") != 0;
    *pass = false;
    if (json_is_string(l) && json_is_string(r)) {
        c = strcmp(json_string_value(l), json_string_value(r));
    } else if (json_is_integer(l) && json_is_integer(r)) {
        json_int_t a = json_integer_value(l), b = json_integer_value(r);
        c = a < b ? -1 : a > b;
    } else if (json_is_real(l) && json_is_real(r)) {
        double a = json_real_value(l), b = json_real_value(r);
        c = a < b ? -1 : a > b;
    } else if (json_is_boolean(l) && json_is_boolean(r)) {
        if (ordered)
            return certlc_err_set(err, "invalid type for comparison");
        c = json_is_true(l) != json_is_true(r);
    } else if (json_is_object(l) || json_is_array(l) || json_is_null(l) ||
               json_is_object(r) || json_is_array(r) || json_is_null(r)) {
        return certlc_err_set(err, "invalid type for comparison");
    } else {
        return certlc_err_set(err, "incompatible types for comparison");
    }
    if (strcmp(op, "==") == 0)
        *pass = c == 0;
    else if (strcmp(op, "!=") == 0)
        *pass = c != 0;
    else if (strcmp(op, "<") == 0)
        *pass = c < 0;
    else if (strcmp(op, ">") == 0)
        *pass = c > 0;
    else if (strcmp(op, "<=") == 0)
        *pass = c <= 0;
    else if (strcmp(op, ">=") == 0)
        *pass = c >= 0;
    else
        return certlc_err_set(err, "unrecognized filter operator %s", op);
    return 0;
}

/* One element of a filter: whether it passes. */
static int filter_one(certlc_jsonpath *jp, node *n, json_t *el, bool *pass,
                      certlc_err *err)
{
    vals one = {0}, lefts = {0}, rights = {0};
    *pass = false;
    if (vals_push(&one, json_incref(el)))
        return oom(err);
    int rc = 0;
    if (eval_list(jp, &one, n->kids[0], &lefts, err) != 0) {
        lefts = (vals){0};
        rc = jp->allow_missing ? 0 : -1;
    }
    if (rc == 0 && eval_list(jp, &one, n->kids[1], &rights, err) != 0) {
        rights = (vals){0};
        rc = -1;
    }
    if (rc != 0 || lefts.n == 0) {
        /* nothing to compare */
    } else if (lefts.n > 1) {
        rc = certlc_err_set(err, "can only compare one element at a time");
    } else if (strcmp(n->text, "exists") == 0) {
        *pass = true;
    } else if (rights.n > 1) {
        rc = certlc_err_set(err, "can only compare one element at a time");
    } else if (rights.n == 1) {
        rc = compare(n->text, lefts.v[0], rights.v[0], pass, err);
    }
    vals_free(&one);
    vals_free(&lefts);
    vals_free(&rights);
    return rc;
}

/* A filter runs over the items of a list; anything else is an error. */
static int eval_filter(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                       certlc_err *err)
{
    for (size_t i = 0; i < in->n; i++) {
        json_t *v = in->v[i];
        if (!json_is_array(v)) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
                                        JSON_ENCODE_ANY);
            certlc_err_set(err, "%s is not array or slice and cannot be "
                           "filtered", s ? s : "value");
            certlc_json_free(s);
            return -1;
        }
        for (size_t k = 0; k < json_array_size(v); k++) {
            json_t *el = json_array_get(v, k);
            bool pass;
            if (filter_one(jp, n, el, &pass, err) != 0)
                return -1;
            if (pass && vals_push(out, json_incref(el)))
                return oom(err);
        }
    }
    return 0;
}

static int eval_ident(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                      certlc_err *err)
{
    if (strcmp(n->text, "range") == 0) {
        jp->begin_range++;
        return vals_copy(out, in) ? oom(err) : 0;
    }
    if (strcmp(n->text, "end") == 0) {
        if (jp->end_range < jp->in_range) {
            jp->end_range++;
            return 0;
        }
        return certlc_err_set(err, "not in range, nothing to end");
    }
    return certlc_err_set(err, "unrecognized identifier %s", n->text);
}

static int walk(certlc_jsonpath *jp, vals *in, node *n, vals *out,
                certlc_err *err)
{
    switch (n->type) {
    case N_LIST:
        return eval_list(jp, in, n, out, err);
    case N_TEXT:
        return vals_push(out, json_stringn(n->text, strlen(n->text)))
                   ? oom(err) : 0;
    case N_FIELD:
        return eval_field(jp, in, n, out, err);
    case N_ARRAY:
        return eval_array(in, n, out, err);
    case N_FILTER:
        return eval_filter(jp, in, n, out, err);
    case N_INT: case N_FLOAT: case N_BOOL:
        for (size_t i = 0; i < in->n; i++) {
            json_t *x = n->type == N_INT ? json_integer(n->ival)
                        : n->type == N_FLOAT ? json_real(n->fval)
                                             : json_boolean(n->ival);
            if (vals_push(out, x))
                return oom(err);
        }
        return 0;
    case N_WILDCARD:
        for (size_t i = 0; i < in->n; i++)
            if (children(in->v[i], out))
                return oom(err);
        return 0;
    case N_RECURSIVE:
        return eval_recursive(in, out, err);
    case N_UNION:
        return eval_union(jp, in, n, out, err);
    case N_IDENT:
        return eval_ident(jp, in, n, out, err);
    }
    return certlc_err_set(err, "unexpected node");
}

/* The results of the actions, one list per action, in print order. */
typedef struct results {
    vals *r;
    size_t n, cap;
} results;

static int results_add(results *all, vals *v)
{
    vals *r = certlc_grow(all->r, all->n, &all->cap, sizeof *r, 8);
    if (r == NULL)
        return -1;
    all->r = r;
    all->r[all->n++] = *v;
    *v = (vals){0};
    return 0;
}

static void results_free(results *all)
{
    for (size_t i = 0; i < all->n; i++)
        vals_free(&all->r[i]);
    free(all->r);
}

/* FindResults: the actions from NODES on, on DATA. A range runs the
 * actions after it once per value, each run stopping at its {end}; then
 * evaluation resumes after that {end} (found by running the body once on
 * nothing when the range is empty). */
static int find_results(certlc_jsonpath *jp, json_t *data, node **nodes,
                        size_t n_nodes, results *all, certlc_err *err)
{
    for (size_t i = 0; i < n_nodes; i++) {
        vals in = {0}, res = {0};
        if (vals_push(&in, json_incref(data)))
            return oom(err);
        int rc = walk(jp, &in, nodes[i], &res, err);
        vals_free(&in);
        if (rc != 0) {
            vals_free(&res);
            return -1;
        }
        if (jp->end_range > 0 && jp->end_range <= jp->in_range) {
            jp->end_range--;
            jp->last_end = nodes[i];
            vals_free(&res);
            break;
        }
        if (jp->begin_range > 0) {
            jp->begin_range--;
            jp->in_range++;
            for (size_t k = 0; k < res.n || (k == 0 && res.n == 0); k++) {
                results *into = all, skip = {0};
                json_t *v = res.n ? res.v[k] : json_null();
                if (res.n == 0)
                    into = &skip;
                rc = find_results(jp, v, nodes + i + 1, n_nodes - i - 1,
                                  into, err);
                results_free(&skip);
                if (rc != 0) {
                    vals_free(&res);
                    return -1;
                }
            }
            vals_free(&res);
            jp->in_range--;
            for (size_t k = i + 1; k < n_nodes; k++)
                if (nodes[k] == jp->last_end) {
                    i = k;
                    break;
                }
            continue;
        }
        if (results_add(all, &res)) {
            vals_free(&res);
            return oom(err);
        }
    }
    return 0;
}

/* Go's encoding/json escapes <, > and & (and U+2028/2029) in strings. */
static int print_json(FILE *out, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (s == NULL)
        return -1;
    for (const char *c = s; *c; c++) {
        if (*c == '<')
            fputs("\\u003c", out);
        else if (*c == '>')
            fputs("\\u003e", out);
        else if (*c == '&')
            fputs("\\u0026", out);
        else if (strncmp(c, "\xe2\x80\xa8", 3) == 0)
            fputs("\\u2028", out), c += 2;
        else if (strncmp(c, "\xe2\x80\xa9", 3) == 0)
            fputs("\\u2029", out), c += 2;
        else
            fputc(*c, out);
    }
    certlc_json_free(s);
    return 0;
}

/* Go's %v of a float64: the shortest form that reads back, with an
 * exponent below 1e-4 and from 1e21 on. */
static void print_float(FILE *out, double d)
{
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    char *e = strchr(buf, 'e');
    int exp = e ? atoi(e + 1) : 0;
    if (isinf(d) || isnan(d)) {
        fputs(isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf", out);
        return;
    }
    if (exp < -4 || exp >= 21) {
        /* mantissa without trailing zeros, exponent at least 2 digits */
        *e = '\0';
        fprintf(out, "%se%c%02d", buf, exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    int digits = 0;
    for (const char *c = buf; c < e; c++)
        digits += *c >= '0' && *c <= '9';
    int decimals = digits - 1 - exp;
    fprintf(out, "%.*f", decimals > 0 ? decimals : 0, d);
}

static int print_value(FILE *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return print_json(out, v);
    case JSON_STRING:
        fwrite(json_string_value(v), 1, json_string_length(v), out);
        return 0;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_REAL:
        print_float(out, json_real_value(v));
        return 0;
    case JSON_TRUE:
        fputs("true", out);
        return 0;
    case JSON_FALSE:
        fputs("false", out);
        return 0;
    case JSON_NULL:
        fputs("<nil>", out);
        return 0;
    }
    return 0;
}

static int run(certlc_jsonpath *jp, json_t *data, results *all,
               certlc_err *err)
{
    jp->last_end = NULL;
    jp->begin_range = jp->in_range = jp->end_range = 0;
    return find_results(jp, data, jp->root->kids, jp->root->n_kids, all, err);
}

int certlc_jsonpath_execute(certlc_jsonpath *jp, json_t *data, FILE *out,
                            certlc_err *err)
{
    char *text = certlc_jsonpath_text(jp, data, err);
    if (text == NULL)
        return -1;
    fputs(text, out);
    free(text);
    return 0;
}

char *certlc_jsonpath_text(certlc_jsonpath *jp, json_t *data,
                           certlc_err *err)
{
    results all = {0};
    if (run(jp, data, &all, err) != 0) {
        results_free(&all);
        return NULL;
    }
    /* Nothing is printed unless the whole template evaluates, as kubectl
     * does. */
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m == NULL) {
        results_free(&all);
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < all.n; i++)
        for (size_t k = 0; k < all.r[i].n; k++) {
            print_value(m, all.r[i].v[k]);
            if (k + 1 < all.r[i].n)
                fputc(' ', m);
        }
    results_free(&all);
    if (fclose(m) != 0) {
        free(buf);
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    return buf;
}

int certlc_jsonpath_values(certlc_jsonpath *jp, json_t *data,
                           json_t *out, certlc_err *err)
{
    results all = {0};
    if (run(jp, data, &all, err) != 0) {
        results_free(&all);
        return -1;
    }
    for (size_t i = 0; i < all.n; i++)
        for (size_t k = 0; k < all.r[i].n; k++)
            json_array_append(out, all.r[i].v[k]);
    results_free(&all);
    return 0;
}

char *certlc_jsonpath_relaxed(const char *expr, certlc_err *err)
{
    /* ^\{\.?([^{}]+)\}$ | ^\.?([^{}]+)$ */
    size_t len = strlen(expr);
    if (len == 0)
        return strdup("");
    const char *s = expr;
    size_t l = len;
    if (s[0] == '{' && s[l - 1] == '}' && l >= 2) {
        s++;
        l -= 2;
    }
    if (l > 0 && s[0] == '.') {
        s++;
        l--;
    }
    if (l == 0 || memchr(s, '{', l) != NULL || memchr(s, '}', l) != NULL) {
        certlc_err_set(err, "unexpected path string '%s', expected a "
                       "'name1.name2' or '.name1.name2' or '{name1.name2}' "
                       "or '{.name1.name2}'", expr);
        return NULL;
    }
    char *out = malloc(l + 4);
    if (out == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    snprintf(out, l + 4, "{.%.*s}", (int)l, s);
    return out;
}
