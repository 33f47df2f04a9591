/* The datastore part of a tenant's pass, and deprovisioning on removal.
 *
 * For a tenant with `datastore = NAME`, through NAME's driver:
 *   1. provision the tenant's space in the datastore (idempotent);
 *   2. ensure <tcp>-datastore-config (DB_CONNECTION_STRING, DB_SCHEMA,
 *      DB_USER, DB_PASSWORD) as the driver reported it;
 *   3. check <tcp>-datastore-certificate (ca.crt, server.crt, server.key):
 *      parses, key matches, chains to the DataStore CA, ca.crt is that CA,
 *      not due (now >= notAfter - renew_before); when it fails any of
 *      these, or is missing, the driver's rotate renews it;
 *   4. verify: the driver connects with the tenant's own certificate.
 * A failing step counts as a failed Secret in the result (so the tenant is
 * NotReady and the engine retries with backoff) with the driver's words as
 * the reason, and stops the pass: an unreachable datastore leaves every
 * Secret in the store as it was. The tenant's status gets the conditions
 * DatastoreReady and, while no endpoint answers, DatastoreUnreachable.
 */
#ifndef CERTLC_DATASTORE_RECONCILE_H
#define CERTLC_DATASTORE_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ds_registry.h"
#include "pass.h"
#include "store.h"

/* The label that records, on <tcp>-datastore-config, which datastore holds
 * the tenant: what --prune needs once the tenant is gone from the
 * configuration. */
#define CERTLC_LABEL_DATASTORE "certlc.io/datastore"

/* The datastore step of pass p: its Secrets are reported through p (into
 * p->res, and to the sink when not unchanged), its conditions set in
 * p->status. */
void certlc_datastore_reconcile(certlc_pass *p);

/* Tenants that have Secrets in the store (managed by certlc) but are no
 * longer in the configuration: deprovisioned from their datastore (when
 * they had one), then their Secrets and status removed. A tenant whose
 * deprovisioning fails keeps its Secrets, so that a later prune can try
 * again. The drivers are reg's (the runtime's DataStore registry). cb (may
 * be NULL) hears one line per action. Returns the number of tenants that
 * could not be pruned, or -1 with err when the store could not be read. */
typedef void (*certlc_prune_cb)(const char *ns, const char *tcp,
                                const char *what, void *arg);
int certlc_prune(certlc_store *store, const certlc_config *cfg,
                 certlc_ds_registry *reg, certlc_prune_cb cb, void *arg,
                 certlc_err *err);

#endif
