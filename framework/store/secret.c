#include "secret.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "grow.h"
#include "wipe_buf.h"

/* ---- kvlist ------------------------------------------------------------ */

/* Binary search: index of key, or where it would go (*found false). */
static size_t kv_find(const certlc_kvlist *l, const char *key, bool *found)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->items[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void kv_free_value(certlc_kv *kv)
{
    if (kv->value != NULL) {
        OPENSSL_cleanse(kv->value, kv->len + 1);
        free(kv->value);
    }
    kv->value = NULL;
    kv->len = 0;
}

int certlc_kvlist_set(certlc_kvlist *l, const char *key, const void *value,
                      size_t len)
{
    if (l == NULL || key == NULL || (value == NULL && len > 0) ||
        len == SIZE_MAX) {
        errno = EINVAL;
        return -1;
    }
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    if (len > 0)
        memcpy(copy, value, len);
    copy[len] = '\0';

    bool found;
    size_t i = kv_find(l, key, &found);
    if (found) {
        kv_free_value(&l->items[i]);
        l->items[i].value = copy;
        l->items[i].len = len;
        return 0;
    }
    char *k = strdup(key);
    if (k == NULL)
        goto fail;
    certlc_kv *items = certlc_grow(l->items, l->n, &l->cap, sizeof *items, 8);
    if (items == NULL) {
        free(k);
        goto fail;
    }
    l->items = items;
    memmove(&l->items[i + 1], &l->items[i], (l->n - i) * sizeof l->items[0]);
    l->items[i] = (certlc_kv){.key = k, .value = copy, .len = len};
    l->n++;
    return 0;
fail:
    OPENSSL_cleanse(copy, len + 1);
    free(copy);
    return -1;
}

int certlc_kvlist_set_str(certlc_kvlist *l, const char *key, const char *value)
{
    if (value == NULL) {
        errno = EINVAL;
        return -1;
    }
    return certlc_kvlist_set(l, key, value, strlen(value));
}

const certlc_kv *certlc_kvlist_get(const certlc_kvlist *l, const char *key)
{
    if (l == NULL || key == NULL || l->n == 0)
        return NULL;
    bool found;
    size_t i = kv_find(l, key, &found);
    return found ? &l->items[i] : NULL;
}

const certlc_kv *certlc_secret_need(const certlc_secret *s, const char *key,
                                    certlc_err *err)
{
    const certlc_kv *kv = certlc_kvlist_get(&s->data, key);
    if (kv == NULL)
        certlc_err_set(err, "data key '%s' is missing", key);
    return kv;
}

const char *certlc_kvlist_str(const certlc_kvlist *l, const char *key)
{
    const certlc_kv *kv = certlc_kvlist_get(l, key);
    return kv != NULL ? (const char *)kv->value : NULL;
}

int certlc_kvlist_del(certlc_kvlist *l, const char *key)
{
    if (l == NULL || key == NULL || l->n == 0)
        return CERTLC_NOTFOUND;
    bool found;
    size_t i = kv_find(l, key, &found);
    if (!found)
        return CERTLC_NOTFOUND;
    kv_free_value(&l->items[i]);
    free(l->items[i].key);
    memmove(&l->items[i], &l->items[i + 1],
            (l->n - i - 1) * sizeof l->items[0]);
    l->n--;
    return 0;
}

void certlc_kvlist_clear(certlc_kvlist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        kv_free_value(&l->items[i]);
        free(l->items[i].key);
    }
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static int kvlist_copy(certlc_kvlist *dst, const certlc_kvlist *src)
{
    /* src is already sorted and unique: appending keeps it so. */
    if (src->n == 0)
        return 0;
    dst->items = calloc(src->n, sizeof dst->items[0]);
    if (dst->items == NULL)
        return -1;
    dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) {
        const certlc_kv *s = &src->items[i];
        certlc_kv *d = &dst->items[i];
        d->key = strdup(s->key);
        d->value = malloc(s->len + 1);
        if (d->key == NULL || d->value == NULL) {
            free(d->key);
            free(d->value);
            d->key = NULL;
            d->value = NULL;
            return -1;
        }
        memcpy(d->value, s->value, s->len + 1);
        d->len = s->len;
        dst->n++;
    }
    return 0;
}

