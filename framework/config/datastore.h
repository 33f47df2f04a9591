/* DataStores: the [datastore NAME] sections of datastores_dir/ *.ini.
 *
 *   [datastore default]
 *   driver = etcd                      ; plugins_dir/etcd.so
 *   endpoints = 127.0.0.1:2379, ...    ; host:port, comma-separated
 *   ca_cert = ../pki/etcd-ca.crt       ; the DataStore CA
 *   ca_key = ../pki/etcd-ca.key        ; its key (drivers in mode issue)
 *   client_cert = ../pki/admin.crt     ; the admin client certificate
 *   client_key = ../pki/admin.key
 *   username = root                    ; optional basic auth
 *   password_file = ../pki/root.pass   ; never inline
 *   <driver key> = ...                 ; keys the driver declares
 *
 * Relative paths are relative to the folder of the file that names them.
 * Files are read when the driver instance is made (datastore_reconcile,
 * plugin), not here, so that `certlc get` works without them. Keys other
 * than the common ones are kept in `options` and checked against the keys
 * the driver declares when it is loaded.
 */
#ifndef CERTLC_DATASTORE_H
#define CERTLC_DATASTORE_H

#include <stddef.h>

#include "err.h"

typedef struct certlc_ds_option {
    char *key;
    char *value;
    int line;
} certlc_ds_option;

typedef struct certlc_datastore {
    char *name;    /* DNS-1123 label */
    char *driver;  /* plugins_dir/<driver>.so */
    char **endpoints; /* "host:port" */
    size_t n_endpoints;
    char *ca_cert; /* absolute paths; NULL when not given */
    char *ca_key;
    char *client_cert;
    char *client_key;
    char *username;      /* NULL when not given */
    char *password_file; /* absolute path; NULL when not given */
    certlc_ds_option *options; /* driver-declared keys, in file order */
    size_t n_options;
    char *file;   /* the file as displayed */
    char *source; /* "file:line" of the [datastore NAME] header */
} certlc_datastore;

/* Loads every *.ini of dir (display: how to name it in messages), sorted
 * by name. A missing dir is no error (no datastores). Duplicate names are an
 * error naming both places. */
int certlc_datastores_load(const char *dir, const char *display,
                           certlc_datastore **out, size_t *n_out,
                           certlc_err *err);
void certlc_datastores_free(certlc_datastore *ds, size_t n);

const certlc_datastore *certlc_datastore_find(const certlc_datastore *ds,
                                              size_t n, const char *name);

/* The common keys of a [datastore NAME] section, NULL-terminated. */
extern const char *const certlc_datastore_keys[];

#endif
