#include "inventory.h"

#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"
#include "pki.h"
#include "validation.h"

/* The PEM of the certificate under key in s: the value itself, or for a
 * kubeconfig the client certificate it embeds (*kc then holds it until the
 * caller frees it). */
static int cert_pem(const certlc_item *item, const certlc_secret *s,
                    const char *key, const void **pem, size_t *len,
                    certlc_kubeconfig **kc, certlc_err *err)
{
    const certlc_kv *kv = certlc_kvlist_get(&s->data, key);
    if (kv == NULL)
        return certlc_err_set(err, "data key '%s' is missing", key);
    *kc = NULL;
    if (item->kind != CERTLC_ITEM_KUBECONFIG) {
        *pem = kv->value;
        *len = kv->len;
        return 0;
    }
    *kc = certlc_kubeconfig_parse(kv->value, kv->len, err);
    if (*kc == NULL)
        return -1;
    *pem = (*kc)->cert_pem;
    *len = (*kc)->cert_len;
    return 0;
}

/* The serial and notAfter of the certificate of a Secret's data key (for
 * kubeconfigs the embedded client certificate), read without decoding its
 * public key (certlc_cert_peek): the observer reads every certificate of a
 * tenant it sees for the first time. Returns 0, or -1 with err. */
static int cert_of(const certlc_item *item, const certlc_secret *s,
                   const char *key, certlc_cert_info *ci, certlc_err *err)
{
    const void *pem;
    size_t len;
    certlc_kubeconfig *kc = NULL;
    if (cert_pem(item, s, key, &pem, &len, &kc, err) != 0)
        return -1;
    int rc = certlc_cert_peek(pem, len, ci->serial, sizeof ci->serial,
                              &ci->not_after, err);
    certlc_kubeconfig_free(kc);
    return rc;
}

X509 *certlc_item_cert(const certlc_item *item, const certlc_secret *s,
                       certlc_err *err)
{
    const void *pem;
    size_t len;
    certlc_kubeconfig *kc = NULL;
    if (cert_pem(item, s, item->cert_key, &pem, &len, &kc, err) != 0)
        return NULL;
    X509 *x = certlc_cert_from_pem(pem, len, err);
    certlc_kubeconfig_free(kc);
    return x;
}

static int push_cert(certlc_cert_info **v, size_t *n, size_t *cap,
                     const certlc_cert_info *ci)
{
    if (*n == *cap) {
        size_t c = *cap == 0 ? 16 : *cap * 2;
        certlc_cert_info *nv = realloc(*v, c * sizeof *nv);
        if (nv == NULL)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = *ci;
    return 0;
}

static void fill(certlc_cert_info *ci, const certlc_item *item,
                 const certlc_secret *s, int rc, const certlc_err *gerr)
{
    if (rc == CERTLC_NOTFOUND) {
        ci->state = CERTLC_CERT_MISSING;
        return;
    }
    certlc_err err = {{0}};
    if (rc != 0 || cert_of(item, s, ci->key, ci, &err) != 0) {
        ci->serial[0] = '\0';
        ci->not_after = 0;
        ci->state = CERTLC_CERT_UNREADABLE;
        snprintf(ci->error, sizeof ci->error, "%.255s",
                 rc == 0 ? err.msg : gerr->msg);
        return;
    }
    ci->state = CERTLC_CERT_OK;
}

/* From the record of a Secret judged good (validation.h), when there is
 * one: its notAfter, no serial. True when ci was filled so. */
static bool from_record(certlc_cert_info *ci, const certlc_item *item,
                        const certlc_tcp_status *st)
{
    if (st == NULL || item->datastore_only)
        return false; /* its DataStore CA has no record of its own */
    const certlc_validation *v = certlc_validation_find(st, ci->secret);
    if (v == NULL || v->not_after == 0)
        return false;
    ci->not_after = v->not_after;
    ci->state = CERTLC_CERT_OK;
    return true;
}

int certlc_inventory(certlc_store *store, const certlc_tenant *t,
                     const certlc_tcp_status *st, certlc_inventory_skip skip,
                     void *arg, certlc_cert_info **out, size_t *n_out)
{
    size_t n_items, n = 0, cap = 0;
    const certlc_item *items = certlc_plan_items(&n_items);
    certlc_cert_info *v = NULL;
    for (size_t i = 0; i < n_items; i++) {
        const certlc_item *item = &items[i];
        bool ca = item->kind == CERTLC_ITEM_CA;
        if (!certlc_plan_enabled(item, t) || (!ca && item->lifecycle == NULL))
            continue;
        certlc_cert_info ci;
        memset(&ci, 0, sizeof ci);
        certlc_plan_secret_name(t, item, ci.secret, sizeof ci.secret);
        snprintf(ci.key, sizeof ci.key, "%s", item->cert_key);
        ci.item = item;
        ci.ca = ca;
        ci.tracked = item->lifecycle != NULL;
        if (from_record(&ci, item, st)) {
            if (push_cert(&v, &n, &cap, &ci) != 0) {
                free(v);
                return -1;
            }
            continue;
        }
        certlc_secret *s = NULL;
        certlc_err err = {{0}};
        int rc = skip != NULL && skip(arg, ci.secret)
                     ? CERTLC_NOTFOUND
                     : certlc_store_get(store, t->namespace, ci.secret, &s,
                                        &err);
        fill(&ci, item, s, rc, &err);
        int prc = push_cert(&v, &n, &cap, &ci);
        /* The datastore certificate's Secret also carries the DataStore
         * CA, which is a CA of this tenant's as much as its own. */
        if (prc == 0 && item->datastore_only && rc != CERTLC_NOTFOUND &&
            (rc != 0 || certlc_kvlist_get(&s->data, "ca.crt") != NULL)) {
            certlc_cert_info ca_ci = ci;
            snprintf(ca_ci.key, sizeof ca_ci.key, "ca.crt");
            ca_ci.ca = 1;
            ca_ci.tracked = 0;
            ca_ci.serial[0] = '\0';
            ca_ci.error[0] = '\0';
            fill(&ca_ci, item, s, rc, &err);
            prc = push_cert(&v, &n, &cap, &ca_ci);
        }
        certlc_secret_free(s);
        if (prc != 0) {
            free(v);
            return -1;
        }
    }
    *out = v;
    *n_out = n;
    return 0;
}

int certlc_tenant_certs(certlc_store *store, const certlc_tenant *t,
                        certlc_cert_info **out, size_t *n_out)
{
    return certlc_inventory(store, t, NULL, NULL, NULL, out, n_out);
}
