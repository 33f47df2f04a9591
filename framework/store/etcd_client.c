/* Etcd's v3 JSON gateway over libcurl. See etcd_client.h. */
#include "etcd_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "wipe_alloc.h"
#include "wipe_buf.h"

#define COMPONENT "etcd"
#define POOL_MAX 8
#define CONNECT_TIMEOUT_MS 2000
/* A Secret is at most 1 MiB; a page of a listing holds a few hundred. */
#define MAX_RESPONSE ((size_t)512 << 20)

struct certlc_etcd {
    char **endpoints;
    size_t n;
    char *ca_cert, *client_cert, *client_key;
    char *username, *password; /* password: cleansed on free */
    pthread_mutex_t mu;        /* guards everything below */
    size_t cur;                /* the endpoint that answered last */
    char token[512];           /* "" until authenticated */
    CURL *pool[POOL_MAX];
    size_t npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *xdup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int read_password(const char *path, char **out, certlc_err *err)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return certlc_err_set(err, "[store.etcd] password_file %s: %s", path,
                              strerror(errno));
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    *out = strdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    if (*out == NULL)
        return certlc_err_set(err, "out of memory");
    if (**out == '\0')
        return certlc_err_set(err, "[store.etcd] password_file %s is empty",
                              path);
    return 0;
}

certlc_etcd *certlc_etcd_new(const certlc_etcd_config *cfg, certlc_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    if (cfg->n_endpoints == 0) {
        certlc_err_set(err, "etcd: no endpoints configured");
        return NULL;
    }
    certlc_etcd *c = calloc(1, sizeof *c);
    if (c == NULL || (c->endpoints = calloc(cfg->n_endpoints, sizeof(char *))) == NULL) {
        free(c);
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->n = cfg->n_endpoints;
    for (size_t i = 0; i < c->n; i++)
        if ((c->endpoints[i] = strdup(cfg->endpoints[i])) == NULL)
            goto oom;
    c->ca_cert = xdup(cfg->ca_cert);
    c->client_cert = xdup(cfg->client_cert);
    c->client_key = xdup(cfg->client_key);
    c->username = xdup(cfg->username);
    if ((cfg->ca_cert && !c->ca_cert) || (cfg->client_cert && !c->client_cert) ||
        (cfg->client_key && !c->client_key) || (cfg->username && !c->username))
        goto oom;
    if (cfg->username != NULL &&
        read_password(cfg->password_file, &c->password, err) != 0) {
        certlc_etcd_free(c);
        return NULL;
    }
    return c;
oom:
    certlc_etcd_free(c);
    certlc_err_set(err, "out of memory");
    return NULL;
}

void certlc_etcd_free(certlc_etcd *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->endpoints[i]);
    free(c->endpoints);
    free(c->ca_cert);
    free(c->client_cert);
    free(c->client_key);
    free(c->username);
    if (c->password != NULL) {
        OPENSSL_cleanse(c->password, strlen(c->password));
        free(c->password);
    }
    for (size_t i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    OPENSSL_cleanse(c->token, sizeof c->token);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- handles ------------------------------------------------------------ */

static void setup_tls(certlc_etcd *c, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 10L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca_cert != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_cert);
    if (c->client_cert != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
    }
}

static CURL *borrow(certlc_etcd *c)
{
    pthread_mutex_lock(&c->mu);
    CURL *h = c->npool > 0 ? c->pool[--c->npool] : NULL;
    pthread_mutex_unlock(&c->mu);
    if (h == NULL && (h = curl_easy_init()) != NULL)
        setup_tls(c, h);
    return h;
}

static void give_back(certlc_etcd *c, CURL *h)
{
    pthread_mutex_lock(&c->mu);
    if (c->npool < POOL_MAX) {
        c->pool[c->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (h != NULL)
        curl_easy_cleanup(h);
}

void *certlc_etcd_stream_handle(certlc_etcd *c)
{
    CURL *h = curl_easy_init();
    if (h != NULL)
        setup_tls(c, h);
    return h;
}

const char *certlc_etcd_endpoint(certlc_etcd *c, size_t idx)
{
    pthread_mutex_lock(&c->mu);
    const char *ep = c->endpoints[(c->cur + idx) % c->n];
    pthread_mutex_unlock(&c->mu);
    return ep;
}

size_t certlc_etcd_n_endpoints(certlc_etcd *c)
{
    return c->n;
}

/* ---- one request ------------------------------------------------------- */

typedef certlc_wipe_buf body; /* Secrets carry keys */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t add = size * nmemb;
    if ((b->n + add + 1 > b->cap && b->n + add + 1 > MAX_RESPONSE) ||
        certlc_wipe_buf_append(b, ptr, add) != 0)
        return 0;
    return add;
}

enum outcome {
    OK,           /* *out holds the answer */
    ETCD_ERROR,   /* etcd answered with an error: final */
    NEXT,         /* this endpoint failed before the request was sent */
    NEXT_MAYBE,   /* failed after it may have been applied */
    REAUTH,       /* the token is not (or no longer) valid */
};

/* Content-Type, and the token when there is one; auth holds the header
 * line for the caller to cleanse once the request is done. */
static struct curl_slist *post_headers(const char *token, char *auth, size_t authsize)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (token != NULL && token[0] != '\0') {
        snprintf(auth, authsize, "Authorization: %s", token);
        hdr = curl_slist_append(hdr, auth);
    }
    return hdr;
}

/* Sends req and collects the answer in *b; *status and *sent are the HTTP
 * status and the request bytes libcurl issued. The header list, error
 * buffer and request are unhooked afterwards: the handle outlives them. */
static CURLcode perform_post(CURL *h, const char *url, struct curl_slist *hdr,
                             const char *req, long timeout_ms, body *b,
                             char ebuf[CURL_ERROR_SIZE], long *status, long *sent)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, sent);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    return rc;
}

