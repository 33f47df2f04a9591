/* Field-by-field equality of two Secrets, for the round-trip checks of
 * fuzz_secret.c and fuzz_apply.c. */
#ifndef CERTLC_FUZZ_SECRET_CHECK_H
#define CERTLC_FUZZ_SECRET_CHECK_H

#include <inttypes.h>

#include "fuzz.h"
#include "secret.h"

static inline void fuzz_check_kvlist(const certlc_kvlist *a,
                                     const certlc_kvlist *b, const char *what)
{
    FUZZ_CHECK(a->n == b->n, "%s: %zu entries, then %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const certlc_kv *x = &a->items[i], *y = &b->items[i];
        FUZZ_CHECK(strcmp(x->key, y->key) == 0, "%s: key \"%s\", then \"%s\"",
                   what, x->key, y->key);
        FUZZ_CHECK(x->len == y->len && memcmp(x->value, y->value, x->len) == 0,
                   "%s.%s: value changed (%zu bytes, then %zu)", what, x->key,
                   x->len, y->len);
    }
}

/* Aborts at the first field that differs. */
static inline void fuzz_check_secret(const certlc_secret *a,
                                     const certlc_secret *b)
{
    FUZZ_CHECK(strcmp(a->namespace, b->namespace) == 0,
               "namespace \"%s\", then \"%s\"", a->namespace, b->namespace);
    FUZZ_CHECK(strcmp(a->name, b->name) == 0, "name \"%s\", then \"%s\"",
               a->name, b->name);
    FUZZ_CHECK(strcmp(a->type, b->type) == 0, "type \"%s\", then \"%s\"",
               a->type, b->type);
    FUZZ_CHECK(a->resource_version == b->resource_version,
               "resourceVersion %" PRIu64 ", then %" PRIu64,
               a->resource_version, b->resource_version);
    FUZZ_CHECK(a->creation_timestamp == b->creation_timestamp,
               "creationTimestamp %" PRId64 ", then %" PRId64,
               a->creation_timestamp, b->creation_timestamp);
    fuzz_check_kvlist(&a->labels, &b->labels, "metadata.labels");
    fuzz_check_kvlist(&a->annotations, &b->annotations, "metadata.annotations");
    fuzz_check_kvlist(&a->data, &b->data, "data");
}

/* decode -> encode -> decode gives the same Secret, and encoding that
 * gives the same bytes. Takes s (a Secret some parser accepted). */
static inline void fuzz_secret_round_trip(const certlc_secret *s)
{
    certlc_err err;
    size_t len = 0, len2 = 0;
    char *json = certlc_secret_to_json(s, &len, &err);
    FUZZ_CHECK(json != NULL, "an accepted Secret does not serialise: %s",
               err.msg);
    certlc_secret *s2 = certlc_secret_from_json(json, len, &err);
    FUZZ_CHECK(s2 != NULL, "its own JSON does not parse: %s: %s", err.msg,
               json);
    fuzz_check_secret(s, s2);
    char *json2 = certlc_secret_to_json(s2, &len2, &err);
    FUZZ_CHECK(json2 != NULL && len2 == len && memcmp(json, json2, len) == 0,
               "serialising again gives other bytes: %s", json);
    certlc_secret_json_free(json2, len2);
    certlc_secret_json_free(json, len);
    certlc_secret_free(s2);
}

#endif
