#include "secret_write.h"

#include "kamaji.h"
#include "timefmt.h"

/* Whose the Secret is, as Kamaji labels it. */
static int plan_labels(certlc_secret *s, const char *tenant,
                       const certlc_item *item)
{
    int rc = certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_NAME, tenant);
    rc |= certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_COMPONENT,
                                item->suffix);
    rc |= certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_MANAGED_BY, "certlc");
    if (item->lifecycle != NULL)
        rc |= certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_LIFECYCLE,
                                    item->lifecycle);
    else
        certlc_kvlist_del(&s->labels, CERTLC_LABEL_LIFECYCLE);
    return rc;
}

/* When and why it was rotated; a rotate request is fulfilled by this very
 * write: an empty rotate annotation becomes the time, as Kamaji writes it. */
static int rotation_annotations(certlc_secret *s, const char *reason,
                                int64_t now)
{
    char when[32];
    certlc_time_rfc3339(now, when, sizeof when);
    int rc = certlc_kvlist_set_str(&s->annotations, CERTLC_ANNOTATION_ROTATED,
                                   when);
    rc |= certlc_kvlist_set_str(&s->annotations, CERTLC_ANNOTATION_REASON,
                                reason != NULL ? reason : "");
    rc |= certlc_kamaji_rotation_done(&s->annotations, now);
    return rc;
}

int certlc_secret_write_tenant(certlc_store *store, certlc_secret *s,
                               const certlc_secret_write *w, certlc_err *err)
{
    int bad = 0;
    if (w->item != NULL)
        bad |= plan_labels(s, w->tenant, w->item) |
               rotation_annotations(s, w->reason, w->now);
    bad |= certlc_kamaji_metadata(s);
    if (bad != 0)
        return certlc_err_set(err, "out of memory");
    int rc;
    if (w->update) {
        rc = certlc_store_update(store, s, err);
    } else {
        if (w->unreadable) {
            rc = certlc_store_remove(store, s->namespace, s->name, err);
            if (rc < 0)
                return rc;
        }
        rc = certlc_store_create(store, s, err);
    }
    if (rc == CERTLC_CONFLICT || rc == CERTLC_NOTFOUND) {
        certlc_err_set(err, "%s/%s changed while it was written", s->namespace,
                       s->name);
        return CERTLC_CONFLICT;
    }
    return rc == 0 ? 0 : -1;
}
