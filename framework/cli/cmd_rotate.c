/* certlc rotate secret NAME... | -l SELECTOR: ask for a rotation without
 * deleting anything, through the annotation certs.kamaji.clastix.io/rotate. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ca_overlap.h"
#include "cli.h"
#include "duration.h"
#include "plan.h"
#include "status.h"
#include "timefmt.h"

static const char usage[] =
    "Usage: certlc rotate secret NAME... [-n NS]\n"
    "       certlc rotate secret -l SELECTOR [-n NS | -A]\n"
    "       certlc rotate ca TCP [--ca front-proxy] [--overlap DURATION]\n"
    "                            [-n NS]\n"
    "       certlc rotate ca TCP --continue | --abort [-n NS]\n"
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
    "A CA is replaced at once, or rotated with a trust overlap when\n"
    "--overlap is given or ca_rotation = overlap: the new CA is first\n"
    "trusted beside the old one (trust-both), then signs everything again\n"
    "(move), then the old one leaves every bundle (retire); trust-both and\n"
    "move each last DURATION (default: ca_overlap). The phase is in\n"
    "`certlc describe tcp`. An expired CA is always replaced.\n"
    "\n"
    "      --ca main|front-proxy  with `rotate ca`: which CA (default: main)\n"
    "      --overlap DURATION     rotate with a trust overlap, each of the\n"
    "                             first two phases lasting DURATION (e.g. 24h)\n"
    "      --continue             move the running rotation to its next phase\n"
    "                             now (once its rollout succeeded)\n"
    "      --abort                during trust-both: back to the old CA alone\n"
    "  -n, --namespace NS       the namespace (default: default)\n"
    "  -A, --all-namespaces     with -l: every namespace\n"
    "  -l, --selector SELECTOR  every Secret whose labels match\n";

/* What `rotate` sets on a Secret, as Kamaji does. */
static const char *const rotate_kv[] = {CERTLC_ANNOTATION_ROTATE, "", NULL,
                                        NULL};

/* Sets annotations on a Secret (pairs of key, value; NULL-terminated),
 * compare-and-swap: a write that raced with ours is read again. `said`
 * (may be NULL) follows "annotated" in parentheses. */
static int annotate_kv(certlc_cli *c, const char *ns, const char *name,
                       const char *const *kv, const char *said)
{
    certlc_err err = {{0}};
    for (int attempt = 0; attempt < 5; attempt++) {
        certlc_secret *s = NULL;
        int rc = certlc_store_get(c->store, ns, name, &s, &err);
        if (rc == CERTLC_NOTFOUND) {
            fprintf(stderr, "Error from server (NotFound): secrets \"%s\" "
                            "not found\n", name);
            return CERTLC_EXIT_FAIL;
        }
        for (size_t i = 0; rc == 0 && kv[i] != NULL; i += 2)
            if (certlc_kvlist_set_str(&s->annotations, kv[i], kv[i + 1]) != 0)
                rc = certlc_err_set(&err, "out of memory");
        if (rc == 0)
            rc = certlc_store_update(c->store, s, &err);
        certlc_secret_free(s);
        if (rc == 0) {
            if (said != NULL)
                printf("secret/%s annotated (%s)\n", name, said);
            else
                printf("secret/%s annotated\n", name);
            return CERTLC_EXIT_OK;
        }
        if (rc != CERTLC_CONFLICT && rc != CERTLC_NOTFOUND)
            break;
    }
    fprintf(stderr, "certlc: rotate %s/%s: %s\n", ns, name, err.msg);
    return CERTLC_EXIT_FAIL;
}

/* `rotate secret NAME`: one Secret, as Kamaji's rotate annotation. */
static int annotate(certlc_cli *c, const char *ns, const char *name)
{
    return annotate_kv(c, ns, name, rotate_kv, NULL);
}

typedef struct ca_request {
    const char *which;   /* main | front-proxy */
    const char *overlap; /* NULL: as configured */
    bool cont, abort_;
} ca_request;

/* --continue / --abort: to the rotation on record, whichever CA it is. */
static int steer(certlc_cli *c, const certlc_tenant *t,
                 const certlc_tcp_status *st, const ca_request *rq)
{
    const certlc_ca_rotation_status *r = &st->ca_rotation;
    if (!certlc_ca_overlap_active(st)) {
        fprintf(stderr, "certlc: %s/%s: no CA rotation with overlap is "
                "running\n", t->namespace, t->name);
        return CERTLC_EXIT_FAIL;
    }
    if (rq->abort_ && strcmp(r->phase, CERTLC_CA_PHASE_TRUST_BOTH) != 0) {
        fprintf(stderr, "certlc: %s/%s: the CA rotation is in phase %s: "
                "--abort only returns to the old CA during trust-both, "
                "before anything is signed by the new one\n", t->namespace,
                t->name, r->phase);
        return CERTLC_EXIT_FAIL;
    }
    const certlc_item *item = certlc_plan_item(r->ca);
    if (item == NULL) {
        fprintf(stderr, "certlc: %s/%s: the status names an unknown CA "
                "\"%s\"\n", t->namespace, t->name, r->ca);
        return CERTLC_EXIT_FAIL;
    }
    char name[320];
    certlc_plan_secret_name(t, item, name, sizeof name);
    const char *v = rq->abort_ ? "abort" : "continue";
    const char *kv[] = {CERTLC_ANNOTATION_CA_ROTATION, v, NULL, NULL};
    return annotate_kv(c, t->namespace, name, kv, v);
}

