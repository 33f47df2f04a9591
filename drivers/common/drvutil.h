/* Helpers shared by the datastore drivers (etcd, postgresql, mysql, nats).
 *
 * drvutil.c is compiled into each driver's .so (see drivers/drivers.mk),
 * not linked from a library: a driver depends on nothing of the framework
 * but certlc/driver.h. The drivers are built with -fvisibility=hidden, so
 * these functions stay internal to each .so; certlc_driver_entry remains
 * the one exported symbol.
 */
#ifndef CERTLC_DRIVERS_DRVUTIL_H
#define CERTLC_DRIVERS_DRVUTIL_H

#include <certlc/driver.h>
#include <stdbool.h>
#include <stddef.h>

/* Formats into err->msg and returns rc. */
int certlc_drv_errf(certlc_drv_err *err, int rc, const char *fmt, ...)
    CERTLC_DRIVER_PRINTF(3, 4);

/* Appends sep (when buf is not empty) and s to buf, truncating. */
void certlc_drv_append(char *buf, size_t size, const char *sep,
                       const char *s);

/* "host:port" or "[v6]:port" into host and port. */
bool certlc_drv_split_endpoint(const char *ep, char *h, size_t hsize,
                               char *port, size_t psize);

/* 32 characters from [A-Za-z0-9], from the kernel's CSPRNG, into out
 * (size >= 33). Returns 0, or -1. */
int certlc_drv_new_password(char *out, size_t size);

/* The "timeout" options of ds: whole seconds, 1-300, the last one wins;
 * dflt without one. Returns CERTLC_DRV_OK with *secs set, or
 * CERTLC_DRV_ERROR with err set. */
int certlc_drv_timeout_option(const certlc_drv_datastore *ds, long dflt,
                              long *secs, certlc_drv_err *err);

/* The password of the tenant: t->password, else its datastore-config
 * Secret's DB_PASSWORD (read through host). */
int certlc_drv_tenant_password(const certlc_host *host, certlc_drv_call *call,
                               const certlc_drv_tenant *t, char *out,
                               size_t size, certlc_drv_err *err);

/* A certificate from the host for call: issue_cert_in (ABI 1.1: the key
 * algorithm and validity of the call's configuration) when the host has
 * it, else ABI 1.0's issue_cert. Arguments and result as there. */
int certlc_drv_issue(const certlc_host *host, certlc_drv_call *call,
                     const certlc_drv_cert_req *req, char **cert_pem,
                     size_t *cert_len, char **key_pem, size_t *key_len,
                     certlc_drv_err *err);

/* Keeps the shared object that holds sym loaded for the life of the
 * process (RTLD_NODELETE), once: for client libraries that keep state in
 * statics or threads. Each caller says why. */
void certlc_drv_pin_library(const void *sym);

/* The accept method of the drivers of mode external: the host already
 * checked parse, key match, chain and validity; a certificate is needed. */
int certlc_drv_accept_any(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, const char *cert_pem,
                          size_t cert_len, certlc_drv_err *err);

/* What the rotate method of a driver of mode external does: log that the
 * certificate is due and the external PKI awaited. */
void certlc_drv_log_awaiting_external(const certlc_host *host,
                                      const char *driver,
                                      const certlc_drv_tenant *t,
                                      const char *reason);

/* ---- the answers of several endpoints ----------------------------------
 *
 * A method that tries each endpoint in turn keeps a tally: the endpoints
 * that did what was asked ("a, b") and the messages of those that did not
 * ("x; y"), and whether every one of those failed for want of an answer. */
typedef struct certlc_drv_tally {
    char ok[CERTLC_DRV_ERR_MAX / 2];
    char bad[CERTLC_DRV_ERR_MAX];
    size_t n, n_ok;
    bool all_unreachable;
} certlc_drv_tally;

void certlc_drv_tally_init(certlc_drv_tally *ta);
/* One endpoint's outcome: rc CERTLC_DRV_OK, or a failure with msg. */
void certlc_drv_tally_add(certlc_drv_tally *ta, const char *ep, int rc,
                          const char *msg);
/* The failures as err: CERTLC_DRV_UNREACHABLE when none succeeded and
 * nothing answered anywhere, else CERTLC_DRV_ERROR. */
int certlc_drv_tally_fail(const certlc_drv_tally *ta, certlc_drv_err *err);
/* CERTLC_DRV_OK when every endpoint succeeded, else tally_fail. */
int certlc_drv_tally_end(const certlc_drv_tally *ta, certlc_drv_err *err);

/* The fields every descriptor starts with (the ones the host checks
 * first), for the descriptor's initializer. */
#define CERTLC_DRV_DESCRIPTOR_HEAD                                           \
    .magic = CERTLC_DRIVER_MAGIC, .abi_major = CERTLC_DRIVER_ABI_MAJOR,      \
    .abi_minor = CERTLC_DRIVER_ABI_MINOR, .size = sizeof(certlc_driver)

/* Defines the driver's one exported symbol, certlc_driver_entry: it keeps
 * the host pointer in host_var and returns &descriptor (driver.h). */
#define CERTLC_DRV_DEFINE_ENTRY(host_var, descriptor)                        \
    CERTLC_DRIVER_EXPORT const certlc_driver *certlc_driver_entry(           \
        const certlc_host *h)                                                \
    {                                                                        \
        host_var = h;                                                        \
        return &(descriptor);                                                \
    }

/* ---- PEM in memory as a file name a client library can open ------------
 *
 * libpq and libmariadb (Connector/C) read TLS material (CA, certificate,
 * key) from files only, and the host holds the PEM in memory. A memfd is
 * an anonymous, memory-backed file: its /proc/self/fd/N path can be handed
 * to the library, so that no key is ever written to a disk. */
typedef struct certlc_drv_memfile {
    int fd;
    char path[64]; /* "/proc/self/fd/N", "" when there is no PEM */
} certlc_drv_memfile;

/* A memfd holding pem (mode 0600); no file (path "") when pem is NULL.
 * Returns 0, or -1 with m->fd = -1. */
int certlc_drv_memfile_open(certlc_drv_memfile *m, const char *name,
                            const char *pem, size_t len);
/* Overwrites the contents with zeros and closes; m->fd = -1 after. */
void certlc_drv_memfile_close(certlc_drv_memfile *m);

#endif
