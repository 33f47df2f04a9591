/* kubectl's JSONPath: the parser's errors (each naming the position), and
 * evaluation cases whose kubectl output is known (the byte-for-byte
 * comparison with kubectl itself is tests/integration/test_kubectl_output.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl;
        const char *want; /* the whole message */
    } cases[] = {
        {"{.a", "unclosed action at position 4"},
        {"{.a\n}", "unclosed action at position 5"},
        {"{.items[", "unterminated array at position 9"},
        {"{.items[0}", "unterminated array at position 11"},
        {"{.items[x]}", "invalid array index x at position 11"},
        {"{.items[1:2:3:4]}", "invalid array index 1:2:3:4 at position 17"},
        {"{.items[-]}", "array index - is not a number at position 11"},
        {"{.items[?(@.a==\"b\"]}", "unterminated filter at position 21"},
        {"{.items[?(@.a==\"b\")}", "unclosed array expect ] at position 21"},
        {"{\"abc}", "unterminated quoted string at position 7"},
        {"{\"a\\qb\"}", "unquote string \"a\\qb\" error invalid syntax at position 8"},
        {"{....a}", "invalid multiple recursive descent at position 4"},
        {"{.a,.b}", "unrecognized character in action: ',' at position 4"},
        {"{#}", "unrecognized character in action: '#' at position 2"},
        {"{.items[0,x]}", "invalid array index x at position 12"},
        {"{1.2.3}", "cannot parse number 1.2.3 at position 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        certlc_err err = {{0}};
        certlc_jsonpath *jp = certlc_jsonpath_parse(cases[i].tmpl, &err);
        if (jp != NULL)
            fail_msg("\"%s\" parsed", cases[i].tmpl);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].tmpl,
                     err.msg, cases[i].want);
    }
}

static const char doc[] =
    "{\"kind\":\"List\",\"items\":["
    "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x.y/z\":\"1\"}},\"n\":1},"
    "{\"metadata\":{\"name\":\"b\"},\"n\":2},"
    "{\"metadata\":{\"name\":\"c\"},\"n\":3,\"s\":\"<&>\"}]}";

static char *eval(const char *tmpl, bool allow_missing, certlc_err *err)
{
    json_t *d = json_loads(doc, 0, NULL);
    assert_non_null(d);
    certlc_jsonpath *jp = certlc_jsonpath_parse(tmpl, err);
    if (jp == NULL)
        fail_msg("\"%s\": %s", tmpl, err->msg);
    certlc_jsonpath_allow_missing(jp, allow_missing);
    char *out = certlc_jsonpath_text(jp, d, err);
    certlc_jsonpath_free(jp);
    json_decref(d);
    return out;
}

static void test_evaluate(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *want;
    } cases[] = {
        {"{.kind}", "List"},
        {"{.items[*].metadata.name}", "a b c"},
        {"{.items[-1].metadata.name}", "c"},
        {"{.items[0:2].metadata.name}", "a b"},
        {"{.items[::2].metadata.name}", "a c"},
        {"{.items[0,2].n}", "1 3"},
        {"{.items[0].metadata.labels.x\\.y/z}", "1"},
        {"{range .items[*]}{.metadata.name}:{.n};{end}", "a:1;b:2;c:3;"},
        {"{range .items[?(@.n>1)]}{.metadata.name}{end}!", "bc!"},
        {"{.items[?(@.metadata.name==\"b\")].n}", "2"},
        {"{.items[?(@.n==2)].n}", "2"},
        {"{.items[?(@.s)].metadata.name}", "c"},
        {"{..name}", "a b c"},
        {"{.items[0].metadata}", "{\"labels\":{\"x.y/z\":\"1\"},\"name\":\"a\"}"},
        {"{.items[2]}", "{\"metadata\":{\"name\":\"c\"},\"n\":3,\"s\":\"\\u003c\\u0026\\u003e\"}"},
        {"{.items[2].s}", "<&>"},
        {"{.nope}x", "x"},
        {"{\"\\t\"}{'\\u00e9'}", "\t\xc3\xa9"},
        {"{range .items[?(@.n>9)]}{.x}{end}after", "after"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        certlc_err err = {{0}};
        char *got = eval(cases[i].tmpl, true, &err);
        if (got == NULL)
            fail_msg("\"%s\": %s", cases[i].tmpl, err.msg);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].tmpl, got,
                     cases[i].want);
        free(got);
    }
}

