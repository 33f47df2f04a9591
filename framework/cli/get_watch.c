#include "get_watch.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last row printed for each Secret, so that a deletion shows it. */
typedef struct seen_row {
    char *ns, *name;
    char **cells;
    size_t n;
} seen_row;

typedef struct seen {
    seen_row *rows;
    size_t n;
    size_t columns;
} seen;

static void cells_free(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static seen_row *seen_find(seen *s, const char *ns, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].ns, ns) == 0 &&
            strcmp(s->rows[i].name, name) == 0)
            return &s->rows[i];
    return NULL;
}

static void seen_put(seen *s, const char *ns, const char *name, char **cells,
                     size_t n)
{
    seen_row *r = seen_find(s, ns, name);
    if (r == NULL) {
        seen_row *rows = realloc(s->rows, (s->n + 1) * sizeof *rows);
        if (rows == NULL) {
            cells_free(cells, n);
            return;
        }
        s->rows = rows;
        r = &s->rows[s->n++];
        r->ns = strdup(ns);
        r->name = strdup(name);
    } else {
        cells_free(r->cells, r->n);
    }
    r->cells = cells;
    r->n = n;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rows[i].ns);
        free(s->rows[i].name);
        cells_free(s->rows[i].cells, s->rows[i].n);
    }
    free(s->rows);
}

static bool wanted(const char *name, char **names, int n_names)
{
    if (n_names == 0)
        return true;
    for (int i = 0; i < n_names; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The row of one Secret as it is now (or as last seen, when gone). */
static void secret_changed(certlc_cli *c, const certlc_table *header,
                           seen *s, const char *ns, const char *name,
                           const certlc_selector *sel,
                           certlc_secret_row_fn row, void *ctx)
{
    certlc_secret *sec = NULL;
    certlc_err err;
    int rc = certlc_store_get(c->store, ns, name, &sec, &err);
    if (rc == 0 && sel != NULL && !certlc_selector_match(sel, &sec->labels)) {
        certlc_secret_free(sec);
        return;
    }
    if (rc != 0) {
        /* Deleted (or unreadable): its last row, if it was shown. */
        seen_row *r = seen_find(s, ns, name);
        if (r != NULL && r->cells != NULL) {
            certlc_table_print_row(header, (const char *const *)r->cells,
                                   stdout);
            fflush(stdout);
        }
        return;
    }
    char **cells = calloc(s->columns, sizeof *cells);
    if (cells == NULL) {
        certlc_secret_free(sec);
        return;
    }
    size_t n = row(sec, ctx, cells);
    certlc_secret_free(sec);
    certlc_table_print_row(header, (const char *const *)cells, stdout);
    fflush(stdout);
    seen_put(s, ns, name, cells, n);
}

/* Waits for the store's next events; -1 when the watch ends (said). */
static int next_events(certlc_cli *c, int fd, certlc_store_event *evs,
                       size_t max, size_t *got)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
        return -1;
    certlc_err err;
    if (c->store->ops->watch_read(c->store, evs, max, got, &err) != 0) {
        fprintf(stderr, "certlc: watch: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int certlc_secret_watch(certlc_cli *c, const certlc_table *header,
                        const char *ns, const certlc_selector *sel,
                        char **names, int n_names, certlc_secret_row_fn row,
                        void *ctx)
{
    certlc_err err;
    int fd = c->store->ops->watch_fd(c->store, &err);
    if (fd < 0) {
        fprintf(stderr, "certlc: cannot watch the store: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    /* Each row has the header's cells: the fixed ones plus one per -L
     * label and --show-labels, as many as were asked for. */
    seen s = {.columns = certlc_table_columns(header)};
    /* The rows the listing showed, for deletions that come first. */
    certlc_secret_list l = {0};
    if (certlc_store_list(c->store, ns, sel, &l, &err) == 0)
        for (size_t i = 0; i < l.n; i++) {
            char **cells = calloc(s.columns, sizeof *cells);
            if (cells != NULL && wanted(l.items[i]->name, names, n_names))
                seen_put(&s, l.items[i]->namespace, l.items[i]->name, cells,
                         row(l.items[i], ctx, cells));
            else
                free(cells);
        }
    certlc_secret_list_free(&l);
    for (;;) {
        certlc_store_event evs[64];
        size_t got;
        if (next_events(c, fd, evs, 64, &got) != 0)
            break;
        for (size_t k = 0; k < got; k++) {
            const certlc_store_event *e = &evs[k];
            if (e->overflow || e->status ||
                (ns != NULL && strcmp(e->ns, ns) != 0) ||
                !wanted(e->name, names, n_names))
                continue;
            secret_changed(c, header, &s, e->ns, e->name, sel, row, ctx);
        }
    }
    seen_free(&s);
    return CERTLC_EXIT_FAIL;
}

static bool same_event(const certlc_event *a, const certlc_event *b)
{
    return a->first == b->first && a->last == b->last &&
           a->count == b->count && strcmp(a->ns, b->ns) == 0 &&
           strcmp(a->tenant, b->tenant) == 0 &&
           strcmp(a->reason, b->reason) == 0 &&
           strcmp(a->secret, b->secret) == 0 &&
           strcmp(a->message, b->message) == 0;
}

static bool listed(const certlc_event_list *l, const certlc_event *e)
{
    for (size_t i = 0; i < l->n; i++)
        if (same_event(&l->items[i], e))
            return true;
    return false;
}

static int remember(certlc_event_list *l, const certlc_event *e)
{
    certlc_event *v = realloc(l->items, (l->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    l->items = v;
    l->items[l->n++] = *e;
    return 0;
}

/* One event as a line of `get events`: its table without the header. */
static void print_event(const certlc_event *e, bool all_ns, bool wide)
{
    certlc_event_list one = {(certlc_event *)e, 1};
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m == NULL)
        return;
    certlc_events_print(&one, all_ns, wide, false, m);
    fclose(m);
    const char *nl = buf ? strchr(buf, '\n') : NULL;
    if (nl != NULL)
        fputs(nl + 1, stdout);
    fflush(stdout);
    free(buf);
}

int certlc_events_watch(certlc_cli *c, const char *ns, const char *only,
                        const certlc_event_list *shown, bool wide)
{
    certlc_err err;
    int fd = c->store->ops->watch_fd(c->store, &err);
    if (fd < 0) {
        fprintf(stderr, "certlc: cannot watch the store: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    certlc_event_list printed = {0};
    for (size_t i = 0; i < shown->n; i++)
        remember(&printed, &shown->items[i]);
    for (;;) {
        certlc_store_event evs[64];
        size_t got;
        if (next_events(c, fd, evs, 64, &got) != 0)
            break;
        bool touched = false;
        for (size_t k = 0; k < got; k++)
            touched |= evs[k].overflow || evs[k].status;
        if (!touched)
            continue;
        /* Reload every tenant watched; print what was not yet printed. */
        for (size_t i = 0; i < c->cfg->n_tenants; i++) {
            const certlc_tenant *t = &c->cfg->tenants[i];
            if ((ns != NULL && strcmp(t->namespace, ns) != 0) ||
                (only != NULL && strcmp(t->name, only) != 0))
                continue;
            certlc_event_list l;
            if (certlc_events_load(c->store, t->namespace, t->name, &l,
                                   &err) != 0)
                continue;
            for (size_t k = 0; k < l.n; k++) {
                if (listed(&printed, &l.items[k]))
                    continue;
                print_event(&l.items[k], ns == NULL, wide);
                remember(&printed, &l.items[k]);
            }
            certlc_event_list_free(&l);
        }
    }
    free(printed.items);
    return CERTLC_EXIT_FAIL;
}
