/* skeleton: a certlc datastore driver to copy, built outside certlc's
 * tree. Its only build input from certlc is certlc/driver.h, found through
 * `pkg-config certlc-driver` (the certlc-dev package, or `make install` of
 * certlc); see Makefile beside it and docs/writing-a-driver.md.
 *
 * It talks to no datastore: provision reports a connection string, rotate
 * has the host issue a client certificate signed by the DataStore CA and
 * writes it, verify checks the Secret's three pieces. Replace the bodies
 * marked "your datastore" with calls to your database's client library. */
#include <certlc/driver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const certlc_host *host;

/* [datastore NAME] keys this driver reads besides the common ones. */
static const char *const keys[] = {"database_prefix", NULL};

struct skeleton {
    const certlc_drv_datastore *ds; /* valid from init until fini */
    char prefix[64];
};

static int skel_init(const certlc_drv_datastore *ds, void **out,
                     certlc_drv_err *err)
{
    struct skeleton *sk = calloc(1, sizeof *sk);
    if (sk == NULL) {
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", ds->name);
        return CERTLC_DRV_ERROR;
    }
    sk->ds = ds;
    for (size_t i = 0; i < ds->n_options; i++)
        if (strcmp(ds->options[i].key, "database_prefix") == 0)
            snprintf(sk->prefix, sizeof sk->prefix, "%s", ds->options[i].value);
    /* No network here: init also runs on every configuration reload. */
    *out = sk;
    return CERTLC_DRV_OK;
}

static void skel_fini(void *p)
{
    free(p);
}

static int skel_provision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                          certlc_drv_err *err)
{
    struct skeleton *sk = p;
    (void)call;
    (void)err;
    /* Your datastore: create t->schema and t->user if missing. */
    snprintf(out->connection_string, sizeof out->connection_string,
             "skeleton://%s/%s%s", sk->ds->endpoints[0], sk->prefix, t->schema);
    snprintf(out->schema, sizeof out->schema, "%s%s", sk->prefix, t->schema);
    snprintf(out->user, sizeof out->user, "%s", t->user);
    return CERTLC_DRV_OK;
}

static int skel_deprovision(void *p, certlc_drv_call *call,
                            const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)err;
    /* Your datastore: drop the tenant's data, user and grants. */
    host->log(CERTLC_DRV_LOG_INFO, "skeleton", "%s/%s: deprovisioned", t->ns,
              t->name);
    return CERTLC_DRV_OK;
}

/* issue_cert_in (ABI 1.1: the key algorithm and validity of the call's
 * configuration) when the host has it; a 1.0 host has only issue_cert. */
static int issue(certlc_drv_call *call, const certlc_drv_cert_req *req,
                 char **cert, size_t *cert_len, char **key, size_t *key_len,
                 certlc_drv_err *err)
{
    if (CERTLC_HAS_FIELD(certlc_host, host->size, issue_cert_in) &&
        host->issue_cert_in != NULL)
        return host->issue_cert_in(call, req, cert, cert_len, key, key_len,
                                   err);
    return host->issue_cert(req, cert, cert_len, key, key_len, err);
}

static int skel_rotate(void *p, certlc_drv_call *call,
                       const certlc_drv_tenant *t, const char *reason,
                       certlc_drv_err *err)
{
    struct skeleton *sk = p;
    certlc_drv_cert_req req = {
        .size = sizeof req,
        .ca_cert_pem = sk->ds->ca_cert_pem, .ca_cert_len = sk->ds->ca_cert_len,
        .ca_key_pem = sk->ds->ca_key_pem, .ca_key_len = sk->ds->ca_key_len,
        .cn = t->user, .client_auth = 1, .validity = t->validity,
    };
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    if (issue(call, &req, &cert, &cert_len, &key, &key_len, err) !=
        CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    certlc_drv_kv data[] = {
        {"ca.crt", sk->ds->ca_cert_pem, sk->ds->ca_cert_len},
        {"server.crt", cert, cert_len},
        {"server.key", key, key_len},
    };
    certlc_drv_secret s = {.name = t->certificate_secret, .type = "Opaque",
                           .data = data, .n_data = 3};
    int rc = host->secret_put(call, &s, err);
    host->pem_free(cert, cert_len); /* cleanses the key */
    host->pem_free(key, key_len);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, "skeleton", "%s/%s: rotated (%s)",
                  t->ns, t->name, reason);
    return rc;
}

static int skel_verify(void *p, certlc_drv_call *call,
                       const certlc_drv_tenant *t, const char *ca_pem,
                       size_t ca_len, const char *cert_pem, size_t cert_len,
                       const char *key_pem, size_t key_len, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)ca_pem;
    (void)cert_pem;
    (void)key_pem;
    /* Your datastore: connect to every endpoint with these credentials. */
    if (ca_len == 0 || cert_len == 0 || key_len == 0) {
        snprintf(err->msg, sizeof err->msg,
                 "%s: ca.crt, server.crt or server.key is empty",
                 t->certificate_secret);
        return CERTLC_DRV_ERROR;
    }
    return CERTLC_DRV_OK;
}

static const certlc_driver driver = {
    .magic = CERTLC_DRIVER_MAGIC,
    .abi_major = CERTLC_DRIVER_ABI_MAJOR,
    .abi_minor = CERTLC_DRIVER_ABI_MINOR,
    .size = sizeof(certlc_driver),
    .name = "skeleton",
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_ISSUE,
    .keys = keys,
    .init = skel_init,
    .fini = skel_fini,
    .provision = skel_provision,
    .deprovision = skel_deprovision,
    .rotate = skel_rotate,
    .accept = NULL, /* mode issue: no external PKI to judge */
    .verify = skel_verify,
};

/* The one exported symbol: keep the host's table, return the descriptor. */
CERTLC_DRIVER_EXPORT const certlc_driver *certlc_driver_entry(
    const certlc_host *h)
{
    host = h;
    return &driver;
}