static void test_evaluation_errors(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    assert_null(eval("{.nope}", false, &err));
    assert_string_equal(err.msg, "nope is not found");
    assert_null(eval("{.items[5]}", true, &err));
    assert_string_equal(err.msg, "array index out of bounds: index 5, length 3");
    assert_null(eval("{.kind[0]}", true, &err));
    assert_string_equal(err.msg, "string is not array or slice");
    assert_null(eval("{end}", true, &err));
    assert_string_equal(err.msg, "not in range, nothing to end");
    assert_null(eval("{.items[?(@.n>1.5)]}", true, &err));
    assert_string_equal(err.msg, "incompatible types for comparison");
    assert_null(eval("{foo}", true, &err));
    assert_string_equal(err.msg, "unrecognized identifier foo");
}

/* Indexes at the ends of long: errors, not signed overflow (UBSan). */
static void test_huge_indexes(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    assert_null(eval("{.items[9223372036854775807]}", true, &err));
    assert_string_equal(err.msg, "array index out of bounds: index "
                                 "9223372036854775807, length 3");
    assert_null(eval("{.items[-9223372036854775808]}", true, &err));
    assert_non_null(strstr(err.msg, "array index out of bounds"));
    char *got = eval("{.items[0:3:9223372036854775807].metadata.name}", true,
                     &err);
    assert_non_null(got);
    assert_string_equal(got, "a");
    free(got);
    got = eval("{.items[1::9223372036854775807].metadata.name}", true, &err);
    assert_non_null(got);
    assert_string_equal(got, "b");
    free(got);
}

/* COUNT copies of PIECE, then TAIL (malloc'd). */
static char *repeat(const char *piece, size_t count, const char *tail)
{
    size_t l = strlen(piece), t = strlen(tail);
    char *s = malloc(l * count + t + 1);
    assert_non_null(s);
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * l, piece, l);
    memcpy(s + l * count, tail, t + 1);
    return s;
}

/* A long template parses in constant stack (the parser loops over its
 * actions and tokens); one of 100000 actions used to overflow the stack. */
static void test_long_template(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    char *tmpl = repeat("{.kind}", 100000, "");
    char *got = eval(tmpl, true, &err);
    assert_non_null(got);
    assert_int_equal(strlen(got), 4 * 100000);
    assert_memory_equal(got + 4 * 99999, "List", 4);
    free(got);
    free(tmpl);
    /* Ranges one after the other are not nested. */
    tmpl = repeat("{range .items[*]}{.n}{end}", 1000, "");
    got = eval(tmpl, true, &err);
    assert_non_null(got);
    assert_int_equal(strlen(got), 3 * 1000);
    free(got);
    free(tmpl);
}

/* Nested {range}: up to CERTLC_JSONPATH_MAX_RANGES open at once; one more
 * is a parse error naming the position of the {range} too many. */
static void test_range_depth(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    char *ends = repeat("{end}", CERTLC_JSONPATH_MAX_RANGES, "");
    char *tmpl = repeat("{range .kind}", CERTLC_JSONPATH_MAX_RANGES, ends);
    char *got = eval(tmpl, true, &err);
    assert_non_null(got);
    free(got);
    free(tmpl);
    free(ends);
    char want[128];
    snprintf(want, sizeof want,
             "more than %d {range} open at once at position %d",
             CERTLC_JSONPATH_MAX_RANGES,
             CERTLC_JSONPATH_MAX_RANGES * 13 + 1);
    size_t counts[] = {CERTLC_JSONPATH_MAX_RANGES + 1, 100000};
    for (size_t i = 0; i < 2; i++) {
        tmpl = repeat("{range .kind}", counts[i], "x{end}");
        assert_null(certlc_jsonpath_parse(tmpl, &err));
        assert_string_equal(err.msg, want);
        free(tmpl);
    }
}

static void test_relaxed(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    const char *in[] = {".metadata.name", "metadata.name", "{.metadata.name}",
                        "{metadata.name}"};
    for (size_t i = 0; i < 4; i++) {
        char *t = certlc_jsonpath_relaxed(in[i], &err);
        assert_non_null(t);
        assert_string_equal(t, "{.metadata.name}");
        free(t);
    }
    assert_null(certlc_jsonpath_relaxed("{.a}{.b}", &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_evaluation_errors),
        cmocka_unit_test(test_huge_indexes),
        cmocka_unit_test(test_long_template),
        cmocka_unit_test(test_range_depth),
        cmocka_unit_test(test_relaxed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
