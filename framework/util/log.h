/* Logging to stderr, one line an event: time, level, component, the tenant
 * and Secret it is about, and the message; as text or as one JSON object a
 * line (log_format = json). Never pass key material or passwords: there is
 * no redaction here.
 *
 * Text:  2026-11-30T12:00:00.123Z info  engine: default/alpha: secret "x" ...
 * JSON:  {"time":"2026-11-30T12:00:00.123Z","level":"info","component":
 *         "engine","namespace":"default","tenant":"alpha","secret":"x",
 *         "msg":"..."}
 * In JSON, namespace, tenant and secret are null when a line is about none.
 * A certlc_log message that starts with "<namespace>/<tenant>: " (the
 * convention of the callers that predate certlc_logx) has those two fields
 * filled from that prefix. Lines are written with one call, so lines from
 * several threads or processes never interleave mid-line. */
#ifndef CERTLC_LOG_H
#define CERTLC_LOG_H

#include "err.h"

enum certlc_log_level {
    CERTLC_LOG_DEBUG = 0,
    CERTLC_LOG_INFO,
    CERTLC_LOG_WARN,
    CERTLC_LOG_ERROR,
};

enum certlc_log_format {
    CERTLC_LOG_TEXT = 0,
    CERTLC_LOG_JSON,
};

void certlc_log_set_level(enum certlc_log_level level);
enum certlc_log_level certlc_log_get_level(void);

/* Parses "debug", "info", "warn"/"warning", "error". Returns 0 or -1. */
int certlc_log_level_parse(const char *text, enum certlc_log_level *out);

void certlc_log_set_format(enum certlc_log_format format);
enum certlc_log_format certlc_log_get_format(void);
/* Parses "text" or "json". Returns 0 or -1. */
int certlc_log_format_parse(const char *text, enum certlc_log_format *out);

void certlc_log(enum certlc_log_level level, const char *component,
                const char *fmt, ...) CERTLC_PRINTF(3, 4);

/* A line about one tenant (ns and tenant) and, optionally, one of its
 * Secrets; any of the three may be NULL. In text the line reads
 * "component: ns/tenant: message", as certlc_log callers write it. */
void certlc_logx(enum certlc_log_level level, const char *component,
                 const char *ns, const char *tenant, const char *secret,
                 const char *fmt, ...) CERTLC_PRINTF(6, 7);

/* The line certlc_logx would write, without its newline, into buf; for
 * tests. Returns the length it needed (as snprintf). */
int certlc_log_format_line(char *buf, size_t size, enum certlc_log_format f,
                           long long epoch_ms, enum certlc_log_level level,
                           const char *component, const char *ns,
                           const char *tenant, const char *secret,
                           const char *msg);

#define certlc_debug(c, ...) certlc_log(CERTLC_LOG_DEBUG, c, __VA_ARGS__)
#define certlc_info(c, ...) certlc_log(CERTLC_LOG_INFO, c, __VA_ARGS__)
#define certlc_warn(c, ...) certlc_log(CERTLC_LOG_WARN, c, __VA_ARGS__)
#define certlc_error(c, ...) certlc_log(CERTLC_LOG_ERROR, c, __VA_ARGS__)

#endif
