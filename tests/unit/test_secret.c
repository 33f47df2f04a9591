#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

static certlc_secret *parse(const char *json, certlc_err *err)
{
    return certlc_secret_from_json(json, strlen(json), err);
}

/* Parsing must fail with a message that contains `want`. */
static void expect_error(const char *json, const char *want)
{
    certlc_err err = {{0}};
    certlc_secret *s = parse(json, &err);
    if (s != NULL || strstr(err.msg, want) == NULL)
        fail_msg("parsing %s: wanted an error with \"%s\", got \"%s\"", json,
                 want, s != NULL ? "(success)" : err.msg);
    certlc_secret_free(s);
}

static void test_kvlist_sorted_unique(void **state)
{
    (void)state;
    certlc_kvlist l = {0};
    const char *keys[] = {"m", "b", "z", "a", "q", "b", "a"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(certlc_kvlist_set_str(&l, keys[i], keys[i]), 0);
    assert_int_equal(l.n, 5);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);

    assert_int_equal(certlc_kvlist_set_str(&l, "b", "second"), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(certlc_kvlist_str(&l, "b"), "second");
    assert_int_equal(certlc_kvlist_get(&l, "b")->len, 6);
    assert_null(certlc_kvlist_get(&l, "c"));
    assert_null(certlc_kvlist_str(&l, "c"));

    assert_int_equal(certlc_kvlist_del(&l, "m"), 0);
    assert_int_equal(certlc_kvlist_del(&l, "m"), CERTLC_NOTFOUND);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.items[0].key, "a");
    assert_string_equal(l.items[3].key, "z");

    /* Binary values keep their length and get a NUL after them. */
    const unsigned char bin[] = {0, 1, 0, 255};
    assert_int_equal(certlc_kvlist_set(&l, "bin", bin, sizeof bin), 0);
    const certlc_kv *kv = certlc_kvlist_get(&l, "bin");
    assert_int_equal(kv->len, 4);
    assert_memory_equal(kv->value, bin, 4);
    assert_int_equal(kv->value[4], 0);
    /* An empty value. */
    assert_int_equal(certlc_kvlist_set(&l, "empty", NULL, 0), 0);
    assert_string_equal(certlc_kvlist_str(&l, "empty"), "");

    certlc_kvlist_clear(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    assert_null(certlc_kvlist_get(&l, "a"));
    assert_int_equal(certlc_kvlist_del(&l, "a"), CERTLC_NOTFOUND);
    certlc_kvlist_clear(&l);
}

static certlc_secret *sample(void)
{
    certlc_secret *s = certlc_secret_new("tenants", "t1-ca", CERTLC_TYPE_TLS);
    assert_non_null(s);
    unsigned char key[300];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 31);
    key[0] = key[17] = key[299] = 0;
    assert_int_equal(certlc_kvlist_set(&s->data, "tls.key", key, sizeof key), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->data, "tls.crt", "-----BEGIN"), 0);
    assert_int_equal(certlc_kvlist_set(&s->data, "empty", "", 0), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->labels, "kamaji.clastix.io/name", "t1"), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->labels,
                                           "kamaji.clastix.io/certificate_lifecycle_controller",
                                           "x509"), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->annotations, "note",
                                           "a \"quoted\" \xc3\xa9 value"), 0);
    s->resource_version = 1234567890123ULL;
    s->creation_timestamp = 1796040000; /* 2026-11-30T12:00:00Z */
    return s;
}

