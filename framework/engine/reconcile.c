#include "reconcile.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_bundle.h"
#include "ca_overlap.h"
#include "datastore_reconcile.h"
#include "kamaji.h"
#include "delivery.h"
#include "events.h"
#include "kubeconfig.h"
#include "log.h"
#include "pass.h"
#include "pki.h"
#include "plan.h"
#include "reissue_guard.h"
#include "rollout.h"
#include "secret_write.h"
#include "status.h"
#include "timefmt.h"
#include "validation.h"
#include "workers.h"

#define MAX_SIGNERS 4

/* A CA of the plan as loaded (or just issued and stored) in this pass.
 * held: the CA is there but not valid yet (its notBefore is in the
 * future): it signs nothing, and nothing it signed is judged. */
typedef struct signer {
    const certlc_item *item;
    certlc_ca ca;
    bool held;
    uint64_t rv; /* the resourceVersion of its Secret as read or written */
    /* A CA judged before (validation.h) is loaded only when something
     * needs it (to sign, or to judge in full what it signed). */
    certlc_secret *lazy;
    /* A CA judged before and not even read (its stored bytes are the ones
     * judged: unchanged_since_judged): their digest, checked when it is
     * read, when something needs it. "": read or loaded. */
    char unread[65];
} signer;

/* The plan's step of a pass: what walking the plan's Secrets keeps beside
 * the pass context (pass.h), which holds the store, the configuration, the
 * tenant, now, the result, the status and the reissue guard's verdict. */
typedef struct plan_step {
    certlc_pass *pc; /* the context of the pass (pass.h) */
    signer signers[MAX_SIGNERS];
    size_t n_signers;
    char ca_expiring[300];   /* the CAs near their end, for the status */
    char provided_expiring[300]; /* those of them that are provided */
    char awaiting_ca[400];   /* provided CAs not (validly) delivered yet */
    char adopted[500];       /* CAs certlc did not make, signing anyway */
    char ca_waiting[400];    /* the CAs not valid yet, for the status */
    certlc_cause cause;      /* why the last check failed */
    bool stopped;            /* a new CA could not be stored: stop */
    /* Of the certificates the last full check judged: the latest
     * notBefore, the earliest notAfter, and the CA's end when one of them
     * ends with its CA (the record of the verdict, validation.h). */
    int64_t judged_nb, judged_na, judged_ca_end;
} plan_step;

/* Records one event of the pass itself (not one of a Secret's outcome,
 * which the observer makes): a failure to record is only logged. */
static void pass_event(const plan_step *p, const char *type, const char *reason,
                       const char *cause, const char *secret, const char *msg)
{
    certlc_event e;
    certlc_event_init(&e, type, reason, p->pc->t->namespace, p->pc->t->name, secret,
                      p->pc->now);
    snprintf(e.cause, sizeof e.cause, "%s", cause);
    snprintf(e.message, sizeof e.message, "%s", msg);
    certlc_err err;
    if (certlc_events_record(p->pc->store, p->pc->t->namespace, p->pc->t->name, &e, 1,
                             &err) != 0)
        certlc_warn("engine", "%s/%s: cannot record the %s event: %s",
                    p->pc->t->namespace, p->pc->t->name, reason, err.msg);
}

/* Sets the pass's cause and the error message together: the cause is
 * decided where the message is written. */
#define FAIL(p, c, err, ...) \
    ((p)->cause = (c), certlc_err_set((err), __VA_ARGS__))

/* The signer as it is: a CA judged before may not be loaded yet. */
static signer *signer_of(plan_step *p, const char *suffix)
{
    for (size_t i = 0; i < p->n_signers; i++)
        if (strcmp(p->signers[i].item->suffix, suffix) == 0)
            return &p->signers[i];
    return NULL;
}

/* Reads the Secret of a CA that was not read (unread) into lazy; when its
 * bytes are not the ones judged any more, it is not available: the next
 * pass judges it again. */
static void read_signer(plan_step *p, signer *s)
{
    char name[320];
    certlc_plan_secret_name(p->pc->t, s->item, name, sizeof name);
    certlc_err err = {{0}};
    certlc_secret *got = NULL;
    if (certlc_store_get(p->pc->store, p->pc->t->namespace, name, &got, &err) != 0)
        certlc_warn("engine", "%s/%s: cannot read the CA %s: %s",
                    p->pc->t->namespace, p->pc->t->name, name, err.msg);
    else if (strcmp(got->stored_digest, s->unread) != 0)
        certlc_warn("engine", "%s/%s: the CA %s changed during the pass",
                    p->pc->t->namespace, p->pc->t->name, name);
    else
        s->lazy = got, got = NULL;
    certlc_secret_free(got);
    s->unread[0] = '\0';
}

/* The signer, its CA loaded (see signer_defer). */
static signer *find_signer(plan_step *p, const char *suffix)
{
    signer *s = signer_of(p, suffix);
    if (s != NULL && s->unread[0] != '\0')
        read_signer(p, s);
    if (s == NULL || s->lazy == NULL)
        return s;
    const certlc_item *item = s->item;
    const certlc_kv *ckv = certlc_kvlist_get(&s->lazy->data, item->cert_key);
    const certlc_kv *kkv = certlc_kvlist_get(&s->lazy->data, item->key_key);
    certlc_err err = {{0}};
    certlc_validation_count_parse();
    if (ckv == NULL || kkv == NULL ||
        certlc_ca_load(&s->ca, ckv->value, ckv->len, kkv->value, kkv->len,
                       &err) != 0)
        /* Judged good with these very bytes: not expected. Signing with
         * it then fails with "not available". */
        certlc_warn("engine", "%s/%s: cannot load the CA %s-%s: %s",
                    p->pc->t->namespace, p->pc->t->name, p->pc->t->name, item->suffix,
                    err.msg);
    certlc_secret_free(s->lazy);
    s->lazy = NULL;
    return s;
}

/* The pass signs with ca from now on; it takes ca's contents. */
static void signer_set(plan_step *p, const certlc_item *item, certlc_ca *ca,
                       uint64_t rv)
{
    signer *s = signer_of(p, item->suffix);
    if (s == NULL) {
        s = &p->signers[p->n_signers++];
        s->item = item;
    } else {
        certlc_ca_fini(&s->ca);
    }
    s->ca = *ca;
    memset(ca, 0, sizeof *ca);
    s->rv = rv;
}

/* Parses the certificate and key of a Secret and checks they belong
 * together. On success the caller owns *cert and *key. */
static int load_pair(const certlc_kv *ckv, const certlc_kv *kkv, X509 **cert,
                     EVP_PKEY **key, certlc_err *err)
{
    *cert = certlc_cert_from_pem(ckv->value, ckv->len, err);
    if (*cert == NULL) {
        certlc_err_prefix(err, "%s", ckv->key);
        return -1;
    }
    *key = certlc_private_key_from_pem(kkv->value, kkv->len, err);
    if (*key == NULL) {
        certlc_err_prefix(err, "%s", kkv->key);
        goto fail;
    }
    if (certlc_key_matches_cert(*key, *cert, err) != 0)
        goto fail;
    return 0;
fail:
    X509_free(*cert);
    EVP_PKEY_free(*key);
    *cert = NULL;
    *key = NULL;
    return -1;
}

/* The certificate and key an item's Secret holds, checked to belong
 * together; the caller owns both on success. */
static int load_item_pair(const certlc_secret *s, const certlc_item *item,
                          X509 **cert, EVP_PKEY **key, certlc_err *err)
{
    const certlc_kv *ckv = certlc_secret_need(s, item->cert_key, err);
    const certlc_kv *kkv = ckv ? certlc_secret_need(s, item->key_key, err) : NULL;
    if (kkv == NULL)
        return -1;
    return load_pair(ckv, kkv, cert, key, err);
}

/* Keeps what the verdict's record needs of a certificate judged (or just
 * issued): the latest notBefore, the earliest notAfter, and the CA's end
 * when the certificate ends with it. */
static void note_dates(plan_step *p, int64_t nb, int64_t na, int64_t ca_end)
{
    if (nb > p->judged_nb)
        p->judged_nb = nb;
    if (p->judged_na == 0 || na < p->judged_na)
        p->judged_na = na;
    if (na == ca_end)
        p->judged_ca_end = ca_end;
}

static void note_judged(plan_step *p, X509 *cert, int64_t ca_end)
{
    note_dates(p, certlc_cert_not_before(cert), certlc_cert_not_after(cert),
               ca_end);
}

/* The checks every issued certificate must pass: signed by the current
 * signer, as the spec says, and not yet due. */
static int check_issued(plan_step *p, X509 *cert, const certlc_item *item,
                        const certlc_cert_spec *spec, certlc_err *err)
{
    signer *s = find_signer(p, item->signer);
    if (s == NULL || s->ca.cert == NULL)
        return FAIL(p, CERTLC_CAUSE_CA, err, "its CA %s-%s is not available",
                    p->pc->t->name, item->signer);
    if (certlc_cert_verify(cert, s->ca.cert, p->pc->now, err) != 0) {
        p->cause = CERTLC_CAUSE_CA;
        certlc_err_prefix(err, "not valid under the current %s-%s",
                          p->pc->t->name, item->signer);
        return -1;
    }
    if (certlc_cert_matches_spec(cert, spec, err) != 0) {
        p->cause = CERTLC_CAUSE_SPEC;
        return -1;
    }
    int64_t due = certlc_cert_not_after(cert) - p->pc->cfg->renew_before;
    /* A leaf that ends with its CA cannot be renewed for longer: it is
     * due when the CA is, which rotates the CA (check_ca). Judging it
     * by renew_before would reissue it on every pass. */
    int64_t ca_end = certlc_cert_not_after(s->ca.cert);
    if (certlc_cert_not_after(cert) > ca_end) {
        /* Issued before leaves were clamped, or by someone else. */
        char when[32];
        certlc_time_rfc3339(ca_end, when, sizeof when);
        return FAIL(p, CERTLC_CAUSE_CA, err, "it outlives its CA %s-%s "
                    "(which ends %s)", p->pc->t->name, item->signer, when);
    }
    if (certlc_cert_not_after(cert) == ca_end)
        due = ca_end;
    note_judged(p, cert, ca_end);
    if (p->pc->now >= due) {
        char when[32];
        certlc_time_rfc3339(certlc_cert_not_after(cert), when, sizeof when);
        return FAIL(p, CERTLC_CAUSE_EXPIRING, err,
                    "due for renewal: expires %s", when);
    }
    if (item->lifecycle != NULL && due < p->pc->res->next_due)
        p->pc->res->next_due = due;
    return 0;
}

static bool ca_provided(const plan_step *p, const certlc_item *item);

/* Notes a CA that is near its end, for the status (see note_ca_expiry);
 * a provided one apart: what to do about it differs. */
