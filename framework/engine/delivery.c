#include "delivery.h"

#include "hex.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "sha256.h"

/* Signed by the issuer, named in the message by its issuer field. */
static int check_issuer(const certlc_delivery_rules *r, X509 *x,
                        certlc_err *err)
{
    EVP_PKEY *capub = X509_get0_pubkey(r->issuer);
    if (X509_check_issued(r->issuer, x) == X509_V_OK && capub != NULL &&
        X509_verify(x, capub) == 1)
        return 0;
    char issuer[256] = "";
    X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof issuer);
    ERR_clear_error();
    return certlc_err_set(err, "it does not chain to %s (issuer %s)",
                          r->issuer_desc, issuer);
}

static int check_time(const certlc_delivery_rules *r, X509 *x,
                      certlc_err *err)
{
    char when[32];
    int64_t nb = certlc_cert_not_before(x), na = certlc_cert_not_after(x);
    if (na <= r->now) {
        certlc_time_rfc3339(na, when, sizeof when);
        return certlc_err_set(err, "it expired at %s", when);
    }
    if (nb > r->now) {
        certlc_time_rfc3339(nb, when, sizeof when);
        return certlc_err_set(err, "it is not valid before %s", when);
    }
    return 0;
}

/* A delivery never goes back in time. */
static int check_current(const certlc_delivery_rules *r, X509 *x,
                         certlc_err *err)
{
    int64_t na = certlc_cert_not_after(x);
    if (r->current_not_after == 0 || na > r->current_not_after)
        return 0;
    char when[32], cwhen[32];
    certlc_time_rfc3339(na, when, sizeof when);
    certlc_time_rfc3339(r->current_not_after, cwhen, sizeof cwhen);
    return certlc_err_set(err, "its notAfter %s is not later than the "
                          "current certificate's (%s)", when, cwhen);
}

/* Not the certificate rotated out, and newer than it. */
static int check_previous(const certlc_delivery_rules *r, X509 *x,
                          certlc_err *err)
{
    certlc_err perr;
    X509 *px = r->previous ? certlc_cert_from_pem(r->previous->value,
                                                  r->previous->len, &perr)
                           : NULL;
    if (px == NULL)
        return 0;
    int rc = 0;
    if (X509_cmp(x, px) == 0) {
        char *serial = certlc_cert_serial_hex(x);
        rc = certlc_err_set(err, "it is the previous certificate (serial %s), "
                            "the one being rotated out", serial ? serial : "?");
        free(serial);
    } else if (certlc_cert_not_after(x) <= certlc_cert_not_after(px)) {
        char when[32], pwhen[32];
        certlc_time_rfc3339(certlc_cert_not_after(x), when, sizeof when);
        certlc_time_rfc3339(certlc_cert_not_after(px), pwhen, sizeof pwhen);
        rc = certlc_err_set(err, "its notAfter %s is not later than the "
                            "previous certificate's (%s)", when, pwhen);
    }
    X509_free(px);
    return rc;
}

/* Whether the subject has an entry nid equal to want; the entries of nid
 * into have (comma-separated, for the message). */
static bool subject_has(X509 *x, int nid, const char *want, char *have,
                        size_t size, size_t *n)
{
    const X509_NAME *name = X509_get_subject_name(x);
    bool found = false;
    size_t used = 0;
    *n = 0;
    have[0] = '\0';
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(name, nid, i)) {
        const ASN1_STRING *v =
            X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        int len = ASN1_STRING_length(v);
        const char *d = (const char *)ASN1_STRING_get0_data(v);
        if (len >= 0 && strlen(want) == (size_t)len &&
            memcmp(d, want, (size_t)len) == 0)
            found = true;
        if (used < size)
            used += (size_t)snprintf(have + used, size - used, "%s'%.*s'",
                                     *n ? ", " : "", len > 100 ? 100 : len, d);
        (*n)++;
    }
    return found;
}

/* The subject a consumer depends on (see certlc_delivery_rules). */
static int check_subject(const certlc_delivery_rules *r, X509 *x,
                         certlc_err *err)
{
    char have[300];
    size_t n;
    if (r->cn != NULL &&
        (!subject_has(x, NID_commonName, r->cn, have, sizeof have, &n) ||
         n != 1))
        return certlc_err_set(err, "its subject CN is %s, expected '%s' (%s)",
                              n ? have : "missing", r->cn,
                              r->cn_why ? r->cn_why : "");
    if (r->org != NULL &&
        !subject_has(x, NID_organizationName, r->org, have, sizeof have, &n))
        return certlc_err_set(err, "its subject O is %s, expected '%s' (%s)",
                              n ? have : "missing", r->org,
                              r->org_why ? r->org_why : "");
    return 0;
}

