#include "ca_overlap.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_bundle.h"
#include "duration.h"
#include "events.h"
#include "kamaji.h"
#include "kubeconfig.h"
#include "log.h"
#include "pki.h"
#include "plan.h"
#include "secret_write.h"
#include "timefmt.h"
#include "validation.h"

const char *const certlc_ca_overlap_phases[] = {
    CERTLC_CA_PHASE_TRUST_BOTH, CERTLC_CA_PHASE_MOVE, CERTLC_CA_PHASE_RETIRE,
    CERTLC_CA_PHASE_DONE};
const size_t certlc_ca_overlap_n_phases =
    sizeof certlc_ca_overlap_phases / sizeof certlc_ca_overlap_phases[0];

/* What one step works on. */
typedef struct step {
    certlc_store *store;
    const certlc_config *cfg;
    const certlc_tenant *t;
    int64_t now;
    certlc_tcp_status st;
    const certlc_peeks *pre; /* what the pass peeked as it began */
    const certlc_item *item; /* the CA being rotated */
    char name[320];          /* its Secret */
    char next_name[340];     /* <name>-next: the new CA until retire */
    bool wrote;              /* the status was saved */
} step;

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

bool certlc_ca_overlap_active(const certlc_tcp_status *st)
{
    const char *ph = st->ca_rotation.phase;
    return ph[0] != '\0' && !is(ph, CERTLC_CA_PHASE_DONE);
}

bool certlc_ca_overlap_running(certlc_store *store, const certlc_tenant *t)
{
    certlc_tcp_status st;
    certlc_err err;
    return certlc_status_load(store, t->namespace, t->name, &st, &err) == 0 &&
           certlc_ca_overlap_active(&st);
}

int64_t certlc_ca_overlap_duration(const certlc_config *cfg,
                                   const certlc_tenant *t)
{
    return t->ca_overlap > 0 ? t->ca_overlap : cfg->ca_overlap;
}

static const char *annotation(const certlc_secret *s, const char *key)
{
    const char *v = certlc_kvlist_str(&s->annotations, key);
    return v != NULL ? v : "";
}

/* ---- events and the status ------------------------------------------------ */

static void event(step *sp, const char *type, const char *fmt, ...)
    CERTLC_PRINTF(3, 4);

static void event(step *sp, const char *type, const char *fmt, ...)
{
    certlc_event e;
    certlc_event_init(&e, type, CERTLC_EV_CA_ROTATION_PHASE,
                      sp->t->namespace, sp->t->name, sp->name, sp->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    if (is(type, "Warning"))
        certlc_warn("engine", "%s/%s: %s", sp->t->namespace, sp->t->name,
                    e.message);
    else
        certlc_info("engine", "%s/%s: %s", sp->t->namespace, sp->t->name,
                    e.message);
    certlc_err err;
    if (certlc_events_record(sp->store, sp->t->namespace, sp->t->name, &e, 1,
                             &err) != 0)
        certlc_warn("engine", "%s/%s: cannot record the event: %s",
                    sp->t->namespace, sp->t->name, err.msg);
}

static const char *phase_says(const char *phase)
{
    if (is(phase, CERTLC_CA_PHASE_TRUST_BOTH))
        return "the old and the new CA are both trusted; certificates are "
               "still signed by the old one";
    if (is(phase, CERTLC_CA_PHASE_MOVE))
        return "every certificate is issued again under the new CA; both "
               "CAs are still trusted";
    if (is(phase, CERTLC_CA_PHASE_RETIRE))
        return "the old CA is no longer trusted";
    if (is(phase, CERTLC_CA_PHASE_ABORT))
        return "aborted: back to the old CA alone";
    return "the rotation is over";
}

/* Records the phase (and the time it may end) in the store, before any of
 * its effects, and says so once with an event. */
static int enter(step *sp, const char *phase, certlc_err *err)
{
    certlc_ca_rotation_status *r = &sp->st.ca_rotation;
    snprintf(r->phase, sizeof r->phase, "%s", phase);
    r->phase_ends = sp->now;
    if (is(phase, CERTLC_CA_PHASE_TRUST_BOTH) ||
        is(phase, CERTLC_CA_PHASE_MOVE))
        r->phase_ends = sp->now + r->overlap;
    sp->st.updated = sp->now;
    sp->wrote = true;
    if (certlc_status_save(sp->store, sp->t->namespace, sp->t->name, &sp->st,
                           err) != 0) {
        certlc_err_prefix(err, "the CA rotation cannot record its phase %s",
                          phase);
        return -1;
    }
    char when[32];
    certlc_time_rfc3339(r->phase_ends, when, sizeof when);
    event(sp, "Normal", "CA rotation of %s: phase %s: %s%s%s", sp->name,
          phase, phase_says(phase),
          r->phase_ends > sp->now ? "; it ends at " : "",
          r->phase_ends > sp->now ? when : "");
    return 0;
}

/* ---- the Secrets ------------------------------------------------------------ */

/* The next kubeconfig Secret the rotated CA signs, from plan item *i on;
 * its item in *item. NULL when none is left (one that cannot be read is
 * left to the pass, which issues it again). */
static certlc_secret *next_kubeconfig(const step *sp, size_t *i,
                                      const certlc_item **item)
{
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    for (; *i < n; (*i)++) {
        const certlc_item *it = &items[*i];
        if (it->kind != CERTLC_ITEM_KUBECONFIG || it->signer == NULL ||
            !is(it->signer, sp->item->suffix) ||
            !certlc_plan_enabled(it, sp->t))
            continue;
        char name[320];
        certlc_plan_secret_name(sp->t, it, name, sizeof name);
        certlc_secret *s = NULL;
        certlc_err gerr;
        if (certlc_store_get(sp->store, sp->t->namespace, name, &s, &gerr) !=
            0)
            continue;
        *item = it;
        (*i)++;
        return s;
    }
    return NULL;
}

/* The new CA: made as the plan says, stored as <name>-next before it is
 * used anywhere, so that a restart finds the same one. */
static int make_next(step *sp, certlc_err *err)
{
    certlc_plan_spec ps;
    if (certlc_plan_spec_init(&ps, sp->item, sp->t, sp->cfg, err) != 0)
        return -1;
    int rc = -1;
    char *cert_pem = NULL, *key_pem = NULL;
    size_t cert_len = 0, key_len = 0;
    X509 *ca = NULL;
    certlc_secret *s = NULL;
    EVP_PKEY *key = certlc_key_generate(sp->cfg->key_algorithm, err);
    if (key == NULL ||
        (ca = certlc_cert_issue(&ps.spec, key, NULL, key, err)) == NULL ||
        (cert_pem = certlc_pem_cert(ca, &cert_len, err)) == NULL ||
        (key_pem = certlc_pem_private_key(key, &key_len, err)) == NULL)
        goto out;
    s = certlc_secret_new(sp->t->namespace, sp->next_name, sp->item->type);
    char suffix[80];
    snprintf(suffix, sizeof suffix, "%s-next", sp->item->suffix);
    if (s == NULL ||
        certlc_kvlist_set(&s->data, sp->item->cert_key, cert_pem, cert_len) ||
        certlc_kvlist_set(&s->data, sp->item->key_key, key_pem, key_len) ||
        certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_NAME, sp->t->name) ||
        certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_COMPONENT, suffix) ||
        certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_MANAGED_BY, "certlc")) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    rc = certlc_store_create(sp->store, s, err);
    if (rc != 0)
        certlc_err_prefix(err, "cannot store the new CA as %s", sp->next_name);
