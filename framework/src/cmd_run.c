/* certlc run: reconcile every tenant, once (--once) or as the operator. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "reconcile.h"

static const char usage[] =
    "Usage: certlc run [--once]\n"
    "\n"
    "Reconciles every tenant of the configuration: issues the Secrets that\n"
    "are missing, issues again those that are invalid or due for renewal,\n"
    "and leaves valid ones untouched.\n"
    "\n"
    "  --once   one pass, print what was done, then exit: 0 when every\n"
    "           tenant is complete, 1 otherwise\n"
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
    (void)arg;
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
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *t = &c->cfg->tenants[i];
        certlc_reconcile_result res;
        certlc_err err = {{0}};
        if (certlc_reconcile_tenant(c->store, c->cfg, t, print_event, NULL,
                                    &res, &err) != 0) {
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
    return rc;
}

int certlc_cmd_run(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"once", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int once = 0, o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'o')
            once = 1;
        else if (o == 'h') {
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        } else
            return certlc_cli_usage("run", "bad option");
    }
    if (optind < argc)
        return certlc_cli_usage("run", "unexpected argument '%s'",
                                argv[optind]);
    if (!once)
        return certlc_engine_main(c);
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    rc = run_once(c);
    certlc_cli_close(c);
    return rc;
}
