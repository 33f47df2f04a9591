/* The worker pool: passes over independent tenants on every core.
 *
 * Tenants share nothing but the process: the store handle, the observer
 * (metrics, events), the log, the datastore drivers. Rather than make each
 * of those safe for concurrent use, a pass runs under one process-wide
 * lock, the pass lock, and lets go of it only where the time goes and
 * nothing shared is touched: key generation and signing in pki.c (the RSA
 * prime search is nearly all of an RSA pass), and the pass's issuing of a
 * Secret's new material (certificates, PEM, kubeconfigs: reconcile.c).
 * So N workers keep N cores busy issuing while the store, the log and the
 * metrics still see one pass at a time, and a tenant is still written by
 * one worker only.
 * The other place a pass lets go is its start, on a store whose reads are
 * safe beside other calls (store.h concurrent_reads): the status is loaded
 * and decoded, and the tenant's Secrets peeked there; the observer reads
 * back what a pass wrote the same way.
 */
#ifndef CERTLC_WORKERS_H
#define CERTLC_WORKERS_H

#include <stddef.h>

typedef struct certlc_workers certlc_workers;

/* The online CPUs (at least 1). */
unsigned certlc_cpu_count(void);

/* A pool of n workers (the calling thread is one of them, so n - 1
 * threads are started). n 0 means certlc_cpu_count(). NULL when out of
 * memory or no thread starts. Create it with the signal mask the workers
 * should have: the threads inherit it. */
certlc_workers *certlc_workers_new(unsigned n);
unsigned certlc_workers_count(const certlc_workers *w);

/* Calls fn(arg, i) once for every i in [0, n), on the workers, and returns
 * when every call has returned. Each call holds the pass lock. With one
 * worker the calls run on the calling thread, in order, without a lock. */
void certlc_workers_run(certlc_workers *w, size_t n,
                        void (*fn)(void *arg, size_t i), void *arg);

/* Brackets a stretch of a call that touches nothing tenants share (not
 * the observer, the metrics, the DataStore registry; the store only for
 * reads where it allows them beside other calls, store.h
 * concurrent_reads): a worker lets go of the pass lock there and takes it
 * back at the end. They nest; outside a worker (one worker, or another
 * thread) they do nothing. */
void certlc_workers_leave_pass(void);
void certlc_workers_enter_pass(void);

/* Ends the threads (between two runs). NULL is fine. */
void certlc_workers_free(certlc_workers *w);

#endif
