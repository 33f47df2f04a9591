/* The Secret: the unit of storage, shaped like a Kubernetes v1 Secret.
 *
 * Serialised as the Kubernetes JSON object (apiVersion v1, kind Secret,
 * metadata.{name,namespace,labels,annotations,resourceVersion,
 * creationTimestamp}, type, data with base64 values) so that any file the
 * store writes reads as a Secret to anyone who knows Kubernetes.
 */
#ifndef CERTLC_SECRET_H
#define CERTLC_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CERTLC_TYPE_OPAQUE "Opaque"
#define CERTLC_TYPE_TLS "kubernetes.io/tls"

/* One entry of labels, annotations or data. `value` is always followed by a
 * NUL byte (not counted in `len`), so text values can be used as C strings. */
typedef struct certlc_kv {
    char *key;
    unsigned char *value;
    size_t len;
} certlc_kv;

/* An ordered list of entries with unique keys (kept sorted by key, so that
 * serialisation and checksums are deterministic). */
typedef struct certlc_kvlist {
    certlc_kv *items;
    size_t n, cap;
} certlc_kvlist;

typedef struct certlc_secret {
    char *namespace;
    char *name;
    char *type;
    certlc_kvlist labels;
    certlc_kvlist annotations;
    certlc_kvlist data; /* values may hold private keys: cleansed on free */
    uint64_t resource_version;  /* 0: never stored */
    int64_t creation_timestamp; /* Unix seconds; 0: never stored */
    /* SHA-256 (hex) of the bytes the store holds for it, as read or
     * written (the envelope when encrypted); "": the store does not say.
     * Equal digests are equal Secrets, so a pass that finds the digest it
     * judged before need not decode the Secret (store.h peek). Not copied
     * by certlc_secret_dup: a copy may be changed. */
    char stored_digest[65];
} certlc_secret;

/* Copies value (len bytes); replaces an existing key. Returns 0 or -1 (ENOMEM). */
int certlc_kvlist_set(certlc_kvlist *l, const char *key, const void *value,
                      size_t len);
int certlc_kvlist_set_str(certlc_kvlist *l, const char *key, const char *value);
const certlc_kv *certlc_kvlist_get(const certlc_kvlist *l, const char *key);
/* The data key a Secret must have, or NULL with "data key 'KEY' is
 * missing" in err. */
const certlc_kv *certlc_secret_need(const certlc_secret *s, const char *key,
                                    certlc_err *err);
/* The value as a C string, or NULL when absent. */
const char *certlc_kvlist_str(const certlc_kvlist *l, const char *key);
/* Returns 0 when removed, CERTLC_NOTFOUND when absent. */
int certlc_kvlist_del(certlc_kvlist *l, const char *key);
/* Frees every entry, cleansing the values first. */
void certlc_kvlist_clear(certlc_kvlist *l);

certlc_secret *certlc_secret_new(const char *ns, const char *name,
                                 const char *type);
certlc_secret *certlc_secret_dup(const certlc_secret *s);
void certlc_secret_free(certlc_secret *s);

/* The Kubernetes JSON (compact, keys sorted). Caller frees with
 * certlc_secret_json_free (it holds key material). NULL on error. */
char *certlc_secret_to_json(const certlc_secret *s, size_t *len,
                            certlc_err *err);
void certlc_secret_json_free(char *json, size_t len);

/* Parses the Kubernetes JSON; also accepts `stringData` (plain values), as
 * kubectl does. Errors say which field was wrong. */
certlc_secret *certlc_secret_from_json(const char *json, size_t len,
                                       certlc_err *err);

/* A growable list of Secrets, owned. */
typedef struct certlc_secret_list {
    certlc_secret **items;
    size_t n, cap;
} certlc_secret_list;

/* Takes ownership of s. Returns 0 or -1. */
int certlc_secret_list_push(certlc_secret_list *l, certlc_secret *s);
void certlc_secret_list_free(certlc_secret_list *l);
/* Sorts by namespace, then name. */
void certlc_secret_list_sort(certlc_secret_list *l);

#endif
