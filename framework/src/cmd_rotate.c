/* certlc rotate secret NAME... | -l SELECTOR: ask for a rotation without
 * deleting anything, through the annotation certs.kamaji.clastix.io/rotate. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plan.h"

static const char usage[] =
    "Usage: certlc rotate secret NAME... [-n NS]\n"
    "       certlc rotate secret -l SELECTOR [-n NS | -A]\n"
    "       certlc rotate ca TCP [--ca front-proxy] [-n NS]\n"
    "\n"
    "Asks the operator to issue Secrets again, keeping the current ones in\n"
    "place until the new ones are written: sets the annotation\n"
    CERTLC_ANNOTATION_ROTATE " to the empty value, as Kamaji\n"
    "reads it. Once it has rotated the Secret, the operator sets the\n"
    "annotation to the time of the rotation (RFC 3339), which asks for\n"
    "nothing. Rotating <tcp>-ca rotates the tenant's CA; `rotate ca TCP`\n"
    "does that by the tenant's name (--ca front-proxy: its front-proxy CA).\n"
    "A provided CA (ca_source = provided) is never rotated by certlc:\n"
    "deliver a new one instead.\n"
    "\n"
    "      --ca main|front-proxy  with `rotate ca`: which CA (default: main)\n"
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

/* certlc rotate ca TCP [--ca main|front-proxy] [-n NS] */
static int rotate_ca(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"ca", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default", *which = "main";
    int o;
    while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'c': which = optarg; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("rotate", "bad option");
        }
    }
    bool front = strcmp(which, "front-proxy") == 0;
    if (!front && strcmp(which, "main") != 0)
        return certlc_cli_usage("rotate", "--ca takes main or front-proxy");
    if (argc - optind != 2)
        return certlc_cli_usage("rotate", "rotate ca takes one TCP");
    const char *tcp = argv[optind + 1];
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    const certlc_tenant *t = certlc_config_tenant(c->cfg, ns, tcp);
    const certlc_item *item = certlc_plan_item(front ? "front-proxy-ca-certificate"
                                                     : "ca");
    if (t == NULL) {
        fprintf(stderr, "certlc: no tenant \"%s\" in namespace %s\n", tcp, ns);
        rc = CERTLC_EXIT_FAIL;
    } else if (front ? t->front_proxy_ca_provided : t->ca_provided) {
        fprintf(stderr, "certlc: %s/%s: the %s CA is provided (%s = "
                "provided): certlc never rotates it; deliver a new one\n", ns,
                tcp, which, front ? "front_proxy_ca_source" : "ca_source");
        rc = CERTLC_EXIT_FAIL;
    } else {
        char name[320];
        certlc_plan_secret_name(t, item, name, sizeof name);
        rc = annotate(c, ns, name);
    }
    certlc_cli_close(c);
    return rc;
}

int certlc_cmd_rotate(certlc_cli *c, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "ca") == 0)
        return rotate_ca(c, argc, argv);
    return certlc_cli_each_secret(c, argc, argv, usage, annotate);
}