/* ---- secret ------------------------------------------------------------ */

certlc_secret *certlc_secret_new(const char *ns, const char *name,
                                 const char *type)
{
    if (name == NULL) {
        errno = EINVAL;
        return NULL;
    }
    certlc_secret *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->namespace = strdup(ns != NULL ? ns : "default");
    s->name = strdup(name);
    s->type = strdup(type != NULL ? type : CERTLC_TYPE_OPAQUE);
    if (s->namespace == NULL || s->name == NULL || s->type == NULL) {
        certlc_secret_free(s);
        return NULL;
    }
    return s;
}

certlc_secret *certlc_secret_dup(const certlc_secret *s)
{
    if (s == NULL)
        return NULL;
    certlc_secret *d = certlc_secret_new(s->namespace, s->name, s->type);
    if (d == NULL)
        return NULL;
    if (kvlist_copy(&d->labels, &s->labels) != 0 ||
        kvlist_copy(&d->annotations, &s->annotations) != 0 ||
        kvlist_copy(&d->data, &s->data) != 0) {
        certlc_secret_free(d);
        return NULL;
    }
    d->resource_version = s->resource_version;
    d->creation_timestamp = s->creation_timestamp;
    return d;
}

void certlc_secret_free(certlc_secret *s)
{
    if (s == NULL)
        return;
    free(s->namespace);
    free(s->name);
    free(s->type);
    certlc_kvlist_clear(&s->labels);
    certlc_kvlist_clear(&s->annotations);
    certlc_kvlist_clear(&s->data);
    free(s);
}

/* ---- time -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm), so that no time zone or timegm() is involved. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static int format_rfc3339(int64_t ts, char *buf, size_t size);

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). Fractions are
 * dropped (Kubernetes stores whole seconds). */
static int parse_rfc3339(const char *t, int64_t *out)
{
    size_t n = strlen(t);
    if (n < 20 || t[4] != '-' || t[7] != '-' ||
        (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':')
        return -1;
    int y = digits(t, 4), mo = digits(t + 5, 2), d = digits(t + 8, 2);
    int h = digits(t + 11, 2), mi = digits(t + 14, 2), s = digits(t + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || s < 0 || s > 60)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return -1;
    const char *p = t + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t off = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off = (int64_t)oh * 3600 + om * 60;
        if (*p == '-')
            off = -off;
    } else {
        return -1;
    }
    int64_t v = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
                mi * 60 + s - off;
    /* An offset can move the time out of 0000-9999 ("0000-01-01T00:00:00
     * +01:00"): refused here, since it could not be written back. */
    char back[32];
    if (format_rfc3339(v, back, sizeof back) != 0)
        return -1;
    *out = v;
    return 0;
}

/* Always four digits of year, as RFC 3339 and Kubernetes write them:
 * strftime's %Y gives "999" for the year 999, which parse_rfc3339 (rightly)
 * refuses, so such a Secret would not read back. Years outside 0000-9999
 * cannot be written at all. */
static int format_rfc3339(int64_t ts, char *buf, size_t size)
{
    time_t t = (time_t)ts;
    struct tm tm;
    if ((int64_t)t != ts || gmtime_r(&t, &tm) == NULL)
        return -1;
    long year = (long)tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        return -1;
    int n = snprintf(buf, size, "%04ld-%02d-%02dT%02d:%02d:%02dZ", year,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- JSON out ---------------------------------------------------------- */

/* Jansson keeps its own copy of every string. Those that hold key material
 * (data values in base64) are wiped in place before the tree is released;
 * jansson's string buffers are plain heap memory, so writing to them is
 * safe even though the API hands them out as const. */
static void cleanse_object_strings(json_t *obj)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return;
    json_object_foreach(obj, k, v) {
        if (json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v),
                            json_string_length(v));
    }
}

/* json_dump_callback's output, into a buffer that grows without leaving
 * copies of the text behind. */
