/* certlc/driver.h: the datastore driver ABI, the only header a driver
 * includes.
 *
 * A driver is a shared object in plugins_dir. It exports exactly one
 * function, certlc_driver_entry, which receives the host's table of
 * services and returns a constant descriptor: who the driver is, and its
 * methods. The driver never links against certlc: everything it needs from
 * the host comes through the table, so a driver links with -Wl,-z,defs and
 * an unresolved symbol is a link error, not a crash at load time.
 *
 * Growth: both structs open with their own size, and fields are only ever
 * appended. A reader uses a field only when the size it was given says the
 * field is there (CERTLC_HAS_FIELD). A change that is not an append bumps
 * CERTLC_DRIVER_ABI_MAJOR, and the host refuses every driver built for
 * another major. tests/unit/test_driver_abi.c pins sizes and offsets.
 * ABI 1.1 appends issue_cert_in to certlc_host; a driver built against
 * 1.0's header keeps loading and working (it never reads past 1.0's
 * fields), and a 1.1 driver on a 1.0 host checks host->size first.
 *
 * Threads: the host calls a driver from one thread at a time. Methods may
 * block on the network; they should bound every wait (connect and request
 * timeouts of seconds, not minutes), because the operator does nothing else
 * while a method runs.
 *
 * Errors: a method that fails returns CERTLC_DRV_ERROR or
 * CERTLC_DRV_UNREACHABLE and writes one sentence a person can act on into
 * err->msg, quoting what the server said word for word (status code and
 * message). The host shows it in the log and in the tenant's status, so it
 * must never contain key material or passwords.
 *
 * Memory: what the host passes in is owned by the host and valid for the
 * duration of the call unless said otherwise; what the host returns through
 * a service is freed with the matching host free function.
 */
#ifndef CERTLC_DRIVER_H
#define CERTLC_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "CLDR": the first field of every descriptor. */
#define CERTLC_DRIVER_MAGIC 0x434C4452u
/* A driver built for another major is refused. Minor versions only append. */
#define CERTLC_DRIVER_ABI_MAJOR 1u
#define CERTLC_DRIVER_ABI_MINOR 1u

/* The name of the one exported symbol. */
#define CERTLC_DRIVER_ENTRY "certlc_driver_entry"

#if defined(__GNUC__)
#define CERTLC_DRIVER_EXPORT __attribute__((visibility("default")))
#define CERTLC_DRIVER_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CERTLC_DRIVER_EXPORT
#define CERTLC_DRIVER_PRINTF(a, b)
#endif

/* The tenant namespace field of certlc_drv_secret and certlc_drv_tenant is
 * `ns`. C++ reserves `namespace`, so C++ sees only `ns`; C code may also
 * call it `namespace`, the name of ABI 1.0's first headers (an anonymous
 * union of two pointers: one field, same offset and size). */
#ifdef __cplusplus
#define CERTLC_DRV_NAMESPACE_FIELD const char *ns
#else
#define CERTLC_DRV_NAMESPACE_FIELD                                            \
    union {                                                                   \
        const char *ns;                                                       \
        const char *namespace;                                                \
    }
#endif