static void note_ca_end(plan_step *p, const certlc_item *item, int64_t not_after)
{
    int64_t left = not_after - p->pc->now;
    if (left >= certlc_ca_warn_window(p->pc->cfg))
        return;
    char *list = ca_provided(p, item) ? p->provided_expiring : p->ca_expiring;
    size_t size = ca_provided(p, item) ? sizeof p->provided_expiring
                                       : sizeof p->ca_expiring;
    size_t used = strlen(list);
    snprintf(list + used, size - used, "%s%s-%s expires in %lld day(s)",
             used ? "; " : "", p->pc->t->name, item->suffix,
             (long long)(left / 86400));
}

static void note_ca(plan_step *p, const certlc_item *item, X509 *cert)
{
    note_ca_end(p, item, certlc_cert_not_after(cert));
}

/* A CA whose notBefore is in the future is never used to sign: it is kept
 * (issuing another would only move the problem), what it signed is left
 * alone, the tenant is not ready, and the pass is run again at notBefore. */
static int hold_ca(plan_step *p, const certlc_item *item, int64_t not_before,
                   certlc_err *err)
{
    signer *s = signer_of(p, item->suffix);
    if (s == NULL) {
        s = &p->signers[p->n_signers++];
        s->item = item;
    }
    s->held = true;
    if (not_before < p->pc->res->next_due)
        p->pc->res->next_due = not_before;
    char when[32];
    certlc_time_rfc3339(not_before, when, sizeof when);
    size_t used = strlen(p->ca_waiting);
    snprintf(p->ca_waiting + used, sizeof p->ca_waiting - used,
             "%s%s-%s is not valid before %s", used ? "; " : "", p->pc->t->name,
             item->suffix, when);
    return FAIL(p, CERTLC_CAUSE_CA_NOT_YET_VALID, err,
                "the CA is not valid before %s (is the clock right?): "
                "nothing it signs is issued or replaced until then", when);
}

/* A CA that certlc did not issue (no rotation annotation of certlc's) is
 * adopted: noted for the status, which says so once. */
static void note_adopted(plan_step *p, const certlc_secret *s,
                         const certlc_item *item, const certlc_ca *ca)
{
    if (certlc_kvlist_get(&s->annotations, CERTLC_ANNOTATION_ROTATED) != NULL)
        return;
    char subj[200] = "", iss[200] = "";
    X509_NAME_oneline(X509_get_subject_name(ca->cert), subj, sizeof subj);
    X509_NAME_oneline(X509_get_issuer_name(ca->cert), iss, sizeof iss);
    size_t used = strlen(p->adopted);
    snprintf(p->adopted + used, sizeof p->adopted - used,
             "%s%s-%s: subject %s, issuer %s%s", used ? "; " : "", p->pc->t->name,
             item->suffix, subj, iss,
             certlc_ca_is_root(ca) ? "" : " (an intermediate)");
}

/* A CA is kept whatever its form (subject, key type, validity, extensions,
 * root or intermediate) as long as it can sign: a difference of form is
 * never a reason to replace a CA and lose its key. Time decides the rest. */
static int check_ca(plan_step *p, const certlc_secret *s, const certlc_item *item,
                    certlc_err *err)
{
    const certlc_kv *ckv = certlc_secret_need(s, item->cert_key, err);
    const certlc_kv *kkv = ckv ? certlc_secret_need(s, item->key_key, err) : NULL;
    if (kkv == NULL)
        return -1;
    certlc_ca ca;
    if (certlc_ca_load(&ca, ckv->value, ckv->len, kkv->value, kkv->len,
                       err) != 0)
        return -1;
    if (certlc_ca_usable(&ca, err) != 0) {
        certlc_ca_fini(&ca);
        return -1;
    }
    /* A CA near its end is reported, never rotated for its age; one past
     * its end is rotated as if deleted: nothing it signs can be valid. One
     * not valid yet (the clock stepped back) is kept and signs nothing
     * until its notBefore (see hold_ca). */
    int64_t not_after = certlc_ca_not_after(&ca);
    int64_t not_before = certlc_cert_not_before(ca.cert);
    if (p->pc->now >= not_after) {
        char when[32];
        certlc_time_rfc3339(not_after, when, sizeof when);
        certlc_ca_fini(&ca);
        return FAIL(p, CERTLC_CAUSE_CA_EXPIRED, err, "the CA expired at %s",
                    when);
    }
    if (p->pc->now < not_before) {
        certlc_ca_fini(&ca);
        return hold_ca(p, item, not_before, err);
    }
    note_ca(p, item, ca.cert);
    note_adopted(p, s, item, &ca);
    /* Its end is a deadline: the CA is rotated then. */
    if (not_after < p->pc->res->next_due)
        p->pc->res->next_due = not_after;
    signer_set(p, item, &ca, s->resource_version);
    return 0;
}

static int check_keypair(const certlc_secret *s, const certlc_item *item,
                         certlc_err *err)
{
    const certlc_kv *pkv = certlc_secret_need(s, item->cert_key, err);
    const certlc_kv *kkv = pkv ? certlc_secret_need(s, item->key_key, err) : NULL;
    if (kkv == NULL)
        return -1;
    EVP_PKEY *key = certlc_private_key_from_pem(kkv->value, kkv->len, err);
    if (key == NULL) {
        certlc_err_prefix(err, "%s", item->key_key);
        return -1;
    }
    EVP_PKEY *pub = certlc_public_key_from_pem(pkv->value, pkv->len, err);
    int rc = -1;
    if (pub == NULL)
        certlc_err_prefix(err, "%s", item->cert_key);
    else
        rc = certlc_key_matches_public(key, pub, err);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
    return rc;
}

/* What follows the leaf in its certificate entry: the chain of its CA
 * for a serving certificate (an intermediate's chain; nothing under a root
 * CA), nothing for a client certificate. */
static int check_chain(plan_step *p, const certlc_kv *ckv, const certlc_item *item,
                       certlc_err *err)
{
    static const char end[] = "-----END CERTIFICATE-----\n";
    const char *v = (const char *)ckv->value;
    const char *e = memmem(v, ckv->len, end, sizeof end - 1);
    size_t rest = e ? ckv->len - (size_t)(e + sizeof end - 1 - v) : 0;
    signer *sg = find_signer(p, item->signer);
    size_t want = item->server_auth && sg != NULL ? sg->ca.chain_len : 0;
    if (rest != want ||
        (want != 0 && memcmp(e + sizeof end - 1, sg->ca.chain_pem, want) != 0))
        return certlc_err_set(err, "%s does not carry the chain of %s-%s "
                              "after the certificate", item->cert_key,
                              p->pc->t->name, item->signer);
    return 0;
}

