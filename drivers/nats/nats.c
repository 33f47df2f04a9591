/* The NATS driver: each tenant gets a JetStream key-value bucket named
 * after its schema, through nats.c (libnats); rotation mode external, like
 * the SQL drivers.
 *
 * Every connection is TLS (natsOptions_SetSecure) with the DataStore CA as
 * the only trusted CA, a client certificate chain, the server's expected
 * host name (server_name, or the endpoint's host), and the DataStore's user
 * and password: NATS authorizes users, not certificates, so the tenants'
 * datastore-config carries the DataStore's user and password (DB_USER,
 * DB_PASSWORD), and what is the tenant's own is its client certificate and
 * its bucket.
 */
#include <certlc/driver.h>
#include "../common/drvutil.h"
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIVER "nats"

static const certlc_host *host;

static const char *const keys[] = {"client_cert_secret", "external_timeout",
                                   "server_name", "timeout", NULL};

typedef struct instance {
    const certlc_drv_datastore *ds;
    char server_name[256];
    int64_t timeout_ms;
} instance;

/* libnats's words for s: the status text and the last error's detail. */
static int nats_err(certlc_drv_err *err, int rc, const char *what,
                    natsStatus s)
{
    natsStatus last;
    const char *detail = nats_GetLastError(&last);
    return certlc_drv_errf(err, rc, "nats %s: %s%s%s", what,
                           natsStatus_GetText(s), detail && *detail ? ": " : "",
                           detail ? detail : "");
}

/* A JetStream call's failure. A server without JetStream has no one
 * listening on $JS.API.>, which libnats reports as "No responders available
 * for request": say what it means and what to do. */
static int js_err(certlc_drv_err *err, const char *what, natsStatus s,
                  natsConnection *nc)
{
    if (s != NATS_NO_RESPONDERS)
        return nats_err(err, CERTLC_DRV_ERROR, what, s);
    char url[256] = "";
    if (natsConnection_GetConnectedUrl(nc, url, sizeof url) != NATS_OK ||
        url[0] == '\0')
        snprintf(url, sizeof url, "the server");
    return certlc_drv_errf(err, CERTLC_DRV_ERROR, "nats %s: JetStream must "
                           "be enabled on the NATS server at %s: it does not "
                           "answer JetStream requests (%s); start it with -js "
                           "or a jetstream {} block in its configuration",
                           what, url, natsStatus_GetText(s));
}

/* "host:port" → "tls://host:port" and the host alone. */
static bool endpoint_url(const char *ep, char *url, size_t usize, char *h,
                         size_t hsize)
{
    const char *colon = strrchr(ep, ':');
    if (colon == NULL)
        return false;
    const char *b = ep, *e = colon;
    if (*b == '[' && e > b && e[-1] == ']') {
        b++;
        e--;
    }
    if ((size_t)(e - b) >= hsize)
        return false;
    memcpy(h, b, (size_t)(e - b));
    h[e - b] = '\0';
    int n = snprintf(url, usize, "tls://%s", ep);
    return n > 0 && (size_t)n < usize;
}

/* A NUL-terminated copy of a PEM (libnats wants C strings). */
static char *pem_dup(const char *pem, size_t len)
{
    if (pem == NULL)
        return NULL;
    char *c = malloc(len + 1);
    if (c != NULL) {
        memcpy(c, pem, len);
        c[len] = '\0';
    }
    return c;
}

