/* certlc get secrets | secret NAME | tcp: kubectl's listings. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "duration.h"
#include "get_watch.h"
#include "output.h"
#include "plan.h"
#include "selector.h"
#include "status.h"
#include "table.h"
#include "get_tcp_watch.h"
#include "timefmt.h"

static const char usage_head[] =
    "Usage: certlc get secrets [NAME...] [-n NS | -A] [-l SELECTOR] [-o FORMAT] [-w]\n"
    "       certlc get secret NAME [-n NS] [-o FORMAT]\n"
    "       certlc get tcp [NAME...] [-n NS | -A] [-o FORMAT] [-w]\n"
    "       certlc get events [--for TCP] [-n NS | -A] [-o FORMAT] [-w]\n"
    "       certlc get leader [-o FORMAT]\n"
    "\n"
    "  -n, --namespace NS       the namespace (default: default)\n"
    "  -A, --all-namespaces     every namespace\n"
    "  -l, --selector SELECTOR  label selector: k=v, k!=v, k in (a,b), k notin (a,b), k, !k\n"
    "  -w, --watch              then a new line whenever a Secret (secrets), a\n"
    "                           status (tcp) or an event (events) changes;\n"
    "                           tcp on the file store ends with 1 when the\n"
    "                           state directory goes away\n";

typedef struct get_opts {
    const char *ns;
    bool all_ns;
    const char *selector;
    certlc_output out;
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

/* One row of the Secrets table (malloc'd cells): the kubectl columns, then
 * those of -L and --show-labels. OBJ is the Secret's JSON. */
static size_t secret_cells(const certlc_secret *s, json_t *obj,
                           const get_opts *o, char **cells)
{
    char data[24], age[32];
    snprintf(data, sizeof data, "%zu", s->data.n);
    age_of(s->creation_timestamp, age, sizeof age);
    const char *fixed[] = {s->namespace, s->name, s->type, data, age};
    size_t n = 0;
    for (size_t i = o->all_ns ? 0 : 1; i < 5; i++)
        cells[n++] = strdup(fixed[i]);
    return certlc_output_extra_cells(&o->out, obj, cells, n);
}

/* For the watch: the row from the Secret alone. */
static size_t secret_watch_row(const certlc_secret *s, void *ctx,
                               char **cells)
{
    json_t *obj = secret_json(s);
    size_t n = secret_cells(s, obj, ctx, cells);
    json_decref(obj);
    return n;
}

/* The table of Secrets, with the extra columns of -L and --show-labels.
 * Returns it (to give a watch its column widths) or NULL. */
static certlc_table *secrets_table(const certlc_secret_list *l,
                                   json_t *items, const get_opts *o)
{
    size_t cols = (o->all_ns ? 5 : 4) + certlc_output_extra_columns(&o->out);
    certlc_table *t = certlc_table_new(cols);
    char **cells = calloc(cols, sizeof *cells);
    if (t == NULL || cells == NULL) {
        certlc_table_free(t);
        free(cells);
        return NULL;
    }
    const char *head[] = {"NAMESPACE", "NAME", "TYPE", "DATA", "AGE"};
    size_t n = 0;
    for (size_t i = o->all_ns ? 0 : 1; i < 5; i++)
        cells[n++] = strdup(head[i]);
    n = certlc_output_extra_heads(&o->out, cells, n);
    if (!o->out.no_headers)
        certlc_table_add(t, (const char *const *)cells);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    for (size_t i = 0; i < l->n; i++) {
        n = secret_cells(l->items[i], json_array_get(items, i), o, cells);
        certlc_table_add(t, (const char *const *)cells);
        for (size_t k = 0; k < n; k++)
            free(cells[k]);
    }
    free(cells);
    return t;
}

/* Prints the objects of ITEMS in the format asked for; SINGLE prints the
 * one object itself rather than a List, as kubectl does for `get KIND
 * NAME`. Returns an exit code. */
static int print_objects(const get_opts *o, json_t *items, bool single,
                         const char *kind)
{
    certlc_err err;
    int rc = 0;
    switch (o->out.kind) {
    case CERTLC_OUT_NAME:
        certlc_output_names(items, kind, stdout);
        break;
    case CERTLC_OUT_CUSTOM:
        rc = certlc_output_custom(&o->out, items, stdout, &err);
        break;
    default: {
        json_t *obj = single ? json_incref(json_array_get(items, 0))
                             : certlc_output_list(json_incref(items));
        rc = obj ? certlc_output_object(&o->out, obj, stdout, &err) : -1;
        if (obj == NULL)
            certlc_err_set(&err, "out of memory");
        json_decref(obj);
    }
    }
    fflush(stdout);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    return CERTLC_EXIT_OK;
}