/* A transfer libcurl could not complete: NEXT when the request surely did
 * not reach etcd, NEXT_MAYBE when it may have been applied. */
static enum outcome transfer_failed(const char *ep, CURLcode rc, const char *ebuf,
                                    long status, long sent, body *b,
                                    bool *timed_out, char *why, size_t whysize)
{
    snprintf(why, whysize, "%s: %s", ep, ebuf[0] ? ebuf : curl_easy_strerror(rc));
    /* What came back, read before the buffer is wiped (which zeroes it). */
    bool answered = b->n > 0;
    certlc_wipe_buf_free(b);
    *timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    /* Refused, unresolved, TLS failed, or timed out before a byte of
     * the request went out (libcurl counts what it issued): nothing
     * was sent. */
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                   rc == CURLE_SSL_CONNECT_ERROR ||
                   (rc == CURLE_OPERATION_TIMEDOUT && status == 0 &&
                    !answered && sent == 0)
               ? NEXT
               : NEXT_MAYBE;
}

/* etcd answered j (a JSON object, consumed here) with an error or a status
 * other than 200: which outcome that is, and why. */
static enum outcome etcd_refused(const char *ep, json_t *j, json_t *e, long status,
                                 int *code, bool *timed_out, char *why,
                                 size_t whysize)
{
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (msg == NULL)
        msg = json_string_value(e);
    int gcode = (int)json_integer_value(json_object_get(j, "code"));
    if (code != NULL)
        *code = gcode;
    snprintf(why, whysize, "%s: %s", ep, msg != NULL ? msg : "unknown error");
    /* Unauthenticated: the token expired or the member forgot it. A
     * request without a token is ErrGRPCUserEmpty, InvalidArgument like
     * any bad request: the gateway's body has no other code, so its whole
     * message tells it apart, compared exactly, as etcd's own client does
     * (rpctypes.Error looks the description up in errStringToError). */
    bool reauth = gcode == 16 ||
                  (gcode == 3 && msg != NULL &&
                   strcmp(msg, "etcdserver: user name is empty") == 0);
    json_decref(j); /* msg pointed into it */
    if (reauth)
        return REAUTH;
    /* Unavailable (no leader, request timed out), DeadlineExceeded. */
    if (gcode == 14 || gcode == 4 || status == 503) {
        *timed_out = true;
        return NEXT_MAYBE;
    }
    return ETCD_ERROR;
}

/* *timed_out (may be NULL) tells a timeout apart, from libcurl's error
 * code or etcd's gRPC code, never from the wording of either. */
