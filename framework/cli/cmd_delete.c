/* certlc delete secret NAME... | -l SELECTOR */
#include <stdio.h>
#include <string.h>

#include "cli.h"

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

int certlc_cmd_delete(certlc_cli *c, int argc, char **argv)
{
    return certlc_cli_each_secret(c, argc, argv, usage, delete_one);
}
