/* Durations (duration.c), as written in certlc.ini. Anything parsed must
 * parse the same when written back as days, hours, minutes and seconds,
 * and as seconds alone; the AGE and RESIDUAL TIME columns take any
 * value of either sign. */
#include <inttypes.h>

#include "duration.h"
#include "fuzz.h"

static void reparse(const char *text, int64_t want)
{
    certlc_err err;
    int64_t got = 0;
    FUZZ_CHECK(certlc_duration_parse(text, &got, &err) == 0,
               "\"%s\" does not parse: %s", text, err.msg);
    FUZZ_CHECK(got == want, "\"%s\" is %" PRId64 "s, not %" PRId64 "s", text,
               got, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    certlc_err err;
    int64_t secs = 0;
    int rc = certlc_duration_parse(text, &secs, &err);
    free(text);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(secs > 0, "accepted a duration of %" PRId64 "s", secs);
    char buf[128];
    long long d = secs / 86400, h = secs % 86400 / 3600,
              m = secs % 3600 / 60, s = secs % 60;
    int n = 0;
    if (d > 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%lldd", d);
    if (h > 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%lldh", h);
    if (m > 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%lldm", m);
    if (s > 0)
        snprintf(buf + n, sizeof buf - (size_t)n, "%llds", s);
    reparse(buf, secs);
    snprintf(buf, sizeof buf, "%" PRId64 "s", secs);
    reparse(buf, secs);
    char col[32];
    certlc_duration_age(secs, col, sizeof col);
    certlc_duration_age(-secs, col, sizeof col);
    certlc_duration_residual(secs, col, sizeof col);
    certlc_duration_residual(-secs, col, sizeof col);
    return 0;
}