/* kubectl's error for each NAME asked for that was not listed: missing,
 * or there but undecryptable (then saying why). Returns how many. */
/* The Secrets named in one namespace, read one by one rather than listed:
 * a namespace may hold every tenant's. Those that sel does not match are
 * left out, and a Secret that cannot be read is skipped with the store's
 * message, as a listing skips it (report_missing_secrets then says it is
 * not found). Appends to out; 0, or -1 with err. */
static int get_named(certlc_cli *c, const get_opts *o,
                     const certlc_selector *sel, certlc_secret_list *out,
                     certlc_err *err)
{
    for (int i = 0; i < o->n_names; i++) {
        bool twice = false;
        for (int k = 0; k < i; k++)
            twice |= strcmp(o->names[k], o->names[i]) == 0;
        certlc_secret *s = NULL;
        certlc_err gerr;
        int rc = twice ? CERTLC_NOTFOUND
                       : certlc_store_get(c->store, o->ns, o->names[i], &s,
                                          &gerr);
        if (rc != 0 && rc != CERTLC_NOTFOUND && rc != CERTLC_UNDECRYPTABLE)
            certlc_warn("store", "%s; skipped", gerr.msg);
        if (rc != 0 || !certlc_selector_match(sel, &s->labels)) {
            certlc_secret_free(s);
            continue;
        }
        if (certlc_secret_list_push(out, s) != 0) {
            certlc_secret_free(s);
            return certlc_err_set(err, "out of memory");
        }
    }
    return 0;
}

static int report_missing_secrets(certlc_cli *c, const get_opts *o,
                                  const certlc_secret_list *l)
{
    int missing = 0;
    for (int i = 0; i < o->n_names; i++) {
        bool found = false;
        for (size_t j = 0; j < l->n; j++)
            found |= strcmp(l->items[j]->name, o->names[i]) == 0;
        certlc_secret *u = NULL;
        certlc_err uerr;
        if (!found && !o->all_ns &&
            certlc_store_get(c->store, o->ns, o->names[i], &u, &uerr) ==
                CERTLC_UNDECRYPTABLE) {
            fprintf(stderr, "certlc: %s\n", uerr.msg);
            missing++;
        } else if (!found) {
            fprintf(stderr,
                    "Error from server (NotFound): secrets \"%s\" not found\n",
                    o->names[i]);
            missing++;
        }
        certlc_secret_free(u);
    }
    return missing;
}

/* Prints the Secrets listed (l, and items as JSON): as objects, as the
 * table (then watching with -w), or kubectl's "No resources found".
 * Returns rc, or the exit code of what failed. */
