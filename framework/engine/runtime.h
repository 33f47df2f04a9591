/* What a process of certlc works with: the configuration it loaded, the
 * store it opened and the DataStore instances it made. The operator
 * (engine.h), the observer (observe.h) and every command take one; its
 * lifetime is from certlc_runtime_open to certlc_runtime_close. */
#ifndef CERTLC_RUNTIME_H
#define CERTLC_RUNTIME_H

#include "config.h"
#include "err.h"
#include "ds_registry.h"
#include "store.h"

typedef struct certlc_runtime {
    const char *config_path; /* set by the caller before opening */
    certlc_config *cfg;      /* swapped by the operator on SIGHUP */
    certlc_store *store;
    certlc_ds_registry *datastores;
} certlc_runtime;

/* Loads the configuration (and applies its log level and format), opens
 * the store with its encryption, and makes an empty DataStore registry.
 * -1 with a message naming the file, or the store and what failed; rt is
 * then closed. */
int certlc_runtime_open(certlc_runtime *rt, certlc_err *err);
/* Releases the DataStore instances, closes the store, frees the
 * configuration. Safe on a runtime never opened. */
void certlc_runtime_close(certlc_runtime *rt);

/* The encryption keys cfg's encryption_config names into *enc (NULL when
 * none is configured); -1 with a message naming the file otherwise. */
struct certlc_encryption;
int certlc_runtime_load_encryption(const certlc_config *cfg,
                                   struct certlc_encryption **enc,
                                   certlc_err *err);
/* Hands st the encryption that cfg's encryption_config names (none when
 * unset); -1 with a message naming the file and the fault. */
int certlc_runtime_encrypt_store(const certlc_config *cfg, certlc_store *st,
                                 certlc_err *err);

#endif
