#include "kubeconfig.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "base64.h"
#include "wipe_buf.h"

/* ---- writing ----------------------------------------------------------------
 *
 * libyaml copies every scalar into events and buffers it frees without
 * clearing. So the private key never goes through libyaml: the emitter writes
 * a placeholder of the same length, and the real base64 is put in its place
 * in our own output buffer, which is cleansed whenever it is moved. */

typedef struct outbuf {
    certlc_wipe_buf b;
    bool oom;
} outbuf;

static int out_write(void *ctx, unsigned char *buf, size_t size)
{
    outbuf *o = ctx;
    if (certlc_wipe_buf_append(&o->b, buf, size) != 0) {
        o->oom = true;
        return 0;
    }
    return 1;
}

/* True when a plain scalar would be read back as something else than a
 * string (YAML 1.1 booleans, null, numbers) or is empty. */
static bool needs_quotes(const char *s)
{
    static const char *const words[] = {
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    };
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(s, words[i]) == 0)
            return true;
    }
    return (*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.';
}

typedef struct writer {
    yaml_emitter_t em;
    bool failed;
} writer;

static void ev(writer *w, yaml_event_t *e, int ok)
{
    if (w->failed)
        return;
    if (!ok || !yaml_emitter_emit(&w->em, e))
        w->failed = true;
}

static void scalar(writer *w, const char *s)
{
    yaml_event_t e;
    yaml_scalar_style_t style = needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                : YAML_PLAIN_SCALAR_STYLE;
    if (w->failed)
        return;
    ev(w, &e, yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s,
                                           (int)strlen(s), 1, 1, style));
}

static void map_start(writer *w, bool flow)
{
    yaml_event_t e;
    if (w->failed)
        return;
    ev(w, &e, yaml_mapping_start_event_initialize(
                  &e, NULL, NULL, 1,
                  flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(writer *w)
{
    yaml_event_t e;
    if (w->failed)
        return;
    ev(w, &e, yaml_mapping_end_event_initialize(&e));
}

static void seq_start(writer *w)
{
    yaml_event_t e;
    if (w->failed)
        return;
    ev(w, &e, yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
                                                   YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_end(writer *w)
{
    yaml_event_t e;
    if (w->failed)
        return;
    ev(w, &e, yaml_sequence_end_event_initialize(&e));
}

static void pair(writer *w, const char *k, const char *v)
{
    scalar(w, k);
    scalar(w, v);
}

static char *b64(const unsigned char *data, size_t len, size_t *out_len)
{
    size_t n;
    char *s = certlc_base64_encode(data, len, &n);
    if (out_len != NULL)
        *out_len = n;
    return s;
}

static void free_secret_string(char *s, size_t len)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, len);
        free(s);
    }
}

/* The values of a kubeconfig as written: base64 and the context name. The
 * key is written as a placeholder of the same length and quoting, and put
 * in place after the emitter is done, so that libyaml's buffers never
 * hold it. */
typedef struct kc_text {
    char *context;
    char *ca_b64, *cert_b64, *key_b64;
    size_t key_b64_len;
    char *placeholder;
} kc_text;

static void kc_text_free(kc_text *t)
{
    free(t->context);
    free(t->ca_b64);
    free(t->cert_b64);
    free_secret_string(t->key_b64, t->key_b64_len);
    free(t->placeholder);
}

static int kc_text_make(const certlc_kubeconfig *kc, kc_text *t,
                        certlc_err *err)
{
    size_t ctx_len = strlen(kc->user) + 1 + strlen(kc->cluster) + 1;
    t->context = malloc(ctx_len);
    t->ca_b64 = b64(kc->ca_pem, kc->ca_len, NULL);
    t->cert_b64 = b64(kc->cert_pem, kc->cert_len, NULL);
    t->key_b64 = b64(kc->key_pem, kc->key_len, &t->key_b64_len);
    t->placeholder = t->key_b64 ? malloc(t->key_b64_len + 1) : NULL;
    if (t->context == NULL || t->ca_b64 == NULL || t->cert_b64 == NULL ||
        t->key_b64 == NULL || t->placeholder == NULL)
        return certlc_err_set(err, "out of memory");
    snprintf(t->context, ctx_len, "%s@%s", kc->user, kc->cluster);
    /* Same length and same quoting as the real value. */
    memset(t->placeholder, 'A', t->key_b64_len);
    t->placeholder[t->key_b64_len] = '\0';
    if (needs_quotes(t->key_b64) && t->key_b64_len > 0)
        t->placeholder[0] = '0';
    return 0;
}

/* "name: { ... }" entries of clusters and contexts: a one-item list of
 * a map holding `kind` (a map of two pairs) and name. */
static void named_entry(writer *w, const char *list, const char *kind,
                        const char *k1, const char *v1, const char *k2,
                        const char *v2, const char *name)
{
    scalar(w, list);
    seq_start(w);
    map_start(w, false);
    scalar(w, kind);
    map_start(w, false);
    pair(w, k1, v1);
    pair(w, k2, v2);
    map_end(w);
    pair(w, "name", name);
    map_end(w);
    seq_end(w);
}

/* The document, as kubeadm writes it: clusters, contexts, current-context,
 * preferences, users (the key last: put_key relies on it). */
static void emit_document(writer *w, const certlc_kubeconfig *kc,
                          const kc_text *t)
{
    yaml_event_t e;
    ev(w, &e, yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING));
    ev(w, &e, yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1));
    map_start(w, false);
    pair(w, "apiVersion", "v1");
    pair(w, "kind", "Config");
    named_entry(w, "clusters", "cluster", "certificate-authority-data",
                t->ca_b64, "server", kc->server, kc->cluster);
    named_entry(w, "contexts", "context", "cluster", kc->cluster, "user",
                kc->user, t->context);
    pair(w, "current-context", t->context);
    scalar(w, "preferences");
    map_start(w, true);
    map_end(w);

    scalar(w, "users");
    seq_start(w);
    map_start(w, false);
    pair(w, "name", kc->user);
    scalar(w, "user");
    map_start(w, false);
    pair(w, "client-certificate-data", t->cert_b64);
    pair(w, "client-key-data", t->placeholder);
    map_end(w);
    map_end(w);
    seq_end(w);

    map_end(w);
    ev(w, &e, yaml_document_end_event_initialize(&e, 1));
    ev(w, &e, yaml_stream_end_event_initialize(&e));
    if (!w->failed && !yaml_emitter_flush(&w->em))
        w->failed = true;
}