static void pem_wipe_free(char *p)
{
    if (p != NULL) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

typedef struct tls {
    const char *ca, *cert, *key;
    size_t ca_len, cert_len, key_len;
} tls;

/* Connects to one endpoint. */
static natsConnection *connect_one(const instance *in, const char *ep,
                                   const tls *t, int *rc, certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = in->ds;
    char url[600], h[256];
    if (!endpoint_url(ep, url, sizeof url, h, sizeof h)) {
        *rc = certlc_drv_errf(err, CERTLC_DRV_ERROR,
                              "endpoint \"%s\" is not host:port", ep);
        return NULL;
    }
    char *ca = pem_dup(t->ca, t->ca_len);
    char *cert = pem_dup(t->cert, t->cert_len);
    char *key = pem_dup(t->key, t->key_len);
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetURL(o, url);
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, in->timeout_ms);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(o, false);
    if (s == NATS_OK) s = natsOptions_SetName(o, "certlc");
    if (s == NATS_OK) s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && ca != NULL)
        s = natsOptions_SetCATrustedCertificates(o, ca);
    if (s == NATS_OK && cert != NULL && key != NULL)
        s = natsOptions_SetCertificatesChain(o, cert, key);
    if (s == NATS_OK)
        s = natsOptions_SetExpectedHostname(o, in->server_name[0]
                                                   ? in->server_name : h);
    if (s == NATS_OK && ds->username != NULL)
        s = natsOptions_SetUserInfo(o, ds->username, ds->password);
    if (s != NATS_OK) {
        *rc = nats_err(err, CERTLC_DRV_ERROR, "options", s);
    } else {
        s = natsConnection_Connect(&nc, o);
        if (s != NATS_OK) {
            char what[700];
            snprintf(what, sizeof what, "%s", ep);
            *rc = nats_err(err, s == NATS_NO_SERVER ? CERTLC_DRV_UNREACHABLE
                                                    : CERTLC_DRV_ERROR,
                           what, s);
            nc = NULL;
        }
    }
    natsOptions_Destroy(o);
    pem_wipe_free(ca);
    pem_wipe_free(cert);
    pem_wipe_free(key);
    return nc;
}

static natsConnection *connect_admin(const instance *in, int *rc,
                                     certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = in->ds;
    tls t = {ds->ca_cert_pem, ds->client_cert_pem, ds->client_key_pem,
             ds->ca_cert_len, ds->client_cert_len, ds->client_key_len};
    certlc_drv_tally tried;
    certlc_drv_tally_init(&tried);
    for (size_t i = 0; i < ds->n_endpoints; i++) {
        natsConnection *nc = connect_one(in, ds->endpoints[i], &t, rc, err);
        if (nc != NULL)
            return nc;
        certlc_drv_tally_add(&tried, ds->endpoints[i], *rc, err->msg);
    }
    *rc = certlc_drv_tally_fail(&tried, err);
    return NULL;
}

/* Keeps the client library loaded for the life of the process, whatever
 * happens to this driver: libnats keeps state in statics from its first use
 * (nats_Open: its timer and callback threads), which unloading would turn into leaks; and unloading it under its own threads would crash the process. */
static void pin_library(void)
{
    certlc_drv_pin_library((const void *)(uintptr_t)&natsOptions_Create);
}

static int nt_init(const certlc_drv_datastore *ds, void **out,
                   certlc_drv_err *err)
{
    if (ds->ca_cert_pem == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs ca_cert: "
            "the nats driver verifies the server's certificate",
            ds->source, ds->name);
    if (ds->client_cert_pem == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs "
            "client_cert and client_key: the admin connection's "
            "client certificate",
            ds->source, ds->name);
    long timeout;
    if (certlc_drv_timeout_option(ds, 5, &timeout, err) != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "out of memory");
    in->ds = ds;
    in->timeout_ms = timeout * 1000;
    for (size_t i = 0; i < ds->n_options; i++) {
        const char *k = ds->options[i].key, *v = ds->options[i].value;
        if (strcmp(k, "server_name") == 0) {
            snprintf(in->server_name, sizeof in->server_name, "%s", v);
        }
    }
    pin_library();
    *out = in;
    return CERTLC_DRV_OK;
}

static void nt_fini(void *p)
{
    free(p);
}