static int outbuf_append(const char *buf, size_t size, void *data)
{
    return certlc_wipe_buf_append(data, buf, size);
}

/* Labels and annotations as a JSON object of strings; NULL on error. */
static json_t *kv_strings(const certlc_kvlist *l, const char *field,
                          certlc_err *err)
{
    json_t *o = json_object();
    if (o == NULL)
        goto nomem;
    for (size_t i = 0; i < l->n; i++) {
        const certlc_kv *kv = &l->items[i];
        if (memchr(kv->value, '\0', kv->len) != NULL) {
            certlc_err_set(err, "%s.%s: value contains a NUL byte", field,
                           kv->key);
            json_decref(o);
            return NULL;
        }
        json_t *v = json_stringn((const char *)kv->value, kv->len);
        if (v == NULL) {
            certlc_err_set(err, "%s.%s: value is not valid UTF-8", field,
                           kv->key);
            json_decref(o);
            return NULL;
        }
        if (json_object_set_new(o, kv->key, v) != 0) {
            certlc_err_set(err, "%s.%s: key is not valid UTF-8", field,
                           kv->key);
            json_decref(o);
            return NULL;
        }
    }
    return o;
nomem:
    certlc_err_set(err, "%s: out of memory", field);
    return NULL;
}

static json_t *kv_base64(const certlc_kvlist *l, certlc_err *err)
{
    json_t *o = json_object();
    if (o == NULL) {
        certlc_err_set(err, "data: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        const certlc_kv *kv = &l->items[i];
        size_t n;
        char *b = certlc_base64_encode(kv->value, kv->len, &n);
        if (b == NULL) {
            certlc_err_set(err, "data.%s: out of memory", kv->key);
            goto fail;
        }
        json_t *v = json_stringn(b, n);
        OPENSSL_cleanse(b, n);
        free(b);
        if (v == NULL) {
            certlc_err_set(err, "data.%s: out of memory", kv->key);
            goto fail;
        }
        if (json_object_set_new(o, kv->key, v) != 0) {
            certlc_err_set(err, "data.%s: key is not valid UTF-8", kv->key);
            goto fail;
        }
    }
    return o;
fail:
    cleanse_object_strings(o);
    json_decref(o);
    return NULL;
}

/* Adds obj under key unless it is empty; takes ownership of obj. */
static int set_nonempty(json_t *parent, const char *key, json_t *obj)
{
    if (json_object_size(obj) == 0) {
        json_decref(obj);
        return 0;
    }
    return json_object_set_new(parent, key, obj);
}

/* The one message for any allocation that fails while serializing s. */
static int secret_nomem(const certlc_secret *s, certlc_err *err)
{
    return certlc_err_set(err, "secret %s: out of memory", s->name);
}

/* apiVersion, kind and type on root; name and namespace on meta. */
static int set_identity(const certlc_secret *s, json_t *root, json_t *meta,
                        certlc_err *err)
{
    if (json_object_set_new(root, "apiVersion", json_string("v1")) != 0 ||
        json_object_set_new(root, "kind", json_string("Secret")) != 0 ||
        json_object_set_new(root, "type",
                            json_string(s->type != NULL ? s->type
                                                        : CERTLC_TYPE_OPAQUE)) !=
            0 ||
        json_object_set_new(meta, "name", json_string(s->name)) != 0 ||
        json_object_set_new(meta, "namespace",
                            json_string(s->namespace != NULL ? s->namespace
                                                             : "default")) != 0)
        return certlc_err_set(err, "metadata: name, namespace or type is not "
                                   "valid UTF-8 (or out of memory)");
    return 0;
}

/* The rest of metadata, each only when set: labels, annotations,
 * resourceVersion, creationTimestamp. */
static int set_metadata_details(const certlc_secret *s, json_t *meta,
                                certlc_err *err)
{
    json_t *o = kv_strings(&s->labels, "metadata.labels", err);
    if (o == NULL)
        return -1;
    if (set_nonempty(meta, "labels", o) != 0)
        return secret_nomem(s, err);
    o = kv_strings(&s->annotations, "metadata.annotations", err);
    if (o == NULL)
        return -1;
    if (set_nonempty(meta, "annotations", o) != 0)
        return secret_nomem(s, err);
    if (s->resource_version != 0) {
        char rv[24];
        snprintf(rv, sizeof rv, "%" PRIu64, s->resource_version);
        if (json_object_set_new(meta, "resourceVersion", json_string(rv)) != 0)
            return secret_nomem(s, err);
    }
    if (s->creation_timestamp != 0) {
        char ts[64];
        if (format_rfc3339(s->creation_timestamp, ts, sizeof ts) != 0)
            return certlc_err_set(err,
                                  "metadata.creationTimestamp: %" PRId64
                                  " is out of range",
                                  s->creation_timestamp);
        if (json_object_set_new(meta, "creationTimestamp", json_string(ts)) !=
            0)
            return secret_nomem(s, err);
    }
    return 0;
}

/* root as compact JSON with sorted keys, in a buffer that grows without
 * leaving copies behind (the data holds keys); NULL when out of memory. */
static char *dump_secret(json_t *root, size_t *len)
{
    certlc_wipe_buf ob = {0};
    if (json_dump_callback(root, outbuf_append, &ob,
                           JSON_SORT_KEYS | JSON_COMPACT) != 0 ||
        ob.p == NULL) {
        certlc_wipe_buf_free(&ob);
        return NULL;
    }
    if (len != NULL)
        *len = ob.n;
    return ob.p;
}

/* ---- JSON out, without the tree -----------------------------------------
 *
 * jansson builds a tree of the Secret (a copy of every string, checked as
 * UTF-8) and dumps it character by character: most of the time a store
 * write takes. For a Secret whose strings are all plain (printable ASCII
 * other than '"' and '\'), which is every Secret certlc makes, jansson's
 * compact, key-sorted output is simply each string between quotes, every
 * object in the order of its keys; kvlists are kept in strcmp order, the
 * order JSON_SORT_KEYS writes. That is written here directly, with the
 * base64 of the data encoded in place. Anything else goes through
 * jansson. test_secret compares the two byte for byte. */

static bool plain_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] < 0x20 || c[i] > 0x7e || c[i] == '"' || c[i] == '\\')
            return false;
    return true;
}