static void assert_same(const certlc_secret *a, const certlc_secret *b)
{
    assert_string_equal(a->namespace, b->namespace);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->type, b->type);
    assert_int_equal(a->resource_version, b->resource_version);
    assert_int_equal(a->creation_timestamp, b->creation_timestamp);
    const certlc_kvlist *la[] = {&a->labels, &a->annotations, &a->data};
    const certlc_kvlist *lb[] = {&b->labels, &b->annotations, &b->data};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(la[k]->n, lb[k]->n);
        for (size_t i = 0; i < la[k]->n; i++) {
            assert_string_equal(la[k]->items[i].key, lb[k]->items[i].key);
            assert_int_equal(la[k]->items[i].len, lb[k]->items[i].len);
            assert_memory_equal(la[k]->items[i].value, lb[k]->items[i].value,
                                la[k]->items[i].len + 1);
        }
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    certlc_secret *s = sample();
    certlc_err err = {{0}};
    size_t len;
    char *json = certlc_secret_to_json(s, &len, &err);
    assert_non_null(json);
    assert_int_equal(len, strlen(json));
    /* Compact, keys sorted, rv a string, time in RFC 3339 UTC. */
    assert_non_null(strstr(json, "{\"apiVersion\":\"v1\",\"data\":{"));
    assert_non_null(strstr(json, "\"kind\":\"Secret\",\"metadata\":{\"annotations\":"));
    assert_non_null(strstr(json, "\"creationTimestamp\":\"2026-11-30T12:00:00Z\""));
    assert_non_null(strstr(json, "\"resourceVersion\":\"1234567890123\""));
    assert_non_null(strstr(json, "\"tls.crt\":\"LS0tLS1CRUdJTg==\""));
    assert_non_null(strstr(json, "\"empty\":\"\""));
    assert_non_null(strstr(json, "\"type\":\"kubernetes.io/tls\"}"));
    assert_null(strchr(json, '\n'));
    assert_null(strstr(json, ": "));

    certlc_secret *back = certlc_secret_from_json(json, len, &err);
    assert_non_null(back);
    assert_same(s, back);

    /* Serialising again gives the same bytes: deterministic. */
    size_t len2;
    char *json2 = certlc_secret_to_json(back, &len2, &err);
    assert_int_equal(len, len2);
    assert_memory_equal(json, json2, len);

    certlc_secret_json_free(json, len);
    certlc_secret_json_free(json2, len2);
    certlc_secret_free(back);
    certlc_secret_free(s);
}

/* The writer's bytes are jansson's compact, key-sorted dump of the same
 * document (certlc writes plain Secrets without building a tree), and
 * they read back to the same Secret. */
static void same_as_jansson(const certlc_secret *s)
{
    certlc_err err = {{0}};
    size_t len;
    char *json = certlc_secret_to_json(s, &len, &err);
    if (json == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(len, strlen(json));
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        fail_msg("%s: %s", json, jerr.text);
    char *canon = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(canon);
    if (strcmp(canon, json) != 0)
        fail_msg("written:\n%s\njansson:\n%s", json, canon);
    free(canon);
    json_decref(root);
    certlc_secret *back = certlc_secret_from_json(json, len, &err);
    assert_non_null(back);
    assert_same(s, back);
    certlc_secret_free(back);
    certlc_secret_json_free(json, len);
}

static void test_writer_as_jansson(void **state)
{
    (void)state;
    /* Not plain: the annotation has quotes and a non-ASCII letter. */
    certlc_secret *s = sample();
    same_as_jansson(s);
    /* Plain, then with each part left out or added in turn. */
    assert_int_equal(certlc_kvlist_set_str(&s->annotations, "note", "plain"), 0);
    assert_int_equal(certlc_kvlist_set_str(&s->annotations,
                                           "certlc.io/rotated-at",
                                           "2026-12-03T10:00:00Z"), 0);
    same_as_jansson(s);
    s->resource_version = 0;
    same_as_jansson(s);
    s->creation_timestamp = 0;
    same_as_jansson(s);
    certlc_kvlist_clear(&s->labels);
    same_as_jansson(s);
    certlc_kvlist_clear(&s->annotations);
    same_as_jansson(s);
    unsigned char all[256];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)i;
    for (size_t n = 0; n <= sizeof all; n += 1 + n / 3) {
        assert_int_equal(certlc_kvlist_set(&s->data, "a-key_1.pem", all, n), 0);
        same_as_jansson(s);
    }
    certlc_kvlist_clear(&s->data);
    same_as_jansson(s);
    certlc_secret *bare = certlc_secret_new("ns", "n", NULL);
    same_as_jansson(bare);
    certlc_secret_free(bare);
    /* Each kind of character that is not plain, in each place. */
    const char *odd[] = {"a\"b", "a\\b", "tab\there", "nl\n", "\x01", "\x1f",
                         "del\x7f", "caf\xc3\xa9", "\xe2\x80\xa8", "/slash/"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        certlc_secret *t = sample();
        assert_int_equal(certlc_kvlist_set_str(&t->labels, "l", odd[i]), 0);
        same_as_jansson(t);
        assert_int_equal(certlc_kvlist_set_str(&t->annotations, odd[i], "v"), 0);
        same_as_jansson(t);
        assert_int_equal(certlc_kvlist_set_str(&t->data, odd[i], "v"), 0);
        same_as_jansson(t);
        free(t->type);
        t->type = strdup(odd[i]);
        same_as_jansson(t);
        certlc_secret_free(t);
    }
    /* A time no RFC 3339 year holds is refused on either path. */
    certlc_err err = {{0}};
    s->creation_timestamp = INT64_MAX / 2;
    assert_null(certlc_secret_to_json(s, NULL, &err));
    assert_non_null(strstr(err.msg, "metadata.creationTimestamp"));
    certlc_secret_free(s);
}

