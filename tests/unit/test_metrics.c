/* The metrics registry and its Prometheus text exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char *render(certlc_metrics *m)
{
    size_t len;
    char *text = certlc_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_escaping(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(false);
    const char *labels[] = {"secret", NULL};
    certlc_metric *f = certlc_metrics_add_family(
        m, "t_value", "help with \\ and\nnewline", CERTLC_METRIC_GAUGE,
        labels, NULL, 0);
    assert_non_null(f);
    const char *v[] = {"a\"b\\c\nd"};
    assert_int_equal(certlc_metric_set(f, v, 1.5), 0);
    char *text = render(m);
    assert_string_equal(text,
                        "# HELP t_value help with \\\\ and\\nnewline\n"
                        "# TYPE t_value gauge\n"
                        "t_value{secret=\"a\\\"b\\\\c\\nd\"} 1.5\n");
    free(text);
    certlc_metrics_free(m);
}

static void test_values_and_order(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(false);
    const char *labels[] = {"ns", "name", NULL};
    certlc_metric *f = certlc_metrics_add_family(
        m, "t_total", "a counter", CERTLC_METRIC_COUNTER, labels, NULL, 0);
    const char *b[] = {"default", "beta"}, *a[] = {"default", "alpha"};
    certlc_metric_add(f, b, 1);
    certlc_metric_add(f, a, 2);
    certlc_metric_add(f, b, 1);
    certlc_metrics_add_family(m, "t_plain", "no labels", CERTLC_METRIC_GAUGE,
                              NULL, NULL, 0);
    char *text = render(m);
    assert_string_equal(text, "# HELP t_total a counter\n"
                              "# TYPE t_total counter\n"
                              "t_total{ns=\"default\",name=\"alpha\"} 2\n"
                              "t_total{ns=\"default\",name=\"beta\"} 2\n"
                              "# HELP t_plain no labels\n"
                              "# TYPE t_plain gauge\n"
                              "t_plain 0\n");
    free(text);
    double got;
    assert_int_equal(certlc_metric_get(f, a, &got), 0);
    assert_true(got == 2);
    const char *match[] = {NULL, "alpha"};
    assert_int_equal(certlc_metric_remove(f, match), 1);
    assert_int_equal(certlc_metric_get(f, a, &got), -1);
    assert_int_equal(certlc_metric_get(f, b, &got), 0);
    /* A timestamp prints as an integer, a fraction reads back exactly. */
    certlc_metric *g = certlc_metrics_add_family(
        m, "t_ts", "x", CERTLC_METRIC_GAUGE, NULL, NULL, 0);
    certlc_metric_set(g, NULL, 1796043477);
    text = render(m);
    assert_non_null(strstr(text, "\nt_ts 1796043477\n"));
    free(text);
    certlc_metric_set(g, NULL, 0.1);
    text = render(m);
    assert_non_null(strstr(text, "\nt_ts 0.1\n"));
    free(text);
    certlc_metrics_free(m);
}

static void test_histogram(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(false);
    const double buckets[] = {0.1, 1};
    certlc_metric *h = certlc_metrics_add_family(
        m, "t_seconds", "h", CERTLC_METRIC_HISTOGRAM, NULL, buckets, 2);
    assert_non_null(h);
    certlc_metric_observe(h, NULL, 0.05);
    certlc_metric_observe(h, NULL, 0.1); /* le is inclusive */
    certlc_metric_observe(h, NULL, 5);
    assert_int_equal(certlc_metric_set(h, NULL, 1), -1);
    char *text = render(m);
    assert_string_equal(text, "# HELP t_seconds h\n"
                              "# TYPE t_seconds histogram\n"
                              "t_seconds_bucket{le=\"0.1\"} 2\n"
                              "t_seconds_bucket{le=\"1\"} 2\n"
                              "t_seconds_bucket{le=\"+Inf\"} 3\n"
                              "t_seconds_sum 5.15\n"
                              "t_seconds_count 3\n");
    free(text);
    certlc_metrics_free(m);
}

static void test_bad_names(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(false);
    const char *bad[] = {"le", NULL}, *reserved[] = {"__x", NULL},
               *dash[] = {"a-b", NULL};
    assert_null(certlc_metrics_add_family(m, "1x", "", CERTLC_METRIC_GAUGE,
                                          NULL, NULL, 0));
    assert_null(certlc_metrics_add_family(m, "a-b", "", CERTLC_METRIC_GAUGE,
                                          NULL, NULL, 0));
    assert_null(certlc_metrics_add_family(m, "h", "", CERTLC_METRIC_HISTOGRAM,
                                          bad, NULL, 0));
    assert_null(certlc_metrics_add_family(m, "g", "", CERTLC_METRIC_GAUGE,
                                          reserved, NULL, 0));
    assert_null(certlc_metrics_add_family(m, "g", "", CERTLC_METRIC_GAUGE,
                                          dash, NULL, 0));
    assert_non_null(certlc_metrics_add_family(m, "g", "", CERTLC_METRIC_GAUGE,
                                              NULL, NULL, 0));
    assert_null(certlc_metrics_add_family(m, "g", "", CERTLC_METRIC_GAUGE,
                                          NULL, NULL, 0)); /* duplicate */
    certlc_metrics_free(m);
}

