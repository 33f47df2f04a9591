/* certlc get events [--for TCP]: the events of tenant control planes, as
 * `kubectl get events` prints them. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duration.h"
#include "events.h"
#include "get_watch.h"
#include "output.h"
#include "table.h"
#include "timefmt.h"

static const char usage[] =
    "Usage: certlc get events [--for TCP] [-n NS | -A] [-o FORMAT] [-w]\n"
    "\n"
    "Every rotation, CA rotation, rollout and refusal of the tenants of the\n"
    "configuration, oldest first (the last 200 of each tenant are kept).\n"
    "\n"
    "  --for TCP               the events of one tenant control plane\n"
    "  -w, --watch             then a new line for each new event\n"
    "  -n, --namespace NS      the namespace (default: default)\n"
    "  -A, --all-namespaces    every namespace\n"
    "  -o, --output FORMAT     wide (serials and notAfter before and after),\n"
    "                          json, yaml, jsonpath=TEMPLATE,\n"
    "                          jsonpath-file=FILE or custom-columns=SPEC\n"
    "      --no-headers        no header line\n"
    "      --sort-by PATH      sort by the value at a JSONPath of -o json\n"
    "                          (.lastTimestamp, .count, .reason)\n"
    "      --allow-missing-template-keys=false\n"
    "                          a field missing in a jsonpath template is an error\n";

bool certlc_get_is_events(int argc, char **argv)
{
    static const char *const with_arg[] = {
        "-n", "-l", "-o", "--namespace", "--selector", "--output", "--for"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            return strcmp(a, "events") == 0 || strcmp(a, "event") == 0 ||
                   strcmp(a, "ev") == 0;
        for (size_t k = 0; k < sizeof with_arg / sizeof with_arg[0]; k++)
            if (strcmp(a, with_arg[k]) == 0)
                i++;
    }
    return false;
}

static int cmp_events(const void *x, const void *y)
{
    const certlc_event *a = x, *b = y;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return 0;
}

static void when(int64_t t, char *buf, size_t size)
{
    if (t == 0)
        snprintf(buf, size, "<none>");
    else
        certlc_time_rfc3339(t, buf, size);
}

/* Prints l as a table (the caller prints nothing else on stdout). With
 * `indent`, every line starts with two spaces (describe). */
void certlc_events_print(const certlc_event_list *l, bool all_ns, bool wide,
                         bool indent, FILE *out)
{
    const char *head[] = {"NAMESPACE",   "LAST SEEN",     "TYPE",
                          "REASON",      "OBJECT",        "COUNT",
                          "OLD SERIAL",  "OLD NOT AFTER", "NEW SERIAL",
                          "NEW NOT AFTER", "MESSAGE"};
    /* Columns shown: namespace only with -A, the middle five only wide. */
    bool show[11] = {all_ns, true, true, true, true, wide, wide, wide,
                     wide,   wide, true};
    size_t cols = 0;
    for (size_t k = 0; k < 11; k++)
        cols += show[k];
    certlc_table *t = certlc_table_new(cols);
    if (t == NULL)
        return;
    const char *row[11];
    size_t c = 0;
    for (size_t k = 0; k < 11; k++)
        if (show[k])
            row[c++] = head[k];
    certlc_table_add(t, row);
    int64_t now = certlc_now();
    for (size_t i = 0; i < l->n; i++) {
        const certlc_event *e = &l->items[i];
        char age[32], obj[320], count[16], oldna[32], newna[32], msg[600];
        certlc_duration_age(now - e->last, age, sizeof age);
        if (e->secret[0] != '\0')
            snprintf(obj, sizeof obj, "secret/%s", e->secret);
        else
            snprintf(obj, sizeof obj, "tcp/%s", e->tenant);
        snprintf(count, sizeof count, "%u", e->count);
        when(e->old_not_after, oldna, sizeof oldna);
        when(e->new_not_after, newna, sizeof newna);
        if (e->cause[0] != '\0')
            snprintf(msg, sizeof msg, "(%s) %s", e->cause, e->message);
        else
            snprintf(msg, sizeof msg, "%s", e->message);
        const char *cells[] = {e->ns,
                               age,
                               e->type,
                               e->reason,
                               obj,
                               count,
                               e->old_serial[0] ? e->old_serial : "<none>",
                               oldna,
                               e->new_serial[0] ? e->new_serial : "<none>",
                               newna,
                               msg};
        c = 0;
        for (size_t k = 0; k < 11; k++)
            if (show[k])
                row[c++] = cells[k];
        certlc_table_add(t, row);
    }
    if (!indent) {
        certlc_table_print(t, out);
    } else {
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (mem != NULL) {
            certlc_table_print(t, mem);
            fclose(mem);
            for (char *line = text, *nl; line != NULL && *line; line = nl) {
                nl = strchr(line, '\n');
                if (nl != NULL)
                    *nl++ = '\0';
                fprintf(out, "  %s\n", line);
            }
            free(text);
        }
    }
    certlc_table_free(t);
}

