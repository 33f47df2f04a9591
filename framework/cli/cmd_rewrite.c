/* certlc rewrite-secrets: writes every stored Secret again, so that each is
 * encrypted with the first provider of encryption_config, as
 * `kubectl get secrets -A -o json | kubectl replace -f -` does for
 * Kubernetes. Each Secret is read and written back with a compare-and-swap
 * on its resourceVersion, so a write of the running operator in between
 * is never lost (the Secret is read again); a Secret already written the
 * current way is left alone, so an interrupted run just runs again.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "encryption.h"
#include "grow.h"

static const char usage[] =
    "Usage: certlc rewrite-secrets [--dry-run]\n"
    "\n"
    "Encrypts every stored Secret again with the first provider (and its\n"
    "first key) of encryption_config, or stores it as plaintext when that\n"
    "provider is identity. Run it after putting a new key first and\n"
    "restarting every operator replica with that configuration; remove the\n"
    "old key only once it reports no failure. Safe beside a running\n"
    "operator (compare-and-swap); Secrets already written with the first\n"
    "key are skipped, so an interrupted run is simply run again.\n"
    "\n"
    "  --dry-run   list the Secrets that would be rewritten, write nothing\n"
    "\n"
    "Exit status 1 when any Secret could not be rewritten (one that no\n"
    "configured key decrypts, or that does not parse).\n";

typedef struct ref {
    char ns[256], name[256];
    bool current;
} ref;

typedef struct refs {
    ref *v;
    size_t n, cap;
    bool oom;
} refs;

static int collect(const char *ns, const char *name, bool current, void *arg)
{
    refs *r = arg;
    ref *v = certlc_grow(r->v, r->n, &r->cap, sizeof *v, 64);
    if (v == NULL) {
        r->oom = true;
        return 1;
    }
    r->v = v;
    ref *x = &r->v[r->n++];
    snprintf(x->ns, sizeof x->ns, "%s", ns);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->current = current;
    return 0;
}

/* Reads and writes one Secret back; 0, CERTLC_NOTFOUND (gone meanwhile)
 * or an error with err set. */
static int rewrite_one(certlc_store *st, const ref *x, certlc_err *err)
{
    int rc = CERTLC_CONFLICT;
    for (int attempt = 0; attempt < 5 && rc == CERTLC_CONFLICT; attempt++) {
        certlc_secret *s = NULL;
        rc = certlc_store_get(st, x->ns, x->name, &s, err);
        if (rc == 0)
            rc = certlc_store_update(st, s, err);
        certlc_secret_free(s);
    }
    return rc;
}

int certlc_cmd_rewrite_secrets(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    bool dry = false;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dry = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("rewrite-secrets", "bad option");
        }
    }
    if (optind < argc)
        return certlc_cli_usage("rewrite-secrets", "unexpected argument '%s'",
                                argv[optind]);
    int rc = certlc_cli_open(c);
    if (rc != CERTLC_EXIT_OK)
        return rc;
    certlc_err err = {{0}};
    refs r = {0};
    if (c->store->ops->scan == NULL) {
        fprintf(stderr, "certlc: rewrite-secrets: this store cannot list its "
                        "raw values\n");
        rc = CERTLC_EXIT_FAIL;
        goto out;
    }
    if (c->store->ops->scan(c->store, collect, &r, &err) != 0 || r.oom) {
        fprintf(stderr, "certlc: rewrite-secrets: %s\n",
                r.oom ? "out of memory" : err.msg);
        rc = CERTLC_EXIT_FAIL;
        goto out;
    }
    const char *writer = certlc_encryption_writer(c->store->enc);
    size_t done = 0, current = 0, failed = 0;
    for (size_t i = 0; i < r.n; i++) {
        const ref *x = &r.v[i];
        if (x->current) {
            current++;
            continue;
        }
        if (dry) {
            printf("%s/%s would be rewritten\n", x->ns, x->name);
            done++;
            continue;
        }
        int w = rewrite_one(c->store, x, &err);
        if (w == CERTLC_NOTFOUND)
            continue; /* deleted meanwhile: nothing to protect */
        if (w != 0) {
            fprintf(stderr, "certlc: rewrite-secrets: %s/%s: %s\n", x->ns,
                    x->name, err.msg);
            failed++;
            continue;
        }
        printf("%s/%s rewritten\n", x->ns, x->name);
        done++;
    }
    printf("%zu Secret(s) %s with %s, %zu already were, %zu failed\n", done,
           dry ? "to rewrite" : "rewritten", writer, current, failed);
    rc = failed == 0 ? CERTLC_EXIT_OK : CERTLC_EXIT_FAIL;
out:
    free(r.v);
    certlc_cli_close(c);
    return rc;
}
