#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Set once at start and on reload, from the engine's thread; read by every
 * thread. */
static volatile enum certlc_log_level current = CERTLC_LOG_INFO;
static volatile enum certlc_log_format format = CERTLC_LOG_TEXT;

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

void certlc_log_set_format(enum certlc_log_format f)
{
    format = f;
}

enum certlc_log_format certlc_log_get_format(void)
{
    return format;
}

int certlc_log_format_parse(const char *text, enum certlc_log_format *out)
{
    if (strcasecmp(text, "text") == 0)
        *out = CERTLC_LOG_TEXT;
    else if (strcasecmp(text, "json") == 0)
        *out = CERTLC_LOG_JSON;
    else
        return -1;
    return 0;
}

/* Appends to buf[*len] (bounded by size, always NUL-terminated). */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + 1 < size) {
        size_t room = size - 1 - *len;
        memcpy(buf + *len, s, n < room ? n : room);
        buf[*len + (n < room ? n : room)] = '\0';
    }
    *len += n;
}

static void puts_(char *buf, size_t size, size_t *len, const char *s)
{
    put(buf, size, len, s, strlen(s));
}

/* A JSON string (quoted), or null for NULL. Control characters are
 * escaped; bytes >= 0x80 pass through (messages are UTF-8 or ASCII). */
static void put_json(char *buf, size_t size, size_t *len, const char *s)
{
    if (s == NULL) {
        puts_(buf, size, len, "null");
        return;
    }
    put(buf, size, len, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(buf, size, len, "\\\""); break;
        case '\\': puts_(buf, size, len, "\\\\"); break;
        case '\n': puts_(buf, size, len, "\\n"); break;
        case '\r': puts_(buf, size, len, "\\r"); break;
        case '\t': puts_(buf, size, len, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(buf, size, len, esc);
            } else {
                put(buf, size, len, (const char *)p, 1);
            }
        }
    }
    put(buf, size, len, "\"", 1);
}

static bool label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* "<ns>/<tenant>: " at the start of msg, both DNS-1123 labels: the
 * convention of the older callers. Returns the length of the prefix, 0 when
 * there is none. */
static size_t tenant_prefix(const char *msg, char *ns, char *tenant,
                            size_t size)
{
    const char *slash = strchr(msg, '/');
    if (slash == NULL || slash == msg || (size_t)(slash - msg) >= size)
        return 0;
    const char *colon = strstr(slash, ": ");
    if (colon == NULL || colon == slash + 1 ||
        (size_t)(colon - slash - 1) >= size)
        return 0;
    for (const char *p = msg; p < slash; p++)
        if (!label_char(*p))
            return 0;
    for (const char *p = slash + 1; p < colon; p++)
        if (!label_char(*p))
            return 0;
    memcpy(ns, msg, (size_t)(slash - msg));
    ns[slash - msg] = '\0';
    memcpy(tenant, slash + 1, (size_t)(colon - slash - 1));
    tenant[colon - slash - 1] = '\0';
    return (size_t)(colon - msg) + 2;
}

int certlc_log_format_line(char *buf, size_t size, enum certlc_log_format f,
                           long long epoch_ms, enum certlc_log_level level,
                           const char *component, const char *ns,
                           const char *tenant, const char *secret,
                           const char *msg)
{
    time_t sec = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char when[40], ms[8];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ms, sizeof ms, ".%03dZ", (int)(epoch_ms % 1000));
    strcat(when, ms);
    if ((unsigned)level > CERTLC_LOG_ERROR)
        level = CERTLC_LOG_ERROR;
    size_t len = 0;
    if (size > 0)
        buf[0] = '\0';
    if (f == CERTLC_LOG_TEXT) {
        char head[128];
        snprintf(head, sizeof head, "%s %-5s ", when, names[level]);
        puts_(buf, size, &len, head);
        puts_(buf, size, &len, component);
        puts_(buf, size, &len, ": ");
        if (tenant != NULL) {
            if (ns != NULL) {
                puts_(buf, size, &len, ns);
                puts_(buf, size, &len, "/");
            }
            puts_(buf, size, &len, tenant);
            puts_(buf, size, &len, ": ");
        }
        puts_(buf, size, &len, msg);
        return (int)len;
    }
    char pns[64], pten[64];
    if (tenant == NULL && ns == NULL &&
        tenant_prefix(msg, pns, pten, sizeof pns) > 0) {
        ns = pns;
        tenant = pten;
    }
    puts_(buf, size, &len, "{\"time\":");
    put_json(buf, size, &len, when);
    puts_(buf, size, &len, ",\"level\":");
    put_json(buf, size, &len, names[level]);
    puts_(buf, size, &len, ",\"component\":");
    put_json(buf, size, &len, component);
    puts_(buf, size, &len, ",\"namespace\":");
    put_json(buf, size, &len, ns);
    puts_(buf, size, &len, ",\"tenant\":");
    put_json(buf, size, &len, tenant);
    puts_(buf, size, &len, ",\"secret\":");
    put_json(buf, size, &len, secret);
    puts_(buf, size, &len, ",\"msg\":");
    put_json(buf, size, &len, msg);
    puts_(buf, size, &len, "}");
    return (int)len;
}

static void vlog(enum certlc_log_level level, const char *component,
                 const char *ns, const char *tenant, const char *secret,
                 const char *fmt, va_list ap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* Room for the message with every byte escaped ("\\u0001" is 6). */
    static _Thread_local char line[6 * sizeof msg + 2048];
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
    int n = certlc_log_format_line(line, sizeof line, format, ms, level,
                                   component, ns, tenant, secret, msg);
    if (n >= (int)sizeof line) /* only with absurd tenant or Secret names */
        certlc_log_format_line(line, sizeof line, format, ms, level,
                               component, NULL, NULL, NULL,
                               "(a log line too long to print)");
    /* One fprintf for the whole line, so lines from two processes sharing
     * stderr do not interleave mid-line. */
    fprintf(stderr, "%s\n", line);
}

void certlc_log(enum certlc_log_level level, const char *component,
                const char *fmt, ...)
{
    if (level < current)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, NULL, NULL, NULL, fmt, ap);
    va_end(ap);
}

void certlc_logx(enum certlc_log_level level, const char *component,
                 const char *ns, const char *tenant, const char *secret,
                 const char *fmt, ...)
{
    if (level < current)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, ns, tenant, secret, fmt, ap);
    va_end(ap);
}
