/* What the leader election and `certlc migrate` need from the etcd
 * store beyond the store interface. */
#ifndef CERTLC_STORE_ETCD_H
#define CERTLC_STORE_ETCD_H

#include <stdbool.h>
#include <stdint.h>

#include "etcd_client.h"
#include "store.h"

/* True when st is an etcd store. */
bool certlc_store_is_etcd(const certlc_store *st);
/* The store's client and key prefix ("/certlc"); NULL for other stores. */
certlc_etcd *certlc_store_etcd_client(certlc_store *st, const char **prefix);

/* Fencing: with a lease set, every write of this store is a transaction
 * that also requires <prefix>/leader to be held by that lease, so a
 * replica that lost the leadership cannot write even one Secret late.
 * 0 removes the fence. Thread-safe. */
void certlc_store_etcd_fence(certlc_store *st, int64_t lease);

#endif
