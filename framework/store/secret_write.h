/* Writing a tenant's Secret: the one way the pass (reconcile.c), the
 * datastore step (datastore_reconcile.c) and the host services drivers
 * call (host.c) store one.
 *
 * A Secret of the plan (item not NULL) gets the labels that say whose it
 * is (kamaji.clastix.io/name and component, app.kubernetes.io/managed-by,
 * the lifecycle label when the item is tracked) and the annotations of a
 * rotation (certlc.io/last-rotation = now, certlc.io/rotation-reason, and
 * Kamaji's rotate request marked as fulfilled by this write). Every Secret
 * gets Kamaji's metadata (the project label, the checksum of its data).
 * Then it is written with compare-and-swap: an update of the
 * resourceVersion it carries when it replaces a Secret that was read, a
 * create otherwise (after removing an unreadable one), so that a write
 * never overwrites what another writer stored meanwhile. */
#ifndef CERTLC_SECRET_WRITE_H
#define CERTLC_SECRET_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"
#include "secret.h"
#include "store.h"

typedef struct certlc_secret_write {
    const char *tenant;       /* the tenant's name (the name label) */
    const certlc_item *item;  /* the plan's item; NULL: not a plan Secret */
    const char *reason;       /* certlc.io/rotation-reason */
    int64_t now;
    bool update;     /* s replaces the Secret of its resourceVersion */
    bool unreadable; /* (create) an unreadable Secret is there: removed */
} certlc_secret_write;

/* Returns 0 (s->resource_version is then the stored one), CERTLC_CONFLICT
 * when the Secret changed or went meanwhile (err set; the caller says what
 * that means to it), -1 with err otherwise. */
int certlc_secret_write_tenant(certlc_store *store, certlc_secret *s,
                               const certlc_secret_write *w, certlc_err *err);

#endif
