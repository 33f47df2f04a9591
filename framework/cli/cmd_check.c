/* certlc check-expiration: like `kubeadm certs check-expiration`. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ca_bundle.h"
#include "cli.h"
#include "duration.h"
#include "kubeconfig.h"
#include "pki.h"
#include "plan.h"
#include "inventory.h"
#include "reconcile.h"
#include "table.h"
#include "timefmt.h"

static const char usage[] =
    "Usage: certlc check-expiration [TCP] [-n NS | -A]\n"
    "\n"
    "Prints every tracked certificate (label\n"
    "kamaji.clastix.io/certificate_lifecycle_controller) with its Secret,\n"
    "expiry, residual time and signing CA, then the CAs (an intermediate\n"
    "CA with each issuer above it). Exits 1 when a\n"
    "certificate is missing, unreadable or expired.\n"
    "\n"
    "  -n, --namespace NS     the namespace (default: default)\n"
    "  -A, --all-namespaces   every namespace\n";

/* The certificate an item's Secret holds: for kubeconfigs, the embedded
 * client certificate. */
/* Fills the EXPIRES and RESIDUAL TIME cells; false when the certificate is
 * missing, unreadable or expired. */
static bool expiry_cells(certlc_cli *c, const certlc_tenant *t,
                         const certlc_item *item, char *expires,
                         char *residual, size_t size, int64_t *not_after_out)
{
    *not_after_out = 0;
    char name[320];
    certlc_plan_secret_name(t, item, name, sizeof name);
    certlc_secret *s = NULL;
    certlc_err err;
    int rc = certlc_store_get(c->store, t->namespace, name, &s, &err);
    if (rc == CERTLC_NOTFOUND) {
        snprintf(expires, size, "<missing>");
        snprintf(residual, size, "<missing>");
        return false;
    }
    X509 *x = rc == 0 ? certlc_item_cert(item, s, &err) : NULL;
    certlc_secret_free(s);
    if (x == NULL) {
        fprintf(stderr, "certlc: %s/%s: %s\n", t->namespace, name, err.msg);
        snprintf(expires, size, "<unreadable>");
        snprintf(residual, size, "<invalid>");
        return false;
    }
    int64_t not_after = certlc_cert_not_after(x);
    *not_after_out = not_after;
    X509_free(x);
    certlc_time_kubeadm(not_after, expires, size);
    certlc_duration_residual(not_after - certlc_now(), residual, size);
    return not_after > certlc_now();
}

/* A CA that is an intermediate: a row for each issuer above it in ca.crt,
 * since the chain stops working when any of them expires. */
static void chain_rows(certlc_cli *c, const certlc_tenant *t,
                       const certlc_item *item, const char *name,
                       certlc_table *cas)
{
    certlc_secret *s = NULL;
    certlc_err err;
    if (certlc_store_get(c->store, t->namespace, name, &s, &err) != 0)
        return;
    const certlc_kv *kv = certlc_kvlist_get(&s->data, item->cert_key);
    STACK_OF(X509) *all = kv ? certlc_certs_from_pem(kv->value, kv->len, &err)
                             : NULL;
    for (int i = 1; all != NULL && i < sk_X509_num(all); i++) {
        X509 *x = sk_X509_value(all, i);
        char subj[200] = "", row0[400], expires[64], residual[64];
        X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof subj);
        snprintf(row0, sizeof row0, "  issued by %s", subj);
        certlc_time_kubeadm(certlc_cert_not_after(x), expires, sizeof expires);
        certlc_duration_residual(certlc_cert_not_after(x) - certlc_now(),
                                 residual, sizeof residual);
        const char *row[] = {row0, expires, residual};
        certlc_table_add(cas, row);
    }
    sk_X509_pop_free(all, X509_free);
    certlc_secret_free(s);
}

/* The tables of check-expiration, and the warnings printed after them. */
typedef struct expiry_tables {
    certlc_table *certs, *cas;
    char warnings[4096];
} expiry_tables;

