#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum certlc_log_level current = CERTLC_LOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error"};

void certlc_log_set_level(enum certlc_log_level level)
{
    current = level;
}

enum certlc_log_level certlc_log_get_level(void)
{
    return current;
}

int certlc_log_level_parse(const char *text, enum certlc_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *out = (enum certlc_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = CERTLC_LOG_WARN;
        return 0;
    }
    return -1;
}

void certlc_log(enum certlc_log_level level, const char *component,
                const char *fmt, ...)
{
    if (level < current)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    /* One fprintf for the whole line, so lines from two processes sharing
     * stderr do not interleave mid-line. */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", when, ts.tv_nsec / 1000000L,
            names[level], component, msg);
}
