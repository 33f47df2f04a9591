/* kubectl's -o formats and extra columns, for every `get`. */
#include "output.h"
#include "wipe_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const char certlc_output_usage[] =
    "  -o, --output FORMAT      wide, json, yaml, name, jsonpath=TEMPLATE,\n"
    "                           jsonpath-file=FILE or custom-columns=NAME:PATH,...\n"
    "      --show-labels        a LABELS column\n"
    "  -L, --label-columns K,.. a column with the value of each label K\n"
    "      --no-headers         no header line\n"
    "      --sort-by PATH       sort by the value at a JSONPath (.metadata.name)\n"
    "      --allow-missing-template-keys=false\n"
    "                           a field missing in a jsonpath template is an error\n";

void certlc_output_init(certlc_output *o)
{
    memset(o, 0, sizeof *o);
    o->allow_missing = true;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void certlc_output_fini(certlc_output *o)
{
    certlc_jsonpath_free(o->jp);
    for (size_t i = 0; i < o->n_cols; i++)
        certlc_jsonpath_free(o->col_jp[i]);
    free(o->col_jp);
    free_strv(o->col_names, o->n_cols);
    free_strv(o->label_cols, o->n_label_cols);
    certlc_jsonpath_free(o->sort_by);
    free(o->sort_field);
    memset(o, 0, sizeof *o);
}

static char *read_file(const char *path, certlc_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        certlc_err_set(err, "jsonpath-file %s: %m", path);
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    char chunk[4096];
    size_t n;
    while (m != NULL && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    /* A directory opens, then fails to read (EISDIR): not an empty
     * template. */
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno != 0) {
        if (m != NULL)
            fclose(m);
        free(buf);
        certlc_err_set(err, "jsonpath-file %s: %s", path,
                       strerror(read_errno));
        return NULL;
    }
    if (m == NULL || fclose(m) != 0) {
        free(buf);
        certlc_err_set(err, "jsonpath-file %s: out of memory", path);
        return NULL;
    }
    return buf;
}

static int parse_custom(certlc_output *o, const char *spec, certlc_err *err)
{
    char *copy = strdup(spec), *save = NULL;
    if (copy == NULL)
        return certlc_err_set(err, "out of memory");
    for (char *col = strtok_r(copy, ",", &save); col != NULL;
         col = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(col, ':');
        if (colon == NULL) {
            certlc_err_set(err, "custom-columns: column '%s' is not "
                           "NAME:JSONPATH", col);
            free(copy);
            return -1;
        }
        *colon = '\0';
        char *tmpl = certlc_jsonpath_relaxed(colon + 1, err);
        certlc_jsonpath *jp = tmpl ? certlc_jsonpath_parse(tmpl, err) : NULL;
        free(tmpl);
        char **names = realloc(o->col_names, (o->n_cols + 1) * sizeof *names);
        if (names != NULL)
            o->col_names = names;
        certlc_jsonpath **jps =
            realloc(o->col_jp, (o->n_cols + 1) * sizeof *jps);
        if (jps != NULL)
            o->col_jp = jps;
        char *name = strdup(col);
        if (jp == NULL || names == NULL || jps == NULL || name == NULL) {
            if (jp != NULL)
                certlc_err_set(err, "out of memory");
            else
                certlc_err_prefix(err, "custom-columns %s", col);
            certlc_jsonpath_free(jp);
            free(name);
            free(copy);
            return -1;
        }
        o->col_names[o->n_cols] = name;
        o->col_jp[o->n_cols++] = jp;
    }
    free(copy);
    if (o->n_cols == 0)
        return certlc_err_set(err, "custom-columns format specified but no "
                                   "custom columns given");
    return 0;
}

static int parse_format(certlc_output *o, const char *f, certlc_err *err)
{
    static const struct {
        const char *name;
        certlc_out_kind kind;
    } plain[] = {{"wide", CERTLC_OUT_WIDE}, {"json", CERTLC_OUT_JSON},
                 {"yaml", CERTLC_OUT_YAML}, {"name", CERTLC_OUT_NAME}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(f, plain[i].name) == 0) {
            o->kind = plain[i].kind;
            return 0;
        }
    if (strncmp(f, "jsonpath=", 9) == 0 ||
        strncmp(f, "jsonpath-file=", 14) == 0) {
        bool file = f[8] == '-';
        const char *arg = f + (file ? 14 : 9);
        if (*arg == '\0')
            return certlc_err_set(err, "template format specified but no "
                                       "template given");
        char *tmpl = file ? read_file(arg, err) : strdup(arg);
        if (tmpl == NULL)
            return file ? -1 : certlc_err_set(err, "out of memory");
        certlc_jsonpath_free(o->jp);
        o->jp = certlc_jsonpath_parse(tmpl, err);
        /* kubectl quotes the template; a file's is named by its path, a
         * long one only by its start. */
        if (o->jp == NULL && file)
            certlc_err_prefix(err, "error parsing jsonpath-file %s", arg);
        else if (o->jp == NULL && strlen(tmpl) > 200)
            certlc_err_prefix(err, "error parsing jsonpath %.200s...", tmpl);
        else if (o->jp == NULL)
            certlc_err_prefix(err, "error parsing jsonpath %s", tmpl);
        free(tmpl);
        if (o->jp == NULL)
            return -1;
        o->kind = CERTLC_OUT_JSONPATH;
        return 0;
    }
    if (strncmp(f, "custom-columns=", 15) == 0) {
        o->kind = CERTLC_OUT_CUSTOM;
        return parse_custom(o, f + 15, err);
    }
    return certlc_err_set(err, "unknown output format '%s' (use wide, json, "
                               "yaml, name, jsonpath=TEMPLATE, "
                               "jsonpath-file=FILE or custom-columns=SPEC)",
                          f);
}

static int add_label_cols(certlc_output *o, const char *arg, certlc_err *err)
{
    char *copy = strdup(arg), *save = NULL;
    if (copy == NULL)
        return certlc_err_set(err, "out of memory");
    for (char *k = strtok_r(copy, ",", &save); k != NULL;
         k = strtok_r(NULL, ",", &save)) {
        char **v = realloc(o->label_cols,
                           (o->n_label_cols + 1) * sizeof *v);
        char *key = strdup(k);
        if (v == NULL || key == NULL) {
            if (v != NULL)
                o->label_cols = v;
            free(key);
            free(copy);
            return certlc_err_set(err, "out of memory");
        }
        o->label_cols = v;
        o->label_cols[o->n_label_cols++] = key;
    }
    free(copy);
    return 0;
}

int certlc_output_option(certlc_output *o, int opt, const char *arg,
                         certlc_err *err)
{
    switch (opt) {
    case 'o':
        return parse_format(o, arg, err) == 0 ? 1 : -1;
    case 'L':
        return add_label_cols(o, arg, err) == 0 ? 1 : -1;
    case CERTLC_OPT_SHOW_LABELS:
        o->show_labels = true;
        return 1;
    case CERTLC_OPT_NO_HEADERS:
        o->no_headers = true;
        return 1;
    case CERTLC_OPT_SORT_BY: {
        char *tmpl = certlc_jsonpath_relaxed(arg, err);
        if (tmpl == NULL)
            return -1;
        certlc_jsonpath_free(o->sort_by);
        free(o->sort_field);
        o->sort_field = NULL;
        o->sort_by = certlc_jsonpath_parse(tmpl, err);
        if (o->sort_by == NULL) {
            certlc_err_prefix(err, "--sort-by %s", arg);
            free(tmpl);
            return -1;
        }
        o->sort_field = tmpl;
        return 1;
    }
    case CERTLC_OPT_ALLOW_MISSING:
        if (arg == NULL || strcmp(arg, "true") == 0)
            o->allow_missing = true;
        else if (strcmp(arg, "false") == 0)
            o->allow_missing = false;
        else
            return certlc_err_set(err, "--allow-missing-template-keys: "
                                       "'%s' is not true or false", arg);
        return 1;
    default:
        return 0;
    }
}


/* ---- YAML ---- */

static bool all_digits(const char *s, const char *set)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (strchr(set, *s) == NULL)
            return false;
    return true;
}