static int print_secrets(certlc_cli *c, const get_opts *o,
                         const certlc_selector *sel,
                         const certlc_secret_list *l, json_t *items,
                         bool single, int rc)
{
    certlc_out_kind k = o->out.kind;
    bool table = k == CERTLC_OUT_TABLE || k == CERTLC_OUT_WIDE;
    if (!table && (l->n > 0 || !single)) {
        int prc = print_objects(o, items, single && l->n == 1, "secret");
        if (prc != 0)
            rc = prc;
    } else if (table && (l->n > 0 || o->watch)) {
        certlc_table *t = secrets_table(l, items, o);
        if (t != NULL && (l->n > 0 || !o->out.no_headers))
            certlc_table_print(t, stdout);
        fflush(stdout);
        if (t != NULL && o->watch)
            rc = certlc_secret_watch(c, t, o->all_ns ? NULL : o->ns, sel,
                                     o->names, o->n_names, secret_watch_row,
                                     (void *)o);
        certlc_table_free(t);
    } else if (table && o->n_names == 0) {
        if (o->all_ns)
            fprintf(stderr, "No resources found\n");
        else
            fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
    }
    return rc;
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
    int lrc = o->n_names > 0 && !o->all_ns
                  ? get_named(c, o, sel, &all, &err)
                  : certlc_store_list(c->store, o->all_ns ? NULL : o->ns, sel,
                                      &all, &err);
    if (lrc != 0) {
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
    if (report_missing_secrets(c, o, &l) > 0)
        rc = CERTLC_EXIT_FAIL;
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < l.n; i++)
        json_array_append_new(items, secret_json(l.items[i]));
    if (items == NULL ||
        certlc_output_sort(&o->out, items, (void **)l.items, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", items ? err.msg : "out of memory");
        json_decref(items);
        rc = CERTLC_EXIT_FAIL;
        goto out;
    }
    rc = print_secrets(c, o, sel, &l, items, single, rc);
    json_decref(items);
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

/* {"secretName": "<tcp>-<suffix>"}, as Kamaji's status names a Secret. */
static json_t *secret_ref(const certlc_tenant *t, const char *suffix)
{
    char name[320];
    snprintf(name, sizeof name, "%s-%s", t->name, suffix);
    return json_pack("{s:s}", "secretName", name);
}

/* One tenant as Kamaji's TenantControlPlane (kamaji.clastix.io/v1alpha1,
 * api/v1alpha1/tenantcontrolplane_{types,status}.go), with the fields
 * certlc has: spec.kubernetes.version, spec.networkProfile, spec.dataStore;
 * status.kubernetesResources.version (the phase), controlPlaneEndpoint,
 * the Secrets' names in status.certificates, status.kubeconfig,
 * status.storage and status.addons.konnectivity; and the conditions,
 * which Kamaji's status does not have. Empty fields are left out, as
 * Kamaji's omitempty does. */
/* The status's conditions, as Kamaji's status would have them. */
static json_t *conditions_json(const certlc_tcp_status *st)
{
    json_t *conds = json_array();
    for (size_t i = 0; conds != NULL && i < st->n_conditions; i++) {
        const certlc_condition *c = &st->conditions[i];
        char when[32] = "";
        if (c->last_transition != 0)
            certlc_time_rfc3339(c->last_transition, when, sizeof when);
        json_array_append_new(
            conds, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", c->type,
                             "status", c->status ? "True" : "False",
                             "reason", c->reason, "message", c->message,
                             "lastTransitionTime", when));
    }
    return conds;
}

/* metadata: name, namespace, Kamaji's label, creationTimestamp. */
static json_t *tcp_meta_json(const certlc_tenant *t,
                             const certlc_tcp_status *st)
{
    char created[32] = "";
    if (st->created != 0)
        certlc_time_rfc3339(st->created, created, sizeof created);
    json_t *meta = json_pack("{s:s, s:s, s:{s:s}}", "name", t->name,
                             "namespace", t->namespace, "labels",
                             "kamaji.clastix.io/name", t->name);
    if (meta != NULL && created[0] != '\0')
        json_object_set_new(meta, "creationTimestamp", json_string(created));
    return meta;
}

/* spec: kubernetes.version and networkProfile (dataStore: tcp_json). */
static json_t *tcp_spec_json(const certlc_tenant *t)
{
    json_t *net = json_pack("{s:s, s:i, s:s, s:s}", "address", t->address,
                            "port", t->port, "serviceCidr", t->service_cidr,
                            "clusterDomain", t->cluster_domain);
    if (net != NULL && t->n_cert_sans > 0) {
        json_t *sans = json_array();
        for (size_t i = 0; i < t->n_cert_sans; i++)
            json_array_append_new(sans, json_string(t->cert_sans[i]));
        json_object_set_new(net, "certSANs", sans);
    }
    return json_pack("{s:{s:s}, s:o}", "kubernetes", "version", t->version,
                     "networkProfile", net);
}

/* status: the endpoint and phase (cells of certlc_tcp_row), the
 * kubeconfigs' and certificates' Secrets, the conditions. */
static json_t *tcp_status_json(const certlc_tenant *t,
                               const certlc_tcp_status *st,
                               char cells[8][320])
{
    return json_pack(
        "{s:s, s:{s:{s:s, s:s}},"
        " s:{s:o, s:o, s:o},"
        " s:{s:o, s:o, s:o, s:o, s:o, s:o},"
        " s:o}",
        "controlPlaneEndpoint", cells[3], "kubernetesResources", "version",
        "version", t->version, "status", cells[2], "kubeconfig", "admin",
        secret_ref(t, "admin-kubeconfig"), "controllerManager",
        secret_ref(t, "controller-manager-kubeconfig"), "scheduler",
        secret_ref(t, "scheduler-kubeconfig"), "certificates", "ca",
        secret_ref(t, "ca"), "apiServer",
        secret_ref(t, "api-server-certificate"), "apiServerKubeletClient",
        secret_ref(t, "api-server-kubelet-client-certificate"),
        "frontProxyCA", secret_ref(t, "front-proxy-ca-certificate"),
        "frontProxyClient", secret_ref(t, "front-proxy-client-certificate"),
        "sa", secret_ref(t, "sa-certificate"), "conditions",
        conditions_json(st));
}

/* A CA rotation with overlap (ca_overlap.h): its phase and end. */
static json_t *ca_rotation_json(const certlc_ca_rotation_status *r)
{
    char ends[32] = "";
    if (r->phase_ends != 0)
        certlc_time_rfc3339(r->phase_ends, ends, sizeof ends);
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "phase", r->phase,
                     "ca", r->ca, "phaseEnds", ends, "overlapSeconds",
                     (json_int_t)r->overlap, "rolledOutPhase", r->rolled,
                     "startedBy", r->deleted ? "deletion" : "request");
}

