/* certlc delete secret NAME... | -l SELECTOR */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "selector.h"

static const char usage[] =
    "Usage: certlc delete secret NAME... [-n NS]\n"
    "       certlc delete secret -l SELECTOR [-n NS | -A]\n"
    "\n"
    "Deletes Secrets. A running operator notices and issues them again:\n"
    "this is how a certificate, or the CA, is rotated by hand.\n"
    "\n"
    "  -n, --namespace NS       the namespace (default: default)\n"
    "  -A, --all-namespaces     with -l: every namespace\n"
    "  -l, --selector SELECTOR  delete every Secret whose labels match\n";

static int delete_one(certlc_cli *c, const char *ns, const char *name)
{
    certlc_err err;
    int rc = certlc_store_remove(c->store, ns, name, &err);
    if (rc == CERTLC_NOTFOUND) {
        fprintf(stderr,
                "Error from server (NotFound): secrets \"%s\" not found\n",
                name);
        return CERTLC_EXIT_FAIL;
    }
    if (rc != 0) {
        fprintf(stderr, "certlc: delete %s/%s: %s\n", ns, name, err.msg);
        return CERTLC_EXIT_FAIL;
    }
    printf("secret \"%s\" deleted\n", name);
    return CERTLC_EXIT_OK;
}

static int delete_selected(certlc_cli *c, const char *ns,
                           const certlc_selector *sel)
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
        if (delete_one(c, l.items[i]->namespace, l.items[i]->name) != 0)
            rc = CERTLC_EXIT_FAIL;
    if (l.n == 0)
        fprintf(stderr, "No resources found\n");
    certlc_secret_list_free(&l);
    return rc;
}

int certlc_cmd_delete(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"selector", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default", *selector = NULL;
    bool all_ns = false;
    int o;
    while ((o = getopt_long(argc, argv, "n:Al:h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'A': all_ns = true; break;
        case 'l': selector = optarg; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("delete", "bad option");
        }
    }
    if (optind >= argc)
        return certlc_cli_usage("delete", "name a resource: secret");
    const char *res = argv[optind++];
    if (strcmp(res, "secret") != 0 && strcmp(res, "secrets") != 0)
        return certlc_cli_usage("delete", "unknown resource '%s' (use "
                                          "secret)", res);
    int n_names = argc - optind;
    if ((selector == NULL) == (n_names == 0))
        return certlc_cli_usage("delete", "give either Secret names or -l "
                                          "SELECTOR");
    certlc_err err;
    certlc_selector *sel = NULL;
    if (selector != NULL) {
        /* An empty selector would select everything: refuse it, as a
         * typo must not delete every Secret. */
        if (*selector == '\0')
            return certlc_cli_usage("delete", "empty selector");
        sel = certlc_selector_parse(selector, &err);
        if (sel == NULL)
            return certlc_cli_usage("delete", "%s", err.msg);
    }
    int rc = certlc_cli_open(c);
    if (rc == 0) {
        if (sel != NULL)
            rc = delete_selected(c, all_ns ? NULL : ns, sel);
        for (int i = 0; i < n_names; i++)
            if (delete_one(c, ns, argv[optind + i]) != 0)
                rc = CERTLC_EXIT_FAIL;
        certlc_cli_close(c);
    }
    certlc_selector_free(sel);
    return rc;
}