static int check_leaf(plan_step *p, const certlc_secret *s, const certlc_item *item,
                      const certlc_cert_spec *spec, certlc_err *err)
{
    X509 *cert;
    EVP_PKEY *key;
    if (load_item_pair(s, item, &cert, &key, err) != 0)
        return -1;
    int rc = check_issued(p, cert, item, spec, err);
    if (rc == 0)
        rc = check_chain(p, certlc_kvlist_get(&s->data, item->cert_key), item,
                         err);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* One kubeconfig of the Secret: its user is kc_want->cn, its client
 * certificate as the spec says with kc_want's CN and O. */
static int check_one_kubeconfig(plan_step *p, const certlc_secret *s,
                                const certlc_item *item,
                                const certlc_plan_kubeconfig *kc_want,
                                const certlc_cert_spec *item_spec,
                                certlc_err *err)
{
    const certlc_kv *kv = certlc_secret_need(s, kc_want->key, err);
    if (kv == NULL)
        return -1;
    certlc_cert_spec one = *item_spec;
    const char *orgs[1] = {kc_want->org};
    one.cn = kc_want->cn;
    one.orgs = orgs;
    one.n_orgs = kc_want->org != NULL ? 1 : 0;
    const certlc_cert_spec *spec = &one;
    certlc_kubeconfig *kc = certlc_kubeconfig_parse(kv->value, kv->len, err);
    if (kc == NULL) {
        certlc_err_prefix(err, "%s", kc_want->key);
        return -1;
    }
    int rc = -1;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    char url[512];
    certlc_plan_server_url(item, p->pc->t, url, sizeof url);
    signer *sg = find_signer(p, item->signer);
    if (strcmp(kc->cluster, p->pc->t->name) != 0) {
        FAIL(p, CERTLC_CAUSE_SPEC, err, "cluster is '%s', expected '%s'",
             kc->cluster, p->pc->t->name);
    } else if (strcmp(kc->user, kc_want->cn) != 0) {
        FAIL(p, CERTLC_CAUSE_SPEC, err, "user is '%s', expected '%s'",
             kc->user, kc_want->cn);
    } else if (strcmp(kc->server, url) != 0) {
        FAIL(p, CERTLC_CAUSE_SPEC, err, "server is '%s', expected '%s'",
             kc->server, url);
    } else if (sg == NULL || sg->ca.cert == NULL ||
               kc->ca_len != sg->ca.bundle_len ||
               memcmp(kc->ca_pem, sg->ca.bundle_pem, kc->ca_len) != 0) {
        /* The whole bundle: with an intermediate CA, a client needs its
         * root to verify the API server. */
        FAIL(p, CERTLC_CAUSE_CA, err, "certificate-authority-data is not the "
                                      "current CA's ca.crt");
    } else {
        certlc_kv ckv = {"client-certificate-data", kc->cert_pem, kc->cert_len};
        certlc_kv kkv = {"client-key-data", kc->key_pem, kc->key_len};
        if (load_pair(&ckv, &kkv, &cert, &key, err) == 0)
            rc = check_issued(p, cert, item, spec, err);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    certlc_kubeconfig_free(kc);
    if (rc != 0 && strcmp(kc_want->key, item->cert_key) != 0)
        certlc_err_prefix(err, "%s", kc_want->key);
    return rc;
}

/* Every kubeconfig the tenant's version wants in the Secret (admin.conf,
 * and super-admin.conf from v1.29), the RBAC manifest that goes with
 * them, and nothing else: a version change across v1.29 reissues. */
static int check_kubeconfig(plan_step *p, const certlc_secret *s,
                            const certlc_item *item,
                            const certlc_cert_spec *spec, certlc_err *err)
{
    certlc_plan_kubeconfig want[CERTLC_PLAN_MAX_KUBECONFIGS];
    size_t n = certlc_plan_kubeconfigs(item, p->pc->t, want);
    for (size_t i = 0; i < n; i++)
        if (check_one_kubeconfig(p, s, item, &want[i], spec, err) != 0)
            return -1;
    const char *rbac = certlc_plan_rbac_manifest(item, p->pc->t);
    const certlc_kv *rkv = certlc_kvlist_get(&s->data, CERTLC_RBAC_KEY);
    if (rbac != NULL &&
        (rkv == NULL || rkv->len != strlen(rbac) ||
         memcmp(rkv->value, rbac, rkv->len) != 0))
        return certlc_err_set(err, "data key '%s' is missing or not the "
                                   "kubeadm:cluster-admins binding",
                              CERTLC_RBAC_KEY);
    if (s->data.n != n + (rbac != NULL))
        return certlc_err_set(err, "holds %zu data keys, expected %zu for "
                                   "version %s",
                              s->data.n, n + (rbac != NULL), p->pc->t->version);
    return 0;
}

/* The kubeconfig of an item for user, embedding the signer's ca.crt as
 * CA (the whole bundle: with an intermediate, a client needs the root). */
static char *kubeconfig_yaml(plan_step *p, const certlc_item *item,
                             const char *user, const certlc_ca *ca,
                             const char *cert_pem, size_t cert_len,
                             const char *key_pem, size_t key_len,
                             size_t *yaml_len, certlc_err *err)
{
    char url[512];
    certlc_plan_server_url(item, p->pc->t, url, sizeof url);
    certlc_kubeconfig kc = {
        .cluster = p->pc->t->name, .user = (char *)user, .server = url,
        .ca_pem = (unsigned char *)ca->bundle_pem, .ca_len = ca->bundle_len,
        .cert_pem = (unsigned char *)cert_pem, .cert_len = cert_len,
        .key_pem = (unsigned char *)key_pem, .key_len = key_len};
    return certlc_kubeconfig_write(&kc, yaml_len, err);
}

/* A leaf never outlives its CA (certlc_pass_note_clamp). */
static void note_clamp(plan_step *p, const certlc_item *item,
                       const certlc_cert_spec *spec, X509 *ca)
{
    char leaf[320], ca_desc[340];
    snprintf(leaf, sizeof leaf, "%.150s-%.150s", p->pc->t->name, item->suffix);
    snprintf(ca_desc, sizeof ca_desc, "its CA %.150s-%.150s", p->pc->t->name,
             item->signer);
    certlc_pass_note_clamp(p->pc, leaf, ca_desc, spec->validity,
                           certlc_cert_not_after(ca));
}

/* A serving certificate carries its CA's chain after it (see check_chain). */
static char *append_chain(const certlc_item *item, const signer *sg,
                          char *cert_pem, size_t *cert_len, certlc_err *err)
{
    if (cert_pem == NULL || !item->server_auth || sg->ca.chain_len == 0)
        return cert_pem;
    char *c = realloc(cert_pem, *cert_len + sg->ca.chain_len + 1);
    if (c == NULL) {
        free(cert_pem);
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    memcpy(c + *cert_len, sg->ca.chain_pem, sg->ca.chain_len + 1);
    *cert_len += sg->ca.chain_len;
    return c;
}

static int issue_one(plan_step *p, const certlc_item *item,
                     const certlc_cert_spec *spec, const char *data_key,
                     certlc_kvlist *data, X509 **new_ca, EVP_PKEY **new_key,
                     certlc_err *err);

/* Fills data with new material: a new key and, but for key pairs, a
 * certificate as the spec says. A kubeconfig Secret gets each kubeconfig
 * its tenant's version wants. A new CA is handed back in *new_ca and
 * *new_key: it signs only once the store has it (reconcile_item). */
static int issue(plan_step *p, const certlc_item *item, const certlc_cert_spec *spec,
                 certlc_kvlist *data, X509 **new_ca, EVP_PKEY **new_key,
                 certlc_err *err)
{
    if (item->kind != CERTLC_ITEM_KUBECONFIG) {
        if (issue_one(p, item, spec, item->cert_key, data, new_ca, new_key,
                      err) != 0)
            return -1;
        if (certlc_kamaji_ca_tls_keys(data, item) != 0)
            return certlc_err_set(err, "out of memory");
        return 0;
    }
    certlc_plan_kubeconfig want[CERTLC_PLAN_MAX_KUBECONFIGS];
    size_t n = certlc_plan_kubeconfigs(item, p->pc->t, want);
    for (size_t i = 0; i < n; i++) {
        certlc_cert_spec one = *spec;
        const char *orgs[1] = {want[i].org};
        one.cn = want[i].cn;
        one.orgs = orgs;
        one.n_orgs = want[i].org != NULL ? 1 : 0;
        if (issue_one(p, item, &one, want[i].key, data, NULL, NULL, err) != 0)
            return -1;
    }
    const char *rbac = certlc_plan_rbac_manifest(item, p->pc->t);
    if (rbac != NULL && certlc_kvlist_set_str(data, CERTLC_RBAC_KEY, rbac) != 0)
        return certlc_err_set(err, "out of memory");
    return 0;
}

/* The certificate of key as the item's kind wants it, as PEM: a
 * keypair's public key; a CA, self-signed (its X509 object into
 * *ca_cert: it signs the rest of the pass, once stored); a leaf or a
 * kubeconfig's, signed by sg, with the chain item says. NULL with err. */
static char *make_cert_pem(plan_step *p, const certlc_item *item,
                           const certlc_cert_spec *spec, EVP_PKEY *key,
                           const signer *sg, X509 **ca_cert, size_t *len,
                           certlc_err *err)
{
    char *pem = NULL;
    int64_t nb = 0, na = 0;
    switch (item->kind) {
    case CERTLC_ITEM_KEYPAIR:
        return certlc_pem_public_key(key, len, err);
    case CERTLC_ITEM_CA:
        *ca_cert = certlc_cert_issue(spec, key, NULL, key, err);
        return *ca_cert != NULL ? certlc_pem_cert(*ca_cert, len, err) : NULL;
    case CERTLC_ITEM_LEAF:
    case CERTLC_ITEM_KUBECONFIG:
        /* Only the PEM is stored: the faster path that never builds a
         * reusable X509 object. */
        pem = certlc_cert_issue_pem_dated(spec, key, sg->ca.cert, sg->ca.key,
                                          len, &nb, &na, err);
        if (pem != NULL)
            note_dates(p, nb, na, certlc_cert_not_after(sg->ca.cert));
        return append_chain(item, sg, pem, len, err);
    }
    return NULL;
}

/* Puts the new material into data: a kubeconfig under data_key, else the
 * certificate and the key under the item's keys. 0, or -1 with err. */
static int put_material(plan_step *p, const certlc_item *item,
                        const certlc_cert_spec *spec, const signer *sg,
                        const char *data_key, const char *cert_pem,
                        size_t cert_len, const char *key_pem, size_t key_len,
                        certlc_kvlist *data, certlc_err *err)
{
    if (item->kind != CERTLC_ITEM_KUBECONFIG) {
        if (certlc_kvlist_set(data, item->cert_key, cert_pem, cert_len) !=
                0 ||
            certlc_kvlist_set(data, item->key_key, key_pem, key_len) != 0)
            return certlc_err_set(err, "out of memory");
        return 0;
    }
    size_t yaml_len = 0;
    char *yaml = kubeconfig_yaml(p, item, spec->cn, &sg->ca, cert_pem,
                                 cert_len, key_pem, key_len, &yaml_len, err);
    if (yaml == NULL)
        return -1;
    int rc = certlc_kvlist_set(data, data_key, yaml, yaml_len) != 0
                 ? certlc_err_set(err, "out of memory")
                 : 0;
    certlc_kubeconfig_yaml_free(yaml, yaml_len);
    return rc;
}

/* One key and certificate (or kubeconfig, under data_key); a CA's in
 * *new_ca and *new_key. */
static int issue_one(plan_step *p, const certlc_item *item,
                     const certlc_cert_spec *spec, const char *data_key,
                     certlc_kvlist *data, X509 **new_ca, EVP_PKEY **new_key,
                     certlc_err *err)
{
    signer *sg = NULL;
    if (item->signer != NULL) {
        sg = find_signer(p, item->signer);
        if (sg == NULL || sg->ca.cert == NULL)
            return certlc_err_set(err, "its CA %s-%s is not available",
                                  p->pc->t->name, item->signer);
        note_clamp(p, item, spec, sg->ca.cert);
    }
    EVP_PKEY *key = certlc_key_generate(p->pc->cfg->key_algorithm, err);
    if (key == NULL)
        return -1;
    int rc = -1;
    X509 *ca_cert = NULL;
    char *key_pem = NULL;
    size_t cert_len = 0, key_len = 0;
    char *cert_pem =
        make_cert_pem(p, item, spec, key, sg, &ca_cert, &cert_len, err);
    if (cert_pem != NULL &&
        (key_pem = certlc_pem_private_key(key, &key_len, err)) != NULL &&
        put_material(p, item, spec, sg, data_key, cert_pem, cert_len,
                     key_pem, key_len, data, err) == 0) {
        if (item->kind == CERTLC_ITEM_CA) {
            *new_ca = ca_cert;
            *new_key = key;
            ca_cert = NULL;
            key = NULL;
        }
        rc = 0;
    }
    if (key_pem != NULL)
        certlc_pem_free(key_pem, key_len);
    free(cert_pem);
    X509_free(ca_cert);
    EVP_PKEY_free(key);
    return rc;
}

/* Writes the new Secret (secret_write.h): an update (compare-and-swap)
 * when a readable one was there, a create otherwise, after removing an
 * unreadable one. */
static int store_secret(plan_step *p, const certlc_item *item, certlc_secret *old,
                        bool unreadable, const char *name, certlc_kvlist *data,
                        const char *reason, uint64_t *rv_out, certlc_err *err)
{
    certlc_secret *s = old != NULL ? certlc_secret_dup(old)
                                   : certlc_secret_new(p->pc->t->namespace, name,
                                                       item->type);
    if (s == NULL)
        return certlc_err_set(err, "out of memory");
    certlc_kvlist_clear(&s->data);
    s->data = *data;
    memset(data, 0, sizeof *data);
    free(s->type);
    s->type = strdup(item->type);
    int rc = -1;
    certlc_secret_write w = {.tenant = p->pc->t->name, .item = item,
                             .reason = reason, .now = p->pc->now,
                             .update = old != NULL, .unreadable = unreadable};
    if (s->type == NULL)
        certlc_err_set(err, "out of memory");
    else
        rc = certlc_secret_write_tenant(p->pc->store, s, &w, err);
    if (rc == 0) {
        *rv_out = s->resource_version;
        certlc_pass_saw(p->pc, s);
    }
    if (rc == CERTLC_CONFLICT)
        rc = certlc_err_set(err, "the Secret changed while it was being "
                                 "issued (another writer?); it is reconciled "
                                 "again next pass");
    certlc_secret_free(s);
    return rc;
}

static int check(plan_step *p, const certlc_secret *s, const certlc_item *item,
                 const certlc_cert_spec *spec, certlc_err *err)
{
    /* What the checks below do not name is a broken Secret. */
    p->cause = CERTLC_CAUSE_INVALID;
    if (strcmp(s->type, item->type) != 0)
        return FAIL(p, CERTLC_CAUSE_SPEC, err, "type is '%s', expected '%s'",
                    s->type, item->type);
    if (certlc_kamaji_rotation_requested(&s->annotations))
        return FAIL(p, CERTLC_CAUSE_MANUAL, err,
                    "rotation requested (annotation %s)",
                    CERTLC_ANNOTATION_ROTATE);
    switch (item->kind) {
    case CERTLC_ITEM_CA:
        return check_ca(p, s, item, err);
    case CERTLC_ITEM_KEYPAIR:
        return check_keypair(s, item, err);
    case CERTLC_ITEM_LEAF:
        return check_leaf(p, s, item, spec, err);
    case CERTLC_ITEM_KUBECONFIG:
        return check_kubeconfig(p, s, item, spec, err);
    }
    return -1;
}

static void report(plan_step *p, const char *name, certlc_action action,
                   certlc_cause cause, const char *reason)
{
    certlc_pass_report(p->pc, name, action, cause, reason);
}

/* Marks the tenant as rotating its CA before anything signed by the old CA
 * is replaced, so that the phase is visible while the rotation runs. */
static void enter_ca_rotation(plan_step *p)
{
    certlc_tcp_status *st = &p->pc->status;
    certlc_err err;
    if (p->pc->status_rc != 0)
        return; /* never provisioned: this is provisioning, not rotation */
    /* Saved now: watchers see the phase while the rotation runs. */
    snprintf(st->phase, sizeof st->phase, "%s", CERTLC_PHASE_CA_ROTATING);
    if (certlc_pass_save_status(p->pc, &err) != 0)
        certlc_warn("engine", "%s/%s: cannot save the status: %s",
                    p->pc->t->namespace, p->pc->t->name, err.msg);
    p->pc->res->ca_rotated = 1;
}

/* A valid Secret an older certlc wrote lacks what Kamaji writes (the CA's
 * tls.crt and tls.key, the project label, the checksum): added in place,
 * nothing issued. A failure is only logged; the next pass tries again. */
static void complete(plan_step *p, const certlc_secret *old,
                     const certlc_item *item, const char *name)
{
    bool changed = false;
    char what[200];
    certlc_err err = {{0}};
    certlc_secret *s = certlc_secret_dup(old);
    int rc = s != NULL ? certlc_kamaji_complete(s, item, &changed, what,
                                                sizeof what)
                       : -1;
    if (rc == 0 && changed)
        rc = certlc_store_update(p->pc->store, s, &err);
    else if (rc != 0)
        certlc_err_set(&err, "out of memory");
    if (rc == 0 && changed) {
        certlc_pass_saw(p->pc, s);
        /* The pass's own write: a CA it signs with is not "moved". */
        signer *sg = item->kind == CERTLC_ITEM_CA
                         ? signer_of(p, item->suffix) : NULL;
        if (sg != NULL)
            sg->rv = s->resource_version;
        certlc_info("engine", "%s/%s: secret \"%s\" completed: %s",
                    p->pc->t->namespace, p->pc->t->name, name, what);
    }
    else if (rc != 0)
        certlc_warn("engine", "%s/%s: secret \"%s\" could not be completed: "
                    "%s", p->pc->t->namespace, p->pc->t->name, name, err.msg);
    certlc_secret_free(s);
}

/* ---- CAs that are kept, and provided ones --------------------------------- */

static bool ca_provided(const plan_step *p, const certlc_item *item)
{
    if (item->kind != CERTLC_ITEM_CA)
        return false;
    return strcmp(item->suffix, "ca") == 0 ? p->pc->t->ca_provided
                                           : p->pc->t->front_proxy_ca_provided;
}

/* A CA that is there but cannot sign is never replaced by a pass: only its
 * deletion, a rotation request or its expiry replace a CA, so that no key
 * is lost to a mistake that can be mended. Nothing it signs is issued. */
static void keep_ca(plan_step *p, const char *name, const char *why)
{
    char msg[CERTLC_ERR_MAX];
    snprintf(msg, sizeof msg, "%.600s; the CA is left as it is: mend it, or "
             "delete it (certlc delete secret %.200s) to have a new one", why,
             name);
    report(p, name, CERTLC_ACT_FAILED,
           p->cause == CERTLC_CAUSE_NONE ? CERTLC_CAUSE_INVALID : p->cause, msg);
}

/* ca_source = provided: nothing is signed until a usable CA is there. */
static void await_ca(plan_step *p, const char *name, const char *why)
{
    size_t used = strlen(p->awaiting_ca);
    snprintf(p->awaiting_ca + used, sizeof p->awaiting_ca - used,
             "%s%s: %s", used ? "; " : "", name, why);
    char msg[600];
    snprintf(msg, sizeof msg, "awaiting the CA (ca_source = provided): %s",
             why);
    report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_AWAITING, msg);
}

/* A provided CA that cannot sign is a refused delivery: kept aside with
 * the reason, removed from its name, and awaited again. */
static void refuse_ca(plan_step *p, const certlc_secret *s, const certlc_item *item,
                      const char *name, const char *why)
{
    char aside[300] = "", msg[CERTLC_ERR_MAX];
    certlc_err err;
    if (certlc_delivery_refuse(p->pc->store, s, p->pc->t->namespace, name,
                               certlc_kvlist_get(&s->data, item->cert_key),
                               why, aside, sizeof aside, &err) != 0)
        certlc_warn("engine", "%s/%s: cannot set the refused CA aside: %s",
                    p->pc->t->namespace, p->pc->t->name, err.msg);
    snprintf(msg, sizeof msg, "refused: %.600s (kept as %.300s)", why, aside);
    await_ca(p, name, msg);
}

/* A rotation asked of a provided CA (the rotate annotation, from certlc
 * rotate secret or a Kamaji user) cannot be done: certlc never makes that
 * CA, and honouring it would leave the tenant without one. The request is
 * refused with a Warning event and its annotation removed; the CA is kept
 * and judged as usual. *s becomes the Secret as written. */
static void refuse_ca_rotation(plan_step *p, const certlc_item *item,
                               certlc_secret **s, const char *name)
{
    char msg[512];
    snprintf(msg, sizeof msg, "rotation of %.200s refused: it is a provided "
             "CA (%s = provided), which certlc never makes; deliver a new "
             "one instead", name,
             strcmp(item->suffix, "ca") == 0 ? "ca_source"
                                             : "front_proxy_ca_source");
    certlc_warn("engine", "%s/%s: %s", p->pc->t->namespace, p->pc->t->name, msg);
    certlc_err err = {{0}};
    certlc_secret *c = certlc_secret_dup(*s);
    int rc = c != NULL ? certlc_kvlist_del(&c->annotations,
                                           CERTLC_ANNOTATION_ROTATE)
                       : -1;
    if (rc >= 0)
        rc = certlc_store_update(p->pc->store, c, &err);
    else
        certlc_err_set(&err, "out of memory");
    if (rc != 0) {
        /* The request stays: refused again by the next pass. */
        certlc_warn("engine", "%s/%s: cannot remove the rotate annotation "
                    "of %s: %s", p->pc->t->namespace, p->pc->t->name, name, err.msg);
        certlc_secret_free(c);
        return;
    }
    certlc_secret_free(*s);
    *s = c;
    certlc_pass_saw(p->pc, c);
    pass_event(p, "Warning", CERTLC_EV_ROTATION_REFUSED, "manual", name, msg);
}

/* ---- certificates an external issuer provides ------------------------------ */

/* The certificate and key delivered in a provided Secret. An issuer that
 * writes tls.crt and tls.key (cert-manager) delivers there: the item's own
 * keys (apiserver.crt, ...) are then certlc's copy of the last delivery it
 * accepted, the keys the control plane mounts (see mount_delivery). One
 * that writes the item's keys alone delivers there. */
static void provided_pair(const certlc_secret *s, const certlc_item *item,
                          const certlc_kv **crt, const certlc_kv **key)
{
    *crt = certlc_kvlist_get(&s->data, "tls.crt");
    *key = certlc_kvlist_get(&s->data, "tls.key");
    if (*crt == NULL && *key == NULL) {
        *crt = certlc_kvlist_get(&s->data, item->cert_key);
        *key = certlc_kvlist_get(&s->data, item->key_key);
    }
}

static bool same_bytes(const certlc_kv *a, const certlc_kv *b)
{
    return a != NULL && b != NULL && a->len == b->len &&
           CRYPTO_memcmp(a->value, b->value, a->len) == 0;
}

/* s holds a delivery under tls.* beside another certificate under the
 * item's own keys: the one certlc accepted before, which is in use. */
static bool mounted_differs(const certlc_secret *s, const certlc_item *item)
{
    const certlc_kv *tls = certlc_kvlist_get(&s->data, "tls.crt");
    const certlc_kv *own = certlc_kvlist_get(&s->data, item->cert_key);
    return tls != NULL && own != NULL && strcmp(item->cert_key, "tls.crt") &&
           !same_bytes(tls, own);
}

/* An accepted delivery under tls.crt/tls.key gets the item's keys too
 * (apiserver.crt/apiserver.key, ...): what certlc would have written, and
 * what Kamaji's control plane mounts. The delivered bytes are copied, not
 * changed; tls.* stay for the issuer, which owns them. The Secret as it
 * now is goes into *out (the caller frees it); NULL when nothing was
 * written. 0, or -1 with the reason. */
static int mount_delivery(plan_step *p, const certlc_item *item,
                          const certlc_secret *s, const certlc_kv *crt,
                          const certlc_kv *key, certlc_secret **out,
                          certlc_err *err)
{
    *out = NULL;
    if (same_bytes(crt, certlc_kvlist_get(&s->data, item->cert_key)) &&
        same_bytes(key, certlc_kvlist_get(&s->data, item->key_key)))
        return 0;
    certlc_secret *c = certlc_secret_dup(s);
    if (c == NULL ||
        certlc_kvlist_set(&c->data, item->cert_key, crt->value, crt->len) ||
        certlc_kvlist_set(&c->data, item->key_key, key->value, key->len)) {
        certlc_secret_free(c);
        return certlc_err_set(err, "out of memory");
    }
    /* Compare-and-swap: a delivery written meanwhile is judged next pass. */
    int rc = certlc_store_update(p->pc->store, c, err);
    if (rc != 0) {
        certlc_secret_free(c);
        if (rc == CERTLC_CONFLICT)
            certlc_err_set(err, "it changed while it was judged");
        return -1;
    }
    *out = c;
    return 0;
}

/* Marks the record of an accepted delivery (certlc_validation.inputs),
 * which is not a digest: judged_before never takes it for one of its own. */
#define PROVIDED_RECORD "provided-delivery"

/* The notAfter of the good certificate a delivery replaces (0: none), as
 * the external datastore flow takes its tenant's copy's: a delivery never
 * goes back in time. Only a delivery certlc accepted counts: the first
 * delivery after a certificate became provided replaces one certlc issued
 * for its own validity, not the issuer's. The component's keys still hold
 * the last delivery accepted when the issuer rewrote tls.* only; an issuer
 * that rewrote the component's keys left only the record of the verdict
 * (its data digest then differs from the Secret's). */
static int64_t provided_current(plan_step *p, const certlc_item *item,
                                const certlc_secret *s, const certlc_kv *crt,
                                const char *name)
{
    const certlc_validation *v = certlc_validation_find(&p->pc->status, name);
    char digest[65];
    if (v == NULL || strcmp(v->verdict, "valid") != 0 ||
        strcmp(v->inputs, PROVIDED_RECORD) != 0 ||
        certlc_secret_data_digest(s, digest) != 0 ||
        strcmp(v->data, digest) == 0)
        return 0; /* none accepted, or this is the one accepted */
    int64_t current = v->not_after;
    const certlc_kv *mine = certlc_kvlist_get(&s->data, item->cert_key);
    if (mine != NULL && mine != crt && !same_bytes(mine, crt)) {
        certlc_err err = {{0}};
        X509 *x = certlc_cert_from_pem(mine->value, mine->len, &err);
        if (x != NULL && certlc_cert_not_after(x) > current)
            current = certlc_cert_not_after(x);
        X509_free(x);
    }
    return current;
}

/* The record of an accepted delivery (the Secret as it now is): what the
 * next delivery must outlast (see provided_current). Never used to skip
 * its judgement: a provided Secret is judged in full on every pass. */
static void provided_record(plan_step *p, const certlc_secret *s,
                            const certlc_kv *crt, const char *name)
{
    certlc_err err = {{0}};
    X509 *x = certlc_cert_from_pem(crt->value, crt->len, &err);
    certlc_validation v;
    memset(&v, 0, sizeof v);
    snprintf(v.name, sizeof v.name, "%.255s", name);
    v.rv = s->resource_version;
    snprintf(v.inputs, sizeof v.inputs, "%s", PROVIDED_RECORD);
    snprintf(v.verdict, sizeof v.verdict, "valid");
    if (x != NULL && certlc_secret_data_digest(s, v.data) == 0) {
        v.not_before = certlc_cert_not_before(x);
        v.not_after = certlc_cert_not_after(x);
        certlc_validation_put(&p->pc->status, &v);
    }
    X509_free(x);
}

/* The subject where Kubernetes depends on it: the API server accepts the
 * front-proxy client only under the CN its --requestheader-allowed-names
 * lists (front-proxy-client, as Kamaji runs it), and the kubelet
 * authorizes the API server's kubelet client by its group, which the
 * tenant's version decides (plan.c). Other subjects are the issuer's
 * business. */
static void provided_subject(const plan_step *p, const certlc_item *item,
                             const certlc_cert_spec *spec,
                             certlc_delivery_rules *r, char *why,
                             size_t size)
{
    if (strcmp(item->suffix, "front-proxy-client-certificate") == 0) {
        r->cn = item->cn;
        r->cn_why = "the API server's --requestheader-allowed-names";
    }
    if (item->org != NULL && spec->n_orgs == 1 && spec->orgs[0] != NULL) {
        snprintf(why, size, "the group the kubelet authorizes the API "
                 "server by, for version %s", p->pc->t->version);
        r->org = spec->orgs[0];
        r->org_why = why;
    }
}

/* provided_certificates: the Secret is judged as a delivery (it chains to
 * the tenant's CA, covers the SANs and usages the component needs, is
 * valid and newer than the one rotated out); a refused one is kept aside;
 * a due one is set aside as NAME-previous and removed, for the issuer to
 * renew. certlc never issues it. */
static void provided_due(plan_step *p, const certlc_item *item,
                         const certlc_secret *s, const certlc_kv *crt,
                         const char *name, const char *prev_name);

/* A delivery refused (err says why). A renewal laid over the
 * certificate in use (tls.* rewritten, the keys the component mounts
 * still the accepted one) leaves the Secret where it is: removing it would
 * take the certificate in use away from the control plane. */
static void provided_refused(plan_step *p, const certlc_item *item,
                             const certlc_secret *s, const certlc_kv *crt,
                             const char *name, certlc_err *err)
{
    char aside[300] = "", why[CERTLC_ERR_MAX], msg[CERTLC_ERR_MAX];
    snprintf(why, sizeof why, "%s", err->msg);
    bool in_use = mounted_differs(s, item);
    int arc = in_use ? certlc_delivery_set_aside(p->pc->store, s,
                                                 p->pc->t->namespace, name,
                                                 crt, why, aside,
                                                 sizeof aside, err)
                     : certlc_delivery_refuse(p->pc->store, s,
                                              p->pc->t->namespace, name, crt,
                                              why, aside, sizeof aside, err);
    if (arc != 0)
        certlc_warn("engine", "%s/%s: cannot set %s aside: %s",
                    p->pc->t->namespace, p->pc->t->name, name, err->msg);
    snprintf(msg, sizeof msg, "refused: %.600s (kept as %.300s); %s",
             why, aside, in_use ? "the certificate in use stays under its "
                                  "keys until a new delivery is accepted"
                                : "awaiting a new delivery");
    report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_REFUSED, msg);
}

/* A delivery accepted: its keys copied to those the component mounts when
 * they differ, then recorded and judged for its renewal. */
static void provided_accepted(plan_step *p, const certlc_item *item,
                              certlc_secret *s, const certlc_kv *crt,
                              const certlc_kv *key, const char *name,
                              const char *prev_name)
{
    certlc_err err = {{0}};
    certlc_secret *mounted = NULL;
    if (mount_delivery(p, item, s, crt, key, &mounted, &err) != 0) {
        char msg[CERTLC_ERR_MAX];
        snprintf(msg, sizeof msg, "accepted, but its keys %s and %s "
                 "cannot be written: %.700s", item->cert_key,
                 item->key_key, err.msg);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE, msg);
    } else if (mounted != NULL) {
        certlc_info("engine", "%s/%s: secret \"%s\": the delivery is "
                    "accepted; its tls.crt and tls.key copied to %s and "
                    "%s", p->pc->t->namespace, p->pc->t->name, name,
                    item->cert_key, item->key_key);
        const certlc_kv *mcrt, *mkey;
        provided_pair(mounted, item, &mcrt, &mkey);
        provided_record(p, mounted, mcrt, name);
        provided_due(p, item, mounted, mcrt, name, prev_name);
        certlc_secret_free(mounted);
    } else {
        provided_record(p, s, crt, name);
        provided_due(p, item, s, crt, name, prev_name);
    }
}

