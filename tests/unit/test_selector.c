#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

#define LC "kamaji.clastix.io/certificate_lifecycle_controller"

/* Labels from "k=v" strings, NULL-terminated. */
static certlc_kvlist labels(const char *const *kv)
{
    certlc_kvlist l = {0};
    for (; *kv != NULL; kv++) {
        const char *eq = strchr(*kv, '=');
        char key[128];
        memcpy(key, *kv, (size_t)(eq - *kv));
        key[eq - *kv] = '\0';
        assert_int_equal(certlc_kvlist_set_str(&l, key, eq + 1), 0);
    }
    return l;
}

static bool matches(const char *sel_text, const char *const *kv)
{
    certlc_err err = {{0}};
    certlc_selector *sel = certlc_selector_parse(sel_text, &err);
    if (sel == NULL)
        fail_msg("%s: %s", sel_text, err.msg);
    certlc_kvlist l = labels(kv);
    bool m = certlc_selector_match(sel, &l);
    certlc_kvlist_clear(&l);
    certlc_selector_free(sel);
    return m;
}

static const char *const x509[] = {"kamaji.clastix.io/name=t1", LC "=x509",
                                   "tier=gold", NULL};
static const char *const kubeconfig[] = {"kamaji.clastix.io/name=t2",
                                         LC "=kubeconfig", NULL};
static const char *const none[] = {NULL};

static void test_equality(void **state)
{
    (void)state;
    assert_true(matches("tier=gold", x509));
    assert_true(matches("tier==gold", x509));
    assert_false(matches("tier=silver", x509));
    assert_false(matches("tier=gold", kubeconfig));
    assert_true(matches(LC "=x509", x509));
    assert_false(matches(LC "=x509", kubeconfig));
    /* != also holds when the key is absent, as in Kubernetes. */
    assert_true(matches("tier!=silver", x509));
    assert_false(matches("tier!=gold", x509));
    assert_true(matches("tier!=gold", kubeconfig));
    /* An empty value. */
    static const char *const empty[] = {"e=", NULL};
    assert_true(matches("e=", empty));
    assert_false(matches("e=", x509));
    assert_true(matches("tier!=", x509));
    assert_false(matches("e!=", empty));
}

static void test_sets(void **state)
{
    (void)state;
    assert_true(matches(LC " in (x509,kubeconfig)", x509));
    assert_true(matches(LC " in (x509,kubeconfig)", kubeconfig));
    assert_false(matches(LC " in (x509,kubeconfig)", none));
    assert_false(matches(LC " in (kubeconfig)", x509));
    assert_true(matches(LC " notin (kubeconfig)", x509));
    assert_false(matches(LC " notin (kubeconfig, x509)", x509));
    /* notin holds when the key is absent. */
    assert_true(matches(LC " notin (x509)", none));
    /* Whitespace everywhere, and none at all. */
    assert_true(matches("  tier   in   (  silver ,  gold  )  ", x509));
    assert_true(matches("tier in(gold)", x509));
    assert_true(matches("tier notin(a,b)", x509));
    /* An empty value in a set, as kubectl allows. */
    static const char *const empty[] = {"e=", NULL};
    assert_true(matches("e in (a,)", empty));
}

static void test_exists(void **state)
{
    (void)state;
    assert_true(matches("tier", x509));
    assert_false(matches("tier", kubeconfig));
    assert_true(matches("!tier", kubeconfig));
    assert_false(matches("!tier", x509));
    assert_true(matches("! tier", kubeconfig));
    assert_true(matches(LC, x509));
    assert_false(matches("!" LC, x509));
    /* "in" and "notin" are ordinary keys where a key is expected. */
    static const char *const in[] = {"in=1", NULL};
    assert_true(matches("in", in));
    assert_true(matches("in in (1)", in));
}

