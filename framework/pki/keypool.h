/* The key pool: keys generated ahead, in memory only.
 *
 * A background thread at the lowest CPU priority (SCHED_IDLE, else nice
 * 19) keeps `size` keys of one algorithm ready, so that a rotation or the
 * re-creation of a deleted Secret does not wait for an RSA prime search.
 * A key leaves the pool only to be used; the thread then makes another.
 * With the pool full the thread sleeps on a condition variable: no
 * background work at all. Keys are never written anywhere by the pool and
 * are freed with EVP_PKEY_free, which clears the private components
 * (OpenSSL's BN_clear_free); the pool keeps no other copy of them.
 */
#ifndef CERTLC_KEYPOOL_H
#define CERTLC_KEYPOOL_H

#include <stddef.h>

#include "pki.h"

typedef struct certlc_keypool certlc_keypool;

/* The default size for an algorithm: a few for RSA, whose generation takes
 * tenths of a second, none for ECDSA, which takes less than a signature. */
unsigned certlc_keypool_default_size(certlc_key_alg alg);

/* Starts filling a pool of `size` keys of alg. size 0: NULL without error
 * (no pool). NULL with err set when the thread does not start. */
certlc_keypool *certlc_keypool_start(certlc_key_alg alg, unsigned size,
                                     certlc_err *err);

/* A key of alg the caller owns, or NULL when the pool is drained or holds
 * another algorithm (the caller then generates inline). Wakes the filler. */
EVP_PKEY *certlc_keypool_take(certlc_keypool *p, certlc_key_alg alg);

/* Keys ready now. */
size_t certlc_keypool_ready(certlc_keypool *p);

/* Waits until the pool is full (tests, the benchmark). 0, or -1 after
 * timeout_ms. */
int certlc_keypool_wait_full(certlc_keypool *p, int timeout_ms);

/* For tests: the i-th key ready (i < certlc_keypool_ready), still the
 * pool's; NULL past the end. */
EVP_PKEY *certlc_keypool_peek(certlc_keypool *p, size_t i);

/* Stops the thread and frees the keys left. NULL is fine. */
void certlc_keypool_free(certlc_keypool *p);

/* certlc_pki_set_key_source's take over a pool (arg). */
EVP_PKEY *certlc_keypool_source(certlc_key_alg alg, void *arg);

#endif
