/* The DataStore instance registry of a runtime: each [datastore NAME] of
 * the configuration made usable (its driver loaded by plugin_loader.h, the
 * files it names read into memory, the driver's instance), made on first
 * use, remade when its section, files or driver change, swapped as a set
 * on a reload, and finished when the registry is freed.
 */
#ifndef CERTLC_DS_REGISTRY_H
#define CERTLC_DS_REGISTRY_H

#include <certlc/driver.h>

#include "config.h"
#include "err.h"
#include "plugin_loader.h"

/* One DataStore made usable: its driver, the files it names read into
 * memory, and the driver's instance. */
typedef struct certlc_ds_instance {
    char *name;
    char *fingerprint; /* of the section and its files; a change remakes it */
    certlc_plugin *plugin;
    void *inst;
    certlc_drv_datastore view; /* what init received */
    /* Owned storage behind view. */
    char **endpoints;
    size_t n_endpoints;
    char *ca_cert, *ca_key, *client_cert, *client_key, *password;
    size_t ca_cert_len, ca_key_len, client_cert_len, client_key_len,
        password_len;
    char *username, *source;
    char *ca_cert_path; /* the file ca_cert was read from */
    certlc_drv_kv *options;
    size_t n_options;
} certlc_ds_instance;

/* The DataStore instances of one runtime: a value made at its start and
 * freed at its end (every instance's fini, then the drivers unloaded). */
typedef struct certlc_ds_registry certlc_ds_registry;

certlc_ds_registry *certlc_ds_registry_new(void); /* NULL: out of memory */
void certlc_ds_registry_free(certlc_ds_registry *r);

/* The instance of datastore `name` of cfg, made on first use and remade
 * when its section, its files or the driver file change. A failure (driver
 * refused, a file unreadable, init failing) is -1 with a message naming
 * the datastore and is tried again on the next call. */
certlc_ds_instance *certlc_ds_registry_get(certlc_ds_registry *r,
                                           const certlc_config *cfg,
                                           const char *name, certlc_err *err);

/* On a reload: makes the instance of every datastore of cfg beside the
 * running ones (reusing those whose section, files and driver did not
 * change) and swaps the new set in only when every one was made; the
 * running instances that are not part of it are then released. On failure
 * -1 naming the datastore, and the running set is untouched. */
int certlc_ds_registry_reload(certlc_ds_registry *r, const certlc_config *cfg,
                              certlc_err *err);

/* Whether the DataStore CA (PEM pem, read from path) can sign at now.
 * Anything it signed would end with it: past its end, already expired.
 * But for VALID, err says why, naming the file and its notAfter
 * (EXPIRED) or its notBefore (NOT_YET_VALID: the clock is behind it). */
typedef enum certlc_ds_ca_time {
    CERTLC_DS_CA_VALID,
    CERTLC_DS_CA_UNREADABLE,
    CERTLC_DS_CA_EXPIRED,
    CERTLC_DS_CA_NOT_YET_VALID,
} certlc_ds_ca_time;
certlc_ds_ca_time certlc_ds_ca_valid_at(const char *path, const char *pem,
                                        size_t len, int64_t now,
                                        certlc_err *err);

#endif
