/* certlc apply -f FILE: writes a Secret (Kubernetes JSON or YAML) into the
 * store, created or replaced, as `kubectl apply -f` would. This is how an
 * external PKI, or a person, delivers a certificate to the operator.
 *
 * YAML goes through libyaml into the same JSON shape (every scalar a
 * string, `null`/`~` null), then through the one Secret parser, so that
 * both forms are judged by the same rules. The file's bytes hold private
 * keys: every copy is cleansed before it is freed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"
#include "secret.h"
#include "wipe_alloc.h"

static const char usage[] =
    "Usage: certlc apply -f FILE [-n NS]\n"
    "\n"
    "Creates or replaces the Secret in FILE (a Kubernetes v1 Secret as JSON\n"
    "or YAML; '-' reads standard input). This is how an external PKI\n"
    "delivers the certificate of a DataStore whose driver rotates through\n"
    "one: the operator judges it, verifies it and rolls it out.\n"
    "\n"
    "  -f, --filename FILE   the Secret\n"
    "  -n, --namespace NS    the namespace when the file names none\n"
    "                        (default: default)\n";

/* The whole file (or stdin), NUL-terminated. */
static char *slurp(const char *path, size_t *len, certlc_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        certlc_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > (16u << 20)) {
                certlc_err_set(err, "%s: larger than 16 MiB: not a Secret",
                               path);
                goto fail;
            }
            char *nb = malloc(ncap);
            if (nb == NULL) {
                certlc_err_set(err, "out of memory");
                goto fail;
            }
            if (buf != NULL) {
                memcpy(nb, buf, n);
                OPENSSL_cleanse(buf, cap);
                free(buf);
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                certlc_err_set(err, "%s: read error", path);
                goto fail;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    if (f != stdin)
        fclose(f);
    if (buf != NULL)
        OPENSSL_cleanse(buf, cap);
    free(buf);
    return NULL;
}

/* ---- YAML to JSON ------------------------------------------------------- */

typedef struct yconv {
    yaml_parser_t parser;
    const char *path;
    certlc_err *err;
} yconv;

static json_t *y_node(yconv *y, yaml_event_t *ev, int depth);

static json_t *y_next(yconv *y, int depth)
{
    yaml_event_t ev;
    if (!yaml_parser_parse(&y->parser, &ev)) {
        certlc_err_set(y->err, "YAML line %zu, column %zu: %s",
                       y->parser.problem_mark.line + 1,
                       y->parser.problem_mark.column + 1,
                       y->parser.problem ? y->parser.problem : "error");
        return NULL;
    }
    json_t *j = y_node(y, &ev, depth);
    yaml_event_delete(&ev);
    return j;
}

/* libyaml could not give the next event inside a sequence or mapping. */
static void y_parse_error(yconv *y)
{
    certlc_err_set(y->err, "YAML line %zu: %s",
                   y->parser.problem_mark.line + 1,
                   y->parser.problem ? y->parser.problem : "error");
}

/* A plain empty, null or ~ is null, as YAML reads it; any other scalar is
 * a string, quoted or not. */
static json_t *y_scalar(yconv *y, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.plain_implicit &&
        (n == 0 || strcmp(v, "null") == 0 || strcmp(v, "~") == 0))
        return json_null();
    json_t *s = json_stringn(v, n);
    if (s == NULL)
        certlc_err_set(y->err, "YAML line %zu: a value is not UTF-8",
                       ev->start_mark.line + 1);
    return s;
}

/* The items of a sequence whose start event was just read, up to its end. */
static json_t *y_sequence(yconv *y, int depth)
{
    json_t *a = json_array();
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&y->parser, &e)) {
            json_decref(a);
            y_parse_error(y);
            return NULL;
        }
        if (e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            return a;
        }
        json_t *v = y_node(y, &e, depth + 1);
        yaml_event_delete(&e);
        if (v == NULL) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, v);
    }
}

