#include "status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "wipe_alloc.h"

/* src cut to size, as snprintf("%s") would, without its format machinery:
 * a status has a hundred fields to copy, and every pass decodes one. */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src != NULL ? strnlen(src, size - 1) : 0;
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

void certlc_status_set_condition(certlc_tcp_status *st, const char *type,
                                 bool status, const char *reason,
                                 const char *message, int64_t now)
{
    certlc_condition *c = NULL;
    for (size_t i = 0; i < st->n_conditions; i++)
        if (strcmp(st->conditions[i].type, type) == 0)
            c = &st->conditions[i];
    if (c == NULL) {
        if (st->n_conditions == CERTLC_STATUS_MAX_CONDITIONS)
            return;
        c = &st->conditions[st->n_conditions++];
        memset(c, 0, sizeof *c);
        copy(c->type, sizeof c->type, type);
        c->status = !status; /* forces a transition time below */
    }
    if (c->status != status)
        c->last_transition = now;
    c->status = status;
    copy(c->reason, sizeof c->reason, reason);
    copy(c->message, sizeof c->message, message);
}

void certlc_status_clear_condition(certlc_tcp_status *st, const char *type)
{
    for (size_t i = 0; i < st->n_conditions; i++) {
        if (strcmp(st->conditions[i].type, type) == 0) {
            memmove(&st->conditions[i], &st->conditions[i + 1],
                    (st->n_conditions - i - 1) * sizeof st->conditions[0]);
            st->n_conditions--;
            return;
        }
    }
}

const certlc_condition *certlc_status_condition(const certlc_tcp_status *st,
                                                const char *type)
{
    for (size_t i = 0; i < st->n_conditions; i++)
        if (strcmp(st->conditions[i].type, type) == 0)
            return &st->conditions[i];
    return NULL;
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    if (t == 0)
        return json_null();
    certlc_time_rfc3339(t, buf, sizeof buf);
    return json_string(buf);
}

/* The validation records, by Secret name. */
static json_t *validations_json(const certlc_tcp_status *st)
{
    json_t *all = json_object();
    for (size_t i = 0; i < st->n_validations; i++) {
        const certlc_validation *v = &st->validations[i];
        json_object_set_new(
            all, v->name,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
                      "resourceVersion", (json_int_t)v->rv, "data", v->data,
                      "ca", v->ca, "inputs", v->inputs, "stored", v->stored,
                      "notBefore",
                      (json_int_t)v->not_before, "notAfter",
                      (json_int_t)v->not_after, "caNotAfter",
                      (json_int_t)v->ca_not_after, "verdict", v->verdict));
    }
    return all;
}

char *certlc_status_to_json(const certlc_tcp_status *st, certlc_err *err)
{
    json_t *conds = json_array();
    for (size_t i = 0; i < st->n_conditions; i++) {
        const certlc_condition *c = &st->conditions[i];
        json_array_append_new(
            conds, json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", c->type,
                             "status", c->status ? "True" : "False", "reason",
                             c->reason, "message", c->message,
                             "lastTransitionTime",
                             time_json(c->last_transition)));
    }
    json_t *rolled = json_object();
    for (size_t i = 0; i < st->n_rolled; i++)
        json_object_set_new(rolled, st->rolled[i].name,
                            json_string(st->rolled[i].digest));
    json_t *judged = validations_json(st);
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "apiVersion",
        "certlc.io/v1", "kind", "TenantControlPlaneStatus", "phase", st->phase,
        "version", st->version, "creationTimestamp", time_json(st->created),
        "updated", time_json(st->updated), "checksum", st->checksum,
        "lastRollout", time_json(st->last_rollout), "conditions", conds);
    if (root != NULL) {
        json_object_set_new(root, "rolledOut", rolled);
        json_object_set_new(root, "rolloutError",
                            json_string(st->rollout_error));
        if (st->rollout_output[0] != '\0')
            json_object_set_new(root, "rolloutOutput",
                                json_string(st->rollout_output));
        const certlc_ca_rotation_status *r = &st->ca_rotation;
        if (r->phase[0] != '\0')
            json_object_set_new(
                root, "caRotation",
                json_pack("{s:s, s:s, s:o, s:I, s:o, s:s, s:s}", "phase",
                          r->phase, "ca", r->ca, "phaseEnds",
                          time_json(r->phase_ends), "overlapSeconds",
                          (json_int_t)r->overlap, "started",
                          time_json(r->started), "rolledOutPhase", r->rolled,
                          "startedBy", r->deleted ? "deletion" : "request"));
        if (st->n_validations > 0)
            json_object_set_new(root, "validations", judged);
        else
            json_decref(judged);
    } else {
        json_decref(rolled);
        json_decref(judged);
    }
    if (root == NULL) {
        certlc_err_set(err, "cannot build the status JSON");
        return NULL;
    }
    char *dumped = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    /* json_dumps allocates with jansson's allocator (which may be a custom
     * one): hand the caller a copy it can free() like any other string. */
    char *out = dumped != NULL ? strdup(dumped) : NULL;
    certlc_json_free(dumped);
    if (out == NULL)
        certlc_err_set(err, "out of memory");
    return out;
}

