/* Configuration: certlc.ini and the tenants it points at, read with libinih.
 *
 * Every error names the file, the line, the key and what is wrong; an unknown
 * section or key is an error, never silently ignored. Relative paths in
 * certlc.ini are relative to the folder of certlc.ini.
 */
#ifndef CERTLC_CONFIG_H
#define CERTLC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "datastore.h"
#include "err.h"
#include "keyalg.h"
#include "log.h"
#include "names.h"

typedef struct certlc_tenant {
    char *name;           /* DNS-1123 label */
    char *namespace;      /* DNS-1123 label; default "default" */
    char *version;        /* e.g. v1.26.0 (required) */
    char *address;        /* control-plane endpoint address (required) */
    int port;             /* default 6443 */
    char *service_cidr;   /* default 10.96.0.0/16 */
    char *cluster_domain; /* default cluster.local */
    char **cert_sans;     /* extra API server SANs, DNS names and IPs
                             (comma-separated; the key may be repeated) */
    size_t n_cert_sans;
    bool konnectivity;    /* default false */
    char *datastore;      /* "" when none; else a datastore of the config */
    char *source;         /* "file:line" of the [tenant NAME] header */
    /* The tenant's space in its datastore (DB_SCHEMA, DB_USER);
     * "" when not set: <namespace>_<name> with '-' turned into '_'. */
    char *datastore_schema;
    char *datastore_user;
    /* Whether an API server certificate carrying a SAN the tenant no
     * longer lists is issued again: 1 yes, 0 no (Kamaji's superset rule),
     * -1 as certlc.ini's reissue_on_removed_san says. */
    int reissue_on_removed_san;
    /* Bring your own PKI (docs/bring-your-own-pki.md): a provided CA is
     * never created or replaced by certlc; provided certificates (suffixes
     * of leaf Secrets, e.g. api-server-certificate) are never issued,
     * only judged when an external issuer delivers them. */
    bool ca_provided;             /* ca_source = provided */
    bool front_proxy_ca_provided; /* front_proxy_ca_source = provided */
    char **provided_certs;        /* provided_certificates */
    size_t n_provided_certs;
    /* What a rotate request on a CA means (ca_overlap.h): 1 overlap,
     * 0 replace, -1 as certlc.ini's ca_rotation says; ca_overlap in
     * seconds, 0 as certlc.ini says. */
    int ca_rotation_overlap;
    int64_t ca_overlap;
} certlc_tenant;

/* True when the Secret <tcp>-<suffix> comes from an external issuer. */
bool certlc_tenant_provides(const certlc_tenant *t, const char *suffix);

/* store = file | etcd, and the [store.etcd] section. */
typedef enum certlc_store_kind {
    CERTLC_STORE_FILE = 0,
    CERTLC_STORE_ETCD,
} certlc_store_kind;

typedef struct certlc_etcd_config {
    char **endpoints;     /* https://host:port, in the order to try them */
    size_t n_endpoints;
    char *prefix;         /* default /certlc, no trailing '/' */
    char *ca_cert;        /* resolved paths; NULL when not set */
    char *client_cert;
    char *client_key;
    char *username;       /* NULL: no etcd auth */
    char *password_file;  /* read when the store opens, never kept here */
} certlc_etcd_config;

typedef struct certlc_config {
    char *path;           /* certlc.ini as given */
    char *state_dir;      /* resolved paths */
    char *plugins_dir;
    char *tenants_dir;
    char *datastores_dir;
    certlc_key_alg key_algorithm; /* default rsa-2048 */
    int64_t ca_validity;          /* seconds; default 87600h */
    int64_t leaf_validity;        /* default 8760h */
    int64_t renew_before;         /* default 24h */
    char *rollout_hook;           /* "" when none */
    bool reissue_on_removed_san;  /* default true (tenants may override) */
    int64_t rollout_hook_timeout; /* seconds; default 300s */
    bool ca_rotation_overlap;     /* ca_rotation = overlap; default replace */
    int64_t ca_overlap;           /* seconds; default 24h */
    enum certlc_log_level log_level; /* default info */

    enum certlc_log_format log_format; /* default text */
    char *metrics_listen;         /* "ADDRESS:PORT"; "" when off */
    /* Where Secrets live (config_store.c) */
    certlc_store_kind store;      /* default file */
    int64_t leader_lease;         /* seconds; default 15s (etcd only) */
    unsigned workers;             /* passes at once; 0: one per core
                                     (default "auto") */
    int key_pool;                 /* keys generated ahead; -1: the
                                     algorithm's default ("auto") */
    certlc_etcd_config etcd;      /* [store.etcd] */
    char *encryption_config;      /* resolved path; NULL: Secrets in
                                     plaintext (encryption.h) */
    certlc_tenant *tenants;       /* from every *.ini in tenants_dir, sorted */
    size_t n_tenants;             /* by namespace then name */
    certlc_datastore *datastores; /* from every *.ini in datastores_dir, */
    size_t n_datastores;          /* sorted by name (datastore.h) */
} certlc_config;

/* Loads certlc.ini, every datastores_dir/ *.ini and every tenants_dir/ *.ini
 * (in name order); a tenant's datastore must be one of those datastores. Duplicate
 * tenants (same namespace and name) are an error naming both places. */
int certlc_config_load(const char *path, certlc_config **out, certlc_err *err);
void certlc_config_free(certlc_config *cfg);

const certlc_tenant *certlc_config_tenant(const certlc_config *cfg,
                                          const char *ns, const char *name);

/* The first address of an IPv4 or IPv6 CIDR, the network address plus one,
 * as the API server's service IP: "10.96.0.0/16" gives "10.96.0.1",
 * "fd00:10:96::/112" gives "fd00:10:96::1". Host bits in the CIDR are
 * ignored, as Go's net.ParseCIDR does. -1 when cidr is not a CIDR, has no
 * room after its network address (/32, /128) or buf is too small
 * (INET6_ADDRSTRLEN is always enough). */
int certlc_cidr_first_ip(const char *cidr, char *buf, size_t size,
                         certlc_err *err);

/* config_store.c: parses [store.etcd] (sec may be NULL) into
 * cfg->etcd, paths relative to base_dir; checks that store = etcd has
 * endpoints. */
struct certlc_ini_section;
int certlc_config_store_etcd(certlc_config *cfg,
                             const struct certlc_ini_section *sec,
                             const char *file, const char *base_dir,
                             certlc_err *err);
void certlc_etcd_config_fini(certlc_etcd_config *ec);

/* metrics_listen: "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"
 * or ":9464" (every IPv4 address), numeric only. Fills *out and *len when
 * not NULL. */
#define CERTLC_METRICS_LISTEN_DEFAULT "127.0.0.1:9464"
int certlc_listen_parse(const char *text, struct sockaddr_storage *out,
                        socklen_t *len, certlc_err *err);

#endif