static void test_omits_empty(void **state)
{
    (void)state;
    certlc_secret *s = certlc_secret_new("ns", "n", NULL);
    assert_non_null(s);
    certlc_err err = {{0}};
    size_t len;
    char *json = certlc_secret_to_json(s, &len, &err);
    assert_non_null(json);
    assert_string_equal(json,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
                        "{\"name\":\"n\",\"namespace\":\"ns\"},\"type\":\"Opaque\"}");
    certlc_secret_json_free(json, len);
    certlc_secret_free(s);
}

static void test_dup(void **state)
{
    (void)state;
    certlc_secret *s = sample();
    certlc_secret *d = certlc_secret_dup(s);
    assert_non_null(d);
    assert_same(s, d);
    /* Independent copies. */
    assert_ptr_not_equal(d->data.items[0].value, s->data.items[0].value);
    assert_int_equal(certlc_kvlist_set_str(&d->labels, "x", "y"), 0);
    assert_null(certlc_kvlist_get(&s->labels, "x"));
    certlc_secret_free(d);
    certlc_secret_free(s);

    s = certlc_secret_new(NULL, "bare", NULL);
    d = certlc_secret_dup(s);
    assert_string_equal(d->namespace, "default");
    assert_string_equal(d->type, CERTLC_TYPE_OPAQUE);
    assert_int_equal(d->data.n, 0);
    certlc_secret_free(d);
    certlc_secret_free(s);
    certlc_secret_free(NULL);
    assert_null(certlc_secret_dup(NULL));
}

static void test_defaults_and_string_data(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    certlc_secret *s = parse("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":null},"
                             "\"data\":{\"a\":\"YWFh\",\"b\":\"YmJi\"},"
                             "\"stringData\":{\"b\":\"plain\",\"c\":\"see\"}}",
                             &err);
    assert_non_null(s);
    assert_string_equal(s->namespace, "default");
    assert_string_equal(s->type, "Opaque");
    assert_int_equal(s->resource_version, 0);
    assert_int_equal(s->creation_timestamp, 0);
    assert_int_equal(s->data.n, 3);
    assert_string_equal(certlc_kvlist_str(&s->data, "a"), "aaa");
    assert_string_equal(certlc_kvlist_str(&s->data, "b"), "plain");
    assert_string_equal(certlc_kvlist_str(&s->data, "c"), "see");
    certlc_secret_free(s);

    /* Time zones other than Z, fractions of a second. */
    s = parse("{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\","
              "\"namespace\":\"n\",\"resourceVersion\":\"42\","
              "\"creationTimestamp\":\"2026-11-30T13:30:00.5+01:30\"},\"type\":\"t\"}",
              &err);
    assert_non_null(s);
    assert_int_equal(s->creation_timestamp, 1796040000);
    assert_int_equal(s->resource_version, 42);
    assert_string_equal(s->namespace, "n");
    assert_string_equal(s->type, "t");
    certlc_secret_free(s);
}

/* creationTimestamp round-trips for every year RFC 3339 can write, and a
 * time that cannot be written back is refused on read. */