/* One stored event (ITEM, its certlc fields: tenant, secret, cause, old,
 * new, ...) with the fields of a v1 Event added, as kubectl shows one:
 * apiVersion, kind, metadata (the name is the object's and a number, as
 * kubectl's are), involvedObject, source. I makes the name unique in the
 * listing. */
static void as_v1_event(json_t *item, size_t i)
{
    const char *ns = json_string_value(json_object_get(item, "namespace"));
    const char *tenant = json_string_value(json_object_get(item, "tenant"));
    const char *secret = json_string_value(json_object_get(item, "secret"));
    bool of_secret = secret != NULL && secret[0] != '\0';
    const char *obj = of_secret ? secret : tenant ? tenant : "";
    int64_t first = 0;
    const char *ts =
        json_string_value(json_object_get(item, "firstTimestamp"));
    if (ts != NULL && certlc_time_parse_rfc3339(ts, &first) != 0)
        first = 0;
    char name[400];
    snprintf(name, sizeof name, "%s.%llx", obj,
             (unsigned long long)first * 1000000000ULL + i);
    json_t *involved =
        of_secret ? json_pack("{s:s, s:s, s:s, s:s}", "apiVersion", "v1",
                              "kind", "Secret", "name", obj, "namespace",
                              ns ? ns : "")
                  : json_pack("{s:s, s:s, s:s, s:s}", "apiVersion",
                              "kamaji.clastix.io/v1alpha1", "kind",
                              "TenantControlPlane", "name", obj, "namespace",
                              ns ? ns : "");
    json_object_set_new(item, "apiVersion", json_string("v1"));
    json_object_set_new(item, "kind", json_string("Event"));
    json_object_set_new(item, "metadata",
                        json_pack("{s:s, s:s}", "name", name, "namespace",
                                  ns ? ns : ""));
    json_object_set_new(item, "involvedObject", involved);
    json_object_set_new(item, "source",
                        json_pack("{s:s}", "component", "certlc"));
}

/* The events of L as the items of -o json (a new array), or NULL with
 * a message. */