static int request(certlc_cli *c, const certlc_tenant *t, const ca_request *rq)
{
    bool front = strcmp(rq->which, "front-proxy") == 0;
    certlc_tcp_status st;
    certlc_err err = {{0}};
    int rc = certlc_status_load(c->store, t->namespace, t->name, &st, &err);
    if (rc < 0 && rc != CERTLC_NOTFOUND) {
        fprintf(stderr, "certlc: %s/%s: %s\n", t->namespace, t->name, err.msg);
        return CERTLC_EXIT_FAIL;
    }
    if (rq->cont || rq->abort_)
        return steer(c, t, &st, rq);
    if (certlc_ca_overlap_active(&st)) {
        char when[32];
        certlc_time_rfc3339(st.ca_rotation.phase_ends, when, sizeof when);
        fprintf(stderr, "certlc: %s/%s: a CA rotation of %s-%s is running, "
                "in phase %s (until %s at the earliest): refused; "
                "`certlc rotate ca %s --continue` moves it on\n",
                t->namespace, t->name, t->name, st.ca_rotation.ca,
                st.ca_rotation.phase, when, t->name);
        return CERTLC_EXIT_FAIL;
    }
    if (front ? t->front_proxy_ca_provided : t->ca_provided) {
        fprintf(stderr, "certlc: %s/%s: the %s CA is provided (%s = "
                "provided): certlc never rotates it; deliver a new one\n",
                t->namespace, t->name, rq->which,
                front ? "front_proxy_ca_source" : "ca_source");
        return CERTLC_EXIT_FAIL;
    }
    const certlc_item *item = certlc_plan_item(front ? "front-proxy-ca-certificate"
                                                     : "ca");
    char name[320];
    certlc_plan_secret_name(t, item, name, sizeof name);
    if (rq->overlap == NULL)
        return annotate(c, t->namespace, name);
    const char *kv[] = {CERTLC_ANNOTATION_ROTATE, "",
                        CERTLC_ANNOTATION_CA_ROTATION, "overlap",
                        CERTLC_ANNOTATION_CA_OVERLAP, rq->overlap, NULL, NULL};
    return annotate_kv(c, t->namespace, name, kv, "overlap");
}

/* certlc rotate ca TCP [--ca main|front-proxy] [--overlap D | --continue |
 * --abort] [-n NS] */
static int rotate_ca(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"ca", required_argument, NULL, 'c'},
        {"overlap", required_argument, NULL, 'o'},
        {"continue", no_argument, NULL, 'C'},
        {"abort", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default";
    ca_request rq = {.which = "main"};
    int o;
    while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'c': rq.which = optarg; break;
        case 'o': rq.overlap = optarg; break;
        case 'C': rq.cont = true; break;
        case 'a': rq.abort_ = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("rotate", "bad option");
        }
    }
    bool front = strcmp(rq.which, "front-proxy") == 0;
    if (!front && strcmp(rq.which, "main") != 0)
        return certlc_cli_usage("rotate", "--ca takes main or front-proxy");
    if ((rq.overlap != NULL) + rq.cont + rq.abort_ > 1)
        return certlc_cli_usage("rotate", "--overlap, --continue and --abort "
                                "exclude one another");
    if (rq.overlap != NULL) {
        int64_t secs = 0;
        certlc_err derr = {{0}};
        if (certlc_duration_parse(rq.overlap, &secs, &derr) != 0 || secs < 1) {
            fprintf(stderr, "certlc: rotate: --overlap \"%s\": %s\n",
                    rq.overlap, secs < 1 && derr.msg[0] == '\0'
                                    ? "must be at least 1s" : derr.msg);
            return CERTLC_EXIT_USAGE;
        }
    }
    if (argc - optind != 2)
        return certlc_cli_usage("rotate", "rotate ca takes one TCP");
    const char *tcp = argv[optind + 1];
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    const certlc_tenant *t = certlc_config_tenant(c->cfg, ns, tcp);
    if (t == NULL) {
        fprintf(stderr, "certlc: no tenant \"%s\" in namespace %s\n", tcp, ns);
        rc = CERTLC_EXIT_FAIL;
    } else {
        rc = request(c, t, &rq);
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