static void reconcile_provided(plan_step *p, const certlc_item *item,
                               const certlc_cert_spec *spec, const char *name)
{
    certlc_err err = {{0}};
    char msg[CERTLC_ERR_MAX], prev_name[340];
    snprintf(prev_name, sizeof prev_name, "%.320s-previous", name);
    certlc_secret *s = NULL, *prev = NULL;
    int rc = certlc_store_get(p->pc->store, p->pc->t->namespace, name, &s, &err);
    if (rc == CERTLC_NOTFOUND) {
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_AWAITING, "awaiting its delivery by the "
               "external issuer (provided_certificates)");
        return;
    }
    if (rc < 0) {
        snprintf(msg, sizeof msg, "unreadable: %.900s", err.msg);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_UNREADABLE, msg);
        return;
    }
    if (certlc_store_get(p->pc->store, p->pc->t->namespace, prev_name, &prev,
                         &err) != 0)
        prev = NULL;
    signer *sg = find_signer(p, item->signer);
    char desc[400];
    snprintf(desc, sizeof desc, "%.300s-%.60s", p->pc->t->name, item->signer);
    const certlc_kv *crt, *key, *prev_crt = NULL, *prev_key;
    provided_pair(s, item, &crt, &key);
    if (prev != NULL)
        provided_pair(prev, item, &prev_crt, &prev_key);
    certlc_delivery_rules rules = {
        .issuer = sg ? sg->ca.cert : NULL, .issuer_desc = desc, .spec = spec,
        .previous = prev_crt,
        .current_not_after = provided_current(p, item, s, crt, name),
        .now = p->pc->now};
    char org_why[200];
    provided_subject(p, item, spec, &rules, org_why, sizeof org_why);
    if (sg != NULL && sg->ca.cert != NULL)
        certlc_validation_count_parse(); /* judged in full every plan_step */
    if (sg == NULL || sg->ca.cert == NULL) {
        snprintf(msg, sizeof msg, "its CA %s is not available", desc);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_CA, msg);
    } else if (certlc_delivery_judge(&rules, crt, key, &err) != 0) {
        provided_refused(p, item, s, crt, name, &err);
    } else {
        provided_accepted(p, item, s, crt, key, name, prev_name);
    }
    certlc_secret_free(s);
    certlc_secret_free(prev);
}

