#include "duration.h"

#include <stdio.h>
#include <string.h>

#define MINUTE INT64_C(60)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static int64_t unit_seconds(char c)
{
    switch (c) {
    case 's': return 1;
    case 'm': return MINUTE;
    case 'h': return HOUR;
    case 'd': return DAY;
    default: return 0;
    }
}

int certlc_duration_parse(const char *text, int64_t *seconds, certlc_err *err)
{
    if (text == NULL || *text == '\0')
        return certlc_err_set(err, "invalid duration \"\": empty (write e.g. 24h or 90d)");

    int64_t total = 0;
    const char *p = text;
    while (*p != '\0') {
        if (*p < '0' || *p > '9')
            return certlc_err_set(err, "invalid duration \"%s\": expected a number at '%c'",
                                  text, *p);
        int64_t n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (n > (INT64_MAX - (*p - '0')) / 10)
                return certlc_err_set(err, "invalid duration \"%s\": too large", text);
            n = n * 10 + (*p - '0');
        }
        if (*p == '\0')
            return certlc_err_set(err, "invalid duration \"%s\": missing unit after %lld "
                                  "(use s, m, h or d)", text, (long long)n);
        if (*p == '.' || *p == ',')
            return certlc_err_set(err, "invalid duration \"%s\": fractions are not "
                                  "supported (write e.g. 1h30m)", text);
        int64_t unit = unit_seconds(*p);
        if (unit == 0)
            return certlc_err_set(err, "invalid duration \"%s\": unknown unit '%c' "
                                  "(use s, m, h or d)", text, *p);
        p++;
        if (n > INT64_MAX / unit || total > INT64_MAX - n * unit)
            return certlc_err_set(err, "invalid duration \"%s\": too large", text);
        total += n * unit;
    }
    if (total <= 0)
        return certlc_err_set(err, "invalid duration \"%s\": must be greater than zero", text);
    *seconds = total;
    return 0;
}

/* Follows k8s.io/apimachinery/pkg/util/duration.HumanDuration, except that
 * every negative age prints as "0s" (kubectl prints "<invalid>" below -1s). */
/* "<big><bu>", or "<big><bu><small><su>" when small is not 0: kubectl's
 * two-unit ages ("3m5s", "2h30m", "3d4h", "2y10d"). */
static void two_units(char *buf, size_t size, long long big, char bu,
                      long long small, char su)
{
    if (small == 0)
        snprintf(buf, size, "%lld%c", big, bu);
    else
        snprintf(buf, size, "%lld%c%lld%c", big, bu, small, su);
}

void certlc_duration_age(int64_t seconds, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return;
    if (seconds < 0) {
        snprintf(buf, size, "0s");
        return;
    }
    long long s = (long long)seconds;
    long long minutes = s / 60, hours = s / 3600, days = hours / 24;
    if (s < 2 * 60)
        snprintf(buf, size, "%llds", s);
    else if (minutes < 10)
        two_units(buf, size, minutes, 'm', s % 60, 's');
    else if (minutes < 3 * 60)
        snprintf(buf, size, "%lldm", minutes);
    else if (hours < 8)
        two_units(buf, size, hours, 'h', minutes % 60, 'm');
    else if (hours < 48)
        snprintf(buf, size, "%lldh", hours);
    else if (hours < 24 * 8)
        two_units(buf, size, days, 'd', hours % 24, 'h');
    else if (hours < 24 * 365 * 2)
        snprintf(buf, size, "%lldd", days);
    else if (hours < 24 * 365 * 8)
        two_units(buf, size, days / 365, 'y', days % 365, 'd');
    else
        snprintf(buf, size, "%lldy", hours / 24 / 365);
}

/* Follows duration.ShortHumanDuration, which kubeadm's check-expiration
 * prints: one second of clock skew is tolerated as "0s". */
void certlc_duration_residual(int64_t seconds, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return;
    long long s = (long long)seconds;
    if (s < -1)
        snprintf(buf, size, "<invalid>");
    else if (s < 0)
        snprintf(buf, size, "0s");
    else if (s < 60)
        snprintf(buf, size, "%llds", s);
    else if (s / 60 < 60)
        snprintf(buf, size, "%lldm", s / 60);
    else if (s / 3600 < 24)
        snprintf(buf, size, "%lldh", s / 3600);
    else if (s / 3600 < 24 * 365)
        snprintf(buf, size, "%lldd", s / 3600 / 24);
    else
        snprintf(buf, size, "%lldy", s / 3600 / 24 / 365);
}
