#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define S INT64_C(1)
#define M (60 * S)
#define H (60 * M)
#define D (24 * H)
#define Y (365 * D)

static void test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        {"90d", 90 * D},     {"36h", 36 * H},          {"30m", 30 * M},
        {"10s", 10 * S},     {"1h30m", H + 30 * M},    {"87600h", 87600 * H},
        {"8760h", 8760 * H}, {"24h", 24 * H},          {"1d2h3m4s", D + 2 * H + 3 * M + 4},
        {"0h5m", 5 * M},     {"1h1h", 2 * H},          {"007s", 7},
        {"9223372036854775807s", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -1;
        certlc_err err = {{0}};
        if (certlc_duration_parse(cases[i].text, &got, &err) != 0)
            fail_msg("\"%s\": %s", cases[i].text, err.msg);
        assert_int_equal(got, cases[i].want);
    }
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"5x", "invalid duration \"5x\": unknown unit 'x' (use s, m, h or d)"},
        {"", "invalid duration \"\": empty"},
        {"90", "invalid duration \"90\": missing unit"},
        {"1h30", "invalid duration \"1h30\": missing unit"},
        {"h", "invalid duration \"h\": expected a number"},
        {"-5m", "invalid duration \"-5m\": expected a number"},
        {"5ms", "invalid duration \"5ms\": expected a number"},
        {"1h 30m", "invalid duration \"1h 30m\": expected a number"},
        {"1.5h", "invalid duration \"1.5h\": fractions are not supported"},
        {"5H", "invalid duration \"5H\": unknown unit 'H'"},
        {"0s", "invalid duration \"0s\": must be greater than zero"},
        {"0h0m", "invalid duration \"0h0m\": must be greater than zero"},
        {"9223372036854775808s", "invalid duration \"9223372036854775808s\": too large"},
        {"106751991167301d", "invalid duration \"106751991167301d\": too large"},
        {"9223372036854775807s1s", "too large"},
        {"99999999999999999999999h", "too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = 42;
        certlc_err err = {{0}};
        if (certlc_duration_parse(cases[i].text, &got, &err) != -1)
            fail_msg("\"%s\" was accepted as %lld", cases[i].text, (long long)got);
        assert_int_equal(got, 42);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].text, err.msg,
                     cases[i].msg);
    }
    /* NULL err is allowed. */
    int64_t got;
    assert_int_equal(certlc_duration_parse("5x", &got, NULL), -1);
    assert_int_equal(certlc_duration_parse(NULL, &got, NULL), -1);
}

struct fmt_case {
    int64_t seconds;
    const char *want;
};

/* k8s.io/apimachinery/pkg/util/duration TestHumanDuration and
 * TestHumanDurationBoundaries, in whole seconds ("x - 1ms" is "x - 1s"). */
static const struct fmt_case age_cases[] = {
    {S, "1s"},
    {70 * S, "70s"},
    {190 * S, "3m10s"},
    {70 * M, "70m"},
    {47 * H, "47h"},
    {49 * H, "2d1h"},
    {(8 * 24 + 2) * H, "8d"},
    {367 * D, "367d"},
    {(365 * 2 * 24 + 25) * H, "2y1d"},
    {(365 * 8 * 24 + 2) * H, "8y"},
    {-2 * S, "0s"}, /* kubectl: "<invalid>"; certlc prints "0s" for every negative */
    {-1 * S, "0s"},
    {-100 * Y, "0s"},
    {INT64_MIN, "0s"},
    {0, "0s"},
    {2 * M - 1, "119s"},
    {2 * M, "2m"},
    {2 * M + 1, "2m1s"},
    {5 * M + 12, "5m12s"},
    {10 * M - 1, "9m59s"},
    {10 * M, "10m"},
    {10 * M + 1, "10m"},
    {3 * H - 1, "179m"},
    {3 * H, "3h"},
    {3 * H + M, "3h1m"},
    {3 * H + 45 * M, "3h45m"},
    {8 * H - 1, "7h59m"},
    {8 * H, "8h"},
    {8 * H + 59 * M, "8h"},
    {2 * D - 1, "47h"},
    {2 * D, "2d"},
    {2 * D + H, "2d1h"},
    {2 * D + 5 * H, "2d5h"},
    {8 * D - 1, "7d23h"},
    {8 * D, "8d"},
    {8 * D + 23 * H, "8d"},
    {400 * D, "400d"},
    {2 * Y - 1, "729d"},
    {2 * Y, "2y"},
    {2 * Y + 23 * H, "2y"},
    {2 * Y + 23 * H + 59 * M, "2y"},
    {2 * Y + D - 1, "2y"},
    {2 * Y + D, "2y1d"},
    {3 * Y, "3y"},
    {4 * Y, "4y"},
    {5 * Y, "5y"},
    {6 * Y, "6y"},
    {7 * Y, "7y"},
    {8 * Y - 1, "7y364d"},
    {8 * Y, "8y"},
    {8 * Y + 364 * D, "8y"},
    {9 * Y, "9y"},
    {INT64_MAX, "292471208677y"},
};

/* TestShortHumanDurationBoundaries, as kubeadm's RESIDUAL TIME. */
static const struct fmt_case residual_cases[] = {
    {-2 * S, "<invalid>"},
    {-10 * D, "<invalid>"},
    {INT64_MIN, "<invalid>"},
    {-1 * S, "0s"},
    {0, "0s"},
    {S, "1s"},
    {M - 1, "59s"},
    {M, "1m"},
    {2 * M - 1, "1m"},
    {H - 1, "59m"},
    {H, "1h"},
    {2 * H - 1, "1h"},
    {D - 1, "23h"},
    {D, "1d"},
    {2 * D - 1, "1d"},
    {Y - 1, "364d"},
    {Y, "1y"},
    {2 * Y - 1, "1y"},
    {2 * Y, "2y"},
    {10 * Y - D, "9y"},
    {INT64_MAX, "292471208677y"},
};

static void check_table(void (*fmt)(int64_t, char *, size_t), const struct fmt_case *cases,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char buf[32];
        memset(buf, 'X', sizeof buf);
        fmt(cases[i].seconds, buf, sizeof buf);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%lld s: got \"%s\", want \"%s\"", (long long)cases[i].seconds, buf,
                     cases[i].want);
    }
}

static void test_age(void **state)
{
    (void)state;
    check_table(certlc_duration_age, age_cases, sizeof age_cases / sizeof age_cases[0]);
}

static void test_residual(void **state)
{
    (void)state;
    check_table(certlc_duration_residual, residual_cases,
                sizeof residual_cases / sizeof residual_cases[0]);
}

static void test_small_buffers(void **state)
{
    (void)state;
    char buf[4];
    certlc_duration_age(3 * H + 45 * M, buf, sizeof buf);
    assert_string_equal(buf, "3h4");
    certlc_duration_residual(-5, buf, sizeof buf);
    assert_string_equal(buf, "<in");
    buf[0] = 'Z';
    certlc_duration_age(5, buf, 0);
    certlc_duration_residual(5, buf, 0);
    assert_int_equal(buf[0], 'Z');
    certlc_duration_age(5, NULL, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_small_buffers),
    };
    return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