/* One tenant as Kamaji's TenantControlPlane (kamaji.clastix.io/v1alpha1,
 * api/v1alpha1/tenantcontrolplane_{types,status}.go), with the fields
 * certlc has: spec.kubernetes.version, spec.networkProfile, spec.dataStore;
 * status.kubernetesResources.version (the phase), controlPlaneEndpoint,
 * the Secrets' names in status.certificates, status.kubeconfig,
 * status.storage and status.addons.konnectivity; and the conditions,
 * which Kamaji's status does not have. Empty fields are left out, as
 * Kamaji's omitempty does. */
static json_t *tcp_json(const certlc_tenant *t, const certlc_tcp_status *st)
{
    char cells[8][320];
    certlc_tcp_row(t, st, cells);
    json_t *meta = tcp_meta_json(t, st);
    json_t *spec = tcp_spec_json(t);
    json_t *status = tcp_status_json(t, st, cells);
    if (spec != NULL && status != NULL && t->datastore[0] != '\0') {
        json_object_set_new(spec, "dataStore", json_string(t->datastore));
        json_object_set_new(
            status, "storage",
            json_pack("{s:s, s:o, s:o}", "dataStoreName", t->datastore,
                      "certificate", secret_ref(t, "datastore-certificate"),
                      "config", secret_ref(t, "datastore-config")));
    }
    if (status != NULL && st->ca_rotation.phase[0] != '\0')
        json_object_set_new(status, "caRotation",
                            ca_rotation_json(&st->ca_rotation));
    if (status != NULL && t->konnectivity)
        json_object_set_new(
            status, "addons",
            json_pack("{s:{s:b, s:o, s:o}}", "konnectivity", "enabled", 1,
                      "certificate",
                      secret_ref(t, "konnectivity-certificate"), "kubeconfig",
                      secret_ref(t, "konnectivity-kubeconfig")));
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "apiVersion",
                     "kamaji.clastix.io/v1alpha1", "kind",
                     "TenantControlPlane", "metadata", meta, "spec", spec,
                     "status", status);
}

/* kubectl's error for each NAME asked for that is no tenant of the
 * namespace (of any, with -A). Returns how many there were. */
static int report_missing_tcp(const certlc_cli *c, const get_opts *o)
{
    int missing = 0;
    for (int i = 0; i < o->n_names; i++) {
        bool found = false;
        for (size_t k = 0; !found && k < c->cfg->n_tenants; k++) {
            const certlc_tenant *tn = &c->cfg->tenants[k];
            found = strcmp(tn->name, o->names[i]) == 0 &&
                    (o->all_ns || strcmp(tn->namespace, o->ns) == 0);
        }
        if (!found) {
            fprintf(stderr, "Error from server (NotFound): "
                            "tenantcontrolplanes.kamaji.clastix.io \"%s\" "
                            "not found\n", o->names[i]);
            missing++;
        }
    }
    return missing;
}

/* The table of `get tcp` being made: a row is the fixed cells, then one
 * per -L label and --show-labels. */
typedef struct tcp_table {
    certlc_table *t;
    const char **line; /* the row being added */
    char **more;       /* its extra cells */
    size_t fixed, extra;
} tcp_table;

static void tcp_table_free(tcp_table *tt)
{
    certlc_table_free(tt->t);
    free(tt->line);
    free(tt->more);
}