out:
    certlc_secret_free(s);
    if (key_pem != NULL)
        certlc_pem_free(key_pem, key_len);
    free(cert_pem);
    X509_free(ca);
    EVP_PKEY_free(key);
    certlc_plan_spec_fini(&ps);
    return rc;
}

/* The old and the new CA as the Secrets hold them now. old_key is NULL
 * once the CA Secret signs with the new key (from move on). */
typedef struct pair {
    X509 *old_ca, *new_ca;
    EVP_PKEY *old_key, *new_key;
} pair;

static void pair_fini(pair *pr)
{
    X509_free(pr->old_ca);
    X509_free(pr->new_ca);
    EVP_PKEY_free(pr->old_key);
    EVP_PKEY_free(pr->new_key);
    memset(pr, 0, sizeof *pr);
}

static int load_pair(step *sp, const certlc_secret *cur,
                     const certlc_secret *next, pair *pr, certlc_err *err)
{
    memset(pr, 0, sizeof *pr);
    const certlc_item *it = sp->item;
    const certlc_kv *crt = certlc_kvlist_get(&cur->data, it->cert_key);
    const certlc_kv *key = certlc_kvlist_get(&cur->data, it->key_key);
    if (crt == NULL || key == NULL)
        return certlc_err_set(err, "%s lacks %s or %s", sp->name,
                              it->cert_key, it->key_key);
    STACK_OF(X509) *certs = certlc_certs_from_pem(crt->value, crt->len, err);
    if (certs == NULL)
        return -1;
    EVP_PKEY *cur_key = certlc_private_key_from_pem(key->value, key->len, err);
    if (cur_key == NULL)
        goto fail;
    if (next != NULL) {
        const certlc_kv *nc = certlc_kvlist_get(&next->data, it->cert_key);
        const certlc_kv *nk = certlc_kvlist_get(&next->data, it->key_key);
        if (nc == NULL || nk == NULL ||
            (pr->new_ca = certlc_cert_from_pem(nc->value, nc->len, err)) ==
                NULL ||
            (pr->new_key = certlc_private_key_from_pem(nk->value, nk->len,
                                                       err)) == NULL) {
            certlc_err_prefix(err, "%s", sp->next_name);
            goto fail;
        }
    }
    if (next == NULL) {
        /* The -next Secret is gone (retire or abort ran), or was never
         * made: the CA Secret's first certificate is what signs. */
        pr->new_ca = X509_dup(sk_X509_value(certs, 0));
        pr->new_key = cur_key;
        cur_key = NULL;
        if (sk_X509_num(certs) > 1)
            pr->old_ca = X509_dup(sk_X509_value(certs, 1));
    }
    /* With it, the old CA is the one of ca.crt that is not the new one;
     * its key is there while it is first. */
    for (int i = 0; next != NULL && i < sk_X509_num(certs) &&
                    pr->old_ca == NULL; i++) {
        X509 *c = sk_X509_value(certs, i);
        if (X509_cmp(c, pr->new_ca) == 0)
            continue;
        pr->old_ca = X509_dup(c);
        if (i == 0 && certlc_key_matches_cert(cur_key, c, err) == 0) {
            pr->old_key = cur_key;
            cur_key = NULL;
        }
    }
    certlc_err_ssl_clear();
    EVP_PKEY_free(cur_key);
    sk_X509_pop_free(certs, X509_free);
    return 0;
fail:
    EVP_PKEY_free(cur_key);
    sk_X509_pop_free(certs, X509_free);
    pair_fini(pr);
    return -1;
}

