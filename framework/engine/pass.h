/* The pass context: what one pass over one tenant control plane holds.
 *
 * A pass (reconcile.h) works on one tenant at one instant. Everything it
 * reads and decides is kept here and handed to each step (the plan's
 * Secrets, the datastore step, the external deliveries, the rollout):
 *  - the store, the configuration, the tenant and `now`;
 *  - the DataStore registry of the runtime the pass runs in (ds_registry.h),
 *    through which the datastore step reaches the tenant's driver;
 *  - the tenant's status, loaded once when the pass begins and saved once
 *    when it ends (only when it changed, so that a pass with nothing to do
 *    writes nothing); a step changes it in memory;
 *  - the event sink: every Secret that was not left unchanged is counted
 *    into the result and told to the caller's callback, and the first
 *    failure is kept for the status;
 *  - the Secrets the pass read or wrote, with the digest of their data, so
 *    that the rollout does not read them back.
 */
#ifndef CERTLC_PASS_H
#define CERTLC_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ds_registry.h"
#include "err.h"
#include "reconcile.h"
#include "secret.h"
#include "status.h"
#include "store.h"
#include "validation.h"

#define CERTLC_PASS_MAX_SEEN 32

/* A Secret as the pass last read or wrote it. */
typedef struct certlc_pass_secret {
    char name[256];
    uint64_t rv;
    char digest[65]; /* SHA-256 over its data (certlc_secret_data_digest) */
    char stored[65]; /* its stored_digest (secret.h); "": unknown */
} certlc_pass_secret;

typedef struct certlc_pass {
    certlc_store *store;
    const certlc_config *cfg;
    const certlc_tenant *t;
    int64_t now;
    certlc_ds_registry *datastores; /* NULL: no DataStore can be reached */
    certlc_tcp_status status;  /* in memory for the whole pass */
    certlc_tcp_status saved;   /* as the store has it */
    int status_rc;             /* how loading it went: 0, NOTFOUND, <0 */
    certlc_reconcile_cb cb;    /* the caller's sink (may be NULL) */
    void *arg;
    certlc_reconcile_result *res;
    char first_failure[600];   /* "<secret>: <reason>", for the status */
    bool looping;              /* the reissue guard stopped a Secret */
    certlc_pass_secret seen[CERTLC_PASS_MAX_SEEN];
    size_t n_seen;
    certlc_peeks peeks;        /* its Secrets, peeked as it began */
} certlc_pass;

/* Starts a pass: zeroes *res (next_due INT64_MAX), loads the status and
 * peeks the Secrets it has good verdicts on (validation.h); outside the
 * pass lock where the store allows it (workers.h). datastores is the
 * runtime's DataStore registry (NULL when there is none: a tenant with a
 * datastore then fails its datastore step). */
void certlc_pass_begin(certlc_pass *p, certlc_store *store,
                       const certlc_config *cfg,
                       certlc_ds_registry *datastores, const certlc_tenant *t,
                       int64_t now, certlc_reconcile_cb cb, void *arg,
                       certlc_reconcile_result *res);

/* Counts one Secret's outcome into the result and, but for UNCHANGED,
 * tells the sink. */
void certlc_pass_report(certlc_pass *p, const char *name,
                        certlc_action action, certlc_cause cause,
                        const char *reason);

/* Saves the status when it differs from the stored one (`updated` aside),
 * setting `updated` (and `created` the first time). Called at the end of
 * the pass, and when a phase must be seen while the pass runs (a CA
 * rotation). Returns 0, or -1 with err. */
int certlc_pass_save_status(certlc_pass *p, certlc_err *err);

/* Notes a Secret as read or written by the pass (its data's digest). */
void certlc_pass_saw(certlc_pass *p, const certlc_secret *s);
/* Notes a Secret the pass knows unchanged without reading it (its stored
 * bytes are the ones a validation record was made from). */
void certlc_pass_saw_unread(certlc_pass *p, const char *name, uint64_t rv,
                            const char *digest, const char *stored);
/* The digest of a Secret the pass read or wrote, or NULL. */
const certlc_pass_secret *certlc_pass_seen(const certlc_pass *p,
                                           const char *name);

/* A leaf never outlives its CA (pki.h ends it with its issuer at the
 * latest): when validity from now would outlive ca_end, says in the log
 * that the Secret's notAfter is clamped to ca_end, naming its CA as
 * ca_desc ("its CA alpha-ca", "the CA of datastore 'main'"), since the
 * leaf is then shorter than leaf_validity and is renewed with the CA. */
void certlc_pass_note_clamp(const certlc_pass *p, const char *secret,
                            const char *ca_desc, int64_t validity,
                            int64_t ca_end);

/* SHA-256 over a Secret's data, entries in key order, each as key, NUL,
 * 8-byte length, value; 64 hex digits. Returns 0 or -1. */
int certlc_secret_data_digest(const certlc_secret *s, char out[65]);

#endif
