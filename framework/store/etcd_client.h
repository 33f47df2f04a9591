/* A small client for etcd's v3 JSON gateway (libcurl, jansson),
 * shared by the etcd store, the leader election and `certlc migrate`.
 *
 * Every call is a POST of a JSON request to one endpoint; when the endpoint
 * does not answer (connection refused, timeout, 503 from a member without a
 * leader), the next endpoint is tried, and the one that answered is used
 * first from then on. Thread-safe: each call borrows a curl handle from a
 * small pool, so the keepalive of the leader lease never waits for a long
 * listing.
 */
#ifndef CERTLC_ETCD_CLIENT_H
#define CERTLC_ETCD_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

typedef struct certlc_etcd certlc_etcd;

/* Reads the password file now (it is not kept in the configuration). */
certlc_etcd *certlc_etcd_new(const certlc_etcd_config *cfg, certlc_err *err);
void certlc_etcd_free(certlc_etcd *c);

/* Default time one endpoint gets to answer, in ms: etcd itself gives up on
 * a proposal after about 7 s when it has no quorum. */
#define CERTLC_ETCD_TIMEOUT_MS 8000

/* POSTs req (not consumed) to path ("/v3/kv/range") and parses the answer
 * into *out (the caller json_decref's it). timeout_ms 0: the default.
 * *ambiguous (may be NULL) is set when an endpoint failed after the request
 * may have reached it, so that a write may have been applied although this
 * call reports an error or had to retry elsewhere. Returns 0, or -1 with a
 * message naming every endpoint tried; an answer that is an etcd error
 * (e.g. "required revision has been compacted") is -1 with that message
 * and, in *code (may be NULL), the gRPC code (11: out of range). */
int certlc_etcd_call(certlc_etcd *c, const char *path, json_t *req,
                     json_t **out, long timeout_ms, bool *ambiguous,
                     int *code, certlc_err *err);

/* A curl handle set up for this cluster's TLS and the endpoint to use for
 * a long request (the watch), plus the auth header value ("" without auth).
 * For the watch thread, which drives its own handle. idx rotates on
 * failure: pass the previous one plus one. */
void *certlc_etcd_stream_handle(certlc_etcd *c);
const char *certlc_etcd_endpoint(certlc_etcd *c, size_t idx);
size_t certlc_etcd_n_endpoints(certlc_etcd *c);
int certlc_etcd_token(certlc_etcd *c, char *buf, size_t size, certlc_err *err);
void certlc_etcd_token_invalidate(certlc_etcd *c);

/* JSON helpers: etcd's int64 fields come as strings ("42"); absent is 0. */
int64_t certlc_etcd_int(const json_t *obj, const char *key);
/* base64 of a C string, malloc'd (NULL on ENOMEM). */
char *certlc_etcd_b64(const char *s);
/* The decoded "key" or "value" of a kv object, malloc'd and NUL-terminated;
 * NULL when absent or not base64. */
char *certlc_etcd_kv_bytes(const json_t *kv, const char *field, size_t *len);
/* range_end for everything under a key prefix: the prefix with its last
 * byte plus one, base64. */
char *certlc_etcd_prefix_end_b64(const char *prefix);

#endif
