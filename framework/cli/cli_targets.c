/* The Secrets a verb acts on: `VERB secret NAME... [-n NS]` or
 * `VERB secret -l SELECTOR [-n NS | -A]`, shared by delete and rotate. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "selector.h"

static int each_selected(certlc_cli *c, const char *ns,
                         const certlc_selector *sel, certlc_secret_fn fn)
{
    certlc_secret_list l = {0};
    certlc_err err;
    if (certlc_store_list(c->store, ns, sel, &l, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    certlc_secret_list_sort(&l);
    int rc = CERTLC_EXIT_OK;
    for (size_t i = 0; i < l.n; i++)
        if (fn(c, l.items[i]->namespace, l.items[i]->name) != 0)
            rc = CERTLC_EXIT_FAIL;
    if (l.n == 0)
        fprintf(stderr, "No resources found\n");
    certlc_secret_list_free(&l);
    return rc;
}

int certlc_cli_each_secret(certlc_cli *c, int argc, char **argv,
                           const char *usage, certlc_secret_fn fn)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"selector", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = argv[0], *ns = "default", *selector = NULL;
    bool all_ns = false;
    int o;
    while ((o = getopt_long(argc, argv, "n:Al:h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'A': all_ns = true; break;
        case 'l': selector = optarg; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage(cmd, "bad option");
        }
    }
    if (optind >= argc || (strcmp(argv[optind], "secret") != 0 &&
                           strcmp(argv[optind], "secrets") != 0))
        return certlc_cli_usage(cmd, "name a resource: secret");
    optind++;
    int n_names = argc - optind;
    if ((selector == NULL) == (n_names == 0))
        return certlc_cli_usage(cmd, "give either Secret names or -l "
                                     "SELECTOR");
    certlc_err err;
    certlc_selector *sel = NULL;
    if (selector != NULL) {
        /* An empty selector selects everything: refuse it, so that a typo
         * cannot act on every Secret. */
        if (*selector == '\0')
            return certlc_cli_usage(cmd, "empty selector");
        if ((sel = certlc_selector_parse(selector, &err)) == NULL)
            return certlc_cli_usage(cmd, "%s", err.msg);
    }
    int rc = certlc_cli_open(c);
    if (rc == 0) {
        if (sel != NULL)
            rc = each_selected(c, all_ns ? NULL : ns, sel, fn);
        for (int i = 0; i < n_names; i++)
            if (fn(c, ns, argv[optind + i]) != 0)
                rc = CERTLC_EXIT_FAIL;
        certlc_cli_close(c);
    }
    certlc_selector_free(sel);
    return rc;
}