/* A good provided certificate: unchanged until due (or asked to rotate);
 * then it is kept aside as NAME-previous and removed from its name. */
static void provided_due(plan_step *p, const certlc_item *item,
                         const certlc_secret *s, const certlc_kv *crt,
                         const char *name, const char *prev_name)
{
    certlc_err err = {{0}};
    X509 *x = certlc_cert_from_pem(crt->value, crt->len, &err);
    int64_t na = x ? certlc_cert_not_after(x) : 0;
    X509_free(x);
    int64_t due = na - p->pc->cfg->renew_before;
    char why[200] = "", msg[CERTLC_ERR_MAX];
    if (certlc_kamaji_rotation_requested(&s->annotations)) {
        snprintf(why, sizeof why, "rotation requested (%s)",
                 CERTLC_ANNOTATION_ROTATE);
    } else if (p->pc->now >= due) {
        char when[32];
        certlc_time_rfc3339(na, when, sizeof when);
        snprintf(why, sizeof why, "due for renewal: expires %s", when);
    }
    if (why[0] == '\0') {
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        if (item->lifecycle != NULL && due < p->pc->res->next_due)
            p->pc->res->next_due = due;
        return;
    }
    if (certlc_delivery_put_aside(p->pc->store, s, p->pc->t->namespace, prev_name,
                                  CERTLC_ANNOTATION_PREVIOUS_OF, name,
                                  &err) != 0 ||
        certlc_store_remove(p->pc->store, p->pc->t->namespace, name, &err) < 0) {
        snprintf(msg, sizeof msg, "%s, but it cannot be set aside: %.700s",
                 why, err.msg);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_STORE, msg);
        return;
    }
    snprintf(msg, sizeof msg, "%s: removed for the external issuer to "
             "renew; the old one is kept as %s", why, prev_name);
    certlc_info("engine", "%s/%s: %s: %s", p->pc->t->namespace, p->pc->t->name, name,
                msg);
    report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_AWAITING, msg);
}

/* The reissue guard's key: the Secret, the cause, and the CA it is signed
 * by, so that each new CA (a user's rotation) starts a fresh count and
 * only a loop under one CA adds up. */
static int guard_note(plan_step *p, const char *name, const certlc_item *item)
{
    char key[600], *serial = NULL;
    signer *sg = item->signer ? find_signer(p, item->signer) : NULL;
    if (sg != NULL && sg->ca.cert != NULL)
        serial = certlc_cert_serial_hex(sg->ca.cert);
    snprintf(key, sizeof key, "%s/%s/%s/%s", p->pc->t->namespace, name,
             certlc_cause_label(p->cause), serial ? serial : "");
    free(serial);
    return certlc_reissue_guard_note(key, p->pc->now);
}