/* The warning for a CA near its end: never rotated by itself. */
static void warn_ca(expiry_tables *x, const certlc_tenant *t,
                    const certlc_item *item, const char *name,
                    const char *expires)
{
    size_t used = strlen(x->warnings);
    bool provided = strcmp(item->suffix, "ca") == 0
                        ? t->ca_provided
                        : t->front_proxy_ca_provided;
    snprintf(x->warnings + used, sizeof x->warnings - used,
             "WARNING: %s expires %s; %s\n", name, expires,
             provided ? "a provided CA is never made by "
                        "certlc: deliver a new one"
                      : "a CA is never rotated "
                        "automatically: delete the Secret "
                        "to rotate it");
}

/* The rows of one item of tenant t. False when it has expired or cannot
 * be read. */
static bool item_rows(certlc_cli *c, const certlc_tenant *t,
                      const certlc_item *item, expiry_tables *x)
{
    char name[320], signer[320], expires[64], residual[64];
    certlc_plan_secret_name(t, item, name, sizeof name);
    int64_t not_after;
    bool ok = expiry_cells(c, t, item, expires, residual, sizeof expires,
                           &not_after);
    if (item->kind == CERTLC_ITEM_CA) {
        const char *row[] = {name, expires, residual};
        certlc_table_add(x->cas, row);
        chain_rows(c, t, item, name, x->cas);
        if (not_after != 0 &&
            not_after - certlc_now() < certlc_ca_warn_window(c->cfg))
            warn_ca(x, t, item, name, expires);
        return ok;
    }
    /* The datastore certificate is signed by the DataStore's CA, which
     * is not one of the tenant's Secrets. */
    if (item->signer != NULL)
        snprintf(signer, sizeof signer, "%s-%s", t->name, item->signer);
    else
        snprintf(signer, sizeof signer, "datastore/%s", t->datastore);
    const char *row[] = {name, expires, residual, signer};
    certlc_table_add(x->certs, row);
    return ok;
}

/* The rows of every tenant of ns (any, with all_ns), or only of `only`.
 * Returns how many tenants; *bad is set when a certificate has expired or
 * cannot be read. */
static size_t tenant_rows(certlc_cli *c, const char *ns, bool all_ns,
                          const char *only, expiry_tables *x, bool *bad)
{
    size_t n, seen = 0;
    const certlc_item *items = certlc_plan_items(&n);
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *t = &c->cfg->tenants[i];
        if ((!all_ns && strcmp(t->namespace, ns) != 0) ||
            (only != NULL && strcmp(only, t->name) != 0))
            continue;
        seen++;
        for (size_t k = 0; k < n; k++) {
            const certlc_item *item = &items[k];
            bool ca = item->kind == CERTLC_ITEM_CA;
            if (!certlc_plan_enabled(item, t) || (!ca && !item->lifecycle))
                continue;
            if (!item_rows(c, t, item, x))
                *bad = true;
        }
    }
    return seen;
}

int certlc_cmd_check_expiration(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default";
    bool all_ns = false;
    int o;
    while ((o = getopt_long(argc, argv, "n:Ah", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'A': all_ns = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("check-expiration", "bad option");
        }
    }
    if (argc - optind > 1)
        return certlc_cli_usage("check-expiration", "at most one TCP");
    const char *only = optind < argc ? argv[optind] : NULL;
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;

    expiry_tables x = {.certs = certlc_table_new(4),
                       .cas = certlc_table_new(3)};
    const char *h1[] = {"CERTIFICATE", "EXPIRES", "RESIDUAL TIME",
                        "CERTIFICATE AUTHORITY"};
    const char *h2[] = {"CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME"};
    certlc_table_add(x.certs, h1);
    certlc_table_add(x.cas, h2);
    bool bad = false;
    size_t seen = tenant_rows(c, ns, all_ns, only, &x, &bad);
    if (bad)
        rc = CERTLC_EXIT_FAIL;
    if (only != NULL && seen == 0) {
        fprintf(stderr, "certlc: no tenant \"%s\" in namespace %s\n", only,
                ns);
        rc = CERTLC_EXIT_FAIL;
    } else {
        certlc_table_print(x.certs, stdout);
        fputc('\n', stdout);
        certlc_table_print(x.cas, stdout);
        if (x.warnings[0] != '\0')
            fprintf(stdout, "\n%s", x.warnings);
    }
    certlc_table_free(x.certs);
    certlc_table_free(x.cas);
    certlc_cli_close(c);
    return rc;
}
