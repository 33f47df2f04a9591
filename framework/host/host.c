/* The services a driver gets from the host (certlc/driver.h): logging, the
 * clock, certificate issuance through pki.c, and the store, limited to the
 * namespace of the tenant the call is for. Every service but ABI 1.0's
 * issue_cert takes its context from the call it is handed; issue_cert
 * reads the settings bound by certlc_host_bind (host.h). */
#include "host.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamaji.h"
#include "log.h"
#include "pki.h"
#include "plan.h"
#include "secret_write.h"
#include "timefmt.h"

static const certlc_host_settings defaults = {
    .key_alg = CERTLC_KEY_RSA2048,
    .leaf_validity = 8760 * 3600,
};
static const certlc_host_settings *settings = &defaults;

void certlc_host_bind(const certlc_host_settings *s)
{
    settings = s != NULL ? s : &defaults;
}

void certlc_host_err(certlc_err *err, const certlc_drv_err *derr)
{
    if (err == NULL)
        return;
    /* A driver may leave the buffer unterminated: never read past it. */
    size_t n = strnlen(derr->msg, sizeof derr->msg);
    if (n >= sizeof err->msg)
        n = sizeof err->msg - 1;
    memcpy(err->msg, derr->msg, n);
    err->msg[n] = '\0';
    if (n == 0)
        snprintf(err->msg, sizeof err->msg, "the driver failed without "
                                            "saying why");
}

static int derr_set(certlc_drv_err *e, const char *fmt, ...)
    CERTLC_PRINTF(2, 3);
