/* The example driver: the smallest complete certlc driver, and the one the
 * tests load. It keeps nothing outside the process: "provisioning" records
 * the tenant in a list, rotation asks the host for a client certificate
 * signed by the DataStore CA and writes it, verification checks that the
 * Secret's pieces are there. Read it with docs/writing-a-driver.md.
 *
 * Build: cc -std=c11 -fPIC -fvisibility=hidden -Iframework/include -shared
 *        -Wl,-z,defs -o example.so drivers/example/example.c
 */
#include <certlc/driver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const certlc_host *host;

/* Keys of [datastore NAME] that this driver reads besides the common ones. */
static const char *const keys[] = {"greeting", NULL};

typedef struct instance {
    char name[128];
    char endpoint[256];
    char greeting[128];
    /* The DataStore CA: init's view stays valid until fini. */
    const certlc_drv_datastore *ds;
} instance;

static int fail(certlc_drv_err *err, const char *fmt, const char *arg)
{
    snprintf(err->msg, sizeof err->msg, fmt, arg);
    return CERTLC_DRV_ERROR;
}

static int ex_init(const certlc_drv_datastore *ds, void **out,
                   certlc_drv_err *err)
{
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return fail(err, "%s: out of memory", ds->name);
    snprintf(in->name, sizeof in->name, "%s", ds->name);
    snprintf(in->endpoint, sizeof in->endpoint, "%s", ds->endpoints[0]);
    snprintf(in->greeting, sizeof in->greeting, "hello");
    for (size_t i = 0; i < ds->n_options; i++)
        if (strcmp(ds->options[i].key, "greeting") == 0)
            snprintf(in->greeting, sizeof in->greeting, "%s",
                     ds->options[i].value);
    in->ds = ds;
    host->log(CERTLC_DRV_LOG_DEBUG, "example", "%s: %s", ds->name,
              in->greeting);
    *out = in;
    return CERTLC_DRV_OK;
}

static void ex_fini(void *p)
{
    free(p);
}

static int ex_provision(void *p, certlc_drv_call *call,
                        const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                        certlc_drv_err *err)
{
    instance *in = p;
    (void)call;
    (void)err;
    snprintf(out->connection_string, sizeof out->connection_string,
             "example://%s/%s", in->endpoint, t->schema);
    snprintf(out->schema, sizeof out->schema, "%s", t->schema);
    snprintf(out->user, sizeof out->user, "%s", t->user);
    out->password[0] = '\0';
    return CERTLC_DRV_OK;
}

static int ex_deprovision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)err;
    host->log(CERTLC_DRV_LOG_INFO, "example", "%s/%s: deprovisioned",
              t->namespace, t->name);
    return CERTLC_DRV_OK;
}

/* issue_cert_in (ABI 1.1: the settings of the call's configuration) when
 * the host has it; a 1.0 host has only issue_cert. The #if lets this file
 * build against ABI 1.0's header as well (tests/fixtures/abi10.c). */
static int issue(certlc_drv_call *call, const certlc_drv_cert_req *req,
                 char **cert, size_t *cert_len, char **key, size_t *key_len,
                 certlc_drv_err *err)
{
#if CERTLC_DRIVER_ABI_MINOR >= 1
    if (CERTLC_HAS_FIELD(certlc_host, host->size, issue_cert_in) &&
        host->issue_cert_in != NULL)
        return host->issue_cert_in(call, req, cert, cert_len, key, key_len,
                                   err);
#else
    (void)call;
#endif
    return host->issue_cert(req, cert, cert_len, key, key_len, err);
}

static int ex_rotate(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *reason,
                     certlc_drv_err *err)
{
    instance *in = p;
    certlc_drv_cert_req req = {
        .size = sizeof req,
        .ca_cert_pem = in->ds->ca_cert_pem, .ca_cert_len = in->ds->ca_cert_len,
        .ca_key_pem = in->ds->ca_key_pem, .ca_key_len = in->ds->ca_key_len,
        .cn = t->user, .client_auth = 1, .validity = t->validity,
    };
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    if (issue(call, &req, &cert, &cert_len, &key, &key_len, err) !=
        CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    certlc_drv_kv data[] = {
        {"ca.crt", in->ds->ca_cert_pem, in->ds->ca_cert_len},
        {"server.crt", cert, cert_len},
        {"server.key", key, key_len},
    };
    certlc_drv_secret s = {.name = t->certificate_secret, .type = "Opaque",
                           .data = data, .n_data = 3};
    int rc = host->secret_put(call, &s, err);
    host->pem_free(cert, cert_len);
    host->pem_free(key, key_len);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, "example", "%s/%s: rotated (%s)",
                  t->namespace, t->name, reason);
    return rc;
}

static int ex_verify(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *ca_pem,
                     size_t ca_len, const char *cert_pem, size_t cert_len,
                     const char *key_pem, size_t key_len, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)ca_pem;
    (void)cert_pem;
    (void)key_pem;
    if (ca_len == 0 || cert_len == 0 || key_len == 0)
        return fail(err, "%s: the certificate Secret is incomplete",
                    t->certificate_secret);
    return CERTLC_DRV_OK;
}

static const certlc_driver driver = {
    .magic = CERTLC_DRIVER_MAGIC,
    .abi_major = CERTLC_DRIVER_ABI_MAJOR,
    .abi_minor = CERTLC_DRIVER_ABI_MINOR,
    .size = sizeof(certlc_driver),
    .name = "example",
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_ISSUE,
    .keys = keys,
    .init = ex_init,
    .fini = ex_fini,
    .provision = ex_provision,
    .deprovision = ex_deprovision,
    .rotate = ex_rotate,
    .accept = NULL, /* mode issue: nothing external to judge */
    .verify = ex_verify,
};

/* tests/fixtures/broken.c reuses this file with its own entry. */
#ifndef CERTLC_EXAMPLE_NO_ENTRY
CERTLC_DRIVER_EXPORT const certlc_driver *certlc_driver_entry(
    const certlc_host *h)
{
    host = h;
    return &driver;
}
#endif
