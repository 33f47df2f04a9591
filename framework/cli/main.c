/* certlc: the entry point. Global options, then one command. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certlc/driver.h> /* --version prints the driver ABI */

#include "cli.h"
#include "log.h"
#include "wipe_alloc.h"

static const char usage[] =
    "Usage: certlc [-c CONFIG] COMMAND [ARGS]\n"
    "\n"
    "Keeps the certificates and kubeconfigs of hosted Kubernetes control\n"
    "planes issued, valid and rotated.\n"
    "\n"
    "Commands:\n"
    "  run [--once [--wait] [--prune]]  reconcile every tenant (once, or as an operator)\n"
    "  get secrets [NAME...]            list Secrets (-n NS | -A, -l SELECTOR, -w)\n"
    "  get secret NAME -o json          one Secret (-o json|yaml|name|jsonpath=T|\n"
    "                                   jsonpath-file=F|custom-columns=C)\n"
    "  get tcp [NAME...]                tenant control planes and their status (-n NS | -A, -w)\n"
    "  get events [--for TCP]           rotations, CA rotations, rollouts and refusals\n"
    "  get leader                       the operator that leads (etcd) or holds the lock (file)\n"
    "  describe tcp NAME                a tenant: conditions, certificates, recent events\n"
    "  delete secret NAME... | -l SEL   delete Secrets (the operator issues them again)\n"
    "  rotate secret NAME... | -l SEL   ask for a rotation without deleting anything\n"
    "  rotate ca TCP [--ca front-proxy] rotate a tenant's CA (everything it signed too)\n"
    "  check-expiration [TCP]           expiry of every tracked certificate, then the CAs\n"
    "  apply -f FILE                    create or replace the Secret in FILE (JSON or YAML)\n"
    "  plugins                          check the drivers of plugins_dir and list them\n"
    "  migrate --from file --to etcd    copy every Secret and status to the other store\n"
    "  rewrite-secrets [--dry-run]      encrypt every Secret again with encryption_config's first key\n"
    "  completion bash|zsh              the shell completion script\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   certlc.ini to use (default: $CERTLC_CONFIG, else conf/certlc.ini)\n"
    "  -h, --help          this help; 'certlc COMMAND --help' for a command's\n"
    "  -V, --version       print the version and the driver ABI\n"
    "\n"
    "Exit codes: 0 ok, 1 failure, 2 usage error.\n";

int main(int argc, char **argv)
{
    certlc_wipe_alloc_install();
    /* A peer that resets a connection (etcd, a database) must give an
     * error on that connection, not kill the operator. */
    signal(SIGPIPE, SIG_IGN);
    certlc_cli c = {0};
    c.config_path = getenv("CERTLC_CONFIG");
    if (c.config_path == NULL || *c.config_path == '\0')
        c.config_path = "conf/certlc.ini";

    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0, 0, 0, 0},
    };
    int o;
    /* '+': stop at the command, whose own options follow it. */
    while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            c.config_path = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        case 'V': /* And the driver ABI drivers must be built for */
            printf("certlc %s\ndriver ABI %u.%u\n", CERTLC_VERSION,
                   (unsigned)CERTLC_DRIVER_ABI_MAJOR,
                   (unsigned)CERTLC_DRIVER_ABI_MINOR);
            return CERTLC_EXIT_OK;
        default:
            fputs(usage, stderr);
            return CERTLC_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return CERTLC_EXIT_USAGE;
    }
    char **sub = argv + optind;
    int subc = argc - optind;
    optind = 0; /* commands run getopt again on their own argv */

    if (strcmp(sub[0], "run") == 0)
        return certlc_cmd_run(&c, subc, sub);
    if (strcmp(sub[0], "get") == 0)
        return certlc_cmd_get(&c, subc, sub);
    if (strcmp(sub[0], "delete") == 0)
        return certlc_cmd_delete(&c, subc, sub);
    if (strcmp(sub[0], "check-expiration") == 0)
        return certlc_cmd_check_expiration(&c, subc, sub);
    if (strcmp(sub[0], "rotate") == 0)
        return certlc_cmd_rotate(&c, subc, sub);
    if (strcmp(sub[0], "plugins") == 0)
        return certlc_cmd_plugins(&c, subc, sub);
    if (strcmp(sub[0], "describe") == 0)
        return certlc_cmd_describe(&c, subc, sub);
    if (strcmp(sub[0], "migrate") == 0)
        return certlc_cmd_migrate(&c, subc, sub);
    if (strcmp(sub[0], "apply") == 0)
        return certlc_cmd_apply(&c, subc, sub);
    if (strcmp(sub[0], "rewrite-secrets") == 0)
        return certlc_cmd_rewrite_secrets(&c, subc, sub);
    if (strcmp(sub[0], "completion") == 0)
        return certlc_cmd_completion(&c, subc, sub);
    if (strcmp(sub[0], "help") == 0) {
        fputs(usage, stdout);
        return CERTLC_EXIT_OK;
    }
    return certlc_cli_usage(NULL, "unknown command '%s'", sub[0]);
}
