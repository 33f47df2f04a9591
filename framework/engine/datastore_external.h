/* Rotation through an external PKI: the datastore-certificate of tenants
 * whose DataStore's driver is in mode external (postgresql, mysql, nats).
 *
 * The DataStore names its client certificate as a Secret of the store,
 * `client_cert_secret = NAMESPACE/NAME` (tls.crt, tls.key, optionally
 * ca.crt: what cert-manager writes). The external PKI owns it; certlc
 * copies it into every tenant's <tcp>-datastore-certificate (ca.crt =
 * the DataStore CA, server.crt, server.key).
 *
 *  - due (the tenant copy's notAfter - renew_before, or the rotate
 *    annotation on it): the referenced Secret's content is kept aside as
 *    NAME-previous, the referenced Secret is removed (the external PKI's cue
 *    to deliver a new one) and the driver's rotate is told. Tenants keep
 *    their copies; the condition AwaitingExternalPKI is set.
 *  - a Secret under the referenced name that differs from the tenant's
 *    copy is a delivery. It is judged: parses; key matches; chains to the
 *    DataStore CA; valid now; not the previous certificate; notAfter later
 *    than the previous one's; the driver's accept. Then the driver's verify
 *    connects to the live datastore with it and the tenant's password.
 *    Only then is it copied to the tenant (the rollout follows from the
 *    changed checksum). A refused delivery is kept aside as
 *    NAME-refused-<8 hex of its SHA-256> with the reason in the annotation
 *    certlc.io/refused-reason, in the log and in the condition, and removed
 *    from the referenced name; the await goes on. A datastore that does not
 *    answer leaves the delivery where it is, to be verified on a later pass.
 *  - awaiting for longer than external_timeout (default 1h) since the
 *    condition was set: the condition ExternalPKIOverdue and a warning; the
 *    await goes on.
 *  - without client_cert_secret, the DataStore's client_cert/client_key
 *    files are the tenants' certificate (a static setup): copied, and a
 *    warning when they are due, as nobody rotates them.
 */
#ifndef CERTLC_DATASTORE_EXTERNAL_H
#define CERTLC_DATASTORE_EXTERNAL_H

#include <certlc/driver.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "delivery.h"
#include "ds_registry.h"
#include "pass.h"
#include "store.h"

#define CERTLC_DEFAULT_EXTERNAL_TIMEOUT 3600

typedef struct certlc_external_in {
    certlc_pass *pass; /* store, configuration, tenant, now, status */
    certlc_ds_instance *ds;
    certlc_drv_call *call;
    const certlc_drv_tenant *tt;
    const char *cert_name; /* <tcp>-datastore-certificate */
} certlc_external_in;

typedef struct certlc_external_out {
    certlc_action action;        /* for cert_name */
    certlc_cause cause;          /* why that action */
    char reason[CERTLC_ERR_MAX]; /* why (word for word) */
    int drc;                     /* CERTLC_DRV_UNREACHABLE: datastore down */
    bool verify;    /* the tenant's copy stands: verify it as usual */
    int64_t next_due; /* when to look again; INT64_MAX: no deadline */
} certlc_external_out;

/* The datastore-certificate step for one tenant (see above). */
void certlc_external_reconcile(const certlc_external_in *in,
                               certlc_external_out *out);

/* True when the Secret ns/name is the client_cert_secret of some
 * DataStore of cfg: only then can it concern a tenant (below). */
bool certlc_external_watched(const certlc_config *cfg, const char *ns,
                             const char *name);

/* True when the Secret ns/name is the client_cert_secret of tenant t's
 * DataStore: a change to it concerns t (the engine's watch). */
bool certlc_external_watches(const certlc_config *cfg, const certlc_tenant *t,
                             const char *ns, const char *name);

#endif