static int nt_provision(void *p, certlc_drv_call *call,
                        const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                        certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    int rc;
    natsConnection *nc = connect_admin(in, &rc, err);
    if (nc == NULL)
        return rc;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    natsStatus s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK) {
        rc = nats_err(err, CERTLC_DRV_ERROR, "JetStream", s);
        goto out;
    }
    s = js_KeyValue(&kv, js, t->schema);
    if (s == NATS_NOT_FOUND) {
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = t->schema;
        cfg.Description = "certlc tenant bucket";
        s = js_CreateKeyValue(&kv, js, &cfg);
        if (s == NATS_OK)
            host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: created the "
                      "key-value bucket %s", t->namespace, t->name, t->schema);
    }
    if (s != NATS_OK) {
        char what[400];
        snprintf(what, sizeof what, "bucket %s", t->schema);
        rc = js_err(err, what, s, nc);
        goto out;
    }
    rc = CERTLC_DRV_OK;
    snprintf(out->connection_string, sizeof out->connection_string, "%s",
             in->ds->endpoints[0]);
    snprintf(out->schema, sizeof out->schema, "%s", t->schema);
    snprintf(out->user, sizeof out->user, "%s",
             in->ds->username ? in->ds->username : "");
    snprintf(out->password, sizeof out->password, "%s",
             in->ds->password ? in->ds->password : "");
out:
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}

static int nt_deprovision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    int rc;
    natsConnection *nc = connect_admin(in, &rc, err);
    if (nc == NULL)
        return rc;
    jsCtx *js = NULL;
    natsStatus s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK) {
        s = js_DeleteKeyValue(js, t->schema);
        if (s == NATS_NOT_FOUND)
            s = NATS_OK; /* already gone */
    }
    if (s != NATS_OK) {
        char what[400];
        snprintf(what, sizeof what, "delete bucket %s", t->schema);
        rc = js_err(err, what, s, nc);
    } else {
        rc = CERTLC_DRV_OK;
        host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: deleted the key-value "
                  "bucket %s", t->namespace, t->name, t->schema);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}

static int nt_rotate(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *reason,
                     certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)err;
    certlc_drv_log_awaiting_external(host, DRIVER, t, reason);
    return CERTLC_DRV_OK;
}

/* Connects with the tenant's certificate to every endpoint and reads its
 * bucket's status. */
static int nt_verify(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *ca_pem,
                     size_t ca_len, const char *cert_pem, size_t cert_len,
                     const char *key_pem, size_t key_len, certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    tls cr = {ca_pem, cert_pem, key_pem, ca_len, cert_len, key_len};
    certlc_drv_tally ta;
    certlc_drv_tally_init(&ta);
    for (size_t i = 0; i < in->ds->n_endpoints; i++) {
        const char *ep = in->ds->endpoints[i];
        int rc = CERTLC_DRV_OK;
        certlc_drv_err e = {{0}};
        natsConnection *nc = connect_one(in, ep, &cr, &rc, &e);
        if (nc != NULL) {
            jsCtx *js = NULL;
            kvStore *kv = NULL;
            kvStatus *st = NULL;
            natsStatus s = natsConnection_JetStream(&js, nc, NULL);
            if (s == NATS_OK)
                s = js_KeyValue(&kv, js, t->schema);
            if (s == NATS_OK)
                s = kvStore_Status(&st, kv);
            if (s != NATS_OK) {
                char what[700];
                snprintf(what, sizeof what, "%s: bucket %s", ep, t->schema);
                rc = js_err(&e, what, s, nc);
            }
            kvStatus_Destroy(st);
            kvStore_Destroy(kv);
            jsCtx_Destroy(js);
            natsConnection_Destroy(nc);
        }
        certlc_drv_tally_add(&ta, ep, rc, e.msg);
    }
    int rc = certlc_drv_tally_end(&ta, err);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_DEBUG, DRIVER, "%s/%s: the tenant's "
                  "certificate reads bucket %s on %s", t->namespace, t->name,
                  t->schema, ta.ok);
    return rc;
}

static const certlc_driver driver = {
    CERTLC_DRV_DESCRIPTOR_HEAD,
    .name = DRIVER,
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_EXTERNAL,
    .keys = keys,
    .init = nt_init,
    .fini = nt_fini,
    .provision = nt_provision,
    .deprovision = nt_deprovision,
    .rotate = nt_rotate,
    .accept = certlc_drv_accept_any,
    .verify = nt_verify,
};

CERTLC_DRV_DEFINE_ENTRY(host, driver)