static int64_t time_of(json_t *obj, const char *key)
{
    int64_t t = 0;
    const char *s = json_string_value(json_object_get(obj, key));
    if (s != NULL && certlc_time_parse_rfc3339(s, &t) != 0)
        t = 0;
    return t;
}

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

static void validations_from_json(json_t *all, certlc_tcp_status *st)
{
    const char *key;
    json_t *o;
    json_object_foreach(all, key, o) {
        if (st->n_validations == CERTLC_STATUS_MAX_VALIDATIONS)
            break;
        certlc_validation *v = &st->validations[st->n_validations++];
        copy(v->name, sizeof v->name, key);
        v->rv = (uint64_t)json_integer_value(json_object_get(o,
                                                             "resourceVersion"));
        copy(v->data, sizeof v->data, str_of(o, "data"));
        copy(v->ca, sizeof v->ca, str_of(o, "ca"));
        copy(v->inputs, sizeof v->inputs, str_of(o, "inputs"));
        copy(v->stored, sizeof v->stored, str_of(o, "stored"));
        v->not_before = json_integer_value(json_object_get(o, "notBefore"));
        v->not_after = json_integer_value(json_object_get(o, "notAfter"));
        v->ca_not_after = json_integer_value(json_object_get(o,
                                                             "caNotAfter"));
        copy(v->verdict, sizeof v->verdict, str_of(o, "verdict"));
    }
}

int certlc_status_from_json(const char *json, certlc_tcp_status *st,
                            certlc_err *err)
{
    memset(st, 0, sizeof *st);
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return certlc_err_set(err, "status: broken JSON at line %d: %s",
                              jerr.line, jerr.text);
    }
    copy(st->phase, sizeof st->phase, str_of(root, "phase"));
    copy(st->version, sizeof st->version, str_of(root, "version"));
    copy(st->checksum, sizeof st->checksum, str_of(root, "checksum"));
    st->created = time_of(root, "creationTimestamp");
    st->updated = time_of(root, "updated");
    st->last_rollout = time_of(root, "lastRollout");
    json_t *conds = json_object_get(root, "conditions");
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        if (st->n_conditions == CERTLC_STATUS_MAX_CONDITIONS)
            break;
        certlc_condition *d = &st->conditions[st->n_conditions++];
        copy(d->type, sizeof d->type, str_of(c, "type"));
        d->status = strcmp(str_of(c, "status"), "True") == 0;
        copy(d->reason, sizeof d->reason, str_of(c, "reason"));
        copy(d->message, sizeof d->message, str_of(c, "message"));
        d->last_transition = time_of(c, "lastTransitionTime");
    }
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(root, "rolledOut"), key, v) {
        if (st->n_rolled == CERTLC_STATUS_MAX_DIGESTS)
            break;
        certlc_rolled_secret *r = &st->rolled[st->n_rolled++];
        copy(r->name, sizeof r->name, key);
        copy(r->digest, sizeof r->digest, json_string_value(v));
    }
    copy(st->rollout_error, sizeof st->rollout_error,
         str_of(root, "rolloutError"));
    copy(st->rollout_output, sizeof st->rollout_output,
         str_of(root, "rolloutOutput"));
    json_t *rot = json_object_get(root, "caRotation");
    if (json_is_object(rot)) {
        certlc_ca_rotation_status *r = &st->ca_rotation;
        copy(r->phase, sizeof r->phase, str_of(rot, "phase"));
        copy(r->ca, sizeof r->ca, str_of(rot, "ca"));
        copy(r->rolled, sizeof r->rolled, str_of(rot, "rolledOutPhase"));
        r->phase_ends = time_of(rot, "phaseEnds");
        r->started = time_of(rot, "started");
        r->deleted = strcmp(str_of(rot, "startedBy"), "deletion") == 0;
        r->overlap = json_integer_value(json_object_get(rot, "overlapSeconds"));
    }
    validations_from_json(json_object_get(root, "validations"), st);
    json_decref(root);
    return 0;
}

int certlc_status_load(certlc_store *store, const char *ns, const char *tcp,
                       certlc_tcp_status *st, certlc_err *err)
{
    memset(st, 0, sizeof *st);
    char *json = NULL;
    int rc = store->ops->status_get(store, ns, tcp, &json, err);
    if (rc != 0)
        return rc;
    rc = certlc_status_from_json(json, st, err);
    free(json);
    return rc;
}

int certlc_status_save(certlc_store *store, const char *ns, const char *tcp,
                       const certlc_tcp_status *st, certlc_err *err)
{
    char *json = certlc_status_to_json(st, err);
    if (json == NULL)
        return -1;
    int rc = store->ops->status_put(store, ns, tcp, json, err);
    free(json);
    return rc;
}