static json_t *events_items(const certlc_event_list *l, certlc_err *err)
{
    char *text = certlc_events_to_json(l, err);
    bool built = text != NULL;
    json_t *stored = built ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *items = json_incref(json_object_get(stored, "items"));
    json_decref(stored);
    if (items == NULL) {
        if (built)
            certlc_err_set(err, "events: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(items); i++)
        as_v1_event(json_array_get(items, i), i);
    return items;
}

/* --sort-by: the events of L in the order of the path's values in their
 * -o json (kubectl's order: numbers by value, strings naturally, missing
 * first; equal ones keep their order). 0 or -1 with a message. */
static int sort_events(certlc_event_list *l, const certlc_output *out,
                       certlc_err *err)
{
    if (out->sort_by == NULL || l->n == 0)
        return 0;
    json_t *items = events_items(l, err);
    void **order = calloc(l->n, sizeof *order);
    certlc_event *sorted = calloc(l->n, sizeof *sorted);
    int rc = -1;
    if (items == NULL || order == NULL || sorted == NULL) {
        if (items != NULL)
            certlc_err_set(err, "out of memory");
    } else {
        for (size_t i = 0; i < l->n; i++)
            order[i] = &l->items[i];
        rc = certlc_output_sort(out, items, order, err);
    }
    if (rc == 0) {
        for (size_t i = 0; i < l->n; i++)
            sorted[i] = *(certlc_event *)order[i];
        free(l->items);
        l->items = sorted;
        sorted = NULL;
    }
    free(sorted);
    free(order);
    json_decref(items);
    return rc;
}

/* The table, without its header line with --no-headers. */
static void print_table(const certlc_event_list *l, bool all_ns, bool wide,
                        bool no_headers)
{
    if (!no_headers) {
        certlc_events_print(l, all_ns, wide, false, stdout);
        return;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m == NULL)
        return;
    certlc_events_print(l, all_ns, wide, false, m);
    fclose(m);
    const char *nl = buf != NULL ? strchr(buf, '\n') : NULL;
    if (nl != NULL)
        fputs(nl + 1, stdout);
    free(buf);
}

/* -o json|yaml|jsonpath|custom-columns: a List of the events, each a v1
 * Event with certlc's own fields, printed as every other -o json. */
static int print_json(const certlc_event_list *l, const certlc_output *out)
{
    certlc_err err;
    json_t *items = events_items(l, &err);
    json_t *j = items != NULL ? certlc_output_list(items) : NULL;
    if (j == NULL) {
        fprintf(stderr, "certlc: %s\n",
                items == NULL ? err.msg : "events: out of memory");
        return CERTLC_EXIT_FAIL;
    }
    int rc = 0;
    if (out->kind == CERTLC_OUT_CUSTOM)
        rc = certlc_output_custom(out, json_object_get(j, "items"), stdout,
                                  &err);
    else
        rc = certlc_output_object(out, j, stdout, &err);
    json_decref(j);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    return CERTLC_EXIT_OK;
}

static int get_events(certlc_cli *c, int argc, char **argv,
                      certlc_output *out);

/* The events of the tenants of namespace ns (NULL: all), or of the one
 * named only, into *all, oldest first; *seen counts the tenants. 0, or
 * CERTLC_EXIT_FAIL after a message when one could not be read. */
static int load_events(certlc_cli *c, const char *ns, const char *only,
                       certlc_event_list *all, size_t *seen)
{
    int rc = 0;
    certlc_err err;
    for (size_t i = 0; i < c->cfg->n_tenants; i++) {
        const certlc_tenant *t = &c->cfg->tenants[i];
        if ((ns != NULL && strcmp(t->namespace, ns) != 0) ||
            (only != NULL && strcmp(t->name, only) != 0))
            continue;
        (*seen)++;
        certlc_event_list l;
        if (certlc_events_load(c->store, t->namespace, t->name, &l, &err) !=
            0) {
            fprintf(stderr, "certlc: %s/%s: %s\n", t->namespace, t->name,
                    err.msg);
            rc = CERTLC_EXIT_FAIL;
            continue;
        }
        certlc_event *v = l.n == 0 ? all->items
                                   : realloc(all->items,
                                             (all->n + l.n) * sizeof *v);
        if (l.n > 0 && v == NULL) {
            certlc_event_list_free(&l);
            rc = CERTLC_EXIT_FAIL;
            break;
        }
        if (l.n > 0) {
            memcpy(v + all->n, l.items, l.n * sizeof *v);
            all->items = v;
            all->n += l.n;
        }
        certlc_event_list_free(&l);
    }
    if (all->n > 1)
        qsort(all->items, all->n, sizeof *all->items, cmp_events);
    return rc;
}

int certlc_cmd_get_events(certlc_cli *c, int argc, char **argv)
{
    certlc_output out;
    certlc_output_init(&out);
    int rc = get_events(c, argc, argv, &out);
    certlc_output_fini(&out);
    return rc;
}

static int get_events(certlc_cli *c, int argc, char **argv,
                      certlc_output *out)
{
    enum { OPT_FOR = 256 };
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        CERTLC_OUTPUT_LONGOPTS,
        {"for", required_argument, NULL, OPT_FOR},
        {"watch", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *ns = "default", *only = NULL;
    bool all_ns = false, watch = false;
    int o;
    certlc_err err;
    while ((o = getopt_long(argc, argv, "n:Ao:L:wh", opts, NULL)) != -1) {
        int taken = certlc_output_option(out, o, optarg, &err);
        if (taken < 0)
            return certlc_cli_usage("get", "%s", err.msg);
        if (taken > 0)
            continue;
        switch (o) {
        case 'n': ns = optarg; break;
        case 'A': all_ns = true; break;
        case OPT_FOR: only = optarg; break;
        case 'w': watch = true; break;
        case 'h': fputs(usage, stdout); return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("get", "bad option");
        }
    }
    /* argv[optind] is "events"; nothing may follow. */
    if (argc - optind > 1)
        return certlc_cli_usage("get", "unexpected argument '%s' (use --for "
                                       "TCP for one tenant's events)",
                                argv[optind + 1]);
    if (only != NULL && strncmp(only, "tcp/", 4) == 0)
        only += 4;
    int rc;
    if (out->kind == CERTLC_OUT_NAME)
        return certlc_cli_usage("get", "events have no names: use -o "
                                       "jsonpath or custom-columns");
    if (out->show_labels || out->n_label_cols > 0)
        return certlc_cli_usage("get", "events have no labels: get events "
                                       "takes no --show-labels or -L");
    bool wide = out->kind == CERTLC_OUT_WIDE;
    bool json = out->kind != CERTLC_OUT_TABLE && !wide;
    if (watch && json)
        return certlc_cli_usage("get", "get events -w prints the table only");
    rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    certlc_event_list all = {0};
    size_t seen = 0;
    rc = load_events(c, all_ns ? NULL : ns, only, &all, &seen);
    if (sort_events(&all, out, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        rc = CERTLC_EXIT_FAIL;
    } else if (only != NULL && seen == 0) {
        fprintf(stderr, "Error from server (NotFound): tenantcontrolplanes "
                        "\"%s\" not found in namespace \"%s\"\n",
                only, ns);
        rc = CERTLC_EXIT_FAIL;
    } else if (json) {
        if (print_json(&all, out) != 0)
            rc = CERTLC_EXIT_FAIL;
    } else if (all.n == 0 && !watch) {
        if (all_ns)
            fprintf(stderr, "No events found.\n");
        else
            fprintf(stderr, "No events found in %s namespace.\n", ns);
    } else {
        print_table(&all, all_ns, wide, out->no_headers);
    }
    fflush(stdout);
    if (watch && rc == 0)
        rc = certlc_events_watch(c, all_ns ? NULL : ns, only, &all, wide);
    certlc_event_list_free(&all);
    certlc_cli_close(c);
    return rc;
}
