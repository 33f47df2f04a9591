/* certlc rotate secret NAME... | -l SELECTOR: ask for a rotation without
 * deleting anything, through the annotation certs.kamaji.clastix.io/rotate. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plan.h"

static const char usage[] =
    "Usage: certlc rotate secret NAME... [-n NS]\n"
    "       certlc rotate secret -l SELECTOR [-n NS | -A]\n"
    "\n"
    "Asks the operator to issue Secrets again, keeping the current ones in\n"
    "place until the new ones are written: sets the annotation\n"
    CERTLC_ANNOTATION_ROTATE " to the empty value, as Kamaji\n"
    "reads it. Once it has rotated the Secret, the operator sets the\n"
    "annotation to the time of the rotation (RFC 3339), which asks for\n"
    "nothing. Rotating <tcp>-ca rotates the tenant's CA.\n"
    "\n"
    "  -n, --namespace NS       the namespace (default: default)\n"
    "  -A, --all-namespaces     with -l: every namespace\n"
    "  -l, --selector SELECTOR  every Secret whose labels match\n";

static int annotate(certlc_cli *c, const char *ns, const char *name)
{
    certlc_err err;
    /* Compare-and-swap: a write that raced with ours is read again. */
    for (int attempt = 0; attempt < 5; attempt++) {
        certlc_secret *s = NULL;
        int rc = certlc_store_get(c->store, ns, name, &s, &err);
        if (rc == CERTLC_NOTFOUND) {
            fprintf(stderr, "Error from server (NotFound): secrets \"%s\" "
                            "not found\n", name);
            return CERTLC_EXIT_FAIL;
        }
        if (rc == 0 && certlc_kvlist_set_str(&s->annotations,
                                             CERTLC_ANNOTATION_ROTATE,
                                             "") == 0)
            rc = certlc_store_update(c->store, s, &err);
        certlc_secret_free(s);
        if (rc == 0) {
            printf("secret/%s annotated\n", name);
            return CERTLC_EXIT_OK;
        }
        if (rc != CERTLC_CONFLICT && rc != CERTLC_NOTFOUND)
            break;
    }
    fprintf(stderr, "certlc: rotate %s/%s: %s\n", ns, name, err.msg);
    return CERTLC_EXIT_FAIL;
}

int certlc_cmd_rotate(certlc_cli *c, int argc, char **argv)
{
    return certlc_cli_each_secret(c, argc, argv, usage, annotate);
}