/* Whether yaml.v2 would read the plain scalar S as something other than a
 * string (bool, null, number, timestamp), so that it must be quoted. */
static bool resolves_to_non_string(const char *s)
{
    static const char *const words[] = {
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES",
        "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
        "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN", "<<"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return true;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (strncmp(p, "0x", 2) == 0 && all_digits(p + 2, "0123456789abcdefABCDEF_"))
        return true;
    if (strncmp(p, "0b", 2) == 0 && all_digits(p + 2, "01_"))
        return true;
    if (strncmp(p, "0o", 2) == 0 && all_digits(p + 2, "01234567_"))
        return true;
    if (all_digits(p, "0123456789_"))
        return true;
    /* base 60 (1:20) */
    if (isdigit((unsigned char)*p) && all_digits(p, "0123456789_:") &&
        strchr(p, ':') != NULL)
        return true;
    /* float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    const char *q = p;
    size_t d1 = strspn(q, "0123456789");
    q += d1;
    size_t d2 = 0;
    if (*q == '.') {
        q++;
        d2 = strspn(q, "0123456789");
        q += d2;
    }
    if (d1 > 0 || d2 > 0) {
        if (*q == 'e' || *q == 'E') {
            const char *e = q + 1;
            if (*e == '+' || *e == '-')
                e++;
            size_t de = strspn(e, "0123456789");
            if (de > 0)
                q = e + de;
        }
        if (*q == '\0' && (d1 > 0 || p[0] == '.'))
            return true;
    }
    /* timestamps: 2006-01-02... */
    if (strlen(s) >= 10 && isdigit((unsigned char)s[0]) &&
        isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
        isdigit((unsigned char)s[3]) && s[4] == '-')
        return true;
    return false;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t len,
                       yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
                                      (int)len, 1, 1, style))
        return -1;
    return emit(e, &ev);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_value(yaml_emitter_t *e, json_t *v)
{
    yaml_event_t ev;
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                 YAML_BLOCK_MAPPING_STYLE) ||
            emit(e, &ev))
            return -1;
        size_t n;
        const char **keys = certlc_json_sorted_keys(v, &n);
        if (keys == NULL)
            return -1;
        for (size_t i = 0; i < n; i++) {
            json_t *key = json_string(keys[i]);
            int rc = key ? emit_value(e, key) : -1;
            json_decref(key);
            if (rc || emit_value(e, json_object_get(v, keys[i]))) {
                free(keys);
                return -1;
            }
        }
        free(keys);
        return yaml_mapping_end_event_initialize(&ev) ? emit(e, &ev) : -1;
    }
    case JSON_ARRAY:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                  YAML_BLOCK_SEQUENCE_STYLE) ||
            emit(e, &ev))
            return -1;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (emit_value(e, json_array_get(v, i)))
                return -1;
        return yaml_sequence_end_event_initialize(&ev) ? emit(e, &ev) : -1;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
        if (memchr(s, '\n', len) != NULL)
            style = YAML_LITERAL_SCALAR_STYLE;
        else if (resolves_to_non_string(s))
            style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        return emit_scalar(e, s, len, style);
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
    }
    case JSON_TRUE:
        return emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
    return -1;
}