/* Puts the key where the placeholder is: after the last
 * "client-key-data: ", as the key is the last value written. The text may
 * occur earlier too, inside a quoted server or name. */
static int put_key(outbuf *out, const kc_text *t, certlc_err *err)
{
    static const char field[] = "client-key-data: ";
    char *at = NULL;
    for (char *p = strstr(out->b.p, field); p != NULL;
         p = strstr(p + 1, field))
        at = p;
    if (at == NULL)
        return certlc_err_set(err, "kubeconfig: cannot write YAML: key field not found");
    at += sizeof field - 1;
    if (*at == '"')
        at++;
    if ((size_t)(out->b.p + out->b.n - at) < t->key_b64_len ||
        memcmp(at, t->placeholder, t->key_b64_len) != 0)
        return certlc_err_set(err, "kubeconfig: cannot write YAML: unexpected key layout");
    memcpy(at, t->key_b64, t->key_b64_len);
    return 0;
}

/* The emitter's buffers held the certificate and the placeholder only, but
 * clear them anyway: they are cheap to clear. */
static void emitter_delete(writer *w)
{
    if (w->em.buffer.start != NULL)
        OPENSSL_cleanse(w->em.buffer.start,
                        (size_t)(w->em.buffer.end - w->em.buffer.start));
    if (w->em.raw_buffer.start != NULL)
        OPENSSL_cleanse(w->em.raw_buffer.start,
                        (size_t)(w->em.raw_buffer.end - w->em.raw_buffer.start));
    yaml_emitter_delete(&w->em);
}

/* The YAML of kc into out (the key still a placeholder). */
static int emit(const certlc_kubeconfig *kc, const kc_text *t, outbuf *out,
                certlc_err *err)
{
    writer w = {.failed = false};
    if (!yaml_emitter_initialize(&w.em))
        return certlc_err_set(err, "out of memory");
    yaml_emitter_set_output(&w.em, out_write, out);
    yaml_emitter_set_width(&w.em, -1);
    yaml_emitter_set_unicode(&w.em, 1);
    yaml_emitter_set_indent(&w.em, 2);
    emit_document(&w, kc, t);
    int rc = 0;
    if (out->oom)
        rc = certlc_err_set(err, "out of memory");
    else if (w.failed)
        rc = certlc_err_set(err, "kubeconfig: cannot write YAML: %s",
                            w.em.problem ? w.em.problem : "emitter error");
    emitter_delete(&w);
    return rc;
}