static enum outcome post(CURL *h, const char *ep,
                         const char *path, const char *req, const char *token,
                         long timeout_ms, json_t **out, int *code,
                         bool *timed_out, char *why, size_t whysize)
{
    bool tmo_scratch;
    if (timed_out == NULL)
        timed_out = &tmo_scratch;
    *timed_out = false;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", ep, path);
    char auth[600];
    struct curl_slist *hdr = post_headers(token, auth, sizeof auth);
    body b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    long status = 0, sent = 0;
    CURLcode rc = perform_post(h, url, hdr, req, timeout_ms, &b, ebuf, &status,
                               &sent);
    curl_slist_free_all(hdr);
    OPENSSL_cleanse(auth, sizeof auth);
    if (rc != CURLE_OK)
        return transfer_failed(ep, rc, ebuf, status, sent, &b, timed_out, why,
                               whysize);
    json_error_t je;
    json_t *j = b.n > 0 ? json_loadb(b.p, b.n, 0, &je) : NULL;
    if (j == NULL || !json_is_object(j)) {
        snprintf(why, whysize, "%s: HTTP %ld with %s", ep, status,
                 b.n == 0 ? "no body" : "a body that is not a JSON object");
        json_decref(j);
        certlc_wipe_buf_free(&b);
        return status >= 500 ? NEXT_MAYBE : ETCD_ERROR;
    }
    certlc_wipe_buf_free(&b);
    json_t *e = json_object_get(j, "error");
    if (status == 200 && e == NULL) {
        *out = j;
        return OK;
    }
    return etcd_refused(ep, j, e, status, code, timed_out, why, whysize);
}

/* Authenticates through endpoint ep; fills c->token. */
static int authenticate(certlc_etcd *c, CURL *h, const char *ep, char *why,
                        size_t whysize)
{
    json_t *req = json_pack("{s:s, s:s}", "name", c->username, "password",
                            c->password);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req); /* jansson copied the password: cleansed below */
    if (text == NULL) {
        snprintf(why, whysize, "out of memory");
        return -1;
    }
    json_t *out = NULL;
    enum outcome o = post(h, ep, "/v3/auth/authenticate", text, NULL,
                          CERTLC_ETCD_TIMEOUT_MS, &out, NULL, NULL, why,
                          whysize);
    certlc_json_free(text); /* wipes */
    if (o != OK)
        return -1;
    const char *tok = json_string_value(json_object_get(out, "token"));
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    if (tok == NULL || strlen(tok) >= sizeof c->token) {
        snprintf(why, whysize, "%s: authentication gave no usable token", ep);
        rc = -1;
    } else {
        snprintf(c->token, sizeof c->token, "%s", tok);
    }
    pthread_mutex_unlock(&c->mu);
    json_decref(out);
    return rc;
}

void certlc_etcd_token_invalidate(certlc_etcd *c)
{
    pthread_mutex_lock(&c->mu);
    c->token[0] = '\0';
    pthread_mutex_unlock(&c->mu);
}