int certlc_yaml_print(json_t *v, FILE *out, certlc_err *err)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&e))
        return certlc_err_set(err, "yaml: out of memory");
    yaml_emitter_set_output_file(&e, out);
    yaml_emitter_set_unicode(&e, 1);
    int rc = -1;
    if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
        !emit(&e, &ev) &&
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
        !emit(&e, &ev) && !emit_value(&e, v) &&
        yaml_document_end_event_initialize(&ev, 1) && !emit(&e, &ev) &&
        yaml_stream_end_event_initialize(&ev) && !emit(&e, &ev))
        rc = 0;
    if (rc != 0)
        certlc_err_set(err, "yaml: %s", e.problem ? e.problem : "error");
    yaml_emitter_delete(&e);
    return rc;
}

/* ---- objects ---- */

json_t *certlc_output_list(json_t *items)
{
    return json_pack("{s:s, s:o, s:s, s:{s:s}}", "apiVersion", "v1", "items",
                     items, "kind", "List", "metadata", "resourceVersion",
                     "");
}

int certlc_output_object(const certlc_output *o, json_t *obj, FILE *out,
                         certlc_err *err)
{
    switch (o->kind) {
    case CERTLC_OUT_YAML:
        return certlc_yaml_print(obj, out, err);
    case CERTLC_OUT_JSONPATH:
        certlc_jsonpath_allow_missing(o->jp, o->allow_missing);
        if (certlc_jsonpath_execute(o->jp, obj, out, err) != 0) {
            certlc_err_prefix(err, "error executing jsonpath");
            return -1;
        }
        return 0;
    default:
        /* kubectl's JSON: four spaces, keys sorted, a final newline. */
        if (json_dumpf(obj, out, JSON_INDENT(4) | JSON_SORT_KEYS) != 0)
            return certlc_err_set(err, "json: write failed");
        fputc('\n', out);
        return 0;
    }
}

