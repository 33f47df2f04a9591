/* Durations as written in certlc.ini, and ages as kubectl prints them. */
#ifndef CERTLC_DURATION_H
#define CERTLC_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Parses a sequence of <number><unit> with units s, m, h, d, as in "90d",
 * "36h", "30m", "1h30m", "87600h". A bare number is an error (the unit must
 * be said). Result in seconds, > 0. Errors quote the text. */
int certlc_duration_parse(const char *text, int64_t *seconds, certlc_err *err);

/* kubectl's AGE column (HumanDuration): "12s", "15m", "3h45m", "2d",
 * "2d5h", "400d", "5y"... Negative ages print as "0s". */
void certlc_duration_age(int64_t seconds, char *buf, size_t size);

/* kubeadm's RESIDUAL TIME column (ShortHumanDuration): "364d", "23h", "9y",
 * "<invalid>" when negative (like kubeadm, -1s is tolerated as clock skew and
 * prints "0s"). */
void certlc_duration_residual(int64_t seconds, char *buf, size_t size);

#endif