int certlc_etcd_token(certlc_etcd *c, char *buf, size_t size, certlc_err *err)
{
    buf[0] = '\0';
    if (c->username == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    snprintf(buf, size, "%s", c->token);
    pthread_mutex_unlock(&c->mu);
    if (buf[0] != '\0')
        return 0;
    CURL *h = borrow(c);
    if (h == NULL)
        return certlc_err_set(err, "etcd: out of memory");
    char why[CERTLC_ERR_MAX] = "";
    int rc = -1;
    for (size_t i = 0; i < c->n && rc != 0; i++)
        rc = authenticate(c, h, certlc_etcd_endpoint(c, i), why, sizeof why);
    give_back(c, h);
    if (rc != 0)
        return certlc_err_set(err, "etcd: cannot authenticate as \"%s\": %s",
                              c->username, why);
    pthread_mutex_lock(&c->mu);
    snprintf(buf, size, "%s", c->token);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

/* Adds one endpoint's failure to the "; "-separated list the final error
 * gives, cut at the buffer's end. */
static void append_why(char *whys, size_t size, size_t *wl, const char *why)
{
    *wl += (size_t)snprintf(whys + *wl, size - *wl, "%s%s", *wl ? "; " : "", why);
    if (*wl >= size)
        *wl = size - 1;
}

/* The token to send to ep: the one held, or a new one authenticated
 * through ep when none is held. -1 with why when that fails. */
static int endpoint_token(certlc_etcd *c, CURL *h, const char *ep, char *token,
                          size_t tsize, char *why, size_t whysize)
{
    pthread_mutex_lock(&c->mu);
    snprintf(token, tsize, "%s", c->token);
    pthread_mutex_unlock(&c->mu);
    if (token[0] != '\0')
        return 0;
    if (authenticate(c, h, ep, why, whysize) != 0)
        return -1;
    pthread_mutex_lock(&c->mu);
    snprintf(token, tsize, "%s", c->token);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int certlc_etcd_call(certlc_etcd *c, const char *path, json_t *req,
                     json_t **out, long timeout_ms, bool *ambiguous,
                     int *code, certlc_err *err)
{
    *out = NULL;
    if (ambiguous != NULL)
        *ambiguous = false;
    if (code != NULL)
        *code = 0;
    if (timeout_ms <= 0)
        timeout_ms = CERTLC_ETCD_TIMEOUT_MS;
    char *text = json_dumps(req, JSON_COMPACT);
    CURL *h = borrow(c);
    if (text == NULL || h == NULL) {
        certlc_json_free(text);
        if (h != NULL)
            give_back(c, h);
        return certlc_err_set(err, "etcd: out of memory");
    }
    char whys[CERTLC_ERR_MAX] = "";
    size_t wl = 0;
    bool reauthed = false, saw_timeout = false;
    int rc = -1;
    pthread_mutex_lock(&c->mu);
    size_t start = c->cur;
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        size_t idx = (start + i) % c->n;
        const char *ep = c->endpoints[idx];
        char token[512] = "", why[512] = "";
        if (c->username != NULL &&
            endpoint_token(c, h, ep, token, sizeof token, why, sizeof why) != 0) {
            append_why(whys, sizeof whys, &wl, why);
            continue;
        }
        bool timed_out = false;
        enum outcome o = post(h, ep, path, text, token, timeout_ms, out,
                              code, &timed_out, why, sizeof why);
        OPENSSL_cleanse(token, sizeof token);
        if (o == REAUTH && !reauthed) {
            reauthed = true;
            certlc_etcd_token_invalidate(c);
            i--; /* the same endpoint again, with a new token */
            continue;
        }
        if (o == OK) {
            pthread_mutex_lock(&c->mu);
            c->cur = idx;
            pthread_mutex_unlock(&c->mu);
            rc = 0;
            break;
        }
        if (o == ETCD_ERROR || o == REAUTH) {
            rc = certlc_err_set(err, "etcd %s", why);
            break;
        }
        if (o == NEXT_MAYBE && ambiguous != NULL)
            *ambiguous = true;
        saw_timeout |= timed_out;
        append_why(whys, sizeof whys, &wl, why);
        if (i + 1 < c->n)
            certlc_debug(COMPONENT, "%s; trying the next endpoint", why);
    }
    if (rc != 0 && *out == NULL && whys[0] != '\0')
        certlc_err_set(err, "etcd: no endpoint could serve %s: %s%s", path, whys,
                       saw_timeout ? " (has the cluster lost its quorum? a "
                                      "majority of its members must be up)"
                                    : "");
    give_back(c, h);
    certlc_json_free(text);
    return rc;
}

/* ---- JSON helpers ------------------------------------------------------ */

int64_t certlc_etcd_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

char *certlc_etcd_b64(const char *s)
{
    size_t n;
    return certlc_base64_encode(s, strlen(s), &n);
}

char *certlc_etcd_kv_bytes(const json_t *kv, const char *field, size_t *len)
{
    const char *v = json_string_value(json_object_get(kv, field));
    size_t n = 0;
    if (v == NULL) {
        /* An empty value is omitted by the gateway. */
        char *e = json_object_get(kv, "key") != NULL ? calloc(1, 1) : NULL;
        if (len != NULL)
            *len = 0;
        return e;
    }
    char *out = (char *)certlc_base64_decode(v, strlen(v), &n);
    if (len != NULL)
        *len = n;
    return out;
}

char *certlc_etcd_prefix_end_b64(const char *prefix)
{
    size_t n = strlen(prefix);
    char *end = strdup(prefix);
    if (end == NULL || n == 0) {
        free(end);
        return NULL;
    }
    end[n - 1]++; /* prefixes here end in '/', never in 0xff */
    size_t on;
    char *b = certlc_base64_encode(end, n, &on);
    free(end);
    return b;
}