/* How many reissues of one Secret for one cause an hour may take before
 * the guard stops them: renewals for age come as often as the validity
 * allows. */
static int guard_limit(const plan_step *p)
{
    return certlc_reissue_guard_limit(p->pc->cfg->leaf_validity,
                                      p->pc->cfg->renew_before,
                                      p->cause == CERTLC_CAUSE_EXPIRING);
}

/* When a just-issued tracked certificate falls due. */
static void note_issued_due(plan_step *p, const certlc_item *item)
{
    if (item->lifecycle == NULL)
        return;
    int64_t due = p->pc->now + p->pc->cfg->leaf_validity - p->pc->cfg->renew_before;
    signer *sg = item->signer ? find_signer(p, item->signer) : NULL;
    if (sg != NULL && sg->ca.cert != NULL &&
        p->pc->now + p->pc->cfg->leaf_validity >= certlc_cert_not_after(sg->ca.cert))
        due = certlc_cert_not_after(sg->ca.cert); /* clamped: with its CA */
    if (due < p->pc->res->next_due)
        p->pc->res->next_due = due;
}

/* True (with the reason) when the CA that signs item is no longer the
 * Secret this pass read or wrote: another writer (a user's deletion, a
 * replica, a run --once on etcd) replaced it meanwhile. Checked before
 * each write, so a pass that lost such a race stops instead of storing
 * leaves that chain to the CA it had. */
static bool signer_moved(plan_step *p, const certlc_item *item, certlc_err *err)
{
    signer *sg = item->signer ? find_signer(p, item->signer) : NULL;
    if (sg == NULL || sg->ca.cert == NULL)
        return false;
    char name[320];
    certlc_plan_secret_name(p->pc->t, sg->item, name, sizeof name);
    certlc_err gerr = {{0}};
    bool moved;
    /* Where the store tells the digest of the stored bytes without
     * decoding them, the bytes this pass read or wrote are compared (the
     * resourceVersion is among them); else the resourceVersion. */
    const certlc_pass_secret *seen = certlc_pass_seen(p->pc, name);
    if (certlc_store_can_peek(p->pc->store) && seen != NULL &&
        seen->rv == sg->rv && seen->stored[0] != '\0') {
        char digest[65];
        moved = certlc_store_peek(p->pc->store, p->pc->t->namespace, name,
                                  digest, &gerr) != 0 ||
                strcmp(digest, seen->stored) != 0;
    } else {
        certlc_secret *cur = NULL;
        int rc = certlc_store_get(p->pc->store, p->pc->t->namespace, name,
                                  &cur, &gerr);
        moved = rc != 0 || cur->resource_version != sg->rv;
        certlc_secret_free(cur);
    }
    if (moved)
        certlc_err_set(err, "its CA %s changed during this pass (another "
                       "writer?): the pass stops here, and the next one "
                       "signs with the stored CA", name);
    return moved;
}

/* ---- judging a Secret once per content (validation.h) ------------------- */

/* The data digest of the Secret of the CA that signs item, as this pass
 * read or wrote it; NULL when there is none (or it is not usable). */
static const char *signer_digest(plan_step *p, const certlc_item *item)
{
    signer *sg = item->signer ? signer_of(p, item->signer) : NULL;
    if (sg == NULL || sg->held ||
        (sg->lazy == NULL && sg->ca.cert == NULL && sg->unread[0] == '\0'))
        return NULL;
    char name[320];
    certlc_plan_secret_name(p->pc->t, sg->item, name, sizeof name);
    const certlc_pass_secret *seen = certlc_pass_seen(p->pc, name);
    return seen != NULL ? seen->digest : NULL;
}

/* When a judged Secret falls due: its notAfter minus renew_before, or its
 * CA's end when it ends with its CA (see check_issued). */
static int64_t record_due(const plan_step *p, const certlc_validation *v)
{
    if (v->ca_not_after != 0)
        return v->ca_not_after;
    return v->not_after - p->pc->cfg->renew_before;
}

/* A good CA judged before: it signs from now on, loaded only when needed. */
static void signer_defer(plan_step *p, const certlc_item *item,
                         const certlc_secret *s, const certlc_validation *v)
{
    certlc_secret *copy = certlc_secret_dup(s);
    if (copy == NULL)
        return; /* find_signer then says the CA is not available */
    signer *sg = signer_of(p, item->suffix);
    if (sg == NULL) {
        sg = &p->signers[p->n_signers++];
        sg->item = item;
    }
    sg->lazy = copy;
    sg->rv = s->resource_version;
    note_ca_end(p, item, v->not_after);
    if (v->not_after < p->pc->res->next_due)
        p->pc->res->next_due = v->not_after;
}

/* A certificate judged good before is still good: signed by the same CA,
 * and not due. */
static bool signed_still_good(plan_step *p, const certlc_item *item,
                              const certlc_validation *v)
{
    const char *ca = signer_digest(p, item);
    int64_t due = record_due(p, v);
    if (ca == NULL || strcmp(v->ca, ca) != 0 || p->pc->now >= due)
        return false;
    if (item->lifecycle != NULL && due < p->pc->res->next_due)
        p->pc->res->next_due = due;
    return true;
}

/* True when s was judged good before with these very bytes, this CA and
 * these inputs, and time has not made it due since: then nothing is
 * parsed. What is not covered (a CA certlc did not make, which is said in
 * the status from its subject) is judged in full. */
static bool judged_before(plan_step *p, const certlc_secret *s,
                          const certlc_item *item, const certlc_cert_spec *spec,
                          const char *name)
{
    const certlc_validation *v = certlc_validation_find(&p->pc->status, name);
    const certlc_pass_secret *seen = certlc_pass_seen(p->pc, name);
    char inputs[65];
    if (v == NULL || seen == NULL || strcmp(v->verdict, "valid") != 0 ||
        v->rv != s->resource_version || strcmp(v->data, seen->digest) != 0 ||
        strcmp(s->type, item->type) != 0 ||
        certlc_kamaji_rotation_requested(&s->annotations) ||
        certlc_validation_inputs(item, p->pc->t, p->pc->cfg, spec, inputs) != 0 ||
        strcmp(v->inputs, inputs) != 0)
        return false;
    if (item->kind == CERTLC_ITEM_KEYPAIR)
        return true;
    if (p->pc->now < v->not_before)
        return false;
    if (item->kind == CERTLC_ITEM_CA) {
        if (p->pc->now >= v->not_after ||
            certlc_kvlist_get(&s->annotations, CERTLC_ANNOTATION_ROTATED) ==
                NULL)
            return false;
        signer_defer(p, item, s, v);
        return true;
    }
    return signed_still_good(p, item, v);
}

/* judged_before without reading the Secret: the store's digest of its bytes
 * is the one the good verdict was recorded from, so it is the very Secret
 * judged (type, annotations, data, resourceVersion and all), and only what
 * lies outside it is compared: the inputs, the time and the CA. This is
 * what makes a pass with nothing to do cheap: no JSON, no base64, no
 * X.509. A CA is then read only if something must be signed. */
static bool unchanged_since_judged(plan_step *p, const certlc_item *item,
                                   const certlc_cert_spec *spec,
                                   const char *name)
{
    const certlc_validation *v = certlc_validation_unchanged(
        p->pc->store, &p->pc->status, p->pc->t->namespace, name,
        &p->pc->peeks);
    char inputs[65];
    if (v == NULL ||
        certlc_validation_inputs(item, p->pc->t, p->pc->cfg, spec, inputs) != 0 ||
        strcmp(v->inputs, inputs) != 0)
        return false;
    if (item->kind == CERTLC_ITEM_CA) {
        /* Only a CA certlc made has a record, made with its rotation
         * annotation (judged_good): the bytes say so still. */
        if (p->pc->now < v->not_before || p->pc->now >= v->not_after)
            return false;
        signer *sg = signer_of(p, item->suffix);
        if (sg == NULL) {
            sg = &p->signers[p->n_signers++];
            sg->item = item;
        }
        snprintf(sg->unread, sizeof sg->unread, "%s", v->stored);
        sg->rv = v->rv;
        note_ca_end(p, item, v->not_after);
        if (v->not_after < p->pc->res->next_due)
            p->pc->res->next_due = v->not_after;
    } else if (item->kind != CERTLC_ITEM_KEYPAIR &&
               (p->pc->now < v->not_before || !signed_still_good(p, item, v))) {
        return false;
    }
    certlc_pass_saw_unread(p->pc, name, v->rv, v->data, v->stored);
    return true;
}

/* The record of a Secret judged good before gets the digest of its stored
 * bytes once they are known (a record from an older certlc lacks it), when
 * they are the bytes the record speaks of. */
static void record_stored(plan_step *p, const char *name)
{
    const certlc_validation *v = certlc_validation_find(&p->pc->status, name);
    const certlc_pass_secret *seen = certlc_pass_seen(p->pc, name);
    if (v == NULL || seen == NULL || seen->stored[0] == '\0' ||
        seen->rv != v->rv || strcmp(seen->stored, v->stored) == 0)
        return;
    certlc_validation u = *v;
    snprintf(u.stored, sizeof u.stored, "%s", seen->stored);
    certlc_validation_put(&p->pc->status, &u);
}

/* The full judgement (check), counted; a record of an earlier verdict on
 * this Secret no longer holds. */
static int check_in_full(plan_step *p, const certlc_secret *s,
                         const certlc_item *item, const certlc_cert_spec *spec,
                         certlc_err *err)
{
    certlc_validation_drop(&p->pc->status, s->name);
    certlc_validation_count_parse();
    p->judged_nb = p->judged_na = p->judged_ca_end = 0;
    return check(p, s, item, spec, err);
}

/* Records a good verdict on the Secret as it now is in the store: one
 * judged in full (rotated: it carries certlc's rotation annotation), or
 * one this pass just issued and stored (its dates noted at signing). */
static void judged_good(plan_step *p, const certlc_item *item,
                        const certlc_cert_spec *spec, const char *name,
                        bool rotated)
{
    const certlc_pass_secret *seen = certlc_pass_seen(p->pc, name);
    certlc_validation v;
    memset(&v, 0, sizeof v);
    if (seen == NULL ||
        certlc_validation_inputs(item, p->pc->t, p->pc->cfg, spec, v.inputs) != 0)
        return;
    snprintf(v.name, sizeof v.name, "%.255s", name);
    v.rv = seen->rv;
    snprintf(v.data, sizeof v.data, "%s", seen->digest);
    snprintf(v.stored, sizeof v.stored, "%s", seen->stored);
    snprintf(v.verdict, sizeof v.verdict, "valid");
    if (item->kind == CERTLC_ITEM_CA) {
        /* A CA certlc did not make is judged in full on every pass (see
         * judged_before): no record. */
        signer *sg = signer_of(p, item->suffix);
        if (sg == NULL || sg->ca.cert == NULL || !rotated)
            return;
        v.not_before = certlc_cert_not_before(sg->ca.cert);
        v.not_after = certlc_ca_not_after(&sg->ca);
    } else if (item->kind != CERTLC_ITEM_KEYPAIR) {
        const char *ca = signer_digest(p, item);
        if (ca == NULL || p->judged_na == 0)
            return;
        snprintf(v.ca, sizeof v.ca, "%s", ca);
        v.not_before = p->judged_nb;
        v.not_after = p->judged_na;
        v.ca_not_after = p->judged_ca_end;
    }
    certlc_validation_put(&p->pc->status, &v);
}

