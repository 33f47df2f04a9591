/* certlc run: reconcile every tenant, once (--once) or as the operator. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "datastore_reconcile.h"
#include "engine.h"
#include "observe.h"
#include "reconcile.h"
#include "store_etcd.h"

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

static int run_once(certlc_cli *c)
{
    int rc = CERTLC_EXIT_OK;
    certlc_observer *obs = certlc_observer_new(c);
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *t = &c->cfg->tenants[i];
        certlc_reconcile_result res;
        certlc_err err = {{0}};
        certlc_observer_pass_begin(obs, t);
        int prc = certlc_reconcile_tenant(c->store, c->cfg, t, print_event,
                                          obs, &res, &err);
        certlc_observer_pass_end(obs, t, &res, prc);
        if (prc != 0) {
            fprintf(stderr, "certlc: %s/%s: %s\n", t->namespace, t->name,
                    err.msg);
            rc = CERTLC_EXIT_FAIL;
            continue;
        }
        printf("%s/%s: %s (%zu created, %zu reissued, %zu unchanged, "
               "%zu failed)\n",
               t->namespace, t->name, res.failed ? "incomplete" : "ready",
               res.created, res.reissued, res.unchanged, res.failed);
        if (res.failed)
            rc = CERTLC_EXIT_FAIL;
    }
    if (c->cfg->n_tenants == 0)
        printf("no tenants configured in %s\n", c->cfg->tenants_dir);
    certlc_observer_stop(obs);
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
    int n = certlc_prune(c->store, c->cfg, print_prune, NULL, &err);
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