static bool plain(const char *s)
{
    return plain_bytes(s, strlen(s));
}

static bool plain_kvlist(const certlc_kvlist *l, bool values)
{
    for (size_t i = 0; i < l->n; i++)
        if (!plain(l->items[i].key) ||
            (values && !plain_bytes(l->items[i].value, l->items[i].len)))
            return false;
    return true;
}

/* The Secret's identity as written (see set_identity). */
static const char *ns_of(const certlc_secret *s)
{
    return s->namespace != NULL ? s->namespace : "default";
}

static const char *type_of(const certlc_secret *s)
{
    return s->type != NULL ? s->type : CERTLC_TYPE_OPAQUE;
}

static bool plain_secret(const certlc_secret *s)
{
    return plain(s->name) && plain(ns_of(s)) && plain(type_of(s)) &&
           plain_kvlist(&s->labels, true) &&
           plain_kvlist(&s->annotations, true) &&
           plain_kvlist(&s->data, false);
}

typedef struct jout {
    certlc_wipe_buf b;
    bool nomem;
} jout;

static void put(jout *o, const void *p, size_t n)
{
    if (!o->nomem && certlc_wipe_buf_append(&o->b, p, n) != 0)
        o->nomem = true;
}

static void put_str(jout *o, const char *s)
{
    put(o, s, strlen(s));
}

/* "key": with a comma before it unless it is the object's first. */
static void put_key(jout *o, const char *key, bool *first)
{
    put(o, *first ? "\"" : ",\"", *first ? 1 : 2);
    put_str(o, key);
    put(o, "\":", 2);
    *first = false;
}

static void put_value(jout *o, const void *p, size_t n)
{
    put(o, "\"", 1);
    put(o, p, n);
    put(o, "\"", 1);
}

