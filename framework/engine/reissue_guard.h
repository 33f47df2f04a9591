/* The guard against reissue loops: how often one Secret was issued again
 * for one reason within the last hour.
 *
 * A pass decides from what it reads; should some future defect make that
 * judgement wrong in a way a new certificate does not fix (the expired CA
 * once did: every pass replaced leaves that could never verify), the
 * engine would reissue forever, quietly. The guard makes such a loop
 * bounded and loud: past the limit the reconciler refuses to issue and
 * the tenant reports Failed with the reason.
 *
 * The counts live in the process (the operator's memory); one `run --once`
 * issues each Secret at most once anyway. Not thread-safe: the engine
 * reconciles from one thread. */
#ifndef CERTLC_REISSUE_GUARD_H
#define CERTLC_REISSUE_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define CERTLC_REISSUE_WINDOW 3600 /* seconds */

/* Records one reissue under key (Secret, reason, ... as the caller
 * composes it) at time now and returns how many the key has had within
 * the window that began with the first of them, this one included; -1
 * when out of memory (the caller goes on: the guard is a safety net). */
int certlc_reissue_guard_note(const char *key, int64_t now);

/* How many reissues of one Secret for one reason a window may take
 * before the guard stops them: CERTLC_REISSUE_LIMIT, and for renewals
 * for age (for_age) as many more as leaf_validity - renew_before allows
 * in a window. */
#define CERTLC_REISSUE_LIMIT 10
int certlc_reissue_guard_limit(int64_t leaf_validity, int64_t renew_before,
                               bool for_age);

/* Forgets every count (tests; the end of the process). */
void certlc_reissue_guard_reset(void);

#endif