/* Makes the table and adds its header (unless --no-headers). -1: out of
 * memory. */
static int tcp_table_new(tcp_table *tt, const get_opts *o, size_t extra)
{
    tt->fixed = o->all_ns ? 8 : 7;
    tt->extra = extra;
    tt->t = certlc_table_new(tt->fixed + extra);
    tt->line = calloc(tt->fixed + extra, sizeof *tt->line);
    tt->more = calloc(extra + 1, sizeof *tt->more);
    if (tt->t == NULL || tt->line == NULL || tt->more == NULL)
        return -1;
    const char *head[] = {"NAMESPACE", "NAME", "VERSION", "STATUS",
                          "CONTROL-PLANE ENDPOINT", "KUBECONFIG", "DATASTORE",
                          "AGE"};
    size_t n_more = certlc_output_extra_heads(&o->out, tt->more, 0);
    memcpy(tt->line, o->all_ns ? head : head + 1, tt->fixed * sizeof *tt->line);
    memcpy(tt->line + tt->fixed, tt->more, n_more * sizeof *tt->line);
    if (!o->out.no_headers)
        certlc_table_add(tt->t, tt->line);
    for (size_t i = 0; i < n_more; i++)
        free(tt->more[i]);
    return 0;
}

/* Each tenant shown with its status, in the order --sort-by says. */
typedef struct shown_tcp {
    const certlc_tenant *tenant;
    certlc_tcp_status st;
} shown_tcp;

/* The tenants asked for, each with its stored status, into rows, order
 * and items (as JSON). Returns how many. */
static size_t load_tcps(certlc_cli *c, const get_opts *o, shown_tcp *rows,
                        void **order, json_t *items)
{
    size_t shown = 0;
    for (size_t i = 0; rows && order && i < c->cfg->n_tenants; i++) {
        const certlc_tenant *tn = &c->cfg->tenants[i];
        if ((!o->all_ns && strcmp(tn->namespace, o->ns) != 0) ||
            !wanted(o, tn->name))
            continue;
        certlc_err err;
        if (certlc_status_load(c->store, tn->namespace, tn->name,
                               &rows[shown].st, &err) < 0)
            fprintf(stderr, "certlc: %s/%s: %s\n", tn->namespace, tn->name,
                    err.msg);
        rows[shown].tenant = tn;
        order[shown] = &rows[shown];
        json_array_append_new(items, tcp_json(tn, &rows[shown].st));
        shown++;
    }
    return shown;
}

/* One row per tenant shown, in order. */
static void add_tcp_rows(tcp_table *tt, const get_opts *o, void **order,
                         size_t shown, json_t *items)
{
    for (size_t i = 0; i < shown; i++) {
        const shown_tcp *r = order[i];
        char cells[8][320];
        certlc_tcp_row(r->tenant, &r->st, cells);
        const char *row[] = {cells[7], cells[0], cells[1], cells[2],
                             cells[3], cells[4], cells[5], cells[6]};
        memcpy(tt->line, o->all_ns ? row : row + 1,
               tt->fixed * sizeof *tt->line);
        size_t n_more = certlc_output_extra_cells(
            &o->out, json_array_get(items, i), tt->more, 0);
        memcpy(tt->line + tt->fixed, tt->more, n_more * sizeof *tt->line);
        certlc_table_add(tt->t, tt->line);
        for (size_t k = 0; k < n_more; k++)
            free(tt->more[k]);
    }
}

/* Prints the tenants shown: as objects, as the table, or kubectl's "No
 * resources found". Returns the exit code. */
static int print_tcps(const get_opts *o, bool table, const tcp_table *tt,
                      json_t *items, size_t shown)
{
    int rc = 0;
    if (!table) {
        if (shown > 0 || o->n_names != 1)
            rc = print_objects(o, items, o->n_names == 1 && shown == 1,
                               "tenantcontrolplane.kamaji.clastix.io");
    } else if (shown > 0 || (o->watch && o->n_names == 0)) {
        certlc_table_print(tt->t, stdout);
    } else if (o->n_names == 0) {
        fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
    }
    return rc;
}

