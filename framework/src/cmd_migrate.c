/* certlc migrate --from file --to etcd (or back).
 *
 * Copies every Secret and every tenant status from one store to the other,
 * both as certlc.ini describes them (state_dir; [store.etcd]), whatever
 * `store =` says. It writes nothing when anything it would write exists in
 * the target already, creates each Secret (a create, so a Secret that
 * appears meanwhile is never overwritten), then reads everything back from
 * the target and compares it with the source.
 *
 * Tenant statuses have no listing in the store interface: the tenants are
 * those named by the Secrets' kamaji.clastix.io/name labels plus those of
 * the configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan.h"
#include "store_etcd.h"

static const char usage[] =
    "Usage: certlc migrate --from file|etcd --to etcd|file [--dry-run]\n"
    "\n"
    "Copies every Secret and tenant status from one store to the other:\n"
    "the file store in state_dir and the etcd store of [store.etcd]. Stop\n"
    "the operator first. Refuses, writing nothing, when any of them exists\n"
    "in the target already; verifies the copy by reading it back. Then set\n"
    "`store =` to the target and start the operator again.\n"
    "\n"
    "  --dry-run   check and say what would be copied, write nothing\n";

typedef struct tcp_ref {
    char ns[256], name[256];
    char *status; /* the source's document, NULL when it has none */
} tcp_ref;

static certlc_store *open_kind_plain(certlc_cli *c, const char *kind,
                                     certlc_err *err)
{
    if (strcmp(kind, "file") == 0)
        return certlc_store_file_open(c->cfg->state_dir, err);
    if (c->cfg->etcd.n_endpoints == 0) {
        certlc_err_set(err, "%s has no [store.etcd] endpoints", c->cfg->path);
        return NULL;
    }
    return certlc_store_etcd_open(&c->cfg->etcd, err);
}

/* Both stores encrypt with encryption_config (when set). */
static certlc_store *open_kind(certlc_cli *c, const char *kind, certlc_err *err)
{
    certlc_store *st = open_kind_plain(c, kind, err);
    if (st != NULL && certlc_cli_encrypt_store(c->cfg, st, err) != 0) {
        certlc_store_close(st);
        return NULL;
    }
    return st;
}

static int add_tcp(tcp_ref **v, size_t *n, const char *ns, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].ns, ns) == 0 && strcmp((*v)[i].name, name) == 0)
            return 0;
    tcp_ref *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (nv == NULL)
        return -1;
    *v = nv;
    memset(&nv[*n], 0, sizeof nv[*n]);
    snprintf(nv[*n].ns, sizeof nv[*n].ns, "%s", ns);
    snprintf(nv[*n].name, sizeof nv[*n].name, "%s", name);
    (*n)++;
    return 0;
}

/* The Secret's JSON without what each store assigns (resourceVersion and
 * creationTimestamp), for the comparison. */
static char *comparable(const certlc_secret *s, size_t *len)
{
    certlc_secret *d = certlc_secret_dup(s);
    if (d == NULL)
        return NULL;
    d->resource_version = 0;
    d->creation_timestamp = 0;
    char *j = certlc_secret_to_json(d, len, NULL);
    certlc_secret_free(d);
    return j;
}

static bool same_secret(const certlc_secret *a, const certlc_secret *b)
{
    size_t la, lb;
    char *ja = comparable(a, &la), *jb = comparable(b, &lb);
    bool same = ja != NULL && jb != NULL && la == lb && memcmp(ja, jb, la) == 0;
    if (ja != NULL)
        certlc_secret_json_free(ja, la);
    if (jb != NULL)
        certlc_secret_json_free(jb, lb);
    return same;
}