/* An item settled without reading its Secret: what a CA that is not valid
 * yet signed is left as it is; what a provided CA not (validly) delivered
 * yet would sign waits with it (an await, not a failure to issue); a
 * provided certificate is judged on its own terms; one whose stored bytes
 * are the ones judged good is unchanged. */
static bool settled_unread(plan_step *p, const certlc_item *item,
                           const certlc_cert_spec *spec, const char *name)
{
    signer *held = item->signer ? signer_of(p, item->signer) : NULL;
    if (held != NULL && held->held) {
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        return true;
    }
    if (item->signer != NULL && held == NULL &&
        ca_provided(p, certlc_plan_item(item->signer))) {
        char msg[400];
        snprintf(msg, sizeof msg, "awaiting its CA %.200s-%.100s "
                 "(ca_source = provided)", p->pc->t->name, item->signer);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_AWAITING, msg);
        return true;
    }
    if (certlc_tenant_provides(p->pc->t, item->suffix)) {
        reconcile_provided(p, item, spec, name);
        return true;
    }
    if (unchanged_since_judged(p, item, spec, name)) {
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        return true;
    }
    return false;
}

/* An item's Secret as the pass read it, and why it would be issued. */
typedef struct item_read {
    certlc_secret *old; /* NULL when missing or unreadable */
    int rc;             /* how reading it went */
    bool unreadable;
    char reason[CERTLC_ERR_MAX];
} item_read;

/* A Secret that could not be read: undecryptable (never replaced: a key
 * missing from encryption_config must not rotate a CA; the tenant is not
 * ready until the key is back), missing, or unparsable. True when that
 * settles it; false when it is to be issued. */
static bool settled_unreadable(plan_step *p, const certlc_item *item,
                               const char *name, item_read *r,
                               const certlc_err *err)
{
    if (r->rc == CERTLC_UNDECRYPTABLE) {
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_UNREADABLE, err->msg);
        return true;
    }
    if (r->rc == CERTLC_NOTFOUND) {
        p->cause = CERTLC_CAUSE_MISSING;
        snprintf(r->reason, sizeof r->reason, "missing");
        if (ca_provided(p, item)) {
            await_ca(p, name, "nothing delivered yet");
            return true;
        }
        return false;
    }
    r->unreadable = true;
    p->cause = CERTLC_CAUSE_UNREADABLE;
    snprintf(r->reason, sizeof r->reason, "unreadable: %.900s", err->msg);
    if (item->kind == CERTLC_ITEM_CA) {
        keep_ca(p, name, r->reason);
        return true;
    }
    return false;
}

/* A stored Secret that failed its check (err says why): a CA is replaced
 * when asked to, or (when certlc makes it) when it has expired; any other
 * fault leaves it where it is. True when that settles it. */
static bool settled_faulty(plan_step *p, const certlc_item *item,
                           const char *name, item_read *r,
                           const certlc_err *err)
{
    snprintf(r->reason, sizeof r->reason, "%s", err->msg);
    bool asked = certlc_kamaji_rotation_requested(&r->old->annotations);
    if (item->kind == CERTLC_ITEM_CA && !asked && ca_provided(p, item)) {
        refuse_ca(p, r->old, item, name, r->reason);
        return true;
    }
    if (item->kind == CERTLC_ITEM_CA && !asked &&
        p->cause != CERTLC_CAUSE_CA_EXPIRED) {
        keep_ca(p, name, r->reason);
        return true;
    }
    if (ca_provided(p, item)) {
        await_ca(p, name, "certlc never rotates a provided CA: deliver "
                 "a new one");
        return true;
    }
    return false;
}

/* A stored Secret: judged before, or good in full, is unchanged; one
 * whose CA is not valid yet fails; a rotate annotation on a CA while a
 * CA rotation is under way waits (one CA rotation at a time: a request
 * that came during this pass is refused, with its reason, by the next
 * one, ca_overlap.h). True when that settles it. */
static bool settled_stored(plan_step *p, const certlc_item *item,
                           const certlc_cert_spec *spec, const char *name,
                           item_read *r, certlc_err *err)
{
    if (judged_before(p, r->old, item, spec, name)) {
        complete(p, r->old, item, name);
        record_stored(p, name);
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        return true;
    }
    if (check_in_full(p, r->old, item, spec, err) == 0) {
        complete(p, r->old, item, name);
        judged_good(p, item, spec, name,
                    certlc_kvlist_get(&r->old->annotations,
                                      CERTLC_ANNOTATION_ROTATED) != NULL);
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        return true;
    }
    if (p->cause == CERTLC_CAUSE_CA_NOT_YET_VALID) {
        report(p, name, CERTLC_ACT_FAILED, p->cause, err->msg);
        return true;
    }
    if (item->kind == CERTLC_ITEM_CA && p->cause == CERTLC_CAUSE_MANUAL &&
        certlc_ca_overlap_running(p->pc->store, p->pc->t) &&
        check_ca(p, r->old, item, err) == 0) {
        report(p, name, CERTLC_ACT_UNCHANGED, CERTLC_CAUSE_NONE, "");
        p->pc->res->next_due = p->pc->now;
        return true;
    }
    return settled_faulty(p, item, name, r, err);
}

/* Reads the item's Secret into r and judges it. True when that settles
 * it; false when it is to be issued (p->cause and r->reason say why). */
static bool settled_read(plan_step *p, const certlc_item *item,
                         const certlc_cert_spec *spec, const char *name,
                         item_read *r, certlc_err *err)
{
    r->rc = certlc_store_get(p->pc->store, p->pc->t->namespace, name,
                             &r->old, err);
    if (r->rc == 0)
        certlc_pass_saw(p->pc, r->old); /* for the rollout's digest */
    if (r->rc == 0 && ca_provided(p, item) &&
        certlc_kamaji_rotation_requested(&r->old->annotations))
        refuse_ca_rotation(p, item, &r->old, name);
    if (r->rc != 0)
        return settled_unreadable(p, item, name, r, err);
    return settled_stored(p, item, spec, name, r, err);
}

/* A deletion or a rotate annotation is someone's request; anything else
 * is the reconciler's own judgement, which must not loop: true when the
 * reissue guard stops this attempt (reported). */
static bool guard_stops(plan_step *p, const certlc_item *item,
                        const char *name, const char *reason)
{
    if (p->cause == CERTLC_CAUSE_MISSING || p->cause == CERTLC_CAUSE_MANUAL)
        return false;
    int n = guard_note(p, name, item);
    if (n <= guard_limit(p))
        return false;
    char msg[CERTLC_ERR_MAX];
    /* Attempts, not only successes: a write that loses a race (a hook
     * rewriting the Secret meanwhile) is part of a loop. */
    snprintf(msg, sizeof msg, "%d attempts to issue it again within "
             "%ds for the same reason (%s): stopped, as this is a "
             "loop; the "
             "reason: %.700s", n - 1, CERTLC_REISSUE_WINDOW,
             certlc_cause_label(p->cause), reason);
    p->pc->looping = true;
    report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_REISSUE_LOOP, msg);
    return true;
}

/* A new CA, stored: now, and only now, it signs. False when it cannot
 * (reported; the pass stops). */
static bool new_ca_signs(plan_step *p, const certlc_item *item,
                         const char *name, X509 *new_ca, EVP_PKEY *new_key,
                         uint64_t rv)
{
    note_ca(p, item, new_ca);
    if (certlc_cert_not_after(new_ca) < p->pc->res->next_due)
        p->pc->res->next_due = certlc_cert_not_after(new_ca);
    certlc_ca ca;
    certlc_err cerr = {{0}};
    if (certlc_ca_from_root(&ca, new_ca, new_key, &cerr) != 0) {
        p->stopped = true;
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_ISSUE, cerr.msg);
        return false;
    }
    signer_set(p, item, &ca, rv);
    return true;
}

/* A store_secret that failed: a CA not stored stops the pass, since
 * whatever it would sign would chain to a CA no one has. */
static void store_failed(plan_step *p, const certlc_item *item,
                         const char *name, certlc_err *err)
{
    if (item->kind == CERTLC_ITEM_CA) {
        p->stopped = true;
        certlc_err_prefix(err, "the new CA was not stored, so nothing "
                          "else of this tenant is issued in this pass");
    }
    report(p, name, CERTLC_ACT_FAILED,
           item->kind == CERTLC_ITEM_CA ? CERTLC_CAUSE_CA_UNSTORED
                                        : CERTLC_CAUSE_STORE,
           err->msg);
}

/* Issues the item anew and stores it (r: what was read and why). */
static void issue_and_store(plan_step *p, const certlc_item *item,
                            const certlc_cert_spec *spec, const char *name,
                            item_read *r, certlc_err *err)
{
    certlc_kvlist data = {0};
    certlc_cause cause = p->cause;
    p->judged_nb = p->judged_na = p->judged_ca_end = 0; /* see issue_one */
    X509 *new_ca = NULL;
    EVP_PKEY *new_key = NULL;
    /* Issuing works on this pass's own signer, keys and buffers, and the
     * key pool, which locks itself: another tenant's pass may run
     * meanwhile (workers.h). A CA judged before but not read yet is read
     * from the store first, under the lock. */
    if (item->signer != NULL)
        find_signer(p, item->signer);
    certlc_workers_leave_pass();
    int issued = issue(p, item, spec, &data, &new_ca, &new_key, err);
    certlc_workers_enter_pass();
    if (issued != 0) {
        certlc_kvlist_clear(&data);
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_ISSUE, err->msg);
        return;
    }
    if (signer_moved(p, item, err)) {
        /* Another writer replaced the CA: what this pass would sign with
         * the one it read would not chain to the stored one. */
        certlc_kvlist_clear(&data);
        p->stopped = true;
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_CA, err->msg);
        return;
    }
    uint64_t rv = 0;
    if (store_secret(p, item, r->old, r->unreadable, name, &data, r->reason,
                     &rv, err) != 0) {
        certlc_kvlist_clear(&data);
        X509_free(new_ca);
        EVP_PKEY_free(new_key);
        store_failed(p, item, name, err);
        return;
    }
    if (new_ca != NULL && !new_ca_signs(p, item, name, new_ca, new_key, rv))
        return;
    /* What was just signed is known: its record is made now, so that the
     * next pass does not parse it back (validation.h). */
    judged_good(p, item, spec, name, true);
    report(p, name, r->rc == CERTLC_NOTFOUND ? CERTLC_ACT_CREATED
                                             : CERTLC_ACT_REISSUED,
           cause, r->reason);
    note_issued_due(p, item);
}

