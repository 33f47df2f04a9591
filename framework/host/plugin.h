/* The driver loader: dlopen of plugins_dir/<driver>.so, the checks of
 * DESIGN section 5 in their order, and the DataStore instances made from
 * the loaded drivers.
 *
 * Checks, before any driver code but its entry function runs: the path is
 * a regular file, and it and every directory up to '/' are owned by root or
 * the operator's user and not writable by group or others (StrictModes; a
 * root-owned sticky directory is fine); dlopen(RTLD_NOW | RTLD_LOCAL)
 * succeeds (else a hint at ldd); the entry symbol exists; the descriptor's
 * magic, ABI major and struct size (at most 64 KiB) are what the host
 * needs; the name is printable and at most 64 bytes; the required methods
 * are set; no driver of the same name is loaded already. Each refusal names the file, what was expected and what was
 * found, and the library is unloaded.
 */
#ifndef CERTLC_PLUGIN_H
#define CERTLC_PLUGIN_H

#include <certlc/driver.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"

typedef struct certlc_plugin {
    char *path;
    void *handle;
    certlc_driver drv; /* the descriptor, copied (later fields zeroed) */
    size_t n_instances; /* live DataStore instances */
} certlc_plugin;

/* A set of loaded drivers, each loaded once. */
typedef struct certlc_plugins {
    certlc_plugin **items;
    size_t n;
    /* Refusals, remembered per file identity so that a refused file is
     * not opened again until it changes. */
    struct certlc_refusal *refused;
    size_t n_refused;
} certlc_plugins;

/* Loads `path` into ps (once: a path already loaded is returned as is).
 * On refusal, -1 with "<path>: <what was expected and found>". */
int certlc_plugins_load(certlc_plugins *ps, const char *path,
                        certlc_plugin **out, certlc_err *err);
/* Unloads every driver (calling nothing of it: fini belongs to the
 * instances, which must be gone). */
void certlc_plugins_clear(certlc_plugins *ps);

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

/* The registry certlc_ds_instance_get (the pass) uses:
 * the runtime installs its own for its lifetime (NULL uninstalls). */
void certlc_ds_registry_use(certlc_ds_registry *r);
certlc_ds_instance *certlc_ds_instance_get(const certlc_config *cfg,
                                           const char *name, certlc_err *err);

#endif
