/* certlc get secrets | secret NAME | tcp: kubectl's listings. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duration.h"
#include "plan.h"
#include "selector.h"
#include "status.h"
#include "table.h"
#include "tcpwatch.h"
#include "timefmt.h"

static const char usage[] =
    "Usage: certlc get secrets [NAME...] [-n NS | -A] [-l SELECTOR] [-o wide|json|name]\n"
    "       certlc get secret NAME [-n NS] -o json\n"
    "       certlc get tcp [NAME...] [-n NS | -A] [-w]\n"
    "       certlc get events [--for TCP] [-n NS | -A] [-o wide|json]\n"
    "\n"
    "  -n, --namespace NS       the namespace (default: default)\n"
    "  -A, --all-namespaces     every namespace\n"
    "  -l, --selector SELECTOR  label selector: k=v, k!=v, k in (a,b), k notin (a,b), k, !k\n"
    "  -o, --output FORMAT      wide, json or name\n"
    "  -w, --watch              (tcp) print a new line whenever a status changes\n"
    "                           (ends with 1 when the state directory goes away)\n";

typedef struct get_opts {
    const char *ns;
    bool all_ns;
    const char *selector;
    const char *output;
    bool watch;
    char **names;
    int n_names;
} get_opts;

static bool is_secret_resource(const char *r)
{
    return strcmp(r, "secret") == 0 || strcmp(r, "secrets") == 0;
}

static bool is_tcp_resource(const char *r)
{
    return strcmp(r, "tcp") == 0 || strcmp(r, "tcps") == 0 ||
           strcmp(r, "tenantcontrolplane") == 0 ||
           strcmp(r, "tenantcontrolplanes") == 0;
}

static void age_of(int64_t created, char *buf, size_t size)
{
    if (created == 0)
        snprintf(buf, size, "<unknown>");
    else
        certlc_duration_age(certlc_now() - created, buf, size);
}

static bool wanted(const get_opts *o, const char *name)
{
    if (o->n_names == 0)
        return true;
    for (int i = 0; i < o->n_names; i++)
        if (strcmp(o->names[i], name) == 0)
            return true;
    return false;
}

static json_t *secret_json(const certlc_secret *s)
{
    certlc_err err;
    size_t len;
    char *text = certlc_secret_to_json(s, &len, &err);
    if (text == NULL)
        return NULL;
    json_t *j = json_loadb(text, len, 0, NULL);
    certlc_secret_json_free(text, len);
    return j;
}

static int print_secrets_json(const certlc_secret_list *l, bool single)
{
    json_t *out;
    if (single) {
        out = secret_json(l->items[0]);
    } else {
        json_t *items = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(items, secret_json(l->items[i]));
        out = json_pack("{s:s, s:o, s:s, s:{s:s}}", "apiVersion", "v1",
                        "items", items, "kind", "List", "metadata",
                        "resourceVersion", "");
    }
    if (out == NULL)
        return CERTLC_EXIT_FAIL;
    json_dumpf(out, stdout, JSON_INDENT(4) | JSON_SORT_KEYS);
    fputc('\n', stdout);
    json_decref(out);
    return CERTLC_EXIT_OK;
}

static int print_secrets_table(const certlc_secret_list *l, const get_opts *o)
{
    size_t cols = o->all_ns ? 5 : 4;
    certlc_table *t = certlc_table_new(cols);
    if (t == NULL)
        return CERTLC_EXIT_FAIL;
    const char *head[] = {"NAMESPACE", "NAME", "TYPE", "DATA", "AGE"};
    certlc_table_add(t, o->all_ns ? head : head + 1);
    for (size_t i = 0; i < l->n; i++) {
        const certlc_secret *s = l->items[i];
        char data[24], age[32];
        snprintf(data, sizeof data, "%zu", s->data.n);
        age_of(s->creation_timestamp, age, sizeof age);
        const char *row[] = {s->namespace, s->name, s->type, data, age};
        certlc_table_add(t, o->all_ns ? row : row + 1);
    }
    certlc_table_print(t, stdout);
    certlc_table_free(t);
    return CERTLC_EXIT_OK;
}

static int get_secrets(certlc_cli *c, const get_opts *o, bool single)
{
    certlc_err err;
    certlc_selector *sel = certlc_selector_parse(o->selector, &err);
    if (sel == NULL)
        return certlc_cli_usage("get", "%s", err.msg);
    int rc = certlc_cli_open(c);
    if (rc != 0) {
        certlc_selector_free(sel);
        return rc;
    }
    certlc_secret_list all = {0}, l = {0};
    if (certlc_store_list(c->store, o->all_ns ? NULL : o->ns, sel, &all,
                          &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        rc = CERTLC_EXIT_FAIL;
        goto out;
    }
    certlc_secret_list_sort(&all);
    for (size_t i = 0; i < all.n; i++) {
        if (wanted(o, all.items[i]->name)) {
            certlc_secret_list_push(&l, all.items[i]);
            all.items[i] = NULL;
        }
    }
    for (int i = 0; i < o->n_names; i++) {
        bool found = false;
        for (size_t j = 0; j < l.n; j++)
            found |= strcmp(l.items[j]->name, o->names[i]) == 0;
        if (!found) {
            fprintf(stderr,
                    "Error from server (NotFound): secrets \"%s\" not found\n",
                    o->names[i]);
            rc = CERTLC_EXIT_FAIL;
        }
    }
    const char *fmt = o->output ? o->output : "";
    if (strcmp(fmt, "json") == 0) {
        if (l.n > 0 || !single)
            print_secrets_json(&l, single && l.n == 1);
    } else if (strcmp(fmt, "name") == 0) {
        for (size_t i = 0; i < l.n; i++)
            printf("secret/%s\n", l.items[i]->name);
    } else if (l.n > 0) {
        print_secrets_table(&l, o);
    } else if (o->n_names == 0) {
        if (o->all_ns)
            fprintf(stderr, "No resources found\n");
        else
            fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
    }
out:
    certlc_secret_list_free(&all);
    certlc_secret_list_free(&l);
    certlc_selector_free(sel);
    certlc_cli_close(c);
    return rc;
}

/* One row of `get tcp`, from the tenant's configuration and stored status. */
void certlc_tcp_row(const certlc_tenant *t, const certlc_tcp_status *st,
                    char cells[8][320])
{
    snprintf(cells[0], 320, "%s", t->name);
    snprintf(cells[1], 320, "%s", t->version);
    snprintf(cells[2], 320, "%s",
             st->phase[0] ? st->phase : CERTLC_PHASE_PROVISIONING);
    /* An await on the external PKI shows beside the phase, as
     * kubectl shows "Ready,SchedulingDisabled". */
    static const char *const shown[] = {"ExternalPKIOverdue",
                                        "AwaitingExternalPKI"};
    for (size_t k = 0; k < 2; k++) {
        const certlc_condition *cond = certlc_status_condition(st, shown[k]);
        if (cond != NULL && cond->status) {
            size_t used = strlen(cells[2]);
            snprintf(cells[2] + used, 320 - used, ",%s", shown[k]);
            break;
        }
    }
    if (strchr(t->address, ':') != NULL)
        snprintf(cells[3], 320, "[%s]:%d", t->address, t->port);
    else
        snprintf(cells[3], 320, "%s:%d", t->address, t->port);
    snprintf(cells[4], 320, "%s-admin-kubeconfig", t->name);
    snprintf(cells[5], 320, "%s", t->datastore);
    age_of(st->created, cells[6], 320);
    snprintf(cells[7], 320, "%s", t->namespace);
}