/* What the phase wants the CA Secret to hold: ca.crt and ca.key. */
static int wanted(step *sp, const pair *pr, bool next_exists, char **crt,
                  size_t *crt_len, EVP_PKEY **key, certlc_err *err)
{
    const char *ph = sp->st.ca_rotation.phase;
    *crt = NULL;
    *crt_len = 0;
    X509 *first = pr->old_ca, *second = NULL;
    *key = pr->old_key;
    if (is(ph, CERTLC_CA_PHASE_TRUST_BOTH)) {
        second = pr->new_ca;
    } else if (is(ph, CERTLC_CA_PHASE_MOVE)) {
        first = pr->new_ca;
        second = pr->old_ca;
        *key = pr->new_key;
    } else if (is(ph, CERTLC_CA_PHASE_RETIRE)) {
        first = pr->new_ca;
        *key = pr->new_key;
    } else if (is(ph, CERTLC_CA_PHASE_ABORT) && !next_exists) {
        /* The -next Secret is gone: the CA Secret's first certificate
         * (loaded as the "new" one) is the old CA. */
        first = pr->new_ca;
        *key = pr->new_key;
    }
    if (first == NULL || *key == NULL ||
        (is(ph, CERTLC_CA_PHASE_MOVE) && (!next_exists || second == NULL)))
        return certlc_err_set(err, "%s and %s no longer hold the old and the "
                              "new CA as phase %s needs them (changed by "
                              "hand?): abort the rotation, or delete %s to "
                              "replace the CA", sp->name, sp->next_name, ph,
                              sp->name);
    if (certlc_pem_cert_append(crt, crt_len, first, err) != 0 ||
        (second != NULL &&
         certlc_pem_cert_append(crt, crt_len, second, err) != 0)) {
        free(*crt);
        *crt = NULL;
        return -1;
    }
    return 0;
}

static bool same(const certlc_kv *kv, const void *v, size_t n)
{
    return kv != NULL && kv->len == n && memcmp(kv->value, v, n) == 0;
}

/* The CA Secret as the phase wants it, the requests on it consumed. */
static int write_ca(step *sp, const certlc_secret *cur, const char *crt,
                    size_t crt_len, EVP_PKEY *key, certlc_err *err)
{
    const certlc_item *it = sp->item;
    size_t key_len = 0;
    char *key_pem = certlc_pem_private_key(key, &key_len, err);
    if (key_pem == NULL)
        return -1;
    bool key_same = false;
    const certlc_kv *kkv = certlc_kvlist_get(&cur->data, it->key_key);
    if (kkv != NULL) {
        certlc_err kerr;
        EVP_PKEY *k = certlc_private_key_from_pem(kkv->value, kkv->len, &kerr);
        key_same = k != NULL && EVP_PKEY_eq(k, key) == 1;
        EVP_PKEY_free(k);
        certlc_err_ssl_clear();
    }
    bool requests = certlc_kamaji_rotation_requested(&cur->annotations) ||
                    certlc_kvlist_get(&cur->annotations,
                                      CERTLC_ANNOTATION_CA_ROTATION) != NULL ||
                    certlc_kvlist_get(&cur->annotations,
                                      CERTLC_ANNOTATION_CA_OVERLAP) != NULL;
    if (same(certlc_kvlist_get(&cur->data, it->cert_key), crt, crt_len) &&
        key_same && !requests) {
        certlc_pem_free(key_pem, key_len);
        return 0;
    }
    int rc = -1;
    certlc_secret *s = certlc_secret_dup(cur);
    char when[32], reason[80];
    certlc_time_rfc3339(sp->now, when, sizeof when);
    snprintf(reason, sizeof reason, "CA rotation with overlap: %s",
             sp->st.ca_rotation.phase);
    if (s == NULL || certlc_kvlist_set(&s->data, it->cert_key, crt, crt_len) ||
        (!key_same &&
         certlc_kvlist_set(&s->data, it->key_key, key_pem, key_len)) ||
        certlc_kamaji_ca_tls_keys(&s->data, it) != 0 ||
        certlc_kamaji_rotation_done(&s->annotations, sp->now) != 0 ||
        certlc_kamaji_metadata(s) != 0 ||
        certlc_kvlist_set_str(&s->annotations, CERTLC_ANNOTATION_ROTATED,
                              when) != 0 ||
        certlc_kvlist_set_str(&s->annotations, CERTLC_ANNOTATION_REASON,
                              reason) != 0) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    certlc_kvlist_del(&s->annotations, CERTLC_ANNOTATION_CA_ROTATION);
    certlc_kvlist_del(&s->annotations, CERTLC_ANNOTATION_CA_OVERLAP);
    rc = certlc_store_update(sp->store, s, err);
    if (rc != 0)
        certlc_err_prefix(err, "cannot update %s", sp->name);
out:
    certlc_secret_free(s);
    certlc_pem_free(key_pem, key_len);
    return rc;
}

