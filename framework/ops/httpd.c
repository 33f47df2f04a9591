#include "httpd.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define COMPONENT "httpd"

struct certlc_httpd {
    struct MHD_Daemon *d;
    certlc_metrics *reg;
    certlc_ready_fn ready;
    void *arg;
    int fd;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    certlc_log(CERTLC_LOG_WARN, COMPONENT, "%s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, char *body, size_t len,
                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (r == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status,
                            const char *msg)
{
    return reply(conn, status, "text/plain; charset=utf-8", (char *)msg,
                 strlen(msg), MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    certlc_httpd *h = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                    "only GET and HEAD\n");
    if (strcmp(url, "/metrics") == 0) {
        size_t len;
        char *body = certlc_metrics_render(h->reg, &len);
        if (body == NULL)
            return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                        "out of memory\n");
        return reply(conn, MHD_HTTP_OK, CERTLC_METRICS_CONTENT_TYPE, body,
                     len, MHD_RESPMEM_MUST_FREE);
    }
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0)
        return text(conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/readyz") == 0) {
        char why[CERTLC_ERR_MAX] = "not ready";
        if (h->ready == NULL || h->ready(h->arg, why, sizeof why) == 0)
            return text(conn, MHD_HTTP_OK, "ok\n");
        char msg[CERTLC_ERR_MAX + 2];
        snprintf(msg, sizeof msg, "%s\n", why);
        return text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    }
    return text(conn, MHD_HTTP_NOT_FOUND,
                "not found: try /metrics, /healthz or /readyz\n");
}

/* The listening socket is made here rather than by MHD so that a refusal
 * (address in use, not an address of this host) says exactly why. */
static int listen_on(const char *listen_addr, certlc_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (certlc_listen_parse(listen_addr, &ss, &len, err) != 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    0);
    if (fd < 0)
        return certlc_err_set(err, "metrics_listen %s: socket: %s",
                              listen_addr, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        return certlc_err_set(err, "metrics_listen %s: cannot listen: %s%s",
                              listen_addr, strerror(e),
                              e == EADDRINUSE ? " (another process has the "
                                                "port: change metrics_listen, "
                                                "or empty it to turn metrics "
                                                "off)"
                                              : "");
    }
    return fd;
}

certlc_httpd *certlc_httpd_start(const char *listen_addr, certlc_metrics *reg,
                                 certlc_ready_fn ready, void *arg,
                                 certlc_err *err)
{
    certlc_httpd *h = calloc(1, sizeof *h);
    if (h == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    h->reg = reg;
    h->ready = ready;
    h->arg = arg;
    h->fd = listen_on(listen_addr, err);
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    h->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, h->fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_END);
    if (h->d == NULL) {
        close(h->fd);
        free(h);
        certlc_err_set(err, "metrics_listen %s: the HTTP server did not start "
                            "(see the log above)",
                       listen_addr);
        return NULL;
    }
    return h;
}

void certlc_httpd_stop(certlc_httpd *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d); /* closes the listening socket it was given */
    free(h);
}
