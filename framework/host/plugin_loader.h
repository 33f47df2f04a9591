/* The driver loader: dlopen of plugins_dir/<driver>.so and the checks of
 * DESIGN section 5 in their order (the DataStore instances made from the
 * loaded drivers are ds_registry.h's).
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
#ifndef CERTLC_PLUGIN_LOADER_H
#define CERTLC_PLUGIN_LOADER_H

#include <certlc/driver.h>
#include <stdbool.h>
#include <sys/types.h>

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

#endif
