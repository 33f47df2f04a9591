/* kubectl's output options for `get`: -o json|yaml|name|wide|jsonpath=...|
 * jsonpath-file=...|custom-columns=..., --show-labels, -L, --no-headers,
 * --sort-by and --allow-missing-template-keys. Each `get` turns its objects
 * into JSON (the shape kubectl prints) and hands them here. */
#ifndef CERTLC_OUTPUT_H
#define CERTLC_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "jsonpath.h"
#include "table.h"

typedef enum {
    CERTLC_OUT_TABLE,
    CERTLC_OUT_WIDE,
    CERTLC_OUT_JSON,
    CERTLC_OUT_YAML,
    CERTLC_OUT_NAME,
    CERTLC_OUT_JSONPATH,
    CERTLC_OUT_CUSTOM,
} certlc_out_kind;

typedef struct certlc_output {
    certlc_out_kind kind;
    certlc_jsonpath *jp;      /* JSONPATH */
    char **col_names;         /* CUSTOM */
    certlc_jsonpath **col_jp; /* CUSTOM */
    size_t n_cols;
    bool show_labels;
    bool no_headers;
    char **label_cols; /* -L KEY,... */
    size_t n_label_cols;
    certlc_jsonpath *sort_by;
    char *sort_field; /* its template, {.a.b}, for messages */
    bool allow_missing;
} certlc_output;

/* getopt_long entries for the options above, with these values; a command
 * adds them to its own table and hands each to certlc_output_option. */
#define CERTLC_OPT_SHOW_LABELS 0x1001
#define CERTLC_OPT_NO_HEADERS 0x1002
#define CERTLC_OPT_SORT_BY 0x1003
#define CERTLC_OPT_ALLOW_MISSING 0x1004
#define CERTLC_OUTPUT_LONGOPTS                                              \
    {"output", required_argument, NULL, 'o'},                               \
    {"show-labels", no_argument, NULL, CERTLC_OPT_SHOW_LABELS},             \
    {"label-columns", required_argument, NULL, 'L'},                        \
    {"no-headers", no_argument, NULL, CERTLC_OPT_NO_HEADERS},               \
    {"sort-by", required_argument, NULL, CERTLC_OPT_SORT_BY},               \
    {"allow-missing-template-keys", optional_argument, NULL,                \
     CERTLC_OPT_ALLOW_MISSING}

/* The usage lines of those options, for --help. */
extern const char certlc_output_usage[];

void certlc_output_init(certlc_output *o);
void certlc_output_fini(certlc_output *o);

/* Takes one option (opt as getopt_long returned it, arg its argument).
 * Returns 1 when the option was one of these, 0 when not, -1 with a
 * message on a bad value (a template that does not parse names the
 * position). The -o value is checked against every format; a command
 * refuses afterwards those it does not offer. */
int certlc_output_option(certlc_output *o, int opt, const char *arg,
                         certlc_err *err);

/* Prints OBJ (one object, or a List) as -o json, yaml or jsonpath would.
 * Returns 0 or -1 with the evaluation error (jsonpath). */
int certlc_output_object(const certlc_output *o, json_t *obj, FILE *out,
                         certlc_err *err);

/* kubectl's YAML for a JSON value: keys sorted, block style, strings that
 * would read back as another type quoted (sigs.k8s.io/yaml's output). */
int certlc_yaml_print(json_t *v, FILE *out, certlc_err *err);

/* A List of ITEMS as kubectl prints several objects (takes ITEMS). */
json_t *certlc_output_list(json_t *items);

/* Sorts the items of ITEMS (a JSON array, with ROWS alongside when not
 * NULL: one pointer per item, moved the same way) by --sort-by, as
 * kubectl does: numbers numerically, strings in byte order, missing
 * values first. Returns 0 or -1 with a message. */
int certlc_output_sort(const certlc_output *o, json_t *items, void **rows,
                       certlc_err *err);

/* The extra columns of a table: the values of the -L labels, then LABELS
 * (k=v,k2=v2 or <none>) with --show-labels. HEAD adds their titles
 * instead (upper-cased label keys' last part, as kubectl). Appends to
 * CELLS (room for certlc_output_extra_columns() more) and returns the new
 * count. Strings are malloc'd; free them with certlc_output_free_cells. */
size_t certlc_output_extra_columns(const certlc_output *o);
size_t certlc_output_extra_cells(const certlc_output *o, json_t *obj,
                                 char **cells, size_t n);
size_t certlc_output_extra_heads(const certlc_output *o, char **cells,
                                 size_t n);

/* Prints -o custom-columns for the objects of ITEMS. */
int certlc_output_custom(const certlc_output *o, json_t *items, FILE *out,
                         certlc_err *err);

/* `-o name`: KIND/NAME per object. */
void certlc_output_names(json_t *items, const char *kind, FILE *out);

#endif