/* Many series: the index keeps finding them after growth and removal. */
static void test_many(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(true);
    const char *labels[] = {"tcp", "secret", NULL};
    certlc_metric *f = certlc_metrics_add_family(
        m, "t_many", "x", CERTLC_METRIC_GAUGE, labels, NULL, 0);
    char tcp[32], sec[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(tcp, sizeof tcp, "t%d", i % 300);
        snprintf(sec, sizeof sec, "s%d", i);
        const char *v[] = {tcp, sec};
        assert_int_equal(certlc_metric_set(f, v, i), 0);
    }
    const char *match[] = {"t7", NULL};
    assert_int_equal(certlc_metric_remove(f, match), 10);
    for (int i = 0; i < 3000; i++) {
        snprintf(tcp, sizeof tcp, "t%d", i % 300);
        snprintf(sec, sizeof sec, "s%d", i);
        const char *v[] = {tcp, sec};
        double got;
        int rc = certlc_metric_get(f, v, &got);
        if (i % 300 == 7) {
            assert_int_equal(rc, -1);
        } else {
            assert_int_equal(rc, 0);
            assert_true(got == i);
        }
    }
    char *text = render(m);
    assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total counter"));
    assert_non_null(strstr(text, "\nprocess_open_fds "));
    free(text);
    certlc_metrics_free(m);
}

/* A scrape while the engine updates: no torn state, no crash (run under
 * the sanitizers). */
static void *scraper(void *arg)
{
    for (int i = 0; i < 200; i++)
        free(certlc_metrics_render(arg, NULL));
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(true);
    const char *labels[] = {"secret", NULL};
    certlc_metric *f = certlc_metrics_add_family(
        m, "t_race", "x", CERTLC_METRIC_GAUGE, labels, NULL, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scraper, m), 0);
    char sec[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(sec, sizeof sec, "s%d", i % 50);
        const char *v[] = {sec};
        certlc_metrics_lock(m);
        certlc_metric_set(f, v, i);
        if (i % 100 == 0)
            certlc_metric_remove(f, v);
        certlc_metrics_unlock(m);
    }
    pthread_join(th, NULL);
    certlc_metrics_free(m);
}

/* A collected family: what collect emits at render time, escaped as any
 * series, and nothing kept in the registry (set, add and get refuse). */
static int collected_calls;

static void collect_two(void *arg, certlc_metric_emit emit, void *ctx)
{
    const char *prefix = arg;
    collected_calls++;
    const char *a[] = {prefix, "x\"y"};
    emit(ctx, a, 1700000000);
    const char *b[] = {prefix, "z"};
    emit(ctx, b, 0.5);
}

static void test_collected(void **state)
{
    (void)state;
    certlc_metrics *m = certlc_metrics_new(false);
    const char *labels[] = {"ns", "secret", NULL};
    assert_null(certlc_metrics_add_collected(m, "t_hist", "h",
                                             CERTLC_METRIC_HISTOGRAM, labels,
                                             collect_two, "ns1"));
    certlc_metric *f = certlc_metrics_add_collected(
        m, "t_expiry", "collected", CERTLC_METRIC_GAUGE, labels, collect_two,
        "ns1");
    assert_non_null(f);
    const char *v[] = {"ns1", "kept"};
    assert_int_equal(certlc_metric_set(f, v, 3), -1);
    double got;
    assert_int_equal(certlc_metric_get(f, v, &got), -1);
    certlc_metric *plain = certlc_metrics_add_collected(
        m, "t_plain", "no labels", CERTLC_METRIC_COUNTER, NULL, collect_two,
        "unused");
    assert_non_null(plain);
    assert_int_equal(certlc_metric_get(plain, NULL, &got), -1);
    collected_calls = 0;
    char *text = render(m);
    assert_int_equal(collected_calls, 2);
    const char *want =
        "# HELP t_expiry collected\n"
        "# TYPE t_expiry gauge\n"
        "t_expiry{ns=\"ns1\",secret=\"x\\\"y\"} 1700000000\n"
        "t_expiry{ns=\"ns1\",secret=\"z\"} 0.5\n";
    assert_memory_equal(text, want, strlen(want));
    free(text);
    certlc_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_values_and_order),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_collected),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
