/* What the operator tells the people who run it, beside its log: the
 * metrics registry and its HTTP server (metrics.h, httpd.h), the events of
 * every tenant (events.h) and the service manager (sdnotify.h).
 *
 * The engine calls these from its own thread: observer_pass_begin before a
 * tenant's pass, observer_event from the pass's callback, and
 * observer_pass_end after it. At the end of a pass the observer takes the
 * status the pass ended with, reads the tenant's changed certificates back
 * from the store (one get a Secret), sets their metrics, and records the pass's
 * events, each with the serial and notAfter of the certificate before and
 * after.
 *
 * Every function accepts a NULL observer (out of memory at start) and does
 * nothing then. */
#ifndef CERTLC_OBSERVE_H
#define CERTLC_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "reconcile.h"
#include "inventory.h"
#include "runtime.h"

typedef struct certlc_observer certlc_observer;

/* Builds the registry, starts the HTTP server on the configuration's
 * metrics_listen (when not empty; a failure to listen is logged and the
 * operator goes on without it: rotating matters more than being watched),
 * and tells systemd the service is ready. c must outlive the observer. */
certlc_observer *certlc_observer_start(certlc_runtime *c);
/* After SIGHUP swapped c->cfg: the new log format, tenants and datastores
 * that left lose their series, and a changed metrics_listen moves the
 * server. */
void certlc_observer_reload(certlc_observer *o);
/* The registry and the events without the server or systemd: what
 * `run --once` records its rotations with. */
certlc_observer *certlc_observer_new(certlc_runtime *c);
/* Tells systemd the service stops (when started by observer_start), stops
 * the server, frees. */
void certlc_observer_stop(certlc_observer *o);

void certlc_observer_pass_begin(certlc_observer *o, const certlc_tenant *t);
void certlc_observer_event(certlc_observer *o,
                           const certlc_reconcile_event *ev);
/* sts: the status the pass found and the one it left in the store
 * (certlc_reconcile_tenant_status), or NULL to read them from the store. */
void certlc_observer_pass_end(certlc_observer *o, const certlc_tenant *t,
                              const certlc_reconcile_result *res, int rc,
                              const certlc_pass_statuses *sts);

/* One pass over t watched by o (which may be NULL): pass_begin, the pass
 * (certlc_reconcile_tenant_status, reg, cb and arg as there), pass_end with the
 * statuses the pass held, so that neither is decoded again. */
int certlc_observer_run_pass(certlc_observer *o, certlc_store *store,
                             const certlc_config *cfg,
                             certlc_ds_registry *reg, const certlc_tenant *t,
                             certlc_reconcile_cb cb, void *arg,
                             certlc_reconcile_result *res, certlc_err *err);

#endif
