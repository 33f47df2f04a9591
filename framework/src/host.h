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

/* Settings the services read (key algorithm, leaf validity), from the
 * configuration in use: set before calling into a driver. */
void certlc_host_configure(const certlc_config *cfg);

/* Copies a driver's message into a certlc_err. */
void certlc_host_err(certlc_err *err, const certlc_drv_err *derr);

#endif