static void reconcile_item(plan_step *p, const certlc_item *item)
{
    char name[320];
    certlc_plan_secret_name(p->pc->t, item, name, sizeof name);
    certlc_err err = {{0}};
    certlc_plan_spec ps;
    if (certlc_plan_spec_init(&ps, item, p->pc->t, p->pc->cfg, &err) != 0) {
        report(p, name, CERTLC_ACT_FAILED, CERTLC_CAUSE_ISSUE, err.msg);
        return;
    }
    item_read r = {.old = NULL};
    if (!settled_unread(p, item, &ps.spec, name) &&
        !settled_read(p, item, &ps.spec, name, &r, &err) &&
        !guard_stops(p, item, name, r.reason)) {
        /* Any new main CA of a provisioned tenant is a CA rotation:
         * deleted, broken, expired, or asked for with the rotate
         * annotation. */
        if (item->kind == CERTLC_ITEM_CA && strcmp(item->suffix, "ca") == 0)
            enter_ca_rotation(p);
        issue_and_store(p, item, &ps.spec, name, &r, &err);
    }
    certlc_secret_free(r.old);
    certlc_plan_spec_fini(&ps);
}

int64_t certlc_ca_warn_window(const certlc_config *cfg)
{
    return cfg->renew_before > 30 * 86400 ? cfg->renew_before : 30 * 86400;
}

/* A CA near its end is reported, never rotated for its age (only once
 * expired): a condition in the status, and a warning in the log when the
 * condition appears. */
static void note_ca_expiry(plan_step *p, certlc_tcp_status *st)
{
    const char *type = "CertificateAuthorityExpiring";
    if (p->ca_expiring[0] == '\0' && p->provided_expiring[0] == '\0') {
        certlc_status_clear_condition(st, type);
        return;
    }
    /* A provided CA is never made by certlc: only its issuer can renew
     * it, and once expired it is refused (set aside), not rotated. */
    char mine[512] = "", theirs[512] = "", msg[1030];
    if (p->ca_expiring[0] != '\0')
        snprintf(mine, sizeof mine, "%s; a CA is rotated automatically only "
                 "once expired: delete its Secret to rotate it now",
                 p->ca_expiring);
    if (p->provided_expiring[0] != '\0')
        snprintf(theirs, sizeof theirs, "%s; a provided CA (ca_source = "
                 "provided) is never made by certlc: deliver a new one "
                 "before it expires, or the tenant awaits one",
                 p->provided_expiring);
    snprintf(msg, sizeof msg, "%s%s%s", mine, mine[0] && theirs[0] ? "; " : "",
             theirs);
    const certlc_condition *c = certlc_status_condition(st, type);
    if (c == NULL || !c->status)
        certlc_warn("engine", "%s/%s: %s", p->pc->t->namespace, p->pc->t->name, msg);
    certlc_status_set_condition(st, type, true, "CAExpiresSoon", msg, p->pc->now);
}

/* The one event that says a CA certlc did not make now signs. */
static void adopted_event(plan_step *p)
{
    certlc_info("engine", "%s/%s: signing with a CA certlc did not make: %s",
                p->pc->t->namespace, p->pc->t->name, p->adopted);
    pass_event(p, "Normal", CERTLC_EV_CA_ADOPTED, "", "", p->adopted);
}

/* CAs that certlc did not make are said once (a condition, and a log line
 * when it appears); provided CAs not delivered make the phase AwaitingCA. */
static void note_ca_source(plan_step *p, certlc_tcp_status *st)
{
    if (p->adopted[0] == '\0') {
        certlc_status_clear_condition(st, "CAAdopted");
    } else {
        const certlc_condition *c = certlc_status_condition(st, "CAAdopted");
        if (c == NULL || strcmp(c->message, p->adopted) != 0)
            adopted_event(p);
        certlc_status_set_condition(st, "CAAdopted", true, "CAAdopted",
                                    p->adopted, p->pc->now);
    }
    if (p->awaiting_ca[0] == '\0') {
        certlc_status_clear_condition(st, "AwaitingCA");
        return;
    }
    snprintf(st->phase, sizeof st->phase, "%s", CERTLC_PHASE_AWAITING_CA);
    certlc_status_set_condition(st, "AwaitingCA", true, "CANotDelivered",
                                p->awaiting_ca, p->pc->now);
}

/* A CA that is not valid yet: named with its notBefore in a condition,
 * with a warning in the log when the condition appears. */
static void note_ca_waiting(plan_step *p, certlc_tcp_status *st)
{
    const char *type = "CertificateAuthorityNotYetValid";
    if (p->ca_waiting[0] == '\0') {
        certlc_status_clear_condition(st, type);
        return;
    }
    char msg[500];
    snprintf(msg, sizeof msg, "%s; nothing it signs is issued until then",
             p->ca_waiting);
    const certlc_condition *c = certlc_status_condition(st, type);
    if (c == NULL || !c->status)
        certlc_warn("engine", "%s/%s: %s", p->pc->t->namespace, p->pc->t->name, msg);
    certlc_status_set_condition(st, type, true, "NotBeforeInTheFuture", msg,
                                p->pc->now);
}

/* The status the pass leaves; saved once, by the caller. */
static void note_status(plan_step *p)
{
    certlc_tcp_status *st = &p->pc->status;
    if (st->created == 0)
        st->created = p->pc->now;
    snprintf(st->version, sizeof st->version, "%s", p->pc->t->version);
    note_ca_expiry(p, st);
    note_ca_waiting(p, st);
    if (p->pc->res->failed == 0) {
        snprintf(st->phase, sizeof st->phase, "%s", CERTLC_PHASE_READY);
        certlc_status_set_condition(st, "Ready", true, "Reconciled", "",
                                    p->pc->now);
    } else {
        char msg[700];
        snprintf(msg, sizeof msg, "%zu Secret(s) could not be issued; first: "
                 "%s", p->pc->res->failed, p->pc->first_failure);
        /* A loop stopped by the guard needs a person: Failed, not the
         * NotReady of something that will be retried. */
        snprintf(st->phase, sizeof st->phase, "%s",
                 p->pc->looping ? CERTLC_PHASE_FAILED : CERTLC_PHASE_NOT_READY);
        certlc_status_set_condition(st, "Ready", false,
                                    p->pc->looping            ? "ReissueLoop"
                                    : p->ca_waiting[0]    ? "CANotYetValid"
                                                          : "IssueFailed",
                                    msg, p->pc->now);
    }
    note_ca_source(p, st);
    if (p->pc->res->failed == 0) {
        certlc_err rerr = {{0}};
        switch (certlc_rollout_tenant(p->pc, &rerr)) {
        case CERTLC_ROLLOUT_NONE:
        case CERTLC_ROLLOUT_STARTED: /* Its end is recorded by the engine */
        case CERTLC_ROLLOUT_WAITING:
            break;
        case CERTLC_ROLLOUT_DONE:
            p->pc->res->rolled_out = 1;
            certlc_status_set_condition(st, "RolledOut", true, "HookSucceeded",
                                        "", p->pc->now);
            break;
        case CERTLC_ROLLOUT_FAILED:
            p->pc->res->rollout_failed = 1;
            certlc_warn("rollout", "%s/%s: %s", p->pc->t->namespace, p->pc->t->name,
                        rerr.msg);
            certlc_status_set_condition(st, "RolledOut", false, "HookFailed",
                                        rerr.msg, p->pc->now);
            break;
        }
    }
    /* A CA rotation with overlap: its phase in the status (ca_overlap.h). */
    certlc_ca_overlap_note_status(st, p->pc->now, &p->pc->res->next_due);
}

int certlc_reconcile_tenant(certlc_store *store, const certlc_config *cfg,
                            const certlc_tenant *t, certlc_reconcile_cb cb,
                            void *arg, certlc_reconcile_result *result,
                            certlc_err *err)
{
    return certlc_reconcile_tenant_status(store, cfg, NULL, t, cb, arg,
                                          result, NULL, err);
}

int certlc_reconcile_tenant_status(certlc_store *store,
                                   const certlc_config *cfg,
                                   certlc_ds_registry *reg,
                                   const certlc_tenant *t,
                                   certlc_reconcile_cb cb, void *arg,
                                   certlc_reconcile_result *result,
                                   certlc_pass_statuses *sts,
                                   certlc_err *err)
{
    if (sts != NULL)
        sts->have_before = sts->have_after = 0;
    int64_t now = certlc_now();
    /* A CA rotation with overlap moves on first (ca_overlap.h): the CA
     * Secret must hold what its phase says before anything is judged, and
     * the phase it records is in the status the pass then loads. */
    int64_t overlap_due = INT64_MAX;
    char ca_name[320];
    certlc_err oerr = {{0}};
    /* On the heap: the status is kept twice (as in memory, as stored). */
    certlc_pass *pc = malloc(sizeof *pc);
    if (pc == NULL) {
        memset(result, 0, sizeof *result);
        result->next_due = INT64_MAX;
        return certlc_err_set(err, "out of memory starting a pass");
    }
    certlc_pass_begin(pc, store, cfg, reg, t, now, cb, arg, result);
    if (sts != NULL && sts->before != NULL && pc->status_rc == 0) {
        *sts->before = pc->status;
        sts->have_before = 1;
    }
    bool wrote = false;
    int orc = certlc_ca_overlap_step(store, cfg, t, now,
                                     pc->status_rc == 0 ? &pc->status : NULL,
                                     &pc->peeks, &wrote, &overlap_due, ca_name,
                                     sizeof ca_name, &oerr);
    if (wrote) /* the phase it recorded */
        certlc_pass_begin(pc, store, cfg, reg, t, now, cb, arg, result);
    plan_step p = {.pc = pc};
    result->next_due = overlap_due;
    if (orc != 0) {
        report(&p, ca_name, CERTLC_ACT_FAILED, CERTLC_CAUSE_CA, oerr.msg);
        p.stopped = true;
    }
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    for (size_t i = 0; i < n && !p.stopped; i++)
        if (certlc_plan_enabled(&items[i], t) && !items[i].datastore_only)
            reconcile_item(&p, &items[i]);
    for (size_t i = 0; i < p.n_signers; i++) {
        certlc_ca_fini(&p.signers[i].ca);
        certlc_secret_free(p.signers[i].lazy);
    }
    /* ---- the datastore's Secrets, through its driver. ---- */
    if (t->datastore[0] != '\0' && !p.stopped)
        certlc_datastore_reconcile(pc);
    note_status(&p);
    int rc = certlc_pass_save_status(pc, err);
    if (rc != 0)
        certlc_err_prefix(err, "cannot save the status");
    /* Saved, or equal to the stored one but for `updated`, which the save
     * set back: what the store holds now. */
    if (rc == 0 && sts != NULL && sts->after != NULL) {
        *sts->after = pc->status;
        sts->have_after = 1;
    }
    free(pc);
    return rc;
}