static void put_strings(jout *o, const char *key, const certlc_kvlist *l,
                        bool *first)
{
    if (l->n == 0)
        return;
    put_key(o, key, first);
    put(o, "{", 1);
    bool inner = true;
    for (size_t i = 0; i < l->n; i++) {
        put_key(o, l->items[i].key, &inner);
        put_value(o, l->items[i].value, l->items[i].len);
    }
    put(o, "}", 1);
}

/* The base64 of p, encoded where it lands (certlc_base64_encode's chunks). */
static void put_base64(jout *o, const void *p, size_t n)
{
    size_t w = 4 * ((n + 2) / 3);
    if (o->nomem || certlc_wipe_buf_reserve(&o->b, w) != 0) {
        o->nomem = true;
        return;
    }
    const unsigned char *in = p;
    unsigned char *out = (unsigned char *)o->b.p + o->b.n;
    size_t done = 0, wrote = 0;
    while (done < n) {
        size_t chunk = n - done;
        if (chunk > (size_t)3 * 1024 * 1024)
            chunk = (size_t)3 * 1024 * 1024;
        wrote += (size_t)EVP_EncodeBlock(out + wrote, in + done, (int)chunk);
        done += chunk;
    }
    o->b.n += wrote;
    o->b.p[o->b.n] = '\0';
}

static char *plain_secret_json(const certlc_secret *s, size_t *len,
                               certlc_err *err)
{
    char ts[64] = "", rv[24] = "";
    if (s->creation_timestamp != 0 &&
        format_rfc3339(s->creation_timestamp, ts, sizeof ts) != 0) {
        certlc_err_set(err, "metadata.creationTimestamp: %" PRId64
                            " is out of range", s->creation_timestamp);
        return NULL;
    }
    if (s->resource_version != 0)
        snprintf(rv, sizeof rv, "%" PRIu64, s->resource_version);
    /* One allocation: the fixed part, then each string and its quotes. */
    size_t size = 256 + strlen(s->name) + strlen(ns_of(s)) +
                  strlen(type_of(s));
    for (size_t i = 0; i < s->data.n; i++)
        size += strlen(s->data.items[i].key) + 6 +
                4 * ((s->data.items[i].len + 2) / 3);
    for (size_t i = 0; i < s->labels.n; i++)
        size += strlen(s->labels.items[i].key) + 6 + s->labels.items[i].len;
    for (size_t i = 0; i < s->annotations.n; i++)
        size += strlen(s->annotations.items[i].key) + 6 +
                s->annotations.items[i].len;
    jout o = {.nomem = false};
    if (certlc_wipe_buf_reserve(&o.b, size) != 0) {
        secret_nomem(s, err);
        return NULL;
    }
    bool first = true;
    put(&o, "{", 1);
    put_key(&o, "apiVersion", &first);
    put_value(&o, "v1", 2);
    if (s->data.n > 0) {
        put_key(&o, "data", &first);
        put(&o, "{", 1);
        bool inner = true;
        for (size_t i = 0; i < s->data.n; i++) {
            put_key(&o, s->data.items[i].key, &inner);
            put(&o, "\"", 1);
            put_base64(&o, s->data.items[i].value, s->data.items[i].len);
            put(&o, "\"", 1);
        }
        put(&o, "}", 1);
    }
    put_key(&o, "kind", &first);
    put_value(&o, "Secret", 6);
    put_key(&o, "metadata", &first);
    put(&o, "{", 1);
    bool meta = true;
    put_strings(&o, "annotations", &s->annotations, &meta);
    if (ts[0] != '\0') {
        put_key(&o, "creationTimestamp", &meta);
        put_value(&o, ts, strlen(ts));
    }
    put_strings(&o, "labels", &s->labels, &meta);
    put_key(&o, "name", &meta);
    put_value(&o, s->name, strlen(s->name));
    put_key(&o, "namespace", &meta);
    put_value(&o, ns_of(s), strlen(ns_of(s)));
    if (rv[0] != '\0') {
        put_key(&o, "resourceVersion", &meta);
        put_value(&o, rv, strlen(rv));
    }
    put(&o, "}", 1);
    put_key(&o, "type", &first);
    put_value(&o, type_of(s), strlen(type_of(s)));
    put(&o, "}", 1);
    if (o.nomem) {
        certlc_wipe_buf_free(&o.b);
        secret_nomem(s, err);
        return NULL;
    }
    if (len != NULL)
        *len = o.b.n;
    return o.b.p;
}