/* ---- sorting ---- */

/* sortorder.NaturalLess: digit runs compare as numbers. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            const char *sa = a, *sb = b;
            while (*sa == '0')
                sa++;
            while (*sb == '0')
                sb++;
            const char *ea = sa, *eb = sb;
            while (isdigit((unsigned char)*ea))
                ea++;
            while (isdigit((unsigned char)*eb))
                eb++;
            if (ea - sa != eb - sb)
                return ea - sa < eb - sb ? -1 : 1;
            int c = strncmp(sa, sb, (size_t)(ea - sa));
            if (c != 0)
                return c;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int value_cmp(json_t *a, json_t *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b))
        return natural_cmp(json_string_value(a), json_string_value(b));
    char *sa = json_dumps(a, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    char *sb = json_dumps(b, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    int c = strcmp(sa ? sa : "", sb ? sb : "");
    certlc_json_free(sa);
    certlc_json_free(sb);
    return c;
}

int certlc_output_sort(const certlc_output *o, json_t *items, void **rows,
                       certlc_err *err)
{
    if (o->sort_by == NULL)
        return 0;
    size_t n = json_array_size(items);
    json_t **keys = calloc(n ? n : 1, sizeof *keys);
    if (keys == NULL)
        return certlc_err_set(err, "out of memory");
    certlc_jsonpath_allow_missing(o->sort_by, true);
    for (size_t i = 0; i < n; i++) {
        json_t *found = json_array();
        if (found == NULL ||
            certlc_jsonpath_values(o->sort_by, json_array_get(items, i),
                                   found, err) != 0) {
            json_decref(found);
            for (size_t k = 0; k < i; k++)
                json_decref(keys[k]);
            free(keys);
            certlc_err_prefix(err, "--sort-by");
            return -1;
        }
        keys[i] = json_incref(json_array_get(found, 0));
        json_decref(found);
    }
    /* As kubectl: a path that no object has is a mistake, not an order. */
    bool any = n == 0;
    for (size_t i = 0; i < n; i++)
        any |= keys[i] != NULL;
    if (!any) {
        free(keys);
        /* Go's %q of the path: its backslashes and quotes escaped. */
        char quoted[512];
        size_t q = 0;
        for (const char *c = o->sort_field ? o->sort_field : "";
             *c && q + 3 < sizeof quoted; c++) {
            if (*c == '\\' || *c == '"')
                quoted[q++] = '\\';
            quoted[q++] = *c;
        }
        quoted[q] = '\0';
        return certlc_err_set(err, "couldn't find any field with path "
                                   "\"%s\" in the list of objects",
                              quoted);
    }
    /* A stable insertion sort: lists here are short. */
    for (size_t i = 1; i < n; i++) {
        for (size_t k = i; k > 0 && value_cmp(keys[k - 1], keys[k]) > 0;
             k--) {
            json_t *t = keys[k];
            keys[k] = keys[k - 1];
            keys[k - 1] = t;
            json_t *a = json_incref(json_array_get(items, k - 1));
            json_t *b = json_incref(json_array_get(items, k));
            json_array_set_new(items, k - 1, b);
            json_array_set_new(items, k, a);
            if (rows != NULL) {
                void *r = rows[k];
                rows[k] = rows[k - 1];
                rows[k - 1] = r;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        json_decref(keys[i]);
    free(keys);
    return 0;
}

/* ---- columns ---- */

size_t certlc_output_extra_columns(const certlc_output *o)
{
    return o->n_label_cols + (o->show_labels ? 1 : 0);
}

size_t certlc_output_extra_heads(const certlc_output *o, char **cells,
                                 size_t n)
{
    for (size_t i = 0; i < o->n_label_cols; i++) {
        /* kubectl titles a label column with the key's last part. */
        const char *k = o->label_cols[i], *slash = strrchr(k, '/');
        char *h = strdup(slash ? slash + 1 : k);
        for (char *c = h; c && *c; c++)
            *c = (char)toupper((unsigned char)*c);
        cells[n++] = h;
    }
    if (o->show_labels)
        cells[n++] = strdup("LABELS");
    return n;
}

size_t certlc_output_extra_cells(const certlc_output *o, json_t *obj,
                                 char **cells, size_t n)
{
    json_t *labels = json_object_get(json_object_get(obj, "metadata"),
                                     "labels");
    for (size_t i = 0; i < o->n_label_cols; i++) {
        const char *v =
            json_string_value(json_object_get(labels, o->label_cols[i]));
        cells[n++] = strdup(v ? v : "");
    }
    if (o->show_labels) {
        size_t k = json_object_size(labels), i = 0;
        const char **keys = malloc((k ? k : 1) * sizeof *keys);
        const char *key;
        json_t *x;
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        if (keys != NULL && m != NULL) {
            json_object_foreach(labels, key, x) keys[i++] = key;
            qsort(keys, k, sizeof *keys, cmp_keys);
            for (i = 0; i < k; i++)
                fprintf(m, "%s%s=%s", i ? "," : "", keys[i],
                        json_string_value(json_object_get(labels, keys[i])));
            if (k == 0)
                fputs("<none>", m);
        }
        if (m != NULL)
            fclose(m);
        free(keys);
        cells[n++] = buf;
    }
    return n;
}

/* Go's fmt.Sprint of a decoded JSON value, as custom-columns prints. */
static void go_sprint(FILE *m, json_t *v)
{
    if (json_is_object(v)) {
        size_t k = json_object_size(v), i = 0;
        const char **keys = malloc((k ? k : 1) * sizeof *keys);
        if (keys == NULL)
            return;
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x) keys[i++] = key;
        qsort(keys, k, sizeof *keys, cmp_keys);
        fputs("map[", m);
        for (i = 0; i < k; i++) {
            fprintf(m, "%s%s:", i ? " " : "", keys[i]);
            go_sprint(m, json_object_get(v, keys[i]));
        }
        fputc(']', m);
        free(keys);
    } else if (json_is_array(v)) {
        fputc('[', m);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputc(' ', m);
            go_sprint(m, json_array_get(v, i));
        }
        fputc(']', m);
    } else if (json_is_string(v)) {
        fputs(json_string_value(v), m);
    } else if (json_is_null(v)) {
        fputs("<nil>", m);
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        if (s != NULL)
            fputs(s, m);
        certlc_json_free(s);
    }
}

