/* Logging to stderr, one line an event: time, level, component, message.
 * Never pass key material or passwords: there is no redaction here. */
#ifndef CERTLC_LOG_H
#define CERTLC_LOG_H

#include "err.h"

enum certlc_log_level {
    CERTLC_LOG_DEBUG = 0,
    CERTLC_LOG_INFO,
    CERTLC_LOG_WARN,
    CERTLC_LOG_ERROR,
};

void certlc_log_set_level(enum certlc_log_level level);
enum certlc_log_level certlc_log_get_level(void);

/* Parses "debug", "info", "warn"/"warning", "error". Returns 0 or -1. */
int certlc_log_level_parse(const char *text, enum certlc_log_level *out);

void certlc_log(enum certlc_log_level level, const char *component,
                const char *fmt, ...) CERTLC_PRINTF(3, 4);

#define certlc_debug(c, ...) certlc_log(CERTLC_LOG_DEBUG, c, __VA_ARGS__)
#define certlc_info(c, ...) certlc_log(CERTLC_LOG_INFO, c, __VA_ARGS__)
#define certlc_warn(c, ...) certlc_log(CERTLC_LOG_WARN, c, __VA_ARGS__)
#define certlc_error(c, ...) certlc_log(CERTLC_LOG_ERROR, c, __VA_ARGS__)

#endif