char *certlc_kubeconfig_write(const certlc_kubeconfig *kc, size_t *len,
                              certlc_err *err)
{
    if (kc == NULL || kc->cluster == NULL || kc->user == NULL || kc->server == NULL ||
        kc->ca_pem == NULL || kc->cert_pem == NULL || kc->key_pem == NULL) {
        certlc_err_set(err, "kubeconfig: cluster, user, server, CA, certificate "
                       "and key are all required");
        return NULL;
    }
    if (len != NULL)
        *len = 0;
    kc_text t = {0};
    outbuf out = {0};
    char *result = NULL;
    if (kc_text_make(kc, &t, err) == 0 && emit(kc, &t, &out, err) == 0 &&
        put_key(&out, &t, err) == 0) {
        result = out.b.p;
        if (len != NULL)
            *len = out.b.n;
        out.b = (certlc_wipe_buf){0};
    }
    certlc_wipe_buf_free(&out.b);
    kc_text_free(&t);
    return result;
}

void certlc_kubeconfig_yaml_free(char *yaml, size_t len)
{
    if (yaml == NULL)
        return;
    size_t n = strlen(yaml);
    OPENSSL_cleanse(yaml, (len > n ? len : n) + 1);
    free(yaml);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct reader {
    yaml_document_t doc;
    certlc_err *err;
} reader;

static yaml_node_t *node(reader *r, int id)
{
    return id ? yaml_document_get_node(&r->doc, id) : NULL;
}

/* The value of `key` in mapping m, or NULL. */
static yaml_node_t *get(reader *r, yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    size_t kl = strlen(key);
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(r, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == kl &&
            memcmp(k->data.scalar.value, key, kl) == 0)
            return node(r, p->value);
    }
    return NULL;
}

/* A string value, NUL-terminated by libyaml; NULL and an error when `key`
 * is missing (unless optional) or not a string. `path` names it. */
