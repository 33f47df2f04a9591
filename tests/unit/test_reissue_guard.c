/* The reissue loop guard: counts per key within an hour, then a fresh
 * window; and the cause labels events and metrics switch on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "reconcile.h"
#include "reissue_guard.h"

static int reset(void **state)
{
    (void)state;
    certlc_reissue_guard_reset();
    return 0;
}

static void test_counts_per_key(void **state)
{
    (void)state;
    int64_t t = 1700000000;
    assert_int_equal(certlc_reissue_guard_note("ns/a/ca/01", t), 1);
    assert_int_equal(certlc_reissue_guard_note("ns/a/ca/01", t + 1), 2);
    assert_int_equal(certlc_reissue_guard_note("ns/a/ca/01", t + 2), 3);
    /* Another reason, another Secret, another CA: counted apart. */
    assert_int_equal(certlc_reissue_guard_note("ns/a/spec/01", t + 3), 1);
    assert_int_equal(certlc_reissue_guard_note("ns/b/ca/01", t + 3), 1);
    assert_int_equal(certlc_reissue_guard_note("ns/a/ca/02", t + 3), 1);
    assert_int_equal(certlc_reissue_guard_note("ns/a/ca/01", t + 3599), 4);
}

static void test_window_ends(void **state)
{
    (void)state;
    int64_t t = 1700000000;
    for (int i = 1; i <= 50; i++)
        assert_int_equal(certlc_reissue_guard_note("k", t + i), i);
    /* An hour after the first: a fresh count. */
    assert_int_equal(certlc_reissue_guard_note("k", t + 1 + 3600), 1);
    /* The clock stepping back does not keep a count forever. */
    assert_int_equal(certlc_reissue_guard_note("k", t - 86400), 1);
}

/* Every cause has a label, and the ones the metrics always had keep
 * theirs. */
static void test_cause_labels(void **state)
{
    (void)state;
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_MISSING), "deleted");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_EXPIRING), "expiring");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_CA), "ca");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_SPEC), "spec");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_MANUAL), "manual");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_CA_EXPIRED),
                        "ca-expired");
    assert_string_equal(certlc_cause_label(CERTLC_CAUSE_AWAITING), "awaiting");
    for (int c = CERTLC_CAUSE_MISSING; c <= CERTLC_CAUSE_REFUSED; c++)
        assert_true(strlen(certlc_cause_label((certlc_cause)c)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counts_per_key, reset),
        cmocka_unit_test_setup(test_window_ends, reset),
        cmocka_unit_test(test_cause_labels),
    };
    return cmocka_run_group_tests_name("reissue_guard", tests, NULL, reset);
}