static int get_tcp(certlc_cli *c, const get_opts *o)
{
    if (o->output != NULL && strcmp(o->output, "wide") != 0)
        return certlc_cli_usage("get", "get tcp supports -o wide only");
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    certlc_table *t = certlc_table_new(o->all_ns ? 8 : 7);
    const char *head[] = {"NAMESPACE", "NAME", "VERSION", "STATUS",
                          "CONTROL-PLANE ENDPOINT", "KUBECONFIG", "DATASTORE",
                          "AGE"};
    certlc_table_add(t, o->all_ns ? head : head + 1);
    size_t shown = 0;
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *tn = &c->cfg->tenants[i];
        if ((!o->all_ns && strcmp(tn->namespace, o->ns) != 0) ||
            !wanted(o, tn->name))
            continue;
        certlc_tcp_status st;
        certlc_err err;
        if (certlc_status_load(c->store, tn->namespace, tn->name, &st,
                               &err) < 0)
            fprintf(stderr, "certlc: %s/%s: %s\n", tn->namespace, tn->name,
                    err.msg);
        char cells[8][320];
        certlc_tcp_row(tn, &st, cells);
        const char *row[] = {cells[7], cells[0], cells[1], cells[2],
                             cells[3], cells[4], cells[5], cells[6]};
        certlc_table_add(t, o->all_ns ? row : row + 1);
        shown++;
    }
    if (shown > 0 || o->watch)
        certlc_table_print(t, stdout);
    else
        fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
    fflush(stdout);
    if (o->watch)
        rc = certlc_tcp_watch(c, t, o->all_ns ? NULL : o->ns);
    certlc_table_free(t);
    certlc_cli_close(c);
    return rc;
}

int certlc_cmd_get(certlc_cli *c, int argc, char **argv)
{
    if (certlc_get_is_events(argc, argv)) /* cmd_events.c */
        return certlc_cmd_get_events(c, argc, argv);
    if (certlc_get_is_leader(argc, argv)) /* cmd_leader.c */
        return certlc_cmd_get_leader(c, argc, argv);
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"selector", required_argument, NULL, 'l'},
        {"output", required_argument, NULL, 'o'},
        {"watch", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    get_opts o = {.ns = "default"};
    int opt;
    /* Options may come after the resource and the names, as with kubectl. */
    while ((opt = getopt_long(argc, argv, "n:Al:o:wh", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': o.ns = optarg; break;
        case 'A': o.all_ns = true; break;
        case 'l': o.selector = optarg; break;
        case 'o': o.output = optarg; break;
        case 'w': o.watch = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("get", "bad option");
        }
    }
    if (optind >= argc)
        return certlc_cli_usage("get", "name a resource: secrets or tcp");
    char *resource = argv[optind++];
    char *slash = strchr(resource, '/');
    char *inline_name[1];
    o.names = argv + optind;
    o.n_names = argc - optind;
    if (slash != NULL) {
        *slash = '\0';
        inline_name[0] = slash + 1;
        o.names = inline_name;
        o.n_names = 1;
    }
    if (o.output != NULL && strcmp(o.output, "json") != 0 &&
        strcmp(o.output, "wide") != 0 && strcmp(o.output, "name") != 0)
        return certlc_cli_usage("get", "unknown output format '%s' (use "
                                       "wide, json or name)", o.output);
    if (is_secret_resource(resource)) {
        if (o.watch)
            return certlc_cli_usage("get", "--watch is for tcp");
        return get_secrets(c, &o, o.n_names == 1);
    }
    if (is_tcp_resource(resource))
        return get_tcp(c, &o);
    return certlc_cli_usage("get", "unknown resource '%s' (use secrets, "
                                   "tcp or events)", resource);
}