/* The pairs of a mapping whose start event was just read, up to its end.
 * Keys must be scalars: a JSON object has only string keys. */
static json_t *y_mapping(yconv *y, int depth)
{
    json_t *o = json_object();
    for (;;) {
        yaml_event_t k;
        if (!yaml_parser_parse(&y->parser, &k)) {
            json_decref(o);
            y_parse_error(y);
            return NULL;
        }
        if (k.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&k);
            return o;
        }
        if (k.type != YAML_SCALAR_EVENT) {
            certlc_err_set(y->err, "YAML line %zu: a mapping key that "
                           "is not a plain value",
                           k.start_mark.line + 1);
            yaml_event_delete(&k);
            json_decref(o);
            return NULL;
        }
        char *key = strndup((const char *)k.data.scalar.value,
                            k.data.scalar.length);
        yaml_event_delete(&k);
        json_t *v = key ? y_next(y, depth + 1) : NULL;
        if (v == NULL) {
            if (key == NULL)
                certlc_err_set(y->err, "out of memory");
            free(key);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, key, v);
        free(key);
    }
}

/* The value that starts with ev. For a mapping or sequence end, NULL with
 * no error: the caller's loop stops there. */
static json_t *y_node(yconv *y, yaml_event_t *ev, int depth)
{
    if (depth > 32) {
        certlc_err_set(y->err, "YAML nested too deep for a Secret");
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return y_scalar(y, ev);
    case YAML_SEQUENCE_START_EVENT:
        return y_sequence(y, depth);
    case YAML_MAPPING_START_EVENT:
        return y_mapping(y, depth);
    case YAML_ALIAS_EVENT:
        certlc_err_set(y->err, "YAML line %zu: aliases are not "
                       "supported in a Secret", ev->start_mark.line + 1);
        return NULL;
    default:
        certlc_err_set(y->err, "YAML line %zu: unexpected event %d",
                       ev->start_mark.line + 1, (int)ev->type);
        return NULL;
    }
}

/* The first document of a YAML stream as JSON text (freed by the caller
 * with json_text_free). */
static char *yaml_to_json(const char *text, size_t len, const char *path,
                          size_t *out_len, certlc_err *err)
{
    yconv y = {.path = path, .err = err};
    if (!yaml_parser_initialize(&y.parser)) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    json_t *root = NULL;
    /* STREAM-START, DOCUMENT-START, then the document's node. */
    for (int i = 0; i < 2; i++) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&y.parser, &ev)) {
            certlc_err_set(err, "YAML line %zu, column %zu: %s",
                           y.parser.problem_mark.line + 1,
                           y.parser.problem_mark.column + 1,
                           y.parser.problem ? y.parser.problem : "error");
            yaml_parser_delete(&y.parser);
            return NULL;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end) {
            certlc_err_set(err, "empty: no Secret in it");
            yaml_parser_delete(&y.parser);
            return NULL;
        }
    }
    root = y_next(&y, 0);
    yaml_parser_delete(&y.parser);
    if (root == NULL)
        return NULL;
    /* json_dumps refuses anything but an object or array by default. */
    if (!json_is_object(root) && !json_is_array(root)) {
        json_decref(root);
        certlc_err_set(err, "not a Secret: the document is a single value, "
                       "not a mapping");
        return NULL;
    }
    char *json = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (json == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    *out_len = strlen(json);
    return json;
}

/* json_dumps's text comes from jansson's allocator: cleansed, then handed
 * back to it. */
static void json_text_free(char *json, size_t len)
{
    OPENSSL_cleanse(json, len);
    certlc_json_free(json);
}