static const char *get_str(reader *r, yaml_node_t *m, const char *key,
                           const char *path, bool optional)
{
    yaml_node_t *n = get(r, m, key);
    if (n == NULL) {
        if (!optional)
            certlc_err_set(r->err, "%s%s%s: missing", path, *path ? "." : "", key);
        return NULL;
    }
    if (n->type != YAML_SCALAR_NODE) {
        certlc_err_set(r->err, "%s%s%s: not a string", path, *path ? "." : "", key);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static yaml_node_t *get_list(reader *r, yaml_node_t *root, const char *key)
{
    yaml_node_t *n = get(r, root, key);
    if (n == NULL || (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)) {
        certlc_err_set(r->err, "%s: missing", key);
        return NULL;
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        certlc_err_set(r->err, "%s: not a list", key);
        return NULL;
    }
    return n;
}

/* Entry i (0-based) of sequence s, which must be a mapping. */
static yaml_node_t *item(reader *r, yaml_node_t *s, size_t i, const char *list)
{
    yaml_node_t *n = node(r, s->data.sequence.items.start[i]);
    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        certlc_err_set(r->err, "%s[%zu]: not a mapping", list, i);
        return NULL;
    }
    return n;
}

static size_t seq_len(yaml_node_t *s)
{
    return (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
}

/* Finds the entry of `list` named `name`: 0 with *found and *index set,
 * CERTLC_NOTFOUND, or -1 when an entry is malformed. */
static int find_named(reader *r, yaml_node_t *s, const char *list,
                      const char *name, yaml_node_t **found, size_t *index)
{
    for (size_t i = 0; i < seq_len(s); i++) {
        yaml_node_t *m = item(r, s, i, list);
        if (m == NULL)
            return -1;
        char path[64];
        snprintf(path, sizeof path, "%s[%zu]", list, i);
        const char *n = get_str(r, m, "name", path, false);
        if (n == NULL)
            return -1;
        if (strcmp(n, name) == 0) {
            *found = m;
            *index = i;
            return 0;
        }
    }
    return CERTLC_NOTFOUND;
}

static int decode(reader *r, yaml_node_t *m, const char *key, const char *path,
                  unsigned char **out, size_t *out_len)
{
    const char *v = get_str(r, m, key, path, false);
    if (v == NULL)
        return -1;
    size_t vl = strlen(v);
    *out = certlc_base64_decode(v, vl, out_len);
    if (*out == NULL)
        return certlc_err_set(r->err, "%s.%s: not valid base64", path, key);
    if (*out_len == 0)
        return certlc_err_set(r->err, "%s.%s: empty", path, key);
    return 0;
}

static char *dup_str(reader *r, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d == NULL)
        certlc_err_set(r->err, "out of memory");
    else
        memcpy(d, s, n);
    return d;
}

/* The root is a mapping of kind Config, apiVersion v1 (both optional). */
static int check_header(reader *r, yaml_node_t *root)
{
    if (root == NULL)
        return certlc_err_set(r->err, "not a kubeconfig: empty document");
    if (root->type != YAML_MAPPING_NODE)
        return certlc_err_set(r->err, "not a kubeconfig: not a mapping");
    const char *kind = get_str(r, root, "kind", "", true);
    if (kind == NULL && get(r, root, "kind") != NULL)
        return -1;
    if (kind != NULL && strcmp(kind, "Config") != 0)
        return certlc_err_set(r->err, "not a kubeconfig: kind is '%s'", kind);
    const char *api = get_str(r, root, "apiVersion", "", true);
    if (api == NULL && get(r, root, "apiVersion") != NULL)
        return -1;
    if (api != NULL && strcmp(api, "v1") != 0)
        return certlc_err_set(r->err, "not a kubeconfig: apiVersion is '%s', "
                              "not 'v1'", api);
    return 0;
}

/* The cluster and user a kubeconfig is read for. */
typedef struct chosen {
    const char *ctx_name;             /* "" without a current context */
    char ctx_path[64];                /* "contexts[i].context" */
    const char *cluster_name, *user_name; /* NULL: the first ones */
    yaml_node_t *cl, *us;
    size_t ci, ui;
} chosen;

/* The current context's names of cluster and user, if there is one. */
static int choose_context(reader *r, yaml_node_t *root, chosen *c)
{
    yaml_node_t *contexts = get(r, root, "contexts");
    if (contexts != NULL && contexts->type == YAML_SCALAR_NODE &&
        contexts->data.scalar.length == 0)
        contexts = NULL; /* "contexts:" with nothing */
    if (contexts != NULL && contexts->type != YAML_SEQUENCE_NODE)
        return certlc_err_set(r->err, "contexts: not a list");
    const char *current = get_str(r, root, "current-context", "", true);
    if (current == NULL && get(r, root, "current-context") != NULL)
        return -1;

    yaml_node_t *ctx = NULL;
    size_t ctx_i = 0;
    if (current != NULL && *current != '\0') {
        int rc = contexts ? find_named(r, contexts, "contexts", current, &ctx, &ctx_i)
                          : CERTLC_NOTFOUND;
        if (rc == CERTLC_NOTFOUND)
            certlc_err_set(r->err, "current-context: no context named '%s'", current);
        if (rc != 0)
            return -1;
    }
    if (ctx == NULL)
        return 0;
    snprintf(c->ctx_path, sizeof c->ctx_path, "contexts[%zu]", ctx_i);
    if ((c->ctx_name = get_str(r, ctx, "name", c->ctx_path, false)) == NULL)
        return -1;
    yaml_node_t *inner = get(r, ctx, "context");
    snprintf(c->ctx_path, sizeof c->ctx_path, "contexts[%zu].context", ctx_i);
    if (inner == NULL || inner->type != YAML_MAPPING_NODE)
        return certlc_err_set(r->err, "%s: %s", c->ctx_path,
                              inner ? "not a mapping" : "missing");
    if ((c->cluster_name = get_str(r, inner, "cluster", c->ctx_path, false)) == NULL ||
        (c->user_name = get_str(r, inner, "user", c->ctx_path, false)) == NULL)
        return -1;
    return 0;
}

/* The entries of clusters and users the context names; without one, the
 * first of each. */
static int choose_entries(reader *r, yaml_node_t *clusters, yaml_node_t *users,
                          chosen *c)
{
    if (c->cluster_name != NULL) {
        int rc = find_named(r, clusters, "clusters", c->cluster_name, &c->cl,
                            &c->ci);
        if (rc == CERTLC_NOTFOUND)
            certlc_err_set(r->err, "%s.cluster: no cluster named '%s'",
                           c->ctx_path, c->cluster_name);
        if (rc != 0)
            return -1;
        rc = find_named(r, users, "users", c->user_name, &c->us, &c->ui);
        if (rc == CERTLC_NOTFOUND)
            certlc_err_set(r->err, "%s.user: no user named '%s'", c->ctx_path,
                           c->user_name);
        return rc != 0 ? -1 : 0;
    }
    if (seq_len(clusters) == 0)
        return certlc_err_set(r->err, "clusters: empty");
    if (seq_len(users) == 0)
        return certlc_err_set(r->err, "users: empty");
    if ((c->cl = item(r, clusters, 0, "clusters")) == NULL ||
        (c->us = item(r, users, 0, "users")) == NULL)
        return -1;
    return 0;
}

/* The kubeconfig of the chosen cluster and user. */
static certlc_kubeconfig *kc_from(reader *r, const chosen *c)
{
    char cpath[64], upath[64];
    snprintf(cpath, sizeof cpath, "clusters[%zu]", c->ci);
    snprintf(upath, sizeof upath, "users[%zu]", c->ui);
    const char *cname = get_str(r, c->cl, "name", cpath, false);
    const char *uname = cname ? get_str(r, c->us, "name", upath, false) : NULL;
    if (uname == NULL)
        return NULL;
    yaml_node_t *cdata = get(r, c->cl, "cluster");
    yaml_node_t *udata = get(r, c->us, "user");
    if (cdata == NULL || cdata->type != YAML_MAPPING_NODE) {
        certlc_err_set(r->err, "%s.cluster: %s", cpath, cdata ? "not a mapping" : "missing");
        return NULL;
    }
    if (udata == NULL || udata->type != YAML_MAPPING_NODE) {
        certlc_err_set(r->err, "%s.user: %s", upath, udata ? "not a mapping" : "missing");
        return NULL;
    }
    snprintf(cpath, sizeof cpath, "clusters[%zu].cluster", c->ci);
    snprintf(upath, sizeof upath, "users[%zu].user", c->ui);
    const char *server = get_str(r, cdata, "server", cpath, false);
    if (server == NULL)
        return NULL;

    certlc_kubeconfig *kc = calloc(1, sizeof *kc);
    if (kc == NULL) {
        certlc_err_set(r->err, "out of memory");
        return NULL;
    }
    if ((kc->cluster = dup_str(r, cname)) == NULL || (kc->user = dup_str(r, uname)) == NULL ||
        (kc->context = dup_str(r, c->ctx_name)) == NULL ||
        (kc->server = dup_str(r, server)) == NULL ||
        decode(r, cdata, "certificate-authority-data", cpath, &kc->ca_pem, &kc->ca_len) ||
        decode(r, udata, "client-certificate-data", upath, &kc->cert_pem, &kc->cert_len) ||
        decode(r, udata, "client-key-data", upath, &kc->key_pem, &kc->key_len)) {
        certlc_kubeconfig_free(kc);
        return NULL;
    }
    return kc;
}

static certlc_kubeconfig *parse_doc(reader *r)
{
    yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    if (check_header(r, root) != 0)
        return NULL;
    yaml_node_t *clusters = get_list(r, root, "clusters");
    yaml_node_t *users = clusters ? get_list(r, root, "users") : NULL;
    if (users == NULL)
        return NULL;
    chosen c = {.ctx_name = ""};
    if (choose_context(r, root, &c) != 0 ||
        choose_entries(r, clusters, users, &c) != 0)
        return NULL;
    return kc_from(r, &c);
}

/* Clears every scalar of the document: one of them is the private key. */
static void cleanse_doc(yaml_document_t *doc)
{
    for (yaml_node_t *n = doc->nodes.start; n != NULL && n < doc->nodes.top; n++) {
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
            OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
    }
}

static void cleanse_parser(yaml_parser_t *p)
{
    if (p->buffer.start != NULL)
        OPENSSL_cleanse(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start != NULL)
        OPENSSL_cleanse(p->raw_buffer.start,
                        (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

certlc_kubeconfig *certlc_kubeconfig_parse(const void *yaml, size_t len,
                                           certlc_err *err)
{
    certlc_err local;
    reader r = {.err = err ? err : &local};
    if (yaml == NULL || len == 0) {
        certlc_err_set(r.err, "not a kubeconfig: empty document");
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        certlc_err_set(r.err, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, yaml, len);
    if (!yaml_parser_load(&parser, &r.doc)) {
        certlc_err_set(r.err, "not valid YAML: line %lu column %lu: %s",
                       (unsigned long)parser.problem_mark.line + 1,
                       (unsigned long)parser.problem_mark.column + 1,
                       parser.problem ? parser.problem : "parse error");
        cleanse_parser(&parser);
        yaml_parser_delete(&parser);
        return NULL;
    }
    certlc_kubeconfig *kc = parse_doc(&r);
    cleanse_doc(&r.doc);
    yaml_document_delete(&r.doc);
    cleanse_parser(&parser);
    yaml_parser_delete(&parser);
    return kc;
}

void certlc_kubeconfig_free(certlc_kubeconfig *kc)
{
    if (kc == NULL)
        return;
    free(kc->cluster);
    free(kc->user);
    free(kc->context);
    free(kc->server);
    free(kc->ca_pem);
    free(kc->cert_pem);
    if (kc->key_pem != NULL) {
        OPENSSL_cleanse(kc->key_pem, kc->key_len);
        free(kc->key_pem);
    }
    free(kc);
}
