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

/* What one migration copies: the source's Secrets and the statuses of
 * every tenant they or the configuration name. */
typedef struct migration {
    const char *from, *to;
    certlc_store *src, *dst;
    certlc_secret_list l;
    tcp_ref *tcps;
    size_t ntcps, nstatus;
} migration;

/* --from, --to and --dry-run; CERTLC_EXIT_OK to go on, else the exit
 * code (--help, a usage error) with *done set. */
static int parse_args(int argc, char **argv, migration *m, bool *dry,
                      bool *done)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *from = NULL, *to = NULL;
    int o;
    *done = true;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'd': *dry = true; break;
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
    m->from = from;
    m->to = to;
    *done = false;
    return CERTLC_EXIT_OK;
}

/* The source's Secrets, the tenants they and cfg name, and the tenants'
 * statuses. 0, or -1 after a message. */
static int collect(migration *m, const certlc_config *cfg)
{
    certlc_err err;
    if (certlc_store_list(m->src, NULL, NULL, &m->l, &err) != 0) {
        fprintf(stderr, "certlc: reading the %s store: %s\n", m->from, err.msg);
        return -1;
    }
    certlc_secret_list_sort(&m->l);
    for (size_t i = 0; i < m->l.n; i++) {
        const certlc_secret *s = m->l.items[i];
        const char *t = certlc_kvlist_str(&s->labels, CERTLC_LABEL_NAME);
        if (t != NULL && add_tcp(&m->tcps, &m->ntcps, s->namespace, t) != 0)
            goto oom;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (add_tcp(&m->tcps, &m->ntcps, cfg->tenants[i].namespace,
                    cfg->tenants[i].name) != 0)
            goto oom;
    for (size_t i = 0; i < m->ntcps; i++) {
        tcp_ref *r = &m->tcps[i];
        int g = certlc_store_status_get(m->src, r->ns, r->name, &r->status,
                                        &err);
        if (g == 0)
            m->nstatus++;
        else if (g != CERTLC_NOTFOUND) {
            fprintf(stderr, "certlc: reading the status of %s/%s: %s\n",
                    r->ns, r->name, err.msg);
            return -1;
        }
    }
    return 0;
oom:
    fprintf(stderr, "certlc: out of memory\n");
    return -1;
}

/* How many of the objects to copy exist in the target already (naming the
 * first ten): nothing is written unless none does. */
static size_t clashes(const migration *m)
{
    certlc_err err;
    size_t n = 0;
    for (size_t i = 0; i < m->l.n; i++) {
        const certlc_secret *src = m->l.items[i];
        certlc_secret *s = NULL;
        int g = certlc_store_get(m->dst, src->namespace, src->name, &s, &err);
        certlc_secret_free(s);
        if (g == CERTLC_NOTFOUND)
            continue;
        if (n++ < 10)
            fprintf(stderr, "certlc: secret %s/%s %s in the %s store\n",
                    src->namespace, src->name,
                    g == 0 ? "exists already" : "cannot be checked", m->to);
    }
    for (size_t i = 0; i < m->ntcps; i++) {
        const tcp_ref *r = &m->tcps[i];
        char *doc = NULL;
        if (r->status == NULL)
            continue;
        int g = certlc_store_status_get(m->dst, r->ns, r->name, &doc, &err);
        free(doc);
        if (g == CERTLC_NOTFOUND)
            continue;
        if (n++ < 10)
            fprintf(stderr, "certlc: the status of %s/%s %s in the %s store\n",
                    r->ns, r->name,
                    g == 0 ? "exists already" : "cannot be checked", m->to);
    }
    return n;
}

/* Creates every Secret and puts every status in the target. 0, or -1
 * after a message saying how far it got. */
static int copy_all(const migration *m)
{
    certlc_err err;
    for (size_t i = 0; i < m->l.n; i++) {
        certlc_secret *d = certlc_secret_dup(m->l.items[i]);
        if (d == NULL) {
            fprintf(stderr, "certlc: out of memory\n");
            return -1;
        }
        d->resource_version = 0;
        int w = certlc_store_create(m->dst, d, &err);
        certlc_secret_free(d);
        if (w != 0) {
            fprintf(stderr, "certlc: copying secret %s/%s: %s (%zu of %zu "
                    "copied; stopped)\n", m->l.items[i]->namespace,
                    m->l.items[i]->name, err.msg, i, m->l.n);
            return -1;
        }
    }
    for (size_t i = 0; i < m->ntcps; i++) {
        const tcp_ref *r = &m->tcps[i];
        if (r->status != NULL &&
            certlc_store_status_put(m->dst, r->ns, r->name, r->status,
                                    &err) != 0) {
            fprintf(stderr, "certlc: copying the status of %s/%s: %s\n",
                    r->ns, r->name, err.msg);
            return -1;
        }
    }
    return 0;
}

/* Reads everything back from the target: how many objects differ from
 * the source (each named). */
static size_t verify_all(const migration *m)
{
    certlc_err err;
    size_t bad = 0;
    for (size_t i = 0; i < m->l.n; i++) {
        const certlc_secret *src = m->l.items[i];
        certlc_secret *s = NULL;
        if (certlc_store_get(m->dst, src->namespace, src->name, &s,
                             &err) != 0 ||
            !same_secret(s, src)) {
            fprintf(stderr, "certlc: verify: secret %s/%s differs in the %s store\n",
                    src->namespace, src->name, m->to);
            bad++;
        }
        certlc_secret_free(s);
    }
    for (size_t i = 0; i < m->ntcps; i++) {
        const tcp_ref *r = &m->tcps[i];
        char *doc = NULL;
        if (r->status == NULL)
            continue;
        if (certlc_store_status_get(m->dst, r->ns, r->name, &doc, &err) != 0 ||
            strcmp(doc, r->status) != 0) {
            fprintf(stderr, "certlc: verify: the status of %s/%s differs in the "
                    "%s store\n", r->ns, r->name, m->to);
            bad++;
        }
        free(doc);
    }
    return bad;
}

/* Checks, copies and verifies with both stores open. An exit code. */
static int migrate(certlc_cli *c, migration *m, bool dry)
{
    certlc_err err;
    if ((m->src = open_kind(c, m->from, &err)) == NULL ||
        (m->dst = open_kind(c, m->to, &err)) == NULL) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    if (collect(m, c->cfg) != 0)
        return CERTLC_EXIT_FAIL;
    size_t n = clashes(m);
    if (n > 0) {
        fprintf(stderr, "certlc: refusing to migrate: %zu object(s) exist in the "
                "%s store already; nothing was written\n", n, m->to);
        return CERTLC_EXIT_FAIL;
    }
    if (dry) {
        printf("would migrate %zu Secret(s) and %zu status(es) from %s to %s\n",
               m->l.n, m->nstatus, m->from, m->to);
        return CERTLC_EXIT_OK;
    }
    if (copy_all(m) != 0)
        return CERTLC_EXIT_FAIL;
    size_t bad = verify_all(m);
    if (bad > 0) {
        fprintf(stderr, "certlc: %zu object(s) did not verify\n", bad);
        return CERTLC_EXIT_FAIL;
    }
    printf("migrated %zu Secret(s) and %zu status(es) from %s to %s; verified\n",
           m->l.n, m->nstatus, m->from, m->to);
    return CERTLC_EXIT_OK;
}

int certlc_cmd_migrate(certlc_cli *c, int argc, char **argv)
{
    migration m = {0};
    bool dry = false, done;
    int rc = parse_args(argc, argv, &m, &dry, &done);
    if (done)
        return rc;
    certlc_err err;
    if (certlc_config_load(c->config_path, &c->cfg, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    rc = migrate(c, &m, dry);
    for (size_t i = 0; i < m.ntcps; i++)
        free(m.tcps[i].status);
    free(m.tcps);
    certlc_secret_list_free(&m.l);
    certlc_store_close(m.src);
    certlc_store_close(m.dst);
    certlc_config_free(c->cfg);
    c->cfg = NULL;
    return rc;
}
