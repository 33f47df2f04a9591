/* Reconciliation: one pass over one tenant control plane.
 *
 * Compares the Secrets the plan says the tenant should have with those in
 * the store and acts on each difference: a missing, unreadable or invalid
 * Secret (key not matching, not chaining to the current CA, subject or SANs
 * not as specified, due for renewal) is issued again; a valid one is left
 * untouched, so that a pass with nothing to do writes nothing. CAs are never
 * reissued for their age, only when missing, broken or expired; a CA not
 * valid yet signs nothing until its notBefore. A new CA signs only once the
 * store has it, and a pass stops when a CA it signs with is no longer the
 * stored one.
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

/* Why a Secret was issued again or could not be: set where the decision is
 * made, so that events, metrics and logs switch on it and never on the
 * wording of the reason. */
typedef enum certlc_cause {
    CERTLC_CAUSE_NONE,        /* unchanged */
    CERTLC_CAUSE_MISSING,     /* the Secret was not in the store */
    CERTLC_CAUSE_UNREADABLE,  /* the Secret does not parse */
    CERTLC_CAUSE_INVALID,     /* broken: a key missing or not matching */
    CERTLC_CAUSE_SPEC,        /* subject, SANs, usages, type not as planned */
    CERTLC_CAUSE_CA,          /* not signed by the current CA */
    CERTLC_CAUSE_EXPIRING,    /* due for renewal */
    CERTLC_CAUSE_MANUAL,      /* the rotate annotation */
    CERTLC_CAUSE_CA_EXPIRED,  /* a CA past its notAfter */
    CERTLC_CAUSE_DELIVERED,   /* the external PKI delivered a new one */
    /* Failures. */
    CERTLC_CAUSE_CA_NOT_YET_VALID, /* its CA's notBefore is in the future */
    CERTLC_CAUSE_ISSUE,       /* new material could not be made */
    CERTLC_CAUSE_STORE,       /* the store refused or lost the write */
    CERTLC_CAUSE_CA_UNSTORED, /* the pass stopped: a new CA was not stored */
    CERTLC_CAUSE_REISSUE_LOOP, /* issued again too often for one reason */
    CERTLC_CAUSE_DATASTORE,   /* the DataStore's driver failed */
    CERTLC_CAUSE_UNREACHABLE, /* the DataStore does not answer */
    CERTLC_CAUSE_AWAITING,    /* waiting for the external PKI: not a fault */
    CERTLC_CAUSE_REFUSED,     /* the external PKI's delivery was refused */
} certlc_cause;

/* The word for a cause in metrics' `cause` label and in events:
 * "deleted", "invalid", "spec", "ca", "expiring", "manual", "ca-expired",
 * "delivered", "ca-not-yet-valid", "issue", "store", "ca-unstored", "reissue-loop",
 * "datastore", "unreachable", "awaiting", "refused"; "" for NONE. */
const char *certlc_cause_label(certlc_cause c);

typedef struct certlc_reconcile_event {
    const certlc_tenant *tenant;
    const char *secret;  /* Secret name */
    certlc_action action;
    const char *reason;  /* why reissued, why failed; "" otherwise */
    certlc_cause cause;  /* the same, for switching on */
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
/* The tenant's status as a pass found it and as it left it in the store,
 * copied into the caller's buffers (either may be NULL): the observer's
 * metrics and events then need not decode it again. have_* is 1 when the
 * copy was made: before, when there was a status; after, when the pass
 * saved it (else the store's copy is the one to read). */
struct certlc_tcp_status;
typedef struct certlc_pass_statuses {
    struct certlc_tcp_status *before;
    struct certlc_tcp_status *after;
    int have_before, have_after;
} certlc_pass_statuses;

/* certlc_reconcile_tenant with reg, the runtime's DataStore registry, for
 * the datastore step (certlc_reconcile_tenant has none: a tenant with a
 * datastore fails that step), also filling *sts (when not NULL). */
struct certlc_ds_registry;
int certlc_reconcile_tenant_status(certlc_store *store,
                                   const certlc_config *cfg,
                                   struct certlc_ds_registry *reg,
                                   const certlc_tenant *t,
                                   certlc_reconcile_cb cb, void *arg,
                                   certlc_reconcile_result *result,
                                   certlc_pass_statuses *sts,
                                   certlc_err *err);

#endif
