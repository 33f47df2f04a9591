/* certlc describe tcp NAME: one tenant control plane as `kubectl describe`
 * shows an object: its spec, status and conditions, every certificate the
 * operator keeps for it with its expiry, and its recent events. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duration.h"
#include "events.h"
#include "observe.h"
#include "status.h"
#include "table.h"
#include "timefmt.h"

#define RECENT_EVENTS 20

static const char usage[] =
    "Usage: certlc describe tcp NAME [-n NS]\n"
    "\n"
    "Shows a tenant control plane: its configuration, phase and conditions,\n"
    "every tracked certificate and CA with its serial, expiry and renewal\n"
    "time, and its last 20 events.\n"
    "\n"
    "  -n, --namespace NS   the namespace (default: default)\n";

static void time_or_none(int64_t t, char *buf, size_t size)
{
    if (t == 0)
        snprintf(buf, size, "<none>");
    else
        certlc_time_rfc3339(t, buf, size);
}

/* Prints table t with every line indented by two spaces. */
static void print_indented(const certlc_table *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return;
    certlc_table_print(t, mem);
    fclose(mem);
    for (char *line = text, *nl; line != NULL && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        printf("  %s\n", line);
    }
    free(text);
}

static void print_conditions(const certlc_tcp_status *st)
{
    printf("Conditions:\n");
    if (st->n_conditions == 0) {
        printf("  <none>\n");
        return;
    }
    certlc_table *t = certlc_table_new(5);
    const char *head[] = {"TYPE", "STATUS", "REASON", "LAST TRANSITION",
                          "MESSAGE"};
    certlc_table_add(t, head);
    for (size_t i = 0; i < st->n_conditions; i++) {
        const certlc_condition *c = &st->conditions[i];
        char when[32];
        time_or_none(c->last_transition, when, sizeof when);
        const char *row[] = {c->type, c->status ? "True" : "False",
                             c->reason[0] ? c->reason : "<none>", when,
                             c->message};
        certlc_table_add(t, row);
    }
    print_indented(t);
    certlc_table_free(t);
}

static bool print_certificates(certlc_cli *c, const certlc_tenant *tn)
{
    printf("Certificates:\n");
    certlc_cert_info *ci = NULL;
    size_t n = 0;
    if (certlc_tenant_certs(c->store, tn, &ci, &n) != 0) {
        printf("  <out of memory>\n");
        return false;
    }
    certlc_table *t = certlc_table_new(7);
    const char *head[] = {"SECRET",  "KEY",         "SERIAL", "NOT AFTER",
                          "RESIDUAL", "RENEWAL AT", "STATUS"};
    certlc_table_add(t, head);
    bool ok = true;
    int64_t now = certlc_now();
    for (size_t i = 0; i < n; i++) {
        char na[32] = "<none>", res[32] = "<none>", ren[32] = "-";
        const char *status;
        if (ci[i].state == CERTLC_CERT_MISSING) {
            status = "missing";
            ok = false;
        } else if (ci[i].state == CERTLC_CERT_UNREADABLE) {
            status = "unreadable";
            ok = false;
        } else {
            certlc_time_rfc3339(ci[i].not_after, na, sizeof na);
            certlc_duration_residual(ci[i].not_after - now, res, sizeof res);
            if (ci[i].tracked && !ci[i].ca)
                certlc_time_rfc3339(ci[i].not_after - c->cfg->renew_before,
                                    ren, sizeof ren);
            status = ci[i].not_after <= now ? "expired"
                     : ci[i].ca             ? "valid (CA)"
                                            : "valid";
            if (ci[i].not_after <= now)
                ok = false;
        }
        const char *row[] = {ci[i].secret, ci[i].key,
                             ci[i].serial[0] ? ci[i].serial : "<none>",
                             na, res, ren, status};
        certlc_table_add(t, row);
    }
    print_indented(t);
    certlc_table_free(t);
    free(ci);
    return ok;
}