static int derr_set(certlc_drv_err *e, const char *fmt, ...)
{
    if (e != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return CERTLC_DRV_ERROR;
}

static int derr_from(certlc_drv_err *e, const certlc_err *err)
{
    return derr_set(e, "%s", err->msg);
}

static void host_log(int level, const char *driver, const char *fmt, ...)
    CERTLC_PRINTF(3, 4);
static void host_log(int level, const char *driver, const char *fmt, ...)
{
    char msg[2048], comp[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(comp, sizeof comp, "driver/%s", driver ? driver : "?");
    if (level < CERTLC_DRV_LOG_DEBUG)
        level = CERTLC_DRV_LOG_DEBUG;
    if (level > CERTLC_DRV_LOG_ERROR)
        level = CERTLC_DRV_LOG_ERROR;
    certlc_log((enum certlc_log_level)level, comp, "%s", msg);
}

static int64_t host_now(void)
{
    return certlc_now();
}

static void host_pem_free(char *pem, size_t len)
{
    if (pem != NULL)
        certlc_pem_free(pem, len);
}

/* issue_cert and issue_cert_in: a key of s->key_alg and a certificate as
 * req says (s->leaf_validity when req names no validity). */
static int issue_with(const certlc_host_settings *s,
                      const certlc_drv_cert_req *req, char **cert_pem,
                      size_t *cert_len, char **key_pem, size_t *key_len,
                      certlc_drv_err *derr)
{
    *cert_pem = *key_pem = NULL;
    *cert_len = *key_len = 0;
    if (req == NULL || !CERTLC_HAS_FIELD(certlc_drv_cert_req, req->size,
                                         validity))
        return derr_set(derr, "issue_cert: the request is shorter than "
                              "ABI 1.0's certlc_drv_cert_req");
    if (req->ca_cert_pem == NULL || req->ca_key_pem == NULL)
        return derr_set(derr, "issue_cert: the CA certificate and its key "
                              "are both needed");
    certlc_err err = {{0}};
    int rc = CERTLC_DRV_ERROR;
    X509 *ca = certlc_cert_from_pem(req->ca_cert_pem, req->ca_cert_len, &err);
    EVP_PKEY *ca_key = NULL, *key = NULL;
    char *cpem = NULL, *kpem = NULL;
    size_t clen = 0, klen = 0;
    if (ca == NULL) {
        certlc_err_prefix(&err, "issue_cert: the CA certificate");
        goto out;
    }
    ca_key = certlc_private_key_from_pem(req->ca_key_pem, req->ca_key_len,
                                         &err);
    if (ca_key == NULL) {
        certlc_err_prefix(&err, "issue_cert: the CA key");
        goto out;
    }
    if (certlc_key_matches_cert(ca_key, ca, &err) != 0) {
        certlc_err_prefix(&err, "issue_cert: the CA key and certificate");
        goto out;
    }
    if ((key = certlc_key_generate(s->key_alg, &err)) == NULL)
        goto out;
    certlc_cert_spec spec = {
        .cn = req->cn,
        .orgs = req->orgs, .n_orgs = req->n_orgs,
        .dns = req->dns, .n_dns = req->n_dns,
        .ips = req->ips, .n_ips = req->n_ips,
        .client_auth = req->client_auth != 0,
        .server_auth = req->server_auth != 0,
        .validity = req->validity > 0 ? req->validity : s->leaf_validity,
    };
    cpem = certlc_cert_issue_pem(&spec, key, ca, ca_key, &clen, &err);
    if (cpem == NULL)
        goto out;
    kpem = certlc_pem_private_key(key, &klen, &err);
    if (kpem == NULL)
        goto out;
    *cert_pem = cpem;
    *cert_len = clen;
    *key_pem = kpem;
    *key_len = klen;
    cpem = kpem = NULL;
    rc = CERTLC_DRV_OK;
out:
    if (rc != CERTLC_DRV_OK)
        derr_from(derr, &err);
    free(cpem);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    return rc;
}

/* ABI 1.0's entry: no call, so the settings bound by certlc_host_bind. */
static int host_issue_cert(const certlc_drv_cert_req *req, char **cert_pem,
                           size_t *cert_len, char **key_pem, size_t *key_len,
                           certlc_drv_err *derr)
{
    return issue_with(settings, req, cert_pem, cert_len, key_pem, key_len,
                      derr);
}

/* ABI 1.1's entry: the settings of the configuration the call is under. */
static int host_issue_cert_in(certlc_drv_call *call,
                              const certlc_drv_cert_req *req,
                              char **cert_pem, size_t *cert_len,
                              char **key_pem, size_t *key_len,
                              certlc_drv_err *derr)
{
    if (call == NULL || call->cfg == NULL) {
        *cert_pem = *key_pem = NULL;
        *cert_len = *key_len = 0;
        return derr_set(derr, "issue_cert_in: no call: pass the call the "
                              "method received");
    }
    certlc_host_settings s = {.key_alg = call->cfg->key_algorithm,
                              .leaf_validity = call->cfg->leaf_validity};
    return issue_with(&s, req, cert_pem, cert_len, key_pem, key_len, derr);
}

/* A Secret handed to a driver: the flat view first, then what backs it. */
typedef struct drv_secret_box {
    certlc_drv_secret pub;
    certlc_secret *s;
    certlc_drv_kv *labels;
    certlc_drv_kv *data;
} drv_secret_box;

static certlc_drv_kv *flat(const certlc_kvlist *l)
{
    certlc_drv_kv *v = calloc(l->n + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < l->n; i++) {
        v[i].key = l->items[i].key;
        v[i].value = (const char *)l->items[i].value;
        v[i].len = l->items[i].len;
    }
    return v;
}

static void host_secret_free(certlc_drv_secret *pub)
{
    if (pub == NULL)
        return;
    drv_secret_box *b = (drv_secret_box *)pub;
    certlc_secret_free(b->s);
    free(b->labels);
    free(b->data);
    free(b);
}

static int host_secret_get(certlc_drv_call *call, const char *name,
                           certlc_drv_secret **out, certlc_drv_err *derr)
{
    *out = NULL;
    certlc_err err = {{0}};
    certlc_secret *s = NULL;
    int rc = certlc_store_get(call->store, call->ns, name, &s, &err);
    if (rc == CERTLC_NOTFOUND)
        return 1;
    if (rc != 0)
        return derr_from(derr, &err);
    drv_secret_box *b = calloc(1, sizeof *b);
    if (b == NULL || (b->labels = flat(&s->labels)) == NULL ||
        (b->data = flat(&s->data)) == NULL) {
        if (b != NULL) {
            free(b->labels);
            free(b);
        }
        certlc_secret_free(s);
        return derr_set(derr, "out of memory");
    }
    b->s = s;
    b->pub.namespace = s->namespace;
    b->pub.name = s->name;
    b->pub.type = s->type;
    b->pub.labels = b->labels;
    b->pub.n_labels = s->labels.n;
    b->pub.data = b->data;
    b->pub.n_data = s->data.n;
    *out = &b->pub;
    return CERTLC_DRV_OK;
}

/* The plan item a Secret name of the call's tenant stands for. */
static const certlc_item *plan_item_of(const certlc_drv_call *call,
                                       const char *name)
{
    size_t n = strlen(call->tenant);
    if (strncmp(name, call->tenant, n) != 0 || name[n] != '-')
        return NULL;
    return certlc_plan_item(name + n + 1);
}

static int host_secret_put(certlc_drv_call *call, const certlc_drv_secret *ds,
                           certlc_drv_err *derr)
{
    if (ds == NULL || ds->name == NULL || ds->name[0] == '\0')
        return derr_set(derr, "secret_put: the Secret has no name");
    certlc_err err = {{0}};
    certlc_secret *old = NULL;
    int rc = certlc_store_get(call->store, call->ns, ds->name, &old, &err);
    if (rc == CERTLC_UNDECRYPTABLE) /* kept until its key is configured */
        return derr_from(derr, &err);
    certlc_secret *s = certlc_secret_new(
        call->ns, ds->name, ds->type ? ds->type : CERTLC_TYPE_OPAQUE);
    if (s == NULL) {
        certlc_secret_free(old);
        return derr_set(derr, "out of memory");
    }
    int bad = 0;
    if (old != NULL) {
        s->resource_version = old->resource_version;
        s->creation_timestamp = old->creation_timestamp;
        for (size_t i = 0; i < old->annotations.n; i++)
            bad |= certlc_kvlist_set(&s->annotations, old->annotations.items[i].key,
                                     old->annotations.items[i].value,
                                     old->annotations.items[i].len);
    }
    for (size_t i = 0; i < ds->n_labels; i++)
        bad |= certlc_kvlist_set(&s->labels, ds->labels[i].key,
                                 ds->labels[i].value, ds->labels[i].len);
    for (size_t i = 0; i < ds->n_data; i++)
        bad |= certlc_kvlist_set(&s->data, ds->data[i].key,
                                 ds->data[i].value, ds->data[i].len);
    /* Unreadable: replaced as a whole. */
    certlc_secret_write w = {
        .tenant = call->tenant, .item = plan_item_of(call, ds->name),
        .reason = call->reason ? call->reason : "driver", .now = call->now,
        .update = old != NULL, .unreadable = rc < 0 && rc != CERTLC_NOTFOUND};
    certlc_secret_free(old);
    rc = bad != 0 ? certlc_err_set(&err, "out of memory")
                  : certlc_secret_write_tenant(call->store, s, &w, &err);
    certlc_secret_free(s);
    if (rc == CERTLC_CONFLICT)
        return derr_set(derr, "secret_put %s/%s: the Secret changed while "
                        "it was written; try again", call->ns, ds->name);
    if (rc != 0)
        return derr_from(derr, &err);
    call->writes++;
    return CERTLC_DRV_OK;
}

static int host_secret_delete(certlc_drv_call *call, const char *name,
                              certlc_drv_err *derr)
{
    certlc_err err = {{0}};
    int rc = certlc_store_remove(call->store, call->ns, name, &err);
    if (rc == CERTLC_NOTFOUND)
        return 1;
    if (rc != 0)
        return derr_from(derr, &err);
    call->writes++;
    return CERTLC_DRV_OK;
}

static const certlc_host host = {
    .size = sizeof(certlc_host),
    .abi_major = CERTLC_DRIVER_ABI_MAJOR,
    .abi_minor = CERTLC_DRIVER_ABI_MINOR,
    .log = host_log,
    .now = host_now,
    .issue_cert = host_issue_cert,
    .pem_free = host_pem_free,
    .secret_get = host_secret_get,
    .secret_put = host_secret_put,
    .secret_delete = host_secret_delete,
    .secret_free = host_secret_free,
    .issue_cert_in = host_issue_cert_in,
};

const certlc_host *certlc_host_table(void)
{
    return &host;
}
