/* Log lines: the text form as before, and JSON one object a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define T0 1796043477123LL /* 2026-11-30T12:57:57.123Z */

static void test_text(void **state)
{
    (void)state;
    char buf[512];
    certlc_log_format_line(buf, sizeof buf, CERTLC_LOG_TEXT, T0,
                           CERTLC_LOG_INFO, "engine", "default", "alpha",
                           "alpha-ca", "secret \"alpha-ca\" created");
    assert_string_equal(buf, "2026-11-30T12:57:57.123Z info  engine: "
                             "default/alpha: secret \"alpha-ca\" created");
    certlc_log_format_line(buf, sizeof buf, CERTLC_LOG_TEXT, T0,
                           CERTLC_LOG_ERROR, "store", NULL, NULL, NULL, "x");
    assert_string_equal(buf, "2026-11-30T12:57:57.123Z error store: x");
}

static json_t *parse(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", e.text, line);
    return j;
}

static void test_json(void **state)
{
    (void)state;
    char buf[512];
    certlc_log_format_line(buf, sizeof buf, CERTLC_LOG_JSON, T0,
                           CERTLC_LOG_WARN, "engine", "default", "alpha",
                           "alpha-ca", "a \"quote\", a \\, a\ttab\nand \x01");
    assert_null(strchr(buf, '\n'));
    json_t *j = parse(buf);
    assert_string_equal(json_string_value(json_object_get(j, "time")),
                        "2026-11-30T12:57:57.123Z");
    assert_string_equal(json_string_value(json_object_get(j, "level")),
                        "warn");
    assert_string_equal(json_string_value(json_object_get(j, "component")),
                        "engine");
    assert_string_equal(json_string_value(json_object_get(j, "tenant")),
                        "alpha");
    assert_string_equal(json_string_value(json_object_get(j, "namespace")),
                        "default");
    assert_string_equal(json_string_value(json_object_get(j, "secret")),
                        "alpha-ca");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "a \"quote\", a \\, a\ttab\nand \x01");
    json_decref(j);
    /* An older caller's "ns/tenant: " prefix fills the fields. */
    certlc_log_format_line(buf, sizeof buf, CERTLC_LOG_JSON, T0,
                           CERTLC_LOG_INFO, "engine", NULL, NULL, NULL,
                           "default/beta: ready (1 created, 0 reissued)");
    j = parse(buf);
    assert_string_equal(json_string_value(json_object_get(j, "tenant")),
                        "beta");
    assert_string_equal(json_string_value(json_object_get(j, "namespace")),
                        "default");
    assert_true(json_is_null(json_object_get(j, "secret")));
    json_decref(j);
    certlc_log_format_line(buf, sizeof buf, CERTLC_LOG_JSON, T0,
                           CERTLC_LOG_INFO, "engine", NULL, NULL, NULL,
                           "/etc/x: nope");
    j = parse(buf);
    assert_true(json_is_null(json_object_get(j, "tenant")));
    json_decref(j);
}

static void test_parse(void **state)
{
    (void)state;
    enum certlc_log_format f;
    assert_int_equal(certlc_log_format_parse("json", &f), 0);
    assert_int_equal(f, CERTLC_LOG_JSON);
    assert_int_equal(certlc_log_format_parse("TEXT", &f), 0);
    assert_int_equal(f, CERTLC_LOG_TEXT);
    assert_int_equal(certlc_log_format_parse("yaml", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
