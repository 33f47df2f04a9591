/* Leader election among operator replicas on the etcd store.
 *
 * Every `certlc run` on an etcd store campaigns: it holds an etcd lease
 * (TTL leader_lease, kept alive every third of it) and tries a transaction
 * that puts <prefix>/leader with that lease when the key does not exist.
 * The replica whose put succeeded leads until its lease ends; the others
 * try again every second, so one of them takes over within leader_lease
 * (plus a second) of the leader's death.
 *
 * A leader acts only while the last keepalive it sent, plus three quarters
 * of the lease, is in the future: it stops before the server could expire
 * the lease (the server counts from when it received that keepalive). On
 * top of that, the store is fenced with the lease (store_etcd.h), so even a
 * write already under way when the lease ended cannot land.
 *
 * The campaign and the keepalives run in their own thread, so that a long
 * pass (RSA keys) never delays a keepalive.
 */
#ifndef CERTLC_LEADER_H
#define CERTLC_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

typedef struct certlc_leader certlc_leader;

/* Starts campaigning on st (an etcd store) as `identity` (shown by
 * `certlc get leader`). */
certlc_leader *certlc_leader_start(certlc_store *st, const char *identity,
                                   int64_t lease_seconds, certlc_err *err);
/* Becomes readable when this replica gained or lost the leadership;
 * certlc_leader_changed drains it and says whether it leads now. */
int certlc_leader_fd(const certlc_leader *l);
bool certlc_leader_changed(certlc_leader *l);
/* True while this replica leads and its lease is certainly alive. */
bool certlc_leader_acting(certlc_leader *l);
/* Stops campaigning and revokes the lease, so that another replica takes
 * over at once rather than after the lease. NULL is fine. */
void certlc_leader_stop(certlc_leader *l);

/* `certlc get leader` reads the leader key through the store's leader
 * operation (store.h, store_etcd.c). */

#endif