certlc_secret *certlc_apply_parse(const char *text, size_t len,
                                  const char *file, certlc_err *err)
{
    const char *p = text;
    while (p < text + len && isspace((unsigned char)*p))
        p++;
    char *json = NULL;
    size_t json_len = 0;
    certlc_secret *s = NULL;
    if (p < text + len && *p == '{') {
        s = certlc_secret_from_json(text, len, err);
    } else if ((json = yaml_to_json(text, len, file, &json_len, err)) !=
               NULL) {
        s = certlc_secret_from_json(json, json_len, err);
        json_text_free(json, json_len);
    }
    return s;
}

/* ---- the command -------------------------------------------------------- */

/* Creates or replaces s (takes no ownership). Prints kubectl's line. */
static int apply(certlc_cli *c, certlc_secret *s)
{
    certlc_err err;
    certlc_secret *old = NULL;
    int rc = certlc_store_get(c->store, s->namespace, s->name, &old, &err);
    if (rc == CERTLC_UNDECRYPTABLE) {
        /* Not replaced blindly: its key may only be missing from the
         * encryption_config; `certlc delete` first when it is lost. */
        fprintf(stderr, "certlc: apply %s/%s: %s\n", s->namespace, s->name,
                err.msg);
        return CERTLC_EXIT_FAIL;
    }
    if (rc != 0 && rc != CERTLC_NOTFOUND) {
        /* An unparsable Secret in the way: replace it. */
        if (certlc_store_remove(c->store, s->namespace, s->name, &err) < 0) {
            fprintf(stderr, "certlc: apply %s/%s: %s\n", s->namespace,
                    s->name, err.msg);
            return CERTLC_EXIT_FAIL;
        }
        rc = CERTLC_NOTFOUND;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        if (rc == CERTLC_NOTFOUND) {
            s->resource_version = 0;
            rc = certlc_store_create(c->store, s, &err);
            if (rc == 0) {
                printf("secret/%s created\n", s->name);
                return CERTLC_EXIT_OK;
            }
        } else {
            s->resource_version = old->resource_version;
            certlc_secret_free(old);
            old = NULL;
            rc = certlc_store_update(c->store, s, &err);
            if (rc == 0) {
                printf("secret/%s configured\n", s->name);
                return CERTLC_EXIT_OK;
            }
        }
        if (rc != CERTLC_CONFLICT && rc != CERTLC_NOTFOUND)
            break;
        /* Someone else wrote it meanwhile: read again, try again. */
        certlc_secret_free(old);
        old = NULL;
        rc = certlc_store_get(c->store, s->namespace, s->name, &old, &err);
        if (rc != 0 && rc != CERTLC_NOTFOUND)
            break;
    }
    certlc_secret_free(old);
    fprintf(stderr, "certlc: apply %s/%s: %s\n", s->namespace, s->name,
            err.msg);
    return CERTLC_EXIT_FAIL;
}

int certlc_cmd_apply(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"filename", required_argument, NULL, 'f'},
        {"namespace", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *file = NULL, *ns = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "f:n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'f': file = optarg; break;
        case 'n': ns = optarg; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("apply", "bad option");
        }
    }
    if (file == NULL)
        return certlc_cli_usage("apply", "-f FILE is required");
    if (optind < argc)
        return certlc_cli_usage("apply", "unexpected argument '%s'",
                                argv[optind]);
    certlc_err err;
    size_t len = 0;
    char *text = slurp(file, &len, &err);
    if (text == NULL) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    certlc_secret *s = certlc_apply_parse(text, len, file, &err);
    OPENSSL_cleanse(text, len);
    free(text);
    if (s == NULL) {
        fprintf(stderr, "certlc: %s: %s\n", file, err.msg);
        return CERTLC_EXIT_FAIL;
    }
    if (ns != NULL && strcmp(s->namespace, "default") == 0) {
        char *n = strdup(ns);
        if (n != NULL) {
            free(s->namespace);
            s->namespace = n;
        }
    }
    int rc = certlc_cli_open(c);
    if (rc == CERTLC_EXIT_OK) {
        rc = apply(c, s);
        certlc_cli_close(c);
    }
    certlc_secret_free(s);
    return rc;
}