/* Every kubeconfig signed by the CA gets the CA Secret's ca.crt as its
 * certificate-authority-data, its client certificate untouched. One that
 * does not parse is left to the pass, which issues it again. */
static int patch_kubeconfigs(step *sp, const char *crt, size_t crt_len,
                             certlc_err *err)
{
    const certlc_item *it;
    certlc_secret *s;
    for (size_t i = 0; (s = next_kubeconfig(sp, &i, &it)) != NULL;) {
        certlc_err gerr;
        certlc_plan_kubeconfig want[CERTLC_PLAN_MAX_KUBECONFIGS];
        size_t nk = certlc_plan_kubeconfigs(it, sp->t, want);
        bool changed = false;
        int rc = 0;
        for (size_t k = 0; k < nk && rc == 0; k++) {
            const certlc_kv *kv = certlc_kvlist_get(&s->data, want[k].key);
            certlc_kubeconfig *kc =
                kv ? certlc_kubeconfig_parse(kv->value, kv->len, &gerr) : NULL;
            if (kc == NULL ||
                (kc->ca_len == crt_len && memcmp(kc->ca_pem, crt, crt_len) == 0)) {
                certlc_kubeconfig_free(kc);
                continue;
            }
            certlc_kubeconfig w = *kc;
            w.ca_pem = (unsigned char *)crt;
            w.ca_len = crt_len;
            size_t ylen = 0;
            char *yaml = certlc_kubeconfig_write(&w, &ylen, err);
            if (yaml == NULL ||
                certlc_kvlist_set(&s->data, want[k].key, yaml, ylen) != 0)
                rc = yaml == NULL ? -1 : certlc_err_set(err, "out of memory");
            if (yaml != NULL)
                certlc_kubeconfig_yaml_free(yaml, ylen);
            certlc_kubeconfig_free(kc);
            changed = true;
        }
        if (rc == 0 && changed) {
            if (certlc_kamaji_metadata(s) != 0)
                rc = certlc_err_set(err, "out of memory");
            else
                rc = certlc_store_update(sp->store, s, err);
        }
        if (rc != 0)
            certlc_err_prefix(err, "cannot give %s the CA bundle", s->name);
        certlc_secret_free(s);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Brings the Secrets to what the current phase says; safe to run again
 * (a restart does). */
static int apply(step *sp, const certlc_secret *cur, certlc_err *err)
{
    const char *ph = sp->st.ca_rotation.phase;
    if (is(ph, CERTLC_CA_PHASE_DONE)) {
        /* A --continue that arrived with the end: nothing left to do. */
        if (certlc_kvlist_get(&cur->annotations,
                              CERTLC_ANNOTATION_CA_ROTATION) == NULL)
            return 0;
        certlc_secret *s = certlc_secret_dup(cur);
        int rc = s == NULL ? certlc_err_set(err, "out of memory") : 0;
        if (rc == 0) {
            certlc_kvlist_del(&s->annotations, CERTLC_ANNOTATION_CA_ROTATION);
            rc = certlc_store_update(sp->store, s, err);
        }
        certlc_secret_free(s);
        return rc < 0 ? -1 : 0;
    }
    certlc_secret *next = NULL;
    int rc = certlc_store_get(sp->store, sp->t->namespace, sp->next_name,
                              &next, err);
    if (rc == CERTLC_NOTFOUND && is(ph, CERTLC_CA_PHASE_TRUST_BOTH)) {
        if (make_next(sp, err) != 0)
            return -1;
        rc = certlc_store_get(sp->store, sp->t->namespace, sp->next_name,
                              &next, err);
    }
    if (rc < 0 && rc != CERTLC_NOTFOUND)
        return -1;
    pair pr;
    if (load_pair(sp, cur, next, &pr, err) != 0) {
        certlc_secret_free(next);
        return -1;
    }
    char *crt = NULL;
    size_t crt_len = 0;
    EVP_PKEY *key = NULL;
    rc = wanted(sp, &pr, next != NULL, &crt, &crt_len, &key, err);
    if (rc == 0)
        rc = write_ca(sp, cur, crt, crt_len, key, err);
    if (rc == 0)
        rc = patch_kubeconfigs(sp, crt, crt_len, err);
    if (rc == 0 && next != NULL &&
        (is(ph, CERTLC_CA_PHASE_RETIRE) || is(ph, CERTLC_CA_PHASE_ABORT))) {
        rc = certlc_store_remove(sp->store, sp->t->namespace, sp->next_name,
                                 err);
        if (rc == CERTLC_NOTFOUND)
            rc = 0;
    }
    free(crt);
    pair_fini(&pr);
    certlc_secret_free(next);
    return rc < 0 ? -1 : 0;
}

/* ---- requests ------------------------------------------------------------- */

/* ca_rotation as the tenant, or else certlc.ini, says: overlap or not. */
static bool configured_overlap(const step *sp)
{
    return sp->t->ca_rotation_overlap >= 0 ? sp->t->ca_rotation_overlap == 1
                                           : sp->cfg->ca_rotation_overlap;
}

/* Whether a rotate request on a CA Secret asks for an overlap. */
static bool wants_overlap(const step *sp, const certlc_secret *s)
{
    const char *mode = annotation(s, CERTLC_ANNOTATION_CA_ROTATION);
    if (is(mode, "overlap"))
        return true;
    if (is(mode, "replace"))
        return false;
    return configured_overlap(sp);
}

/* A request that is not acted upon is removed, with the reason said. */
static void drop_request(step *sp, const certlc_secret *cur, const char *why)
{
    certlc_secret *s = certlc_secret_dup(cur);
    certlc_err err;
    if (s != NULL && certlc_kamaji_rotation_done(&s->annotations, sp->now) == 0) {
        certlc_kvlist_del(&s->annotations, CERTLC_ANNOTATION_CA_ROTATION);
        certlc_kvlist_del(&s->annotations, CERTLC_ANNOTATION_CA_OVERLAP);
        if (certlc_store_update(sp->store, s, &err) != 0)
            certlc_warn("engine", "%s/%s: %s: %s", sp->t->namespace,
                        sp->t->name, s->name, err.msg);
    }
    certlc_secret_free(s);
    event(sp, "Warning", "%s", why);
}

static void target(step *sp, const certlc_item *item)
{
    sp->item = item;
    certlc_plan_secret_name(sp->t, item, sp->name, sizeof sp->name);
    snprintf(sp->next_name, sizeof sp->next_name, "%s-next", sp->name);
}

/* ---- a deleted CA Secret ---------------------------------------------------- */

/* A self-signed CA certificate, valid now, other than `not`. */
static bool old_root(const step *sp, X509 *x, X509 *not)
{
    EVP_PKEY *pub = X509_get0_pubkey(x);
    return certlc_cert_is_ca(x) && X509_check_issued(x, x) == X509_V_OK &&
           pub != NULL && X509_verify(x, pub) == 1 &&
           sp->now < certlc_cert_not_after(x) &&
           (not == NULL || X509_cmp(x, not) != 0);
}

/* The old CA, as one kubeconfig it signed still carries it in its
 * certificate-authority-data (the CA Secret, and its copy of the CA, went
 * with the deletion); not is the new CA, once made. NULL when none does
 * (they were deleted too, or never trusted this CA). */
static X509 *old_ca_from_kubeconfigs(const step *sp, X509 *not)
{
    X509 *found = NULL;
    const certlc_item *it;
    certlc_secret *s;
    for (size_t i = 0;
         found == NULL && (s = next_kubeconfig(sp, &i, &it)) != NULL;) {
        certlc_err gerr;
        certlc_plan_kubeconfig want[CERTLC_PLAN_MAX_KUBECONFIGS];
        size_t nk = certlc_plan_kubeconfigs(it, sp->t, want);
        for (size_t k = 0; k < nk && found == NULL; k++) {
            const certlc_kv *kv = certlc_kvlist_get(&s->data, want[k].key);
            certlc_kubeconfig *kc =
                kv ? certlc_kubeconfig_parse(kv->value, kv->len, &gerr) : NULL;
            STACK_OF(X509) *certs =
                kc ? certlc_certs_from_pem(kc->ca_pem, kc->ca_len, &gerr)
                   : NULL;
            for (int c = 0; certs != NULL && c < sk_X509_num(certs) &&
                            found == NULL; c++)
                if (old_root(sp, sk_X509_value(certs, c), not))
                    found = X509_dup(sk_X509_value(certs, c));
            sk_X509_pop_free(certs, X509_free);
            certlc_kubeconfig_free(kc);
        }
        certlc_secret_free(s);
    }
    certlc_err_ssl_clear();
    return found;
}

/* A deleted CA Secret under ca_rotation = overlap. Its key went with it,
 * so the old CA can sign nothing more: there is no trust-both. But every
 * node and kubeconfig still trusts the old CA's certificate, which the
 * kubeconfigs carry: the rotation starts in move (the new CA signs, ca.crt
 * holds new+old), so that no client is cut off before retire. 1 started,
 * 0 not possible (no kubeconfig has the old CA, or it expired: the pass
 * replaces the CA), -1 error. */
static int start_deleted(step *sp, certlc_err *err)
{
    if (!configured_overlap(sp))
        return 0;
    X509 *old = old_ca_from_kubeconfigs(sp, NULL);
    if (old == NULL)
        return 0;
    X509_free(old);
    certlc_ca_rotation_status *r = &sp->st.ca_rotation;
    memset(r, 0, sizeof *r);
    snprintf(r->ca, sizeof r->ca, "%s", sp->item->suffix);
    r->overlap = certlc_ca_overlap_duration(sp->cfg, sp->t);
    r->started = sp->now;
    r->deleted = true;
    return enter(sp, CERTLC_CA_PHASE_MOVE, err) == 0 ? 1 : -1;
}

/* The CA Secret of a rotation its deletion started, made again from the
 * new CA (<name>-next, made first when missing) and the old CA the
 * kubeconfigs carry: ca.crt = new+old, the new key. Safe to run again (a
 * restart between the phase and this write does). 0 written or written
 * meanwhile by another writer (read it again), 2 not possible any longer
 * (no kubeconfig carries the old CA), -1 error. */
static int restore_deleted(step *sp, certlc_err *err)
{
    const certlc_item *it = sp->item;
    certlc_secret *next = NULL, *s = NULL;
    int rc = certlc_store_get(sp->store, sp->t->namespace, sp->next_name,
                              &next, err);
    if (rc == CERTLC_NOTFOUND) {
        if (make_next(sp, err) != 0)
            return -1;
        rc = certlc_store_get(sp->store, sp->t->namespace, sp->next_name,
                              &next, err);
    }
    if (rc != 0)
        return -1;
    rc = -1;
    X509 *new_ca = NULL, *old = NULL;
    char *crt = NULL;
    size_t crt_len = 0;
    const certlc_kv *nc = certlc_kvlist_get(&next->data, it->cert_key);
    const certlc_kv *nk = certlc_kvlist_get(&next->data, it->key_key);
    if (nc == NULL || nk == NULL ||
        (new_ca = certlc_cert_from_pem(nc->value, nc->len, err)) == NULL) {
        certlc_err_set(err, "%s lacks its CA: delete it to start again",
                       sp->next_name);
        goto out;
    }
    if ((old = old_ca_from_kubeconfigs(sp, new_ca)) == NULL) {
        rc = 2;
        goto out;
    }
    if (certlc_pem_cert_append(&crt, &crt_len, new_ca, err) != 0 ||
        certlc_pem_cert_append(&crt, &crt_len, old, err) != 0)
        goto out;
    s = certlc_secret_new(sp->t->namespace, sp->name, it->type);
    if (s == NULL || certlc_kvlist_set(&s->data, it->cert_key, crt, crt_len) ||
        certlc_kvlist_set(&s->data, it->key_key, nk->value, nk->len) ||
        certlc_kamaji_ca_tls_keys(&s->data, it) != 0) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    certlc_secret_write w = {
        .tenant = sp->t->name, .item = it, .now = sp->now,
        .reason = "CA rotation with overlap: move (its Secret was deleted)"};
    rc = certlc_secret_write_tenant(sp->store, s, &w, err);
    if (rc == CERTLC_CONFLICT)
        rc = 0;
    else if (rc == 0)
        event(sp, "Normal", "%s was deleted: the new CA signs and the old "
              "one, as the kubeconfigs carry it, stays trusted until "
              "retire", sp->name);
out:
    certlc_secret_free(s);
    certlc_secret_free(next);
    X509_free(new_ca);
    X509_free(old);
    free(crt);
    return rc;
}

/* A rotate request with an overlap on a CA that can have one starts the
 * rotation: 1 started, 0 nothing to start, -1 error. An expired CA is
 * left to the pass, which replaces it: nothing it signed can be trusted. */
/* The CA's Secret holds the bytes its validation record was made from,
 * and such a record is never made while a rotate request waits (see
 * reconcile.c judged_before): nothing to start, and nothing to read. */
static bool judged_unchanged(const step *sp)
{
    return certlc_validation_unchanged(sp->store, &sp->st, sp->t->namespace,
                                       sp->name, sp->pre) != NULL;
}

static int start(step *sp, certlc_err *err)
{
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    for (size_t i = 0; i < n; i++) {
        const certlc_item *it = &items[i];
        if (it->kind != CERTLC_ITEM_CA || !certlc_plan_enabled(it, sp->t))
            continue;
        bool provided = is(it->suffix, "ca") ? sp->t->ca_provided
                                             : sp->t->front_proxy_ca_provided;
        target(sp, it);
        if (!provided && judged_unchanged(sp))
            continue;
        certlc_secret *s = NULL;
        certlc_err gerr;
        int grc = provided ? -1
                           : certlc_store_get(sp->store, sp->t->namespace,
                                              sp->name, &s, &gerr);
        if (grc == CERTLC_NOTFOUND) {
            int rc = start_deleted(sp, err);
            if (rc != 0)
                return rc;
            continue;
        }
        if (grc != 0)
            continue;
        if (!certlc_kamaji_rotation_requested(&s->annotations) ||
            !wants_overlap(sp, s)) {
            certlc_secret_free(s);
            continue;
        }
        const certlc_kv *c = certlc_kvlist_get(&s->data, it->cert_key);
        const certlc_kv *k = certlc_kvlist_get(&s->data, it->key_key);
        certlc_ca ca;
        bool loaded = c != NULL && k != NULL &&
                      certlc_ca_load(&ca, c->value, c->len, k->value, k->len,
                                     &gerr) == 0;
        bool usable = loaded && certlc_ca_usable(&ca, &gerr) == 0;
        bool expired = usable && sp->now >= certlc_ca_not_after(&ca);
        bool root = usable && certlc_ca_is_root(&ca) &&
                    sk_X509_num(ca.extra_roots) == 0;
        if (loaded)
            certlc_ca_fini(&ca);
        if (!usable || expired) {
            /* Replaced by the pass: broken or expired, there is nothing
             * worth trusting any longer. */
            certlc_secret_free(s);
            continue;
        }
        if (!root) {
            drop_request(sp, s, "the CA rotation with overlap needs a CA that "
                         "is its own root, alone in ca.crt: request dropped; "
                         "rotate it with `certlc rotate ca` without "
                         "--overlap, or replace it");
            certlc_secret_free(s);
            continue;
        }
        certlc_ca_rotation_status *r = &sp->st.ca_rotation;
        memset(r, 0, sizeof *r);
        snprintf(r->ca, sizeof r->ca, "%s", it->suffix);
        r->overlap = certlc_ca_overlap_duration(sp->cfg, sp->t);
        const char *d = annotation(s, CERTLC_ANNOTATION_CA_OVERLAP);
        int64_t secs = 0;
        if (d[0] != '\0' && certlc_duration_parse(d, &secs, &gerr) == 0 &&
            secs >= 1)
            r->overlap = secs;
        r->started = sp->now;
        certlc_secret_free(s);
        return enter(sp, CERTLC_CA_PHASE_TRUST_BOTH, err) == 0 ? 1 : -1;
    }
    return 0;
}

/* The rotation ends without an overlap: its CA Secret is gone (deleted:
 * the pass replaces the CA) or its CA expired. */
static int abandon(step *sp, const char *why, certlc_err *err)
{
    certlc_err rerr;
    if (certlc_store_remove(sp->store, sp->t->namespace, sp->next_name,
                            &rerr) < 0)
        certlc_warn("engine", "%s/%s: %s", sp->t->namespace, sp->t->name,
                    rerr.msg);
    event(sp, "Warning", "CA rotation of %s abandoned in phase %s: %s",
          sp->name, sp->st.ca_rotation.phase, why);
    snprintf(sp->st.ca_rotation.phase, sizeof sp->st.ca_rotation.phase, "%s",
             CERTLC_CA_PHASE_DONE);
    sp->st.updated = sp->now;
    sp->wrote = true;
    return certlc_status_save(sp->store, sp->t->namespace, sp->t->name,
                              &sp->st, err);
}

static const char *next_phase(const char *ph)
{
    if (is(ph, CERTLC_CA_PHASE_TRUST_BOTH))
        return CERTLC_CA_PHASE_MOVE;
    if (is(ph, CERTLC_CA_PHASE_MOVE))
        return CERTLC_CA_PHASE_RETIRE;
    return CERTLC_CA_PHASE_DONE;
}

/* The other CA's rotate request while this rotation runs: one rotation
 * at a time, so it is dropped with the reason (a deletion still replaces
 * that CA: its key is gone). */
static void refuse_other(step *sp)
{
    const certlc_item *mine = sp->item;
    size_t n;
    const certlc_item *items = certlc_plan_items(&n);
    for (size_t i = 0; i < n; i++) {
        if (items[i].kind != CERTLC_ITEM_CA || &items[i] == mine)
            continue;
        step other = *sp;
        target(&other, &items[i]);
        certlc_secret *s = NULL;
        certlc_err gerr;
        if (certlc_store_get(sp->store, sp->t->namespace, other.name, &s,
                             &gerr) == 0 &&
            certlc_kamaji_rotation_requested(&s->annotations)) {
            char why[900];
            snprintf(why, sizeof why, "rotation of %s refused: the CA "
                     "rotation of %s is in phase %s", other.name, sp->name,
                     sp->st.ca_rotation.phase);
            drop_request(&other, s, why);
        }
        certlc_secret_free(s);
    }
}

/* The request that started the rotation, not consumed yet: trust-both
 * has not been applied (ca.crt holds one certificate). */
static bool starting(const step *sp, const certlc_secret *cur)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    const certlc_kv *c = certlc_kvlist_get(&cur->data, sp->item->cert_key);
    if (!is(sp->st.ca_rotation.phase, CERTLC_CA_PHASE_TRUST_BOTH) || c == NULL)
        return false;
    const char *v = (const char *)c->value;
    const char *first = memmem(v, c->len, begin, sizeof begin - 1);
    return first != NULL &&
           memmem(first + 1, c->len - (size_t)(first + 1 - v), begin,
                  sizeof begin - 1) == NULL;
}

/* The phase moves on when its time is up (or --continue asks) and its
 * rollout succeeded. */
static int advance(step *sp, const certlc_secret *cur, certlc_err *err)
{
    certlc_ca_rotation_status *r = &sp->st.ca_rotation;
    const char *req = annotation(cur, CERTLC_ANNOTATION_CA_ROTATION);
    if (certlc_kamaji_rotation_requested(&cur->annotations) &&
        !starting(sp, cur)) {
        char why[600];
        snprintf(why, sizeof why, "rotation of %s refused: its CA rotation "
                 "is in phase %s", sp->name, r->phase);
        drop_request(sp, cur, why);
        return 1; /* read it again */
    }
    if (is(req, "abort")) {
        if (is(r->phase, CERTLC_CA_PHASE_TRUST_BOTH))
            return enter(sp, CERTLC_CA_PHASE_ABORT, err);
        char why[600];
        snprintf(why, sizeof why, "abort refused: the CA rotation of %s is "
                 "in phase %s, past trust-both (the certificates are "
                 "signed by the new CA)", sp->name, r->phase);
        drop_request(sp, cur, why);
        return 1;
    }
    bool rolled = is(r->rolled, r->phase);
    if (rolled && (is(req, "continue") || sp->now >= r->phase_ends))
        return enter(sp, next_phase(r->phase), err);
    return 0;
}

static int overlap_step(step *sp, certlc_err *lerr, int64_t *next_due,
                        char *which, size_t which_size, certlc_err *err);

int certlc_ca_overlap_step(certlc_store *store, const certlc_config *cfg,
                           const certlc_tenant *t, int64_t now,
                           const certlc_tcp_status *loaded,
                           const certlc_peeks *pre, bool *wrote,
                           int64_t *next_due, char *which, size_t which_size,
                           certlc_err *err)
{
    *wrote = false;
    if (loaded == NULL)
        return 0; /* never provisioned: nothing to rotate */
    /* The pass's own copy (loaded once for the pass): a step that saves
     * says so through *wrote, and the pass loads the status again. */
    step sp = {.store = store, .cfg = cfg, .t = t, .now = now,
               .st = *loaded, .pre = pre};
    certlc_err lerr;
    int rc = overlap_step(&sp, &lerr, next_due, which, which_size, err);
    *wrote = sp.wrote;
    return rc;
}

static int overlap_step(step *sp, certlc_err *lerr, int64_t *next_due,
                        char *which, size_t which_size, certlc_err *err)
{
    certlc_store *store = sp->store;
    const certlc_tenant *t = sp->t;
    int64_t now = sp->now;
    certlc_ca_rotation_status *r = &sp->st.ca_rotation;
    snprintf(which, which_size, "%s-ca", t->name);
    if (!certlc_ca_overlap_active(&sp->st)) {
        int rc = start(sp, err);
        snprintf(which, which_size, "%s", sp->name);
        if (rc <= 0)
            return rc;
    }
    const certlc_item *item = certlc_plan_item(r->ca);
    if (item == NULL || item->kind != CERTLC_ITEM_CA)
        return certlc_err_set(err, "the status names an unknown CA \"%s\" "
                              "in its CA rotation", r->ca);
    target(sp, item);
    snprintf(which, which_size, "%s", sp->name);
    refuse_other(sp);
    for (int round = 0; round < 3; round++) {
        certlc_secret *cur = NULL;
        int rc = certlc_store_get(store, t->namespace, sp->name, &cur, err);
        if (rc == CERTLC_NOTFOUND && r->deleted &&
            is(r->phase, CERTLC_CA_PHASE_MOVE)) {
            int made = restore_deleted(sp, err);
            if (made < 0)
                return -1;
            if (made == 0)
                continue; /* read it again */
        }
        if (rc == CERTLC_NOTFOUND)
            return abandon(sp, "its CA Secret was deleted, which replaces "
                           "the CA", err);
        if (rc != 0)
            return -1;
        X509 *first = NULL;
        const certlc_kv *c = certlc_kvlist_get(&cur->data, item->cert_key);
        if (c != NULL)
            first = certlc_cert_from_pem(c->value, c->len, lerr);
        bool expired = first != NULL && now >= certlc_cert_not_after(first);
        X509_free(first);
        if (expired) {
            certlc_secret_free(cur);
            return abandon(sp, "the CA that signs expired: it is replaced",
                           err);
        }
        rc = advance(sp, cur, err);
        if (rc == 0)
            rc = apply(sp, cur, err);
        certlc_secret_free(cur);
        if (rc < 0)
            return -1;
        if (rc == 1)
            continue;
        if (is(r->phase, CERTLC_CA_PHASE_ABORT))
            return enter(sp, CERTLC_CA_PHASE_DONE, err);
        break;
    }
    if (certlc_ca_overlap_active(&sp->st)) {
        /* A hook's success is followed by a pass; without one, look again
         * shortly in case the rollout is still to come. */
        int64_t when = is(r->rolled, r->phase) ? r->phase_ends : now + 10;
        if (when < now)
            when = now;
        if (when < *next_due)
            *next_due = when;
    }
    return 0;
}

void certlc_ca_overlap_note_status(certlc_tcp_status *st, int64_t now,
                                   int64_t *next_due)
{
    const char *type = "CertificateAuthorityRotation";
    if (!certlc_ca_overlap_active(st)) {
        certlc_status_clear_condition(st, type);
        return;
    }
    const certlc_ca_rotation_status *r = &st->ca_rotation;
    if (strcmp(st->phase, CERTLC_PHASE_READY) == 0)
        snprintf(st->phase, sizeof st->phase, "%s", CERTLC_PHASE_CA_ROTATING);
    bool rolled = is(r->rolled, r->phase);
    char when[32], msg[512], reason[32];
    certlc_time_rfc3339(r->phase_ends, when, sizeof when);
    snprintf(msg, sizeof msg, "%s: phase %s (%s); %s%s%s", r->ca, r->phase,
             phase_says(r->phase),
             rolled ? "" : "waiting for the rollout hook; ",
             r->phase_ends > now ? "ends at " : "ends once rolled out",
             r->phase_ends > now ? when : "");
    /* "trust-both" as TrustBoth, as condition reasons are written. */
    size_t o = 0;
    bool up = true;
    for (const char *c = r->phase; *c && o + 1 < sizeof reason; c++) {
        if (*c == '-') {
            up = true;
            continue;
        }
        reason[o++] = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
        up = false;
    }
    reason[o] = '\0';
    certlc_status_set_condition(st, type, true, reason, msg, now);
    if (rolled && r->phase_ends <= now && now < *next_due)
        *next_due = now;
}
