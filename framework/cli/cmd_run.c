/* certlc run: reconcile every tenant, once (--once) or as the operator. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "datastore_reconcile.h"
#include "engine.h"
#include "observe.h"
#include "reconcile.h"
#include "store_etcd.h"
#include "workers.h"


static const char usage[] =
    "Usage: certlc run [--once [--wait] [--prune]]\n"
    "\n"
    "Reconciles every tenant of the configuration: issues the Secrets that\n"
    "are missing, issues again those that are invalid or due for renewal,\n"
    "and leaves valid ones untouched.\n"
    "\n"
    "  --once   one pass, print what was done, then exit: 0 when every\n"
    "           tenant is complete, 1 otherwise\n"
    "  --wait   with --once: wait for a running operator (or another\n"
    "           run --once) on the same state_dir to stop, instead of\n"
    "           refusing; one writer at a time (file store)\n"
    "  --prune  with --once: tenants that have Secrets in the store but are\n"
    "           gone from the configuration are deprovisioned from their\n"
    "           datastore, then their Secrets and status are removed\n"
    "\n"
    "Without --once certlc runs as the operator: it reconciles at start,\n"
    "then whenever a Secret changes or is deleted, when a certificate is\n"
    "due, and on SIGHUP (configuration reload), until SIGTERM or SIGINT.\n";

static const char *action_word(certlc_action a)
{
    switch (a) {
    case CERTLC_ACT_CREATED: return "created";
    case CERTLC_ACT_REISSUED: return "reissued";
    case CERTLC_ACT_FAILED: return "FAILED";
    default: return "unchanged";
    }
}

static void print_event(const certlc_reconcile_event *ev, void *arg)
{
    certlc_observer_event(arg, ev); /* Events of --once too */
    if (ev->action == CERTLC_ACT_CREATED)
        printf("%s/%s: secret \"%s\" created\n", ev->tenant->namespace,
               ev->tenant->name, ev->secret);
    else
        printf("%s/%s: secret \"%s\" %s: %s\n", ev->tenant->namespace,
               ev->tenant->name, ev->secret, action_word(ev->action),
               ev->reason);
    fflush(stdout);
}

/* One tenant's pass of run --once, kept to be printed in order. */
typedef struct once_pass {
    certlc_reconcile_result res;
    certlc_err err;
    int rc;
} once_pass;

typedef struct once_run {
    certlc_cli *c;
    certlc_observer *obs;
    once_pass *passes;
} once_run;

/* A job of the worker pool (workers.h), under its pass lock. */
static void once_job(void *arg, size_t i)
{
    once_run *r = arg;
    const certlc_tenant *t = &r->c->cfg->tenants[i];
    once_pass *p = &r->passes[i];
    p->rc = certlc_observer_run_pass(r->obs, r->c->store, r->c->cfg,
                                     r->c->datastores, t, print_event, r->obs,
                                     &p->res, &p->err);
}

static int run_once(certlc_cli *c)
{
    int rc = CERTLC_EXIT_OK;
    once_run r = {c, certlc_observer_new(c), NULL};
    r.passes = calloc(c->cfg->n_tenants + 1, sizeof *r.passes);
    if (r.passes == NULL) {
        fprintf(stderr, "certlc: out of memory\n");
        certlc_observer_stop(r.obs);
        return CERTLC_EXIT_FAIL;
    }
    /* Tenants are independent: their passes share the cores. The lines
     * of what each did come in the configuration's order all the same. */
    certlc_workers *w = certlc_workers_new(c->cfg->workers);
    certlc_workers_run(w, c->cfg->n_tenants, once_job, &r);
    certlc_workers_free(w);
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *t = &c->cfg->tenants[i];
        const once_pass *p = &r.passes[i];
        if (p->rc != 0) {
            fprintf(stderr, "certlc: %s/%s: %s\n", t->namespace, t->name,
                    p->err.msg);
            rc = CERTLC_EXIT_FAIL;
            continue;
        }
        printf("%s/%s: %s (%zu created, %zu reissued, %zu unchanged, "
               "%zu failed)\n",
               t->namespace, t->name, p->res.failed ? "incomplete" : "ready",
               p->res.created, p->res.reissued, p->res.unchanged,
               p->res.failed);
        if (p->res.failed)
            rc = CERTLC_EXIT_FAIL;
    }
    free(r.passes);
    if (c->cfg->n_tenants == 0)
        printf("no tenants configured in %s\n", c->cfg->tenants_dir);
    certlc_observer_stop(r.obs);
    return rc;
}

/* ---- --prune ---- */
static void print_prune(const char *ns, const char *tcp, const char *what,
                        void *arg)
{
    (void)arg;
    printf("%s/%s: %s\n", ns, tcp, what);
    fflush(stdout);
}

static int run_prune(certlc_cli *c)
{
    certlc_err err = {{0}};
    int n = certlc_prune(c->store, c->cfg, c->datastores, print_prune, NULL,
                         &err);
    if (n < 0)
        fprintf(stderr, "certlc: prune: %s\n", err.msg);
    return n != 0 ? -1 : 0;
}

int certlc_cmd_run(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"once", no_argument, NULL, 'o'},
        {"prune", no_argument, NULL, 'p'},
        {"wait", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int once = 0, prune = 0, wait = 0, o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'o')
            once = 1;
        else if (o == 'p')
            prune = 1;
        else if (o == 'w')
            wait = 1;
        else if (o == 'h') {
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        } else
            return certlc_cli_usage("run", "bad option");
    }
    if (optind < argc)
        return certlc_cli_usage("run", "unexpected argument '%s'",
                                argv[optind]);
    if (prune && !once)
        return certlc_cli_usage("run", "--prune goes with --once");
    if (wait && !once)
        return certlc_cli_usage("run", "--wait goes with --once");
    if (!once)
        return certlc_engine_main(c);
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    /* The same writer lock as the operator's (writer_lock.h); on etcd the
     * compare-and-swap of every write guards instead. */
    int lockfd = -1;
    if (certlc_store_writer_lock(c->store, wait, &lockfd) != 0) {
        certlc_cli_close(c);
        return CERTLC_EXIT_FAIL;
    }
    rc = run_once(c);
    if (prune && run_prune(c) != 0)
        rc = CERTLC_EXIT_FAIL;
    certlc_cli_close(c);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}
