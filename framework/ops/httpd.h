/* The HTTP endpoints of the operator, served by libmicrohttpd:
 *
 *   /metrics  the registry in the Prometheus text format
 *   /healthz  200 "ok" while the process serves
 *   /readyz   200 "ok" when ready() says so, else 503 with its reason
 *
 * The server runs in its own thread (MHD's internal polling thread), not in
 * the engine's poll loop: a reconcile pass may take seconds (RSA key
 * generation, a driver waiting on a datastore), and a liveness probe or a
 * scrape must not wait for it. What the thread reads is the metrics
 * registry (behind its mutex) and whatever ready() reads, which must be
 * safe to call from that thread.
 *
 * Start it after the signals the engine reads through its signalfd are
 * blocked: the thread inherits the mask, so SIGTERM still reaches the
 * signalfd and never the thread. */
#ifndef CERTLC_HTTPD_H
#define CERTLC_HTTPD_H

#include <stddef.h>

#include "err.h"
#include "metrics.h"

/* 0 when ready; otherwise -1 and a reason in why. */
typedef int (*certlc_ready_fn)(void *arg, char *why, size_t size);

typedef struct certlc_httpd certlc_httpd;

/* Listens on `listen` (certlc_listen_parse's ADDRESS:PORT). The registry
 * and arg must outlive the server. NULL with err when the address cannot be
 * bound. */
certlc_httpd *certlc_httpd_start(const char *listen, certlc_metrics *reg,
                                 certlc_ready_fn ready, void *arg,
                                 certlc_err *err);
/* Stops serving (waits for the thread) and frees. NULL is a no-op. */
void certlc_httpd_stop(certlc_httpd *h);

#endif