int certlc_cmd_migrate(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *from = NULL, *to = NULL;
    bool dry = false;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'd': dry = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("migrate", "bad option");
        }
    }
    if (optind < argc)
        return certlc_cli_usage("migrate", "unexpected argument '%s'", argv[optind]);
    bool known = from && to && (strcmp(from, "file") == 0 || strcmp(from, "etcd") == 0) &&
                 (strcmp(to, "file") == 0 || strcmp(to, "etcd") == 0);
    if (!known)
        return certlc_cli_usage("migrate", "give --from and --to, each file or etcd");
    if (strcmp(from, to) == 0)
        return certlc_cli_usage("migrate", "--from and --to name the same store");

    certlc_config *cfg;
    certlc_err err;
    if (certlc_config_load(c->config_path, &cfg, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    c->cfg = cfg;
    int rc = CERTLC_EXIT_FAIL;
    certlc_store *src = NULL, *dst = NULL;
    certlc_secret_list l = {0};
    tcp_ref *tcps = NULL;
    size_t ntcps = 0, nstatus = 0;
    if ((src = open_kind(c, from, &err)) == NULL ||
        (dst = open_kind(c, to, &err)) == NULL) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        goto out;
    }
    if (certlc_store_list(src, NULL, NULL, &l, &err) != 0) {
        fprintf(stderr, "certlc: reading the %s store: %s\n", from, err.msg);
        goto out;
    }
    certlc_secret_list_sort(&l);
    for (size_t i = 0; i < l.n; i++) {
        const char *t = certlc_kvlist_str(&l.items[i]->labels, CERTLC_LABEL_NAME);
        if (t != NULL && add_tcp(&tcps, &ntcps, l.items[i]->namespace, t) != 0)
            goto oom;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (add_tcp(&tcps, &ntcps, cfg->tenants[i].namespace, cfg->tenants[i].name) != 0)
            goto oom;
    for (size_t i = 0; i < ntcps; i++) {
        int g = certlc_store_status_get(src, tcps[i].ns, tcps[i].name,
                                        &tcps[i].status, &err);
        if (g == 0)
            nstatus++;
        else if (g != CERTLC_NOTFOUND) {
            fprintf(stderr, "certlc: reading the status of %s/%s: %s\n",
                    tcps[i].ns, tcps[i].name, err.msg);
            goto out;
        }
    }

    /* Nothing may exist in the target: check everything before writing. */
    size_t clashes = 0;
    for (size_t i = 0; i < l.n; i++) {
        certlc_secret *s = NULL;
        int g = certlc_store_get(dst, l.items[i]->namespace, l.items[i]->name, &s, &err);
        certlc_secret_free(s);
        if (g == CERTLC_NOTFOUND)
            continue;
        if (clashes++ < 10)
            fprintf(stderr, "certlc: secret %s/%s %s in the %s store\n",
                    l.items[i]->namespace, l.items[i]->name,
                    g == 0 ? "exists already" : "cannot be checked", to);
    }
    for (size_t i = 0; i < ntcps; i++) {
        char *doc = NULL;
        if (tcps[i].status == NULL)
            continue;
        int g = certlc_store_status_get(dst, tcps[i].ns, tcps[i].name, &doc, &err);
        free(doc);
        if (g == CERTLC_NOTFOUND)
            continue;
        if (clashes++ < 10)
            fprintf(stderr, "certlc: the status of %s/%s %s in the %s store\n",
                    tcps[i].ns, tcps[i].name,
                    g == 0 ? "exists already" : "cannot be checked", to);
    }
    if (clashes > 0) {
        fprintf(stderr, "certlc: refusing to migrate: %zu object(s) exist in the "
                "%s store already; nothing was written\n", clashes, to);
        goto out;
    }
    if (dry) {
        printf("would migrate %zu Secret(s) and %zu status(es) from %s to %s\n",
               l.n, nstatus, from, to);
        rc = CERTLC_EXIT_OK;
        goto out;
    }

    for (size_t i = 0; i < l.n; i++) {
        certlc_secret *d = certlc_secret_dup(l.items[i]);
        if (d == NULL)
            goto oom;
        d->resource_version = 0;
        int w = certlc_store_create(dst, d, &err);
        certlc_secret_free(d);
        if (w != 0) {
            fprintf(stderr, "certlc: copying secret %s/%s: %s (%zu of %zu "
                    "copied; stopped)\n", l.items[i]->namespace, l.items[i]->name,
                    err.msg, i, l.n);
            goto out;
        }
    }
    for (size_t i = 0; i < ntcps; i++) {
        if (tcps[i].status != NULL &&
            certlc_store_status_put(dst, tcps[i].ns, tcps[i].name, tcps[i].status,
                                    &err) != 0) {
            fprintf(stderr, "certlc: copying the status of %s/%s: %s\n",
                    tcps[i].ns, tcps[i].name, err.msg);
            goto out;
        }
    }

    /* Read everything back. */
    size_t bad = 0;
    for (size_t i = 0; i < l.n; i++) {
        certlc_secret *s = NULL;
        if (certlc_store_get(dst, l.items[i]->namespace, l.items[i]->name, &s,
                             &err) != 0 ||
            !same_secret(s, l.items[i])) {
            fprintf(stderr, "certlc: verify: secret %s/%s differs in the %s store\n",
                    l.items[i]->namespace, l.items[i]->name, to);
            bad++;
        }
        certlc_secret_free(s);
    }
    for (size_t i = 0; i < ntcps; i++) {
        char *doc = NULL;
        if (tcps[i].status == NULL)
            continue;
        if (certlc_store_status_get(dst, tcps[i].ns, tcps[i].name, &doc, &err) != 0 ||
            strcmp(doc, tcps[i].status) != 0) {
            fprintf(stderr, "certlc: verify: the status of %s/%s differs in the "
                    "%s store\n", tcps[i].ns, tcps[i].name, to);
            bad++;
        }
        free(doc);
    }
    if (bad > 0) {
        fprintf(stderr, "certlc: %zu object(s) did not verify\n", bad);
        goto out;
    }
    printf("migrated %zu Secret(s) and %zu status(es) from %s to %s; verified\n",
           l.n, nstatus, from, to);
    rc = CERTLC_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "certlc: out of memory\n");
out:
    for (size_t i = 0; i < ntcps; i++)
        free(tcps[i].status);
    free(tcps);
    certlc_secret_list_free(&l);
    certlc_store_close(src);
    certlc_store_close(dst);
    certlc_config_free(cfg);
    c->cfg = NULL;
    return rc;
}
