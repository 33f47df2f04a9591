/* Deliveries: a certificate and key that an external issuer (cert-manager,
 * a corporate PKI, a site script) wrote into the store, judged before
 * anything uses them and kept aside, never lost, when refused.
 *
 * One judge serves every external flow: the datastore client certificate
 * of the external drivers (datastore_external.c) and the CAs and leaf
 * certificates a tenant declares provided (reconcile.c).
 */
#ifndef CERTLC_DELIVERY_H
#define CERTLC_DELIVERY_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "pki.h"
#include "secret.h"
#include "store.h"

/* The annotations a flow leaves on what it keeps aside. */
#define CERTLC_ANNOTATION_REFUSED "certlc.io/refused-reason"
#define CERTLC_ANNOTATION_PREVIOUS_OF "certlc.io/previous-of"

typedef struct certlc_delivery_rules {
    X509 *issuer;            /* it must be signed by this CA; NULL: any */
    const char *issuer_desc; /* "the CA of datastore 'x'", for messages */
    const certlc_cert_spec *spec; /* SANs and usages it needs; NULL: none */
    const certlc_kv *previous;    /* the certificate rotated out; or NULL */
    int64_t current_not_after;    /* of the certificate in use; 0: none */
    int64_t now;
    /* The subject where a consumer depends on it; NULL: any. cn: the one
     * CN it must have; org: an O it must include; *_why: who needs it,
     * for the message. */
    const char *cn, *cn_why;
    const char *org, *org_why;
} certlc_delivery_rules;

/* 0 when crt and key (data entries of the delivered Secret, named by their
 * keys in messages) are present and parse, belong together, are signed by
 * the issuer, valid now, cover the spec, carry the subject the rules name,
 * are not the previous certificate, and expire later than both the
 * previous and the current one (a delivery never goes back in time). -1
 * with the first reason otherwise. */
int certlc_delivery_judge(const certlc_delivery_rules *r,
                          const certlc_kv *crt, const certlc_kv *key,
                          certlc_err *err);

/* Writes a copy of src (data, type, labels) as ns/name with one annotation,
 * replacing whatever is there. */
int certlc_delivery_put_aside(certlc_store *store, const certlc_secret *src,
                              const char *ns, const char *name,
                              const char *akey, const char *aval,
                              certlc_err *err);

/* Sets a refused delivery aside as <name>-refused-<first 8 hex digits of
 * the SHA-256 of crt> with the reason in CERTLC_ANNOTATION_REFUSED (not
 * again when that copy is there already); the aside name goes to aside. */
int certlc_delivery_set_aside(certlc_store *store, const certlc_secret *r,
                              const char *ns, const char *name,
                              const certlc_kv *crt, const char *why,
                              char *aside, size_t aside_size,
                              certlc_err *err);

/* certlc_delivery_set_aside, then removes the delivery from ns/name. */
int certlc_delivery_refuse(certlc_store *store, const certlc_secret *r,
                           const char *ns, const char *name,
                           const certlc_kv *crt, const char *why, char *aside,
                           size_t aside_size, certlc_err *err);

#endif
