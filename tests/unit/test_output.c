/* get's output options: the YAML printer (kubectl's quoting, key order and
 * layout) and the option parser's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "wipe_alloc.h"

static char *yaml_of(const char *json)
{
    json_t *v = json_loads(json, 0, NULL);
    assert_non_null(v);
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    certlc_err err;
    if (certlc_yaml_print(v, m, &err) != 0)
        fail_msg("%s", err.msg);
    fclose(m);
    json_decref(v);
    return buf;
}

static void test_yaml(void **state)
{
    (void)state;
    static const struct {
        const char *json, *want;
    } cases[] = {
        /* keys sorted, lists not indented under their key */
        {"{\"b\":1,\"a\":[\"x\",{\"d\":true,\"c\":null}]}",
         "a:\n- x\n- c: null\n  d: true\nb: 1\n"},
        /* strings YAML would read as something else are quoted */
        {"{\"k\":\"true\"}", "k: \"true\"\n"},
        {"{\"k\":\"yes\"}", "k: \"yes\"\n"},
        {"{\"k\":\"123\"}", "k: \"123\"\n"},
        {"{\"k\":\"1.5\"}", "k: \"1.5\"\n"},
        {"{\"k\":\"\"}", "k: \"\"\n"},
        {"{\"k\":\"2026-12-03T09:32:11Z\"}", "k: \"2026-12-03T09:32:11Z\"\n"},
        {"{\"k\":\"0x1F\"}", "k: \"0x1F\"\n"},
        /* others plain, or as the emitter must */
        {"{\"k\":\"v1.26.0\"}", "k: v1.26.0\n"},
        {"{\"k\":\"a: b\"}", "k: 'a: b'\n"},
        {"{\"k\":\"l1\\nl2\\n\"}", "k: |\n  l1\n  l2\n"},
        {"{\"k\":{},\"l\":[]}", "k: {}\nl: []\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = yaml_of(cases[i].json);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].json, got,
                     cases[i].want);
        free(got);
    }
}

static void test_option_errors(void **state)
{
    (void)state;
    static const struct {
        int opt;
        const char *arg, *want;
    } cases[] = {
        {'o', "xml", "unknown output format 'xml'"},
        {'o', "jsonpath={.a[}", "error parsing jsonpath {.a[}: unterminated array at position 6"},
        {'o', "jsonpath-file=/nonexistent/t", "jsonpath-file /nonexistent/t: "},
        {'o', "jsonpath-file=/", "jsonpath-file /: Is a directory"},
        {'o', "custom-columns=NAME", "custom-columns: column 'NAME' is not NAME:JSONPATH"},
        {'o', "custom-columns=", "custom-columns format specified but no custom columns given"},
        {CERTLC_OPT_SORT_BY, "{.a}{.b}", "unexpected path string '{.a}{.b}'"},
        {CERTLC_OPT_ALLOW_MISSING, "maybe", "--allow-missing-template-keys: 'maybe' is not true or false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        certlc_output o;
        certlc_output_init(&o);
        certlc_err err = {{0}};
        int rc = certlc_output_option(&o, cases[i].opt, cases[i].arg, &err);
        certlc_output_fini(&o);
        if (rc != -1)
            fail_msg("%s accepted", cases[i].arg);
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("%s: got \"%s\", want \"%s...\"", cases[i].arg, err.msg,
                     cases[i].want);
    }
}

/* --sort-by with a path that no object has: kubectl's error; one that
 * some objects lack sorts those first. */
static void test_sort_missing(void **state)
{
    (void)state;
    certlc_output o;
    certlc_output_init(&o);
    certlc_err err = {{0}};
    assert_int_equal(certlc_output_option(&o, CERTLC_OPT_SORT_BY, ".nope",
                                          &err), 1);
    json_t *items = json_loads("[{\"a\":2},{\"a\":1}]", 0, NULL);
    assert_int_equal(certlc_output_sort(&o, items, NULL, &err), -1);
    assert_string_equal(err.msg, "couldn't find any field with path "
                                 "\"{.nope}\" in the list of objects");
    assert_int_equal(certlc_output_option(&o, CERTLC_OPT_SORT_BY,
                                          ".metadata.labels.a\\.b", &err),
                     1);
    assert_int_equal(certlc_output_sort(&o, items, NULL, &err), -1);
    assert_string_equal(err.msg, "couldn't find any field with path "
                                 "\"{.metadata.labels.a\\\\.b}\" in the list "
                                 "of objects");
    json_t *none = json_array();
    assert_int_equal(certlc_output_sort(&o, none, NULL, &err), 0);
    json_decref(none);
    assert_int_equal(certlc_output_option(&o, CERTLC_OPT_SORT_BY, "a", &err),
                     1);
    json_array_append_new(items, json_object());
    assert_int_equal(certlc_output_sort(&o, items, NULL, &err), 0);
    char *s = json_dumps(items, JSON_COMPACT);
    assert_string_equal(s, "[{},{\"a\":1},{\"a\":2}]");
    certlc_json_free(s);
    json_decref(items);
    certlc_output_fini(&o);
}

static void test_options(void **state)
{
    (void)state;
    certlc_output o;
    certlc_output_init(&o);
    certlc_err err;
    assert_int_equal(certlc_output_option(&o, 'o', "yaml", &err), 1);
    assert_int_equal(o.kind, CERTLC_OUT_YAML);
    assert_int_equal(certlc_output_option(&o, 'L', "a/b,c", &err), 1);
    assert_int_equal(o.n_label_cols, 2);
    assert_int_equal(certlc_output_option(&o, 'n', "x", &err), 0);
    assert_int_equal(certlc_output_option(&o, 'o', "custom-columns=N:.metadata.name,T:{.type}", &err), 1);
    assert_int_equal(o.n_cols, 2);
    char *heads[4];
    size_t n = certlc_output_extra_heads(&o, heads, 0);
    assert_int_equal(n, 2);
    assert_string_equal(heads[0], "B");
    assert_string_equal(heads[1], "C");
    for (size_t i = 0; i < n; i++)
        free(heads[i]);
    certlc_output_fini(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_sort_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