static int describe_tcp(certlc_cli *c, const char *ns, const char *name)
{
    const certlc_tenant *tn = certlc_config_tenant(c->cfg, ns, name);
    if (tn == NULL) {
        fprintf(stderr, "Error from server (NotFound): tenantcontrolplanes "
                        "\"%s\" not found in namespace \"%s\"\n",
                name, ns);
        return CERTLC_EXIT_FAIL;
    }
    certlc_tcp_status st;
    certlc_err err;
    int src = certlc_status_load(c->store, tn->namespace, tn->name, &st, &err);
    if (src < 0)
        fprintf(stderr, "certlc: %s/%s: %s\n", tn->namespace, tn->name,
                err.msg);
    char created[32], updated[32], rollout[32], endpoint[300];
    time_or_none(st.created, created, sizeof created);
    time_or_none(st.updated, updated, sizeof updated);
    time_or_none(st.last_rollout, rollout, sizeof rollout);
    if (strchr(tn->address, ':') != NULL)
        snprintf(endpoint, sizeof endpoint, "[%s]:%d", tn->address, tn->port);
    else
        snprintf(endpoint, sizeof endpoint, "%s:%d", tn->address, tn->port);
    printf("Name:                %s\n", tn->name);
    printf("Namespace:           %s\n", tn->namespace);
    printf("Version:             %s\n", tn->version);
    printf("Endpoint:            %s\n", endpoint);
    printf("Service CIDR:        %s\n", tn->service_cidr);
    printf("Cluster Domain:      %s\n", tn->cluster_domain);
    printf("Konnectivity:        %s\n", tn->konnectivity ? "true" : "false");
    printf("Datastore:           %s\n",
           tn->datastore[0] ? tn->datastore : "<none>");
    printf("Defined At:          %s\n", tn->source);
    printf("Phase:               %s\n",
           st.phase[0] ? st.phase : CERTLC_PHASE_PROVISIONING);
    if (st.ca_rotation.phase[0] != '\0') { /* ca_overlap.h */
        char ends[32];
        time_or_none(st.ca_rotation.phase_ends, ends, sizeof ends);
        printf("CA Rotation:         %s-%s: %s (ends %s, overlap %llds)\n",
               tn->name, st.ca_rotation.ca, st.ca_rotation.phase, ends,
               (long long)st.ca_rotation.overlap);
    }
    printf("Created:             %s\n", created);
    printf("Updated:             %s\n", updated);
    printf("Last Rollout:        %s\n", rollout);
    printf("Rollout Checksum:    %s\n", st.checksum[0] ? st.checksum : "<none>");
    if (st.rollout_error[0])
        printf("Rollout Error:       %s\n", st.rollout_error);
    if (st.rollout_output[0]) /* The hook's own words, indented */
        for (const char *l = st.rollout_output; *l != '\0';) {
            size_t n = strcspn(l, "\n");
            printf("%s%.*s\n", l == st.rollout_output ? "Rollout Output:      "
                                                       : "                     ",
                   (int)n, l);
            l += n + (l[n] == '\n');
        }
    print_conditions(&st);
    print_certificates(c, tn);

    printf("Events:\n");
    certlc_event_list l;
    if (certlc_events_load(c->store, tn->namespace, tn->name, &l, &err) != 0) {
        printf("  <unreadable: %s>\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    if (l.n == 0) {
        printf("  <none>\n");
    } else {
        certlc_event_list recent = l;
        if (recent.n > RECENT_EVENTS) {
            recent.items += recent.n - RECENT_EVENTS;
            recent.n = RECENT_EVENTS;
        }
        certlc_events_print(&recent, false, false, true, stdout);
    }
    certlc_event_list_free(&l);
    return CERTLC_EXIT_OK;
}

int certlc_cmd_describe(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default";
    int o;
    while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': ns = optarg; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("describe", "bad option");
        }
    }
    if (optind >= argc)
        return certlc_cli_usage("describe", "name a resource: tcp NAME");
    char *resource = argv[optind++];
    char *name = NULL;
    char *slash = strchr(resource, '/');
    if (slash != NULL) {
        *slash = '\0';
        name = slash + 1;
    } else if (optind < argc) {
        name = argv[optind++];
    }
    if (strcmp(resource, "tcp") != 0 && strcmp(resource, "tcps") != 0 &&
        strcmp(resource, "tenantcontrolplane") != 0 &&
        strcmp(resource, "tenantcontrolplanes") != 0)
        return certlc_cli_usage("describe", "unknown resource '%s' (use tcp)",
                                resource);
    if (name == NULL || *name == '\0')
        return certlc_cli_usage("describe", "name the tenant: describe tcp "
                                            "NAME");
    if (optind < argc)
        return certlc_cli_usage("describe", "one tenant at a time");
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    rc = describe_tcp(c, ns, name);
    certlc_cli_close(c);
    return rc;
}
