/* kubectl's JSONPath (k8s.io/client-go/util/jsonpath), for -o jsonpath,
 * -o custom-columns and --sort-by: the same grammar ({.a.b}, escaped dots,
 * [n], [*], [start:end:step], [a,b], ['key'], .., [?(@.k=="v")],
 * {range ...}{end}, quoted text) and the same printing (strings raw, maps
 * and lists as compact JSON with sorted keys, the results of one action
 * separated by spaces), so that scripts written for kubectl read the same
 * bytes from certlc. */
#ifndef CERTLC_JSONPATH_H
#define CERTLC_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"

typedef struct certlc_jsonpath certlc_jsonpath;

/* An object's keys in byte order (kubectl walks and prints maps sorted):
 * a malloc'd array of n borrowed strings, or NULL when out of memory. */
const char **certlc_json_sorted_keys(json_t *obj, size_t *n);

/* {range} actions open at once (before their {end}) that a template may
 * have: evaluating each takes a level of recursion. */
#define CERTLC_JSONPATH_MAX_RANGES 64

/* Parses TEMPLATE; on a syntax error returns NULL with a message naming
 * the byte position in the template (1-based). More than
 * CERTLC_JSONPATH_MAX_RANGES ranges open at once is such an error. */
certlc_jsonpath *certlc_jsonpath_parse(const char *tmpl, certlc_err *err);
void certlc_jsonpath_free(certlc_jsonpath *jp);

/* A missing field prints nothing when allowed (kubectl's default,
 * --allow-missing-template-keys=true); otherwise it is an error. */
void certlc_jsonpath_allow_missing(certlc_jsonpath *jp, bool allow);

/* Evaluates the template on DATA and writes the text to OUT. Returns 0, or
 * -1 with the evaluation error (what kubectl reports). A template may be
 * executed more than once. */
int certlc_jsonpath_execute(certlc_jsonpath *jp, json_t *data, FILE *out,
                            certlc_err *err);

/* The same, into a malloc'd string (for table cells). */
char *certlc_jsonpath_text(certlc_jsonpath *jp, json_t *data,
                           certlc_err *err);

/* The values the template's first action finds (borrowed references,
 * appended to the array RESULTS as new references), for --sort-by. */
int certlc_jsonpath_values(certlc_jsonpath *jp, json_t *data,
                           json_t *results, certlc_err *err);

/* kubectl's relaxed form for custom-columns and --sort-by: ".a.b", "a.b"
 * and "{.a.b}" all mean {.a.b}. Returns a malloc'd template or NULL with a
 * message when the braces do not pair up. */
char *certlc_jsonpath_relaxed(const char *expr, certlc_err *err);

#endif