int certlc_delivery_judge(const certlc_delivery_rules *r,
                          const certlc_kv *crt, const certlc_kv *key,
                          certlc_err *err)
{
    if (crt == NULL || key == NULL)
        return certlc_err_set(err, "it has no %s", crt == NULL
                                                       ? "certificate"
                                                       : "private key");
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = -1;
    if ((x = certlc_cert_from_pem(crt->value, crt->len, err)) == NULL) {
        certlc_err_prefix(err, "%s does not parse", crt->key);
        goto out;
    }
    if ((k = certlc_private_key_from_pem(key->value, key->len, err)) ==
        NULL) {
        certlc_err_prefix(err, "%s does not parse", key->key);
        goto out;
    }
    if (certlc_key_matches_cert(k, x, err) != 0) {
        certlc_err_set(err, "%s does not match the certificate in %s",
                       key->key, crt->key);
        goto out;
    }
    if ((r->issuer != NULL && check_issuer(r, x, err) != 0) ||
        check_time(r, x, err) != 0 ||
        (r->issuer != NULL && certlc_cert_verify(x, r->issuer, r->now,
                                                 err) != 0) ||
        check_previous(r, x, err) != 0 || check_current(r, x, err) != 0 ||
        check_subject(r, x, err) != 0)
        goto out;
    if (r->spec != NULL && certlc_cert_covers_spec(x, r->spec, err) != 0) {
        certlc_err_prefix(err, "it does not fit the component");
        goto out;
    }
    ERR_clear_error();
    rc = 0;
out:
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

int certlc_delivery_put_aside(certlc_store *store, const certlc_secret *src,
                              const char *ns, const char *name,
                              const char *akey, const char *aval,
                              certlc_err *err)
{
    certlc_secret *s = certlc_secret_new(ns, name, src->type);
    if (s == NULL)
        return certlc_err_set(err, "out of memory");
    int bad = 0;
    for (size_t i = 0; i < src->data.n; i++)
        bad |= certlc_kvlist_set(&s->data, src->data.items[i].key,
                                 src->data.items[i].value,
                                 src->data.items[i].len);
    for (size_t i = 0; i < src->labels.n; i++)
        bad |= certlc_kvlist_set(&s->labels, src->labels.items[i].key,
                                 src->labels.items[i].value,
                                 src->labels.items[i].len);
    bad |= certlc_kvlist_set_str(&s->annotations, akey, aval);
    if (bad) {
        certlc_secret_free(s);
        return certlc_err_set(err, "out of memory");
    }
    int rc = certlc_store_create(store, s, err);
    if (rc == CERTLC_CONFLICT) {
        certlc_secret *old = NULL;
        rc = certlc_store_get(store, ns, name, &old, err);
        if (rc == 0) {
            s->resource_version = old->resource_version;
            rc = certlc_store_update(store, s, err);
        } else if (rc < 0 && rc != CERTLC_NOTFOUND &&
                   rc != CERTLC_UNDECRYPTABLE) {
            /* Unreadable: replaced (an undecryptable one never is). */
            if (certlc_store_remove(store, ns, name, err) >= 0)
                rc = certlc_store_create(store, s, err);
        }
        certlc_secret_free(old);
    }
    certlc_secret_free(s);
    return rc == 0 ? 0 : -1;
}

/* The first 8 hex digits of SHA-256 over the certificate's PEM. */
static void short_digest(const certlc_kv *crt, char out[9])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    snprintf(out, 9, "00000000");
    if (crt == NULL || !EVP_Digest(crt->value, crt->len, md, &n, certlc_sha256(),
                                   NULL) || n < 4)
        return;
    certlc_hex(md, 4, out);
}

int certlc_delivery_set_aside(certlc_store *store, const certlc_secret *r,
                              const char *ns, const char *name,
                              const certlc_kv *crt, const char *why,
                              char *aside, size_t aside_size,
                              certlc_err *err)
{
    char digest[9];
    short_digest(crt, digest);
    snprintf(aside, aside_size, "%.220s-refused-%s", name, digest);
    certlc_secret *there = NULL;
    certlc_err gerr;
    if (certlc_store_get(store, ns, aside, &there, &gerr) == 0) {
        certlc_secret_free(there); /* set aside by an earlier pass */
        return 0;
    }
    return certlc_delivery_put_aside(store, r, ns, aside,
                                     CERTLC_ANNOTATION_REFUSED, why, err);
}

int certlc_delivery_refuse(certlc_store *store, const certlc_secret *r,
                           const char *ns, const char *name,
                           const certlc_kv *crt, const char *why, char *aside,
                           size_t aside_size, certlc_err *err)
{
    if (certlc_delivery_set_aside(store, r, ns, name, crt, why, aside,
                                  aside_size, err) != 0 ||
        certlc_store_remove(store, ns, name, err) < 0)
        return -1;
    return 0;
}
