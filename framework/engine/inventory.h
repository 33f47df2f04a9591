/* The certificate inventory of a tenant: every CA and tracked certificate
 * of its plan, with serial and notAfter, as the store holds them. What
 * `describe`, `check-expiration` and the observer's metrics and events
 * show, read without decoding any public key (certlc_cert_peek), or taken
 * from the validation records when they cover a Secret. */
#ifndef CERTLC_INVENTORY_H
#define CERTLC_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "plan.h"
#include "status.h"
#include "store.h"

/* One certificate of a tenant as the store holds it. */
typedef struct certlc_cert_info {
    char secret[256];
    char key[64];     /* data key of the certificate */
    const certlc_item *item;
    int ca;           /* a CA (of the plan, or the DataStore CA) */
    int tracked;      /* rotated by the engine (lifecycle label) */
    int state;        /* CERTLC_CERT_* */
    char serial[84];  /* uppercase hex */
    int64_t not_after;
    char error[256];  /* when unreadable */
} certlc_cert_info;

#define CERTLC_CERT_OK 0
#define CERTLC_CERT_MISSING 1
#define CERTLC_CERT_UNREADABLE 2

/* Every CA and tracked certificate of tenant t, in plan order; for
 * kubeconfigs the embedded client certificate, for the datastore
 * certificate also its ca.crt. *out is malloc'd. 0 or -1 (out of memory). */
int certlc_tenant_certs(certlc_store *store, const certlc_tenant *t,
                        certlc_cert_info **out, size_t *n);

/* certlc_tenant_certs, with what the records of st (NULL: none) cover
 * taken from them, unread (notAfter, no serial), and the Secrets for which
 * skip(arg, name) is true not read either (a pass just rewrote them, so
 * the store no longer shows them as they were): said as missing. */
typedef bool (*certlc_inventory_skip)(void *arg, const char *secret);
int certlc_inventory(certlc_store *store, const certlc_tenant *t,
                     const certlc_tcp_status *st, certlc_inventory_skip skip,
                     void *arg, certlc_cert_info **out, size_t *n);

/* The certificate of an item's Secret (for a kubeconfig, the client
 * certificate it embeds), decoded; NULL with err naming a missing key. */
X509 *certlc_item_cert(const certlc_item *item, const certlc_secret *s,
                       certlc_err *err);

#endif