char *certlc_secret_to_json(const certlc_secret *s, size_t *len,
                            certlc_err *err)
{
    if (s != NULL && s->name != NULL && plain_secret(s))
        return plain_secret_json(s, len, err);
    if (s == NULL || s->name == NULL) {
        certlc_err_set(err, "metadata.name: missing");
        return NULL;
    }
    char *result = NULL;
    json_t *data = NULL;
    json_t *root = json_object();
    json_t *meta = json_object();
    if (root == NULL || meta == NULL)
        goto nomem;
    if (set_identity(s, root, meta, err) != 0 ||
        set_metadata_details(s, meta, err) != 0)
        goto out;
    if (json_object_set(root, "metadata", meta) != 0)
        goto nomem;
    data = kv_base64(&s->data, err);
    if (data == NULL)
        goto out;
    if (json_object_size(data) > 0 && json_object_set(root, "data", data) != 0)
        goto nomem;
    result = dump_secret(root, len);
    if (result == NULL)
        goto nomem;
    goto out;
nomem:
    secret_nomem(s, err);
out:
    if (data != NULL) {
        cleanse_object_strings(data);
        json_decref(data);
    }
    json_decref(meta);
    json_decref(root);
    return result;
}

void certlc_secret_json_free(char *json, size_t len)
{
    if (json == NULL)
        return;
    OPENSSL_cleanse(json, len);
    free(json);
}

/* ---- JSON in ----------------------------------------------------------- */

/* Fetches an optional member; NULL when absent or JSON null. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static int parse_strings(json_t *obj, const char *field, certlc_kvlist *out,
                         certlc_err *err)
{
    if (obj == NULL)
        return 0;
    if (!json_is_object(obj))
        return certlc_err_set(err, "%s: not an object", field);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (!json_is_string(v))
            return certlc_err_set(err, "%s.%s: not a string", field, k);
        if (certlc_kvlist_set(out, k, json_string_value(v),
                              json_string_length(v)) != 0)
            return certlc_err_set(err, "%s.%s: out of memory", field, k);
    }
    return 0;
}

static int parse_data(json_t *obj, certlc_kvlist *out, certlc_err *err)
{
    if (obj == NULL)
        return 0;
    if (!json_is_object(obj))
        return certlc_err_set(err, "data: not an object");
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (!json_is_string(v))
            return certlc_err_set(err, "data.%s: not a string", k);
        size_t n;
        unsigned char *bytes = certlc_base64_decode(json_string_value(v),
                                                    json_string_length(v), &n);
        if (bytes == NULL)
            return certlc_err_set(err, "data.%s: not valid base64", k);
        int rc = certlc_kvlist_set(out, k, bytes, n);
        OPENSSL_cleanse(bytes, n);
        free(bytes);
        if (rc != 0)
            return certlc_err_set(err, "data.%s: out of memory", k);
    }
    return 0;
}

/* An optional string member that, when present, must equal `want`. */
static int expect_const(json_t *root, const char *key, const char *want,
                        certlc_err *err)
{
    json_t *v = member(root, key);
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return certlc_err_set(err, "%s: not a string", key);
    if (strcmp(json_string_value(v), want) != 0)
        return certlc_err_set(err, "%s: expected \"%s\", found \"%s\"", key,
                              want, json_string_value(v));
    return 0;
}

/* An optional string member: *out is NULL when absent. */
static int opt_string(json_t *obj, const char *field, const char *key,
                      const char **out, certlc_err *err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return certlc_err_set(err, "%s: not a string", field);
    *out = json_string_value(v);
    return 0;
}