static int get_tcp(certlc_cli *c, const get_opts *o)
{
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    bool table = o->out.kind == CERTLC_OUT_TABLE ||
                 o->out.kind == CERTLC_OUT_WIDE;
    if (o->watch && !table) {
        certlc_cli_close(c);
        return certlc_cli_usage("get", "get tcp -w prints the table only");
    }
    /* get_tcp_watch.c prints rows of the fixed columns only. */
    size_t extra = certlc_output_extra_columns(&o->out);
    if (o->watch && extra > 0) {
        certlc_cli_close(c);
        return certlc_cli_usage("get", "get tcp -w takes no -L or "
                                       "--show-labels");
    }
    tcp_table tt = {0};
    if (tcp_table_new(&tt, o, extra) != 0) {
        tcp_table_free(&tt);
        certlc_cli_close(c);
        fprintf(stderr, "certlc: out of memory\n");
        return CERTLC_EXIT_FAIL;
    }
    shown_tcp *rows = calloc(c->cfg->n_tenants + 1, sizeof *rows);
    void **order = calloc(c->cfg->n_tenants + 1, sizeof *order);
    json_t *items = json_array();
    size_t shown = load_tcps(c, o, rows, order, items);
    certlc_err serr;
    if (certlc_output_sort(&o->out, items, order, &serr) != 0) {
        fprintf(stderr, "certlc: %s\n", serr.msg);
        rc = CERTLC_EXIT_FAIL;
    }
    add_tcp_rows(&tt, o, order, shown, items);
    free(rows);
    free(order);
    if (rc == 0) /* else --sort-by failed: said above */
        rc = print_tcps(o, table, &tt, items, shown);
    json_decref(items);
    fflush(stdout);
    /* After the ones found, as kubectl reports the names it did not find;
     * it does not watch then either. */
    if (report_missing_tcp(c, o) > 0)
        rc = CERTLC_EXIT_FAIL;
    else if (o->watch && rc == 0)
        rc = certlc_tcp_watch(c, tt.t, o->all_ns ? NULL : o->ns);
    tcp_table_free(&tt);
    certlc_cli_close(c);
    return rc;
}

static int get_parse(get_opts *o, int argc, char **argv);
static int get_run(certlc_cli *c, get_opts *op, int argc, char **argv);

int certlc_cmd_get(certlc_cli *c, int argc, char **argv)
{
    if (certlc_get_is_events(argc, argv)) /* cmd_events.c */
        return certlc_cmd_get_events(c, argc, argv);
    if (certlc_get_is_leader(argc, argv)) /* cmd_leader.c */
        return certlc_cmd_get_leader(c, argc, argv);
    get_opts o = {.ns = "default"};
    certlc_output_init(&o.out);
    int rc = get_parse(&o, argc, argv);
    if (rc < 0)
        rc = get_run(c, &o, argc, argv);
    certlc_output_fini(&o.out);
    return rc;
}

/* Parses the options into O; returns -1 to go on, else an exit code. */
static int get_parse(get_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"selector", required_argument, NULL, 'l'},
        CERTLC_OUTPUT_LONGOPTS,
        {"watch", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int opt;
    certlc_err err;
    /* Options may come after the resource and the names, as with kubectl. */
    while ((opt = getopt_long(argc, argv, "n:Al:o:L:wh", opts, NULL)) != -1) {
        int taken = certlc_output_option(&o->out, opt, optarg, &err);
        if (taken < 0)
            return certlc_cli_usage("get", "%s", err.msg);
        if (taken > 0)
            continue;
        switch (opt) {
        case 'n': o->ns = optarg; break;
        case 'A': o->all_ns = true; break;
        case 'l': o->selector = optarg; break;
        case 'w': o->watch = true; break;
        case 'h':
            fputs(usage_head, stdout);
            fputs(certlc_output_usage, stdout);
            return CERTLC_EXIT_OK;
        default: return certlc_cli_usage("get", "bad option");
        }
    }
    return -1;
}

static int get_run(certlc_cli *c, get_opts *op, int argc, char **argv)
{
    get_opts o = *op;
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
    if (is_secret_resource(resource)) {
        if (o.watch && o.out.kind != CERTLC_OUT_TABLE &&
            o.out.kind != CERTLC_OUT_WIDE)
            return certlc_cli_usage("get", "get secrets -w prints the table "
                                           "only");
        return get_secrets(c, &o, o.n_names == 1);
    }
    if (is_tcp_resource(resource))
        return get_tcp(c, &o);
    return certlc_cli_usage("get", "unknown resource '%s' (use secrets, "
                                   "tcp or events)", resource);
}
