/* Judging a Secret once per content.
 *
 * A full judgement of a Secret (parse, key match, chain, subject, SANs,
 * usages) costs far more than reading it. Its verdict can only change when
 * its bytes change, when the CA it was verified against changes, when what
 * shapes it (tenant spec, version, key algorithm, validity) changes, or
 * with time. So a good verdict is kept per Secret in the tenant's status
 * (certlc_validation, surviving restarts) with a digest of each of these,
 * and its notBefore/notAfter; a pass compares the digests and judges in
 * full only on a difference, or when the certificate is not valid yet or
 * due (its notAfter minus renew_before, or its CA's end). A record is
 * never trusted without comparing the digest of the bytes read. */
#ifndef CERTLC_VALIDATION_H
#define CERTLC_VALIDATION_H

#include <stdint.h>

#include "config.h"
#include "pki.h"
#include "plan.h"
#include "status.h"
#include "store.h"

const certlc_validation *certlc_validation_find(const certlc_tcp_status *st,
                                                const char *name);
/* Adds or replaces v (by name; kept sorted by name); not kept when the
 * status is full, which only costs a full judgement next time. v is
 * copied whole: it must have been zeroed before it was filled (the status
 * is compared with memcmp). */
void certlc_validation_put(certlc_tcp_status *st, const certlc_validation *v);
void certlc_validation_drop(certlc_tcp_status *st, const char *name);

/* SHA-256 (hex) over what shapes item's Secret for tenant t: the item, the
 * spec (subject, SANs, usages, validity), the key algorithm, the tenant's
 * name, namespace, version and server URL. Returns 0 or -1. */
int certlc_validation_inputs(const certlc_item *item, const certlc_tenant *t,
                             const certlc_config *cfg,
                             const certlc_cert_spec *spec, char out[65]);

/* What a pass peeked of its tenant's Secrets as it began: the stored
 * digest of every Secret with a good verdict in its status. */
typedef struct certlc_peeks {
    size_t n;
    struct certlc_peek {
        char name[256];
        char digest[65]; /* "": not there, or not peekable */
    } v[CERTLC_STATUS_MAX_VALIDATIONS];
} certlc_peeks;

/* Peeks (store.h) the Secret of every good verdict in st into *out. */
void certlc_validation_prefetch(certlc_store *store,
                                const certlc_tcp_status *st, const char *ns,
                                certlc_peeks *out);

/* The good verdict on ns/name in st when the store's bytes for it are
 * still the ones the verdict was made from (store.h peek; taken from pre
 * when it holds ns/name, NULL: none), else NULL: a store that cannot
 * peek, no record, a record without that digest, or other bytes. */
const certlc_validation *certlc_validation_unchanged(
    certlc_store *store, const certlc_tcp_status *st, const char *ns,
    const char *name, const certlc_peeks *pre);

/* SHA-256 (hex) of len bytes. Returns 0 or -1. */
int certlc_validation_digest(const void *data, size_t len, char out[65]);

/* How many Secrets were judged in full since the process started (the
 * metric certlc_certificate_parses_total). */
void certlc_validation_count_parse(void);
uint64_t certlc_validation_parses(void);

#endif