static void test_timestamp_years(void **state)
{
    (void)state;
    const char *years[] = {"0001-01-01T00:00:00Z", "0999-12-31T23:59:59Z",
                           "0099-03-04T05:06:07Z", "1000-01-01T00:00:00Z",
                           "2026-12-03T09:00:00Z", "9999-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"%s\"}}",
                 years[i]);
        certlc_err err = {{0}};
        certlc_secret *s = parse(json, &err);
        if (s == NULL)
            fail_msg("%s: %s", years[i], err.msg);
        size_t len;
        char *out = certlc_secret_to_json(s, &len, &err);
        assert_non_null(out);
        char want[64];
        snprintf(want, sizeof want, "\"creationTimestamp\":\"%s\"", years[i]);
        if (strstr(out, want) == NULL)
            fail_msg("%s did not round-trip: %s", years[i], out);
        certlc_secret *back = parse(out, &err);
        assert_non_null(back);
        certlc_secret_free(back);
        free(out);
        certlc_secret_free(s);
    }
    /* Three digits of year, or an offset that leaves 0000-9999. */
    expect_error("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"999-12-31T23:59:59Z\"}}",
                 "metadata.creationTimestamp: not an RFC 3339 time");
    expect_error("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"0000-01-01T00:00:00+01:00\"}}",
                 "metadata.creationTimestamp: not an RFC 3339 time");
    expect_error("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"9999-12-31T23:59:59-01:00\"}}",
                 "metadata.creationTimestamp: not an RFC 3339 time");
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    expect_error("", "not valid JSON");
    expect_error("{\"metadata\":", "not valid JSON");
    expect_error("[1]", "not a JSON object");
    expect_error("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}",
                 "kind: expected \"Secret\", found \"ConfigMap\"");
    expect_error("{\"apiVersion\":\"v2\",\"metadata\":{\"name\":\"x\"}}",
                 "apiVersion: expected \"v1\"");
    expect_error("{\"kind\":1,\"metadata\":{\"name\":\"x\"}}", "kind: not a string");
    expect_error("{}", "metadata: missing");
    expect_error("{\"metadata\":[]}", "metadata: not an object");
    expect_error("{\"metadata\":{}}", "metadata.name: missing");
    expect_error("{\"metadata\":{\"name\":7}}", "metadata.name: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\",\"namespace\":true}}",
                 "metadata.namespace: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\",\"labels\":{\"foo\":1}}}",
                 "metadata.labels.foo: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\",\"labels\":\"a=b\"}}",
                 "metadata.labels: not an object");
    expect_error("{\"metadata\":{\"name\":\"x\",\"annotations\":{\"bar\":null}}}",
                 "metadata.annotations.bar: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"12a\"}}",
                 "metadata.resourceVersion: not a number");
    expect_error("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":[]}}",
                 "metadata.resourceVersion: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"2026-02-30T00:00:00Z\"}}",
                 "metadata.creationTimestamp: not an RFC 3339 time");
    expect_error("{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"yesterday\"}}",
                 "metadata.creationTimestamp: not an RFC 3339 time");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"type\":5}", "type: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"data\":{\"tls.crt\":\"!!!\"}}",
                 "data.tls.crt: not valid base64");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"data\":{\"tls.key\":3}}",
                 "data.tls.key: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"data\":[]}", "data: not an object");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"stringData\":{\"k\":false}}",
                 "stringData.k: not a string");
    expect_error("{\"metadata\":{\"name\":\"x\"},\"data\":{\"a\":\"\",\"a\":\"\"}}",
                 "duplicate");
}

static void test_to_json_errors(void **state)
{
    (void)state;
    certlc_secret *s = certlc_secret_new("ns", "n", NULL);
    certlc_err err = {{0}};
    assert_int_equal(certlc_kvlist_set(&s->labels, "bad", "a\0b", 3), 0);
    assert_null(certlc_secret_to_json(s, NULL, &err));
    assert_non_null(strstr(err.msg, "metadata.labels.bad"));
    certlc_kvlist_clear(&s->labels);
    assert_int_equal(certlc_kvlist_set_str(&s->annotations, "latin1", "caf\xe9"), 0);
    assert_null(certlc_secret_to_json(s, NULL, &err));
    assert_non_null(strstr(err.msg, "metadata.annotations.latin1: value is not valid UTF-8"));
    certlc_secret_free(s);
}

static void test_list_sort(void **state)
{
    (void)state;
    certlc_secret_list l = {0};
    const char *names[][2] = {{"b", "x"}, {"a", "z"}, {"b", "a"}, {"a", "b"}};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(certlc_secret_list_push(&l, certlc_secret_new(names[i][0], names[i][1], NULL)), 0);
    /* Enough to make the list grow. */
    for (int i = 0; i < 40; i++)
        assert_int_equal(certlc_secret_list_push(&l, certlc_secret_new("c", "c", NULL)), 0);
    certlc_secret_list_sort(&l);
    assert_string_equal(l.items[0]->namespace, "a");
    assert_string_equal(l.items[0]->name, "b");
    assert_string_equal(l.items[1]->name, "z");
    assert_string_equal(l.items[2]->namespace, "b");
    assert_string_equal(l.items[2]->name, "a");
    assert_string_equal(l.items[3]->name, "x");
    assert_int_equal(l.n, 44);
    certlc_secret_list_free(&l);
    assert_int_equal(l.n, 0);
    assert_int_equal(certlc_secret_list_push(&l, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvlist_sorted_unique),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_as_jansson),
        cmocka_unit_test(test_omits_empty),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_defaults_and_string_data),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_timestamp_years),
        cmocka_unit_test(test_to_json_errors),
        cmocka_unit_test(test_list_sort),
    };
    return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
