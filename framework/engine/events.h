/* Events: the audit trail of a tenant control plane. Every rotation, CA
 * rotation, rollout and refusal the operator makes is one event, kept in
 * the store beside the tenant's status, the last CERTLC_EVENTS_KEEP a
 * tenant. An event that repeats the one before it for the same Secret (a
 * failure retried with backoff) raises that one's count and last time
 * instead of taking a new place, as Kubernetes does.
 *
 * Kept as a status-like document named "<tcp>.events" through the store's
 * status_get / status_put (a tenant name is a DNS-1123 label and has no
 * dot, so the name never meets a tenant's own status). */
#ifndef CERTLC_EVENTS_H
#define CERTLC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "store.h"

#define CERTLC_EVENTS_KEEP 200

/* Reasons. */
#define CERTLC_EV_PROVISIONED "Provisioned"
#define CERTLC_EV_ROTATED "Rotated"
#define CERTLC_EV_CA_ROTATED "CARotated"
#define CERTLC_EV_CA_EXPIRED "CAExpired" /* Warning: rotated for its end */
#define CERTLC_EV_ROLLED_OUT "RolledOut"
#define CERTLC_EV_ROLLOUT_FAILED "RolloutFailed"
#define CERTLC_EV_FAILED "RotationFailed"
#define CERTLC_EV_REFUSED "Refused"
#define CERTLC_EV_AWAITING "AwaitingExternalPKI"
/* Normal: a CA certlc did not make (a site's own) signs the tenant. */
#define CERTLC_EV_CA_ADOPTED "CAAdopted"
/* Warning: a rotation asked of a provided CA, which certlc never makes. */
#define CERTLC_EV_ROTATION_REFUSED "RotationRefused"

typedef struct certlc_event {
    int64_t first; /* Unix seconds */
    int64_t last;
    unsigned count;
    char type[16];     /* Normal or Warning */
    char reason[32];   /* CERTLC_EV_* */
    char cause[16];    /* deleted|expiring|invalid|spec|ca|manual, or "" */
    char ns[64];
    char tenant[64];
    char secret[256];  /* "" when about the tenant as a whole */
    char message[512];
    char old_serial[84]; /* uppercase hex; "" when unknown */
    char new_serial[84];
    int64_t old_not_after; /* 0 when unknown */
    int64_t new_not_after;
} certlc_event;

typedef struct certlc_event_list {
    certlc_event *items; /* oldest first */
    size_t n;
} certlc_event_list;

void certlc_event_list_free(certlc_event_list *l);

/* A new event at now, seen once: type ("Normal" or "Warning") and reason
 * (CERTLC_EV_*) about tenant ns/tenant, and its Secret (NULL or "": the
 * tenant as a whole); the rest zeroed. */
void certlc_event_init(certlc_event *e, const char *type, const char *reason,
                       const char *ns, const char *tenant, const char *secret,
                       int64_t now);

/* A tenant's events; none stored yet is an empty list and 0. */
int certlc_events_load(certlc_store *store, const char *ns, const char *tcp,
                       certlc_event_list *out, certlc_err *err);
/* Adds n events (merging repeats) and keeps the last CERTLC_EVENTS_KEEP. */
int certlc_events_record(certlc_store *store, const char *ns, const char *tcp,
                         const certlc_event *evs, size_t n, certlc_err *err);

/* Adds ev to l as certlc_events_record would (merging a repeat, dropping
 * the oldest beyond keep). 0 or -1 (out of memory). */
int certlc_event_list_add(certlc_event_list *l, const certlc_event *ev,
                          size_t keep);

/* The document, and back (for tests and `get events -o json`). */
char *certlc_events_to_json(const certlc_event_list *l, certlc_err *err);
int certlc_events_from_json(const char *json, certlc_event_list *out,
                            certlc_err *err);

/* The name of the document of tenant tcp: "<tcp>.events". */
void certlc_events_doc(const char *tcp, char *buf, size_t size);

/* `get events` and `describe tcp`'s table (cmd_events.c): with -A a
 * NAMESPACE column, wide adds serials and notAfter, indent puts two spaces
 * before every line. */
void certlc_events_print(const certlc_event_list *l, bool all_ns, bool wide,
                         bool indent, FILE *out);

#endif