static int parse_rv(json_t *meta, uint64_t *out, certlc_err *err)
{
    json_t *v = member(meta, "resourceVersion");
    *out = 0;
    if (v == NULL)
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return certlc_err_set(err, "metadata.resourceVersion: not a string");
    const char *t = json_string_value(v);
    if (*t == '\0')
        return 0;
    uint64_t n = 0;
    for (const char *p = t; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
            return certlc_err_set(err,
                                  "metadata.resourceVersion: not a number: "
                                  "\"%s\"",
                                  t);
        n = n * 10 + (uint64_t)(*p - '0');
    }
    *out = n;
    return 0;
}

certlc_secret *certlc_secret_from_json(const char *json, size_t len,
                                       certlc_err *err)
{
    if (json == NULL) {
        certlc_err_set(err, "no JSON given");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        certlc_err_set(err, "not valid JSON: %s (line %d, column %d)",
                       jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    certlc_secret *s = NULL;
    json_t *data = NULL, *string_data = NULL;
    if (!json_is_object(root)) {
        certlc_err_set(err, "not a JSON object");
        goto out;
    }
    data = member(root, "data");
    string_data = member(root, "stringData");
    if (expect_const(root, "apiVersion", "v1", err) != 0 ||
        expect_const(root, "kind", "Secret", err) != 0)
        goto out;

    json_t *meta = member(root, "metadata");
    if (meta == NULL) {
        certlc_err_set(err, "metadata: missing");
        goto out;
    }
    if (!json_is_object(meta)) {
        certlc_err_set(err, "metadata: not an object");
        goto out;
    }
    const char *name, *ns, *type, *ts;
    if (opt_string(meta, "metadata.name", "name", &name, err) != 0 ||
        opt_string(meta, "metadata.namespace", "namespace", &ns, err) != 0 ||
        opt_string(root, "type", "type", &type, err) != 0 ||
        opt_string(meta, "metadata.creationTimestamp", "creationTimestamp",
                   &ts, err) != 0)
        goto out;
    if (name == NULL || *name == '\0') {
        certlc_err_set(err, "metadata.name: missing");
        goto out;
    }
    s = certlc_secret_new(ns != NULL && *ns != '\0' ? ns : "default", name,
                          type != NULL && *type != '\0' ? type
                                                        : CERTLC_TYPE_OPAQUE);
    if (s == NULL) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    if (ts != NULL && *ts != '\0' &&
        parse_rfc3339(ts, &s->creation_timestamp) != 0) {
        certlc_err_set(err,
                       "metadata.creationTimestamp: not an RFC 3339 time: "
                       "\"%s\"",
                       ts);
        goto fail;
    }
    if (parse_rv(meta, &s->resource_version, err) != 0 ||
        parse_strings(member(meta, "labels"), "metadata.labels", &s->labels,
                      err) != 0 ||
        parse_strings(member(meta, "annotations"), "metadata.annotations",
                      &s->annotations, err) != 0 ||
        parse_data(data, &s->data, err) != 0 ||
        /* stringData wins over data for the same key, as in Kubernetes. */
        parse_strings(string_data, "stringData", &s->data, err) != 0)
        goto fail;
    goto out;
fail:
    certlc_secret_free(s);
    s = NULL;
out:
    cleanse_object_strings(data);
    cleanse_object_strings(string_data);
    json_decref(root);
    return s;
}

/* ---- list -------------------------------------------------------------- */

int certlc_secret_list_push(certlc_secret_list *l, certlc_secret *s)
{
    if (l == NULL || s == NULL) {
        errno = EINVAL;
        return -1;
    }
    certlc_secret **items =
        certlc_grow(l->items, l->n, &l->cap, sizeof *items, 16);
    if (items == NULL)
        return -1;
    l->items = items;
    l->items[l->n++] = s;
    return 0;
}

void certlc_secret_list_free(certlc_secret_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        certlc_secret_free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static int cmp_secret(const void *a, const void *b)
{
    const certlc_secret *x = *(certlc_secret *const *)a;
    const certlc_secret *y = *(certlc_secret *const *)b;
    int c = strcmp(x->namespace, y->namespace);
    return c != 0 ? c : strcmp(x->name, y->name);
}

void certlc_secret_list_sort(certlc_secret_list *l)
{
    if (l != NULL && l->n > 1)
        qsort(l->items, l->n, sizeof l->items[0], cmp_secret);
}
