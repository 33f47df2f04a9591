/* Times as Kubernetes writes them: RFC 3339 in UTC, whole seconds. */
#ifndef CERTLC_TIMEFMT_H
#define CERTLC_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-30T12:34:56Z" */
void certlc_time_rfc3339(int64_t t, char *buf, size_t size);
/* Accepts "YYYY-MM-DDTHH:MM:SSZ" (fractions of a second ignored). */
int certlc_time_parse_rfc3339(const char *s, int64_t *t);
/* kubeadm's "Dec 30, 2020 23:36 UTC" */
void certlc_time_kubeadm(int64_t t, char *buf, size_t size);
/* Now, in Unix seconds. */
int64_t certlc_now(void);

#endif
