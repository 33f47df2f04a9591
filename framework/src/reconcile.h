/* Reconciliation: one pass over one tenant control plane.
 *
 * Compares the Secrets the plan says the tenant should have with those in
 * the store and acts on each difference: a missing, unreadable or invalid
 * Secret (key not matching, not chaining to the current CA, subject or SANs
 * not as specified, due for renewal) is issued again; a valid one is left
 * untouched, so that a pass with nothing to do writes nothing. CAs are never
 * reissued for their age, only when missing or broken.
 */
#ifndef CERTLC_RECONCILE_H
#define CERTLC_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "store.h"

typedef enum certlc_action {
    CERTLC_ACT_UNCHANGED,
    CERTLC_ACT_CREATED,  /* was missing */
    CERTLC_ACT_REISSUED, /* was there, but invalid or due */
    CERTLC_ACT_FAILED,
} certlc_action;

typedef struct certlc_reconcile_event {
    const certlc_tenant *tenant;
    const char *secret;  /* Secret name */
    certlc_action action;
    const char *reason;  /* why reissued, why failed; "" otherwise */
} certlc_reconcile_event;

typedef void (*certlc_reconcile_cb)(const certlc_reconcile_event *ev,
                                    void *arg);

typedef struct certlc_reconcile_result {
    size_t created, reissued, unchanged, failed;
    /* The earliest time a tracked certificate becomes due (its notAfter
     * minus renew_before); INT64_MAX when none. */
    int64_t next_due;
    /* True when the CA was missing and everything it signed was issued
     * again in this pass. */
    int ca_rotated;
    int rolled_out;     /* the rollout hook ran and succeeded */
    int rollout_failed; /* the rollout hook failed: retry later */
} certlc_reconcile_result;

/* How close to its notAfter a CA is reported as expiring: renew_before or
 * 30 days, whichever is longer. */
int64_t certlc_ca_warn_window(const certlc_config *cfg);

/* One pass. cb (may be NULL) hears about every Secret that was not left
 * unchanged. Returns 0 when the pass ran (even if some Secrets failed: see
 * result->failed), -1 when the tenant could not be reconciled at all. */
int certlc_reconcile_tenant(certlc_store *store, const certlc_config *cfg,
                            const certlc_tenant *t, certlc_reconcile_cb cb,
                            void *arg, certlc_reconcile_result *result,
                            certlc_err *err);

#endif