static char *custom_cell(certlc_jsonpath *jp, json_t *obj, certlc_err *err)
{
    json_t *found = json_array();
    if (found == NULL || certlc_jsonpath_values(jp, obj, found, err) != 0) {
        json_decref(found);
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m != NULL) {
        if (json_array_size(found) == 0)
            fputs("<none>", m);
        for (size_t i = 0; i < json_array_size(found); i++) {
            if (i)
                fputc(',', m);
            go_sprint(m, json_array_get(found, i));
        }
        fclose(m);
    }
    json_decref(found);
    return buf;
}

int certlc_output_custom(const certlc_output *o, json_t *items, FILE *out,
                         certlc_err *err)
{
    certlc_table *t = certlc_table_new(o->n_cols);
    char **cells = calloc(o->n_cols, sizeof *cells);
    if (t == NULL || cells == NULL) {
        certlc_table_free(t);
        free(cells);
        return certlc_err_set(err, "out of memory");
    }
    int rc = 0;
    if (!o->no_headers)
        certlc_table_add(t, (const char *const *)o->col_names);
    for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
        for (size_t c = 0; c < o->n_cols; c++) {
            certlc_jsonpath_allow_missing(o->col_jp[c], true);
            cells[c] = custom_cell(o->col_jp[c], json_array_get(items, i),
                                   err);
            if (cells[c] == NULL)
                rc = -1;
        }
        if (rc == 0)
            certlc_table_add(t, (const char *const *)cells);
        for (size_t c = 0; c < o->n_cols; c++) {
            free(cells[c]);
            cells[c] = NULL;
        }
    }
    if (rc == 0)
        certlc_table_print(t, out);
    certlc_table_free(t);
    free(cells);
    return rc;
}

void certlc_output_names(json_t *items, const char *kind, FILE *out)
{
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *meta = json_object_get(json_array_get(items, i), "metadata");
        fprintf(out, "%s/%s\n", kind,
                json_string_value(json_object_get(meta, "name")));
    }
}
