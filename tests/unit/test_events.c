/* Events: the bounded list, merging of repeats, the JSON document, and the
 * round trip through the file store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

static certlc_event ev(const char *secret, const char *reason,
                       const char *msg, int64_t t)
{
    certlc_event e;
    memset(&e, 0, sizeof e);
    e.first = e.last = t;
    snprintf(e.type, sizeof e.type, "Normal");
    snprintf(e.reason, sizeof e.reason, "%s", reason);
    snprintf(e.ns, sizeof e.ns, "default");
    snprintf(e.tenant, sizeof e.tenant, "alpha");
    snprintf(e.secret, sizeof e.secret, "%s", secret);
    snprintf(e.message, sizeof e.message, "%s", msg);
    return e;
}

static void test_bounded_and_merged(void **state)
{
    (void)state;
    certlc_event_list l = {0};
    for (int i = 0; i < 250; i++) {
        char name[32];
        snprintf(name, sizeof name, "s%d", i);
        certlc_event e = ev(name, CERTLC_EV_ROTATED, "x", 1000 + i);
        assert_int_equal(certlc_event_list_add(&l, &e, CERTLC_EVENTS_KEEP), 0);
    }
    assert_int_equal(l.n, CERTLC_EVENTS_KEEP);
    assert_string_equal(l.items[0].secret, "s50"); /* the oldest went */
    assert_string_equal(l.items[l.n - 1].secret, "s249");
    /* A failure retried: one event, counted. */
    certlc_event f = ev("s249", CERTLC_EV_FAILED, "boom", 2000);
    certlc_event_list_add(&l, &f, CERTLC_EVENTS_KEEP);
    f.first = f.last = 2010;
    certlc_event_list_add(&l, &f, CERTLC_EVENTS_KEEP);
    assert_int_equal(l.n, CERTLC_EVENTS_KEEP);
    assert_string_equal(l.items[l.n - 1].reason, CERTLC_EV_FAILED);
    assert_int_equal(l.items[l.n - 1].count, 2);
    assert_int_equal(l.items[l.n - 1].first, 2000);
    assert_int_equal(l.items[l.n - 1].last, 2010);
    certlc_event_list_free(&l);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    certlc_event_list l = {0};
    certlc_event e = ev("alpha-ca", CERTLC_EV_CA_ROTATED,
                        "quote \" backslash \\ newline \n", 1796043477);
    snprintf(e.cause, sizeof e.cause, "deleted");
    snprintf(e.old_serial, sizeof e.old_serial, "0A1B");
    snprintf(e.new_serial, sizeof e.new_serial, "FF00");
    e.old_not_after = 2111403478;
    e.new_not_after = 2111403500;
    certlc_event_list_add(&l, &e, 10);
    certlc_err err;
    char *json = certlc_events_to_json(&l, &err);
    assert_non_null(json);
    certlc_event_list back;
    assert_int_equal(certlc_events_from_json(json, &back, &err), 0);
    free(json);
    assert_int_equal(back.n, 1);
    assert_memory_equal(&back.items[0], &l.items[0], sizeof e);
    certlc_event_list_free(&back);
    certlc_event_list_free(&l);
    assert_int_equal(certlc_events_from_json("{}", &back, &err), -1);
    assert_int_equal(certlc_events_from_json("nope", &back, &err), -1);
}

static void test_store(void **state)
{
    (void)state;
    char dir[] = "/tmp/certlc-events-XXXXXX";
    assert_non_null(mkdtemp(dir));
    certlc_err err;
    certlc_store *st = certlc_store_file_open(dir, &err);
    assert_non_null(st);
    certlc_event_list l;
    assert_int_equal(certlc_events_load(st, "default", "alpha", &l, &err), 0);
    assert_int_equal(l.n, 0);
    certlc_event e[2] = {ev("alpha-ca", CERTLC_EV_CA_ROTATED, "a", 10),
                         ev("", CERTLC_EV_ROLLED_OUT, "b", 11)};
    assert_int_equal(certlc_events_record(st, "default", "alpha", e, 2, &err),
                     0);
    assert_int_equal(certlc_events_record(st, "default", "alpha", e + 1, 1,
                                          &err),
                     0); /* a repeat: merged */
    assert_int_equal(certlc_events_load(st, "default", "alpha", &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.items[1].count, 2);
    certlc_event_list_free(&l);
    /* The tenant's own status is another document. */
    char *json;
    assert_int_equal(certlc_store_status_get(st, "default", "alpha", &json,
                                             &err),
                     CERTLC_NOTFOUND);
    assert_int_equal(certlc_store_ping(st, &err), 0);
    certlc_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Readiness: the state directory moved away or replaced by a file. */
static void test_ping(void **state)
{
    (void)state;
    char dir[] = "/tmp/certlc-ping-XXXXXX";
    assert_non_null(mkdtemp(dir));
    certlc_err err;
    certlc_store *st = certlc_store_file_open(dir, &err);
    assert_non_null(st);
    assert_int_equal(certlc_store_ping(st, &err), 0);
    char away[64];
    snprintf(away, sizeof away, "%s.away", dir);
    assert_int_equal(rename(dir, away), 0);
    assert_int_equal(certlc_store_ping(st, &err), -1);
    assert_non_null(strstr(err.msg, dir));
    FILE *f = fopen(dir, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(certlc_store_ping(st, &err), -1);
    assert_non_null(strstr(err.msg, "replaced"));
    unlink(dir);
    assert_int_equal(rename(away, dir), 0);
    assert_int_equal(certlc_store_ping(st, &err), 0);
    certlc_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_and_merged),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_ping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
