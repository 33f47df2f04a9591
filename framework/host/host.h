/* The host side of the driver ABI: the services of certlc_host and the
 * context of one call into a driver. */
#ifndef CERTLC_HOST_H
#define CERTLC_HOST_H

#include <certlc/driver.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* The context a method receives and hands back to the store services. */
struct certlc_drv_call {
    certlc_store *store;
    const certlc_config *cfg;
    const char *ns;      /* the tenant's namespace */
    const char *tenant;  /* the tenant's name */
    const char *reason;  /* why a Secret is written (rotation annotation) */
    int64_t now;
    int writes;          /* Secrets the driver wrote or removed */
};

/* The table handed to every driver's entry function. */
const certlc_host *certlc_host_table(void);

/* What issue_cert (ABI 1.0) needs of the configuration: the key algorithm
 * of the keys it makes and the validity of a request that names none.
 * issue_cert_in (ABI 1.1) takes both from the call's configuration. */
typedef struct certlc_host_settings {
    certlc_key_alg key_alg;
    int64_t leaf_validity;
} certlc_host_settings;

/* Binds the settings ABI 1.0's issue_cert uses (NULL: the defaults,
 * rsa-2048 and a year). It takes no call context, so the DataStore
 * registry that owns the settings binds them before it calls into a
 * driver; s must outlive the binding. Nothing else reads them: they stay
 * for drivers built against ABI 1.0's header. */
void certlc_host_bind(const certlc_host_settings *s);

/* Copies a driver's message into a certlc_err. */
void certlc_host_err(certlc_err *err, const certlc_drv_err *derr);

#endif