/* True when a struct that says it is `size` bytes long holds `field`. */
#define CERTLC_HAS_FIELD(type, size, field)                                   \
    ((size_t)(size) >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Method results. */
#define CERTLC_DRV_OK 0
#define CERTLC_DRV_ERROR (-1)       /* failed: err->msg says why */
#define CERTLC_DRV_UNREACHABLE (-2) /* no endpoint answered: retried later */
#define CERTLC_DRV_NOTFOUND 1       /* secret_get, secret_delete: no such Secret */

/* Log levels of host->log. */
#define CERTLC_DRV_LOG_DEBUG 0
#define CERTLC_DRV_LOG_INFO 1
#define CERTLC_DRV_LOG_WARN 2
#define CERTLC_DRV_LOG_ERROR 3

#define CERTLC_DRV_ERR_MAX 1024

typedef struct certlc_drv_err {
    char msg[CERTLC_DRV_ERR_MAX];
} certlc_drv_err;

/* One key = value (labels, data, driver-declared INI keys). value may hold
 * binary data; it is always followed by a NUL that len does not count. */
typedef struct certlc_drv_kv {
    const char *key;
    const char *value;
    size_t len;
} certlc_drv_kv;

/* A Secret as a driver sees it: flat, no JSON. Data values may hold private
 * keys. */
typedef struct certlc_drv_secret {
    CERTLC_DRV_NAMESPACE_FIELD; /* ns */
    const char *name;
    const char *type; /* "Opaque" or "kubernetes.io/tls" */
    const certlc_drv_kv *labels;
    size_t n_labels;
    const certlc_drv_kv *data;
    size_t n_data;
} certlc_drv_secret;

/* What a certificate the host issues must say. */
typedef struct certlc_drv_cert_req {
    uint32_t size; /* sizeof(certlc_drv_cert_req) as the driver built it */
    /* The signing CA, as PEM: its certificate and its private key. */
    const char *ca_cert_pem;
    size_t ca_cert_len;
    const char *ca_key_pem;
    size_t ca_key_len;
    const char *cn;             /* NULL: no CN */
    const char *const *orgs;    /* O values */
    size_t n_orgs;
    const char *const *dns;     /* subjectAltName DNS names */
    size_t n_dns;
    const char *const *ips;     /* subjectAltName IPs */
    size_t n_ips;
    int client_auth;            /* extendedKeyUsage clientAuth */
    int server_auth;            /* extendedKeyUsage serverAuth */
    int64_t validity;           /* seconds; 0: the host's leaf_validity */
} certlc_drv_cert_req;

/* Opaque: the host's context of one call. Methods receive it and hand it
 * back to the services that act on the store. Valid during the call only. */
typedef struct certlc_drv_call certlc_drv_call;

/* The host's services, handed to certlc_driver_entry. Valid until the
 * driver is unloaded (after the last fini). */
typedef struct certlc_host {
    uint32_t size;      /* sizeof(certlc_host) as the host built it */
    uint32_t abi_major; /* CERTLC_DRIVER_ABI_MAJOR of the host */
    uint32_t abi_minor;
    uint32_t reserved;

    /* One line in the operator's log, under the driver's name. Never pass
     * key material or passwords: there is no redaction. */
    void (*log)(int level, const char *driver, const char *fmt, ...)
        CERTLC_DRIVER_PRINTF(3, 4);

    /* Now, in Unix seconds: use it rather than time(), so that tests can
     * move the host's clock. */
    int64_t (*now)(void);

    /* Generates a key (the operator's key_algorithm) and issues a
     * certificate for it as req says, signed by req's CA. On success
     * *cert_pem and *key_pem are new NUL-terminated PEM strings (lengths
     * without the NUL) that the driver frees with pem_free. Does not block
     * on the network; RSA keys take a fraction of a second.
     * ABI 1.0's entry: it takes no call, so the key algorithm and the
     * validity of a request with validity 0 are those the host bound
     * before calling into the driver (the configuration of the DataStore
     * registry that made the instance; rsa-2048 and a year outside any
     * call). A driver for ABI 1.1 or later calls issue_cert_in when the
     * host has it. */
    int (*issue_cert)(const certlc_drv_cert_req *req, char **cert_pem,
                      size_t *cert_len, char **key_pem, size_t *key_len,
                      certlc_drv_err *err);
    /* Cleanses and frees a PEM string from issue_cert (NULL is fine). */
    void (*pem_free)(char *pem, size_t len);

    /* Reads a Secret of the call's tenant namespace. Returns CERTLC_DRV_OK
     * with *out set (free it with secret_free), CERTLC_DRV_NOTFOUND when
     * there is no such Secret, CERTLC_DRV_ERROR otherwise. */
    int (*secret_get)(certlc_drv_call *call, const char *name,
                      certlc_drv_secret **out, certlc_drv_err *err);
    /* Creates or replaces a Secret in the tenant's namespace (s->ns
     * is ignored). The host adds the labels and annotations it manages
     * (kamaji.clastix.io/name, component, lifecycle, rotation time) to
     * Secrets of the tenant's plan. */
    int (*secret_put)(certlc_drv_call *call, const certlc_drv_secret *s,
                      certlc_drv_err *err);
    /* Removes a Secret; CERTLC_DRV_NOTFOUND when there was none. */
    int (*secret_delete)(certlc_drv_call *call, const char *name,
                         certlc_drv_err *err);
    void (*secret_free)(certlc_drv_secret *s);
    /* ABI 1.0 ends here. */

    /* ABI 1.1. issue_cert for the call it is handed: the key algorithm of
     * the key it makes and the validity of a request with validity 0 are
     * those of the configuration the call was made under (key_algorithm,
     * leaf_validity), not settings bound beside it. Present when
     * CERTLC_HAS_FIELD(certlc_host, host->size, issue_cert_in); a 1.0
     * host has only issue_cert:
     *
     *   if (CERTLC_HAS_FIELD(certlc_host, host->size, issue_cert_in))
     *       rc = host->issue_cert_in(call, &req, &c, &cl, &k, &kl, err);
     *   else
     *       rc = host->issue_cert(&req, &c, &cl, &k, &kl, err);
     */
    int (*issue_cert_in)(certlc_drv_call *call, const certlc_drv_cert_req *req,
                         char **cert_pem, size_t *cert_len, char **key_pem,
                         size_t *key_len, certlc_drv_err *err);
    /* ABI 1.1 ends here. */
} certlc_host;

/* One [datastore NAME] section, as init receives it. The host reads the
 * files the section names, so that the driver does no file I/O. Valid from
 * init until fini returns. */
typedef struct certlc_drv_datastore {
    uint32_t size; /* sizeof(certlc_drv_datastore) as the host built it */
    const char *name;   /* NAME of [datastore NAME] */
    const char *source; /* "file:line" of the section, for messages */
    const char *const *endpoints; /* "host:port", at least one */
    size_t n_endpoints;
    /* PEM contents; NULL (length 0) when the key was not given. */
    const char *ca_cert_pem;  /* ca_cert: the DataStore CA */
    size_t ca_cert_len;
    const char *ca_key_pem;   /* ca_key: its private key (mode issue) */
    size_t ca_key_len;
    const char *client_cert_pem; /* client_cert: the admin client cert */
    size_t client_cert_len;
    const char *client_key_pem;
    size_t client_key_len;
    const char *username;     /* NULL when not given */
    const char *password;     /* password_file's first line; NULL if none */
    /* The section's keys that the driver declared in keys (in file
     * order); unknown keys never reach the driver. Valid during init
     * only: copy what you keep. */
    const certlc_drv_kv *options;
    size_t n_options;
} certlc_drv_datastore;

/* The tenant a method acts for. */
typedef struct certlc_drv_tenant {
    uint32_t size;
    CERTLC_DRV_NAMESPACE_FIELD; /* ns */
    const char *name;
    /* The tenant's space in the datastore: its schema (etcd: the key prefix
     * /<schema>/; SQL: the database) and its user, both
     * "<namespace>_<name>" with '-' turned into '_'. */
    const char *schema;
    const char *user;
    /* The Secret names "<tcp>-datastore-certificate", "<tcp>-datastore-config". */
    const char *certificate_secret;
    const char *config_secret;
    /* DB_PASSWORD of the existing datastore-config Secret, NULL when none:
     * a driver that uses passwords keeps it unless it must change. */
    const char *password;
    int64_t validity; /* the operator's leaf_validity, seconds */
} certlc_drv_tenant;

/* What provision reports: the datastore-config Secret's content. */
typedef struct certlc_drv_dbconfig {
    char connection_string[1024]; /* DB_CONNECTION_STRING */
    char schema[256];             /* DB_SCHEMA */
    char user[256];               /* DB_USER */
    char password[256];           /* DB_PASSWORD ("" when none) */
} certlc_drv_dbconfig;

typedef enum certlc_drv_mode {
    /* The driver asks the host for a new certificate, signed by the
     * DataStore CA key (ca_key), and writes the datastore-certificate. */
    CERTLC_DRV_MODE_ISSUE = 1,
    /* An external PKI delivers the certificate; the driver judges it. */
    CERTLC_DRV_MODE_EXTERNAL = 2,
} certlc_drv_mode;

typedef struct certlc_driver {
    uint32_t magic;     /* CERTLC_DRIVER_MAGIC */
    uint32_t abi_major; /* CERTLC_DRIVER_ABI_MAJOR */
    uint32_t abi_minor; /* CERTLC_DRIVER_ABI_MINOR */
    uint32_t size;      /* sizeof(certlc_driver) as the driver built it */
    const char *name;   /* unique among loaded drivers, e.g. "etcd" */
    const char *version;
    uint32_t mode;      /* certlc_drv_mode */
    uint32_t reserved;
    /* INI keys of [datastore NAME] that this driver reads beyond the common
     * ones; NULL-terminated; NULL when none. Any other key is an error. */
    const char *const *keys;

    /* Required. Makes an instance for one DataStore: checks the section,
     * keeps what it needs in *instance (its own memory). Must not contact
     * the datastore (it is called at load and after every configuration
     * reload). The host keeps ds valid until fini. */
    int (*init)(const certlc_drv_datastore *ds, void **instance,
                certlc_drv_err *err);
    /* Required. Releases the instance; cleanses any key it copied. */
    void (*fini)(void *instance);

    /* Required. Ensures the tenant's space in the datastore (etcd: role,
     * user, grants; SQL: database, user, grants) and fills out with the
     * datastore-config content. Idempotent: called on every pass, and it
     * must succeed without change when everything already exists. Returns
     * CERTLC_DRV_UNREACHABLE when no endpoint answered. */
    int (*provision)(void *instance, certlc_drv_call *call,
                     const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                     certlc_drv_err *err);
    /* Required. Removes the tenant's space: its data, user and grants.
     * Idempotent: what is already gone is not an error. */
    int (*deprovision)(void *instance, certlc_drv_call *call,
                       const certlc_drv_tenant *t, certlc_drv_err *err);
    /* Required. The datastore-certificate must be renewed (missing, invalid
     * or due; reason says which). Mode issue: ensure the user, issue a new
     * certificate through host->issue_cert and write the Secret
     * (ca.crt, server.crt, server.key) with host->secret_put. Mode
     * external: put the old Secret aside under another name and remove
     * it, so that the external PKI delivers a new one. */
    int (*rotate)(void *instance, certlc_drv_call *call,
                  const certlc_drv_tenant *t, const char *reason,
                  certlc_drv_err *err);
    /* Required in mode external, may be NULL in mode issue. Judges a
     * certificate an external PKI delivered (the host has already checked
     * that it parses, that the key matches and that it chains to the
     * DataStore CA): e.g. that its subject is the tenant's user. */
    int (*accept)(void *instance, certlc_drv_call *call,
                  const certlc_drv_tenant *t, const char *cert_pem,
                  size_t cert_len, certlc_drv_err *err);
    /* Required. Connects to every endpoint with the tenant's own
     * credentials (cert_pem/key_pem, ca_pem: the Secret's server.crt,
     * server.key, ca.crt) and proves they work. err->msg names the
     * endpoints that did not answer; on success the driver may log which
     * answered. */
    int (*verify)(void *instance, certlc_drv_call *call,
                  const certlc_drv_tenant *t, const char *ca_pem,
                  size_t ca_len, const char *cert_pem, size_t cert_len,
                  const char *key_pem, size_t key_len, certlc_drv_err *err);
    /* ABI 1.0 ends here. Fields are only ever appended below. */
} certlc_driver;

/* The entry point every driver exports (define it with
 * CERTLC_DRIVER_EXPORT). Called once, right after dlopen, before any
 * check of the descriptor: it must only keep the host pointer and return
 * a pointer to a constant descriptor. */
typedef const certlc_driver *(*certlc_driver_entry_fn)(const certlc_host *host);
const certlc_driver *certlc_driver_entry(const certlc_host *host);

#ifdef __cplusplus
}
#endif

#endif
