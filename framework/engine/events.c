#include "events.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "wipe_alloc.h"

void certlc_events_doc(const char *tcp, char *buf, size_t size)
{
    snprintf(buf, size, "%s.events", tcp);
}

void certlc_event_init(certlc_event *e, const char *type, const char *reason,
                       const char *ns, const char *tenant, const char *secret,
                       int64_t now)
{
    memset(e, 0, sizeof *e);
    e->first = e->last = now;
    e->count = 1;
    snprintf(e->type, sizeof e->type, "%s", type);
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    snprintf(e->ns, sizeof e->ns, "%s", ns);
    snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
    snprintf(e->secret, sizeof e->secret, "%.255s", secret ? secret : "");
}

void certlc_event_list_free(certlc_event_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool repeats(const certlc_event *a, const certlc_event *b)
{
    return strcmp(a->secret, b->secret) == 0 &&
           strcmp(a->reason, b->reason) == 0 &&
           strcmp(a->type, b->type) == 0 &&
           strcmp(a->message, b->message) == 0 &&
           strcmp(a->new_serial, b->new_serial) == 0 &&
           strcmp(a->old_serial, b->old_serial) == 0;
}

int certlc_event_list_add(certlc_event_list *l, const certlc_event *ev,
                          size_t keep)
{
    /* The latest event about the same Secret. */
    for (size_t i = l->n; i-- > 0;) {
        certlc_event *e = &l->items[i];
        if (strcmp(e->secret, ev->secret) != 0)
            continue;
        if (repeats(e, ev)) {
            e->count += ev->count > 0 ? ev->count : 1;
            e->last = ev->last > ev->first ? ev->last : ev->first;
            return 0;
        }
        break;
    }
    if (keep > 0 && l->n >= keep) {
        size_t drop = l->n - keep + 1;
        memmove(l->items, l->items + drop, (l->n - drop) * sizeof *l->items);
        l->n -= drop;
    }
    certlc_event *v = realloc(l->items, (l->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    l->items = v;
    certlc_event *e = &l->items[l->n++];
    *e = *ev;
    if (e->count == 0)
        e->count = 1;
    if (e->last < e->first)
        e->last = e->first;
    return 0;
}

static json_t *time_json(int64_t t)
{
    if (t == 0)
        return json_null();
    char buf[32];
    certlc_time_rfc3339(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *cert_json(const char *serial, int64_t not_after)
{
    if (serial[0] == '\0' && not_after == 0)
        return json_null();
    return json_pack("{s:s, s:o}", "serial", serial, "notAfter",
                     time_json(not_after));
}

char *certlc_events_to_json(const certlc_event_list *l, certlc_err *err)
{
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < l->n; i++) {
        const certlc_event *e = &l->items[i];
        json_t *o = json_pack(
            "{s:o, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
            "firstTimestamp", time_json(e->first), "lastTimestamp",
            time_json(e->last), "count", (json_int_t)e->count, "type",
            e->type, "reason", e->reason, "cause", e->cause, "namespace",
            e->ns, "tenant", e->tenant, "secret", e->secret, "message",
            e->message, "old", cert_json(e->old_serial, e->old_not_after),
            "new", cert_json(e->new_serial, e->new_not_after));
        if (o == NULL || json_array_append_new(items, o) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    json_t *root = items == NULL ? NULL
                                 : json_pack("{s:s, s:s, s:o}", "apiVersion",
                                             "certlc.io/v1", "kind",
                                             "EventList", "items", items);
    char *dumped = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    /* json_dumps allocates with jansson's allocator (a wiping one in the
     * binary): hand the caller a copy it frees with free(). */
    char *out = dumped != NULL ? strdup(dumped) : NULL;
    certlc_json_free(dumped);
    if (out == NULL)
        certlc_err_set(err, "events: cannot build the JSON (out of memory)");
    return out;
}

static void copy(char *dst, size_t size, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(dst, size, "%s", s != NULL ? s : "");
}

static int64_t time_of(json_t *obj, const char *key)
{
    int64_t t = 0;
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL || certlc_time_parse_rfc3339(s, &t) != 0)
        t = 0;
    return t;
}

int certlc_events_from_json(const char *json, certlc_event_list *out,
                            certlc_err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    json_t *items = json_object_get(root, "items");
    if (root == NULL || !json_is_array(items)) {
        json_decref(root);
        return certlc_err_set(err, "events: not an EventList (line %d: %s)",
                              jerr.line, root == NULL ? jerr.text : "no items");
    }
    size_t n = json_array_size(items);
    out->items = n > 0 ? calloc(n, sizeof *out->items) : NULL;
    if (n > 0 && out->items == NULL) {
        json_decref(root);
        return certlc_err_set(err, "out of memory");
    }
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
        certlc_event *e = &out->items[out->n++];
        e->first = time_of(o, "firstTimestamp");
        e->last = time_of(o, "lastTimestamp");
        json_int_t c = json_integer_value(json_object_get(o, "count"));
        e->count = c > 0 ? (unsigned)c : 1;
        copy(e->type, sizeof e->type, o, "type");
        copy(e->reason, sizeof e->reason, o, "reason");
        copy(e->cause, sizeof e->cause, o, "cause");
        copy(e->ns, sizeof e->ns, o, "namespace");
        copy(e->tenant, sizeof e->tenant, o, "tenant");
        copy(e->secret, sizeof e->secret, o, "secret");
        copy(e->message, sizeof e->message, o, "message");
        json_t *old = json_object_get(o, "old"), *nw = json_object_get(o, "new");
        copy(e->old_serial, sizeof e->old_serial, old, "serial");
        copy(e->new_serial, sizeof e->new_serial, nw, "serial");
        e->old_not_after = time_of(old, "notAfter");
        e->new_not_after = time_of(nw, "notAfter");
    }
    json_decref(root);
    return 0;
}

int certlc_events_load(certlc_store *store, const char *ns, const char *tcp,
                       certlc_event_list *out, certlc_err *err)
{
    memset(out, 0, sizeof *out);
    char doc[128];
    certlc_events_doc(tcp, doc, sizeof doc);
    char *json = NULL;
    int rc = certlc_store_status_get(store, ns, doc, &json, err);
    if (rc == CERTLC_NOTFOUND)
        return 0;
    if (rc != 0)
        return -1;
    rc = certlc_events_from_json(json, out, err);
    free(json);
    return rc;
}

int certlc_events_record(certlc_store *store, const char *ns, const char *tcp,
                         const certlc_event *evs, size_t n, certlc_err *err)
{
    if (n == 0)
        return 0;
    certlc_event_list l;
    if (certlc_events_load(store, ns, tcp, &l, err) != 0) {
        /* A broken document is replaced rather than blocking the trail. */
        memset(&l, 0, sizeof l);
    }
    for (size_t i = 0; i < n; i++) {
        if (certlc_event_list_add(&l, &evs[i], CERTLC_EVENTS_KEEP) != 0) {
            certlc_event_list_free(&l);
            return certlc_err_set(err, "out of memory");
        }
    }
    char *json = certlc_events_to_json(&l, err);
    certlc_event_list_free(&l);
    if (json == NULL)
        return -1;
    char doc[128];
    certlc_events_doc(tcp, doc, sizeof doc);
    int rc = certlc_store_status_put(store, ns, doc, json, err);
    free(json);
    return rc;
}