static void test_combinations(void **state)
{
    (void)state;
    const char *sel = "kamaji.clastix.io/name=t1," LC " in (x509, kubeconfig),!missing";
    assert_true(matches(sel, x509));
    assert_false(matches(sel, kubeconfig));
    assert_true(matches(" tier = gold , " LC " , tier notin (a) ", x509));
    assert_false(matches("tier=gold,tier=silver", x509));
    /* Everything is selected by nothing. */
    assert_true(matches(NULL, none));
    assert_true(matches("", x509));
    assert_true(matches("   ", none));
    assert_true(certlc_selector_match(NULL, NULL));
}

static void test_binary_label_values(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    certlc_selector *sel = certlc_selector_parse("a=b", &err);
    certlc_kvlist l = {0};
    /* "b\0c" is not "b". */
    assert_int_equal(certlc_kvlist_set(&l, "a", "b\0c", 3), 0);
    assert_false(certlc_selector_match(sel, &l));
    certlc_kvlist_clear(&l);
    certlc_selector_free(sel);
}

static void expect_error(const char *text, const char *want)
{
    certlc_err err = {{0}};
    certlc_selector *sel = certlc_selector_parse(text, &err);
    if (sel != NULL || strstr(err.msg, want) == NULL)
        fail_msg("parsing '%s': wanted an error with '%s', got '%s'", text,
                 want, sel != NULL ? "(success)" : err.msg);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("a in (b", "invalid label selector \"a in (b\": missing ')' at position 6");
    expect_error("a in b", "expected '(' after 'in' at position 6");
    expect_error("a notin ()", "empty set of values after 'notin'");
    expect_error("a in (b c)", "expected ',' or ')', found 'c' at position 9");
    expect_error("a,", "expected a label key, found the end at position 3");
    expect_error(",a", "expected a label key, found ',' at position 1");
    expect_error("a,,b", "expected a label key, found ',' at position 3");
    expect_error("a b", "unknown operator \"b\"");
    expect_error("a=b c", "expected ',' or the end, found 'c'");
    expect_error("a>1", "unexpected '>'");
    expect_error("a!b", "unexpected '!'");
    expect_error("!", "expected a label key");
    expect_error("!a=b", "expected ',' or the end, found '='");
    expect_error("a=b=c", "expected ',' or the end, found '='");
    expect_error("a=b/c", "invalid value \"b/c\"");
    expect_error("a=-b", "must start and end with a letter or digit");
    expect_error("a=0123456789012345678901234567890123456789012345678901234567890123",
                 "longer than 63 characters");
    expect_error("a/b/c", "more than one '/'");
    expect_error("Upper.io/x", "prefix may contain only lower case");
    expect_error("/x", "empty prefix");
    expect_error("p/", "empty name");
    expect_error("-a", "invalid key \"-a\"");
    expect_error("a$=b", "invalid key \"a$\"");
    expect_error("a in (b,c$)", "invalid value \"c$\" (may contain only");
}

/* The canonical text: one spelling per requirement, parsed back the same. */
static void test_format(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", ""},
        {"  a == b ,c!=d", "a=b,c!=d"},
        {"env in ( prod,staging ),tier notin(front)",
         "env in (prod,staging),tier notin (front)"},
        {"k, ! j", "k,!j"},
        {"a=", "a="},
        {"k in (,)", "k in (,)"},
        {"certlc.io/tenant=a", "certlc.io/tenant=a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        certlc_err err;
        certlc_selector *sel = certlc_selector_parse(cases[i][0], &err);
        assert_non_null(sel);
        char *text = certlc_selector_format(sel);
        assert_non_null(text);
        assert_string_equal(text, cases[i][1]);
        certlc_selector *again = certlc_selector_parse(text, &err);
        assert_non_null(again);
        char *text2 = certlc_selector_format(again);
        assert_string_equal(text2, text);
        free(text2);
        free(text);
        certlc_selector_free(again);
        certlc_selector_free(sel);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_combinations),
        cmocka_unit_test(test_binary_label_values),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("selector", tests, NULL, NULL);
}
