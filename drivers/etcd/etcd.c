/* The etcd driver: tenants' key prefixes, roles and users in an etcd v3
 * cluster, through its JSON gateway over HTTPS with libcurl; rotation mode
 * issue (each tenant gets a client certificate with CN = its etcd user,
 * signed by the DataStore CA through the host).
 *
 * etcd 3.4 facts that shape it:
 *  - with --client-cert-auth and auth enabled, the JSON gateway answers
 *    HTTP 400 ("CommonName of client sending a request against gateway will
 *    be ignored...") to any client certificate with a CN: a CN becomes the
 *    etcd user only over gRPC. The admin connection therefore uses a
 *    CN-less client certificate plus the root user's password: POST
 *    /v3/auth/authenticate gives a token, sent as the Authorization header
 *    (no "Bearer"). Without username/password, the certificate alone.
 *  - keys and values in the JSON are base64.
 *  - a user made with options.no_password can only log in by certificate.
 *
 * Tenant space: role <schema> with READWRITE on [/<schema>/, /<schema>0)
 * (the range end is the prefix with its last byte, '/', incremented), user
 * <schema> with no password, the role granted to the user.
 */
#include <certlc/driver.h>
#include "../common/drvutil.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIVER "etcd"
#define DEFAULT_TIMEOUT 10L

static const certlc_host *host;

static const char *const keys[] = {"timeout", NULL};

typedef struct instance {
    const certlc_drv_datastore *ds; /* valid until fini */
    long timeout;                   /* seconds for one request */
} instance;

/* One method call's connection: a curl handle kept for all its requests,
 * the endpoint that answered, the auth token. */
typedef struct session {
    const instance *in;
    CURL *curl;
    const char *endpoint;
    char token[512];
    /* TLS material for this session: the admin's or the tenant's. */
    const char *ca, *cert, *key;
    size_t ca_len, cert_len, key_len;
} session;

typedef struct buf {
    char *data;
    size_t len;
} buf;

static void wipe(void *p, size_t n)
{
    if (p != NULL)
        explicit_bzero(p, n);
}

static char *b64(const char *in, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    size_t add = size * n;
    if (b->len + add > (4u << 20))
        return 0; /* larger than any answer of these calls */
    char *d = realloc(b->data, b->len + add + 1);
    if (d == NULL)
        return 0;
    memcpy(d + b->len, p, add);
    b->len += add;
    d[b->len] = '\0';
    b->data = d;
    return add;
}

/* Transport failures that mean "nobody answered there", as opposed to an
 * answer we did not like. A server that refuses our client certificate
 * answers in many ways depending on timing (an alert, a reset during or
 * after the handshake, a socket gone before getpeername): all of those
 * are a refusal, not an absence. */
static bool unreachable(CURLcode c, const char *curl_err)
{
    if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_OPERATION_TIMEDOUT)
        return true;
    return c == CURLE_COULDNT_CONNECT &&
           strstr(curl_err, "Failed to connect") != NULL;
}

/* The gateway's words: the JSON "error" (or "message"), else the body. */
static void server_words(const buf *b, char *out, size_t size)
{
    if (b->data == NULL || b->len == 0) {
        snprintf(out, size, "(empty answer)");
        return;
    }
    json_t *j = json_loadb(b->data, b->len, 0, NULL);
    const char *e = NULL;
    if (j != NULL) {
        e = json_string_value(json_object_get(j, "error"));
        if (e == NULL)
            e = json_string_value(json_object_get(j, "message"));
    }
    if (e != NULL) {
        snprintf(out, size, "%s", e);
    } else {
        size_t n = b->len;
        while (n > 0 && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r'))
            n--;
        snprintf(out, size, "%.*s", (int)(n > 400 ? 400 : n), b->data);
    }
    json_decref(j);
}

/* One request to one endpoint. body NULL makes a GET. Returns the CURLcode;
 * *status is the HTTP status. */
static CURLcode request(session *s, const char *ep, const char *path,
                        const char *body, long *status, buf *out,
                        char *curl_err)
{
    char url[600];
    snprintf(url, sizeof url, "https://%s%s", ep, path);
    CURL *c = s->curl;
    curl_easy_reset(c);
    struct curl_blob ca = {(void *)s->ca, s->ca_len, CURL_BLOB_COPY};
    struct curl_blob cert = {(void *)s->cert, s->cert_len, CURL_BLOB_COPY};
    struct curl_blob key = {(void *)s->key, s->key_len, CURL_BLOB_COPY};
    struct curl_slist *h = NULL;
    char auth[600];
    h = curl_slist_append(h, "Content-Type: application/json");
    if (s->token[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: %s", s->token);
        h = curl_slist_append(h, auth);
        wipe(auth, sizeof auth);
    }
    curl_err[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    /* NOSIGNAL stays off: then libcurl ignores SIGPIPE during the transfer,
     * and a server that resets the connection (a refused client
     * certificate) cannot kill the operator. */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->in->timeout);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (s->ca != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    if (s->cert != NULL && s->key != NULL) {
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    if (curl_err[0] == '\0')
        snprintf(curl_err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
    return rc;
}

/* A request to the session's endpoint; the first call picks the first
 * endpoint that answers. Returns CERTLC_DRV_OK with *status and the body in
 * *out (caller frees out->data). */
static int call_any(session *s, const char *path, const char *body,
                    long *status, buf *out, certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = s->in->ds;
    char curl_err[CURL_ERROR_SIZE];
    char tried[CERTLC_DRV_ERR_MAX] = "";
    bool all_unreachable = true;
    for (size_t i = 0; i < ds->n_endpoints; i++) {
        const char *ep = s->endpoint ? s->endpoint : ds->endpoints[i];
        out->data = NULL;
        out->len = 0;
        CURLcode c = request(s, ep, path, body, status, out, curl_err);
        if (c == CURLE_OK) {
            s->endpoint = ep;
            return CERTLC_DRV_OK;
        }
        free(out->data);
        out->data = NULL;
        all_unreachable &= unreachable(c, curl_err);
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s: %s",
                 used ? "; " : "", ep, curl_err);
        if (s->endpoint != NULL)
            break; /* the endpoint chosen for this call went away */
    }
    if (all_unreachable)
        return certlc_drv_errf(err, CERTLC_DRV_UNREACHABLE,
                               "etcd unreachable: %s", tried);
    return certlc_drv_errf(
        err, CERTLC_DRV_ERROR,
        "etcd refused the connection: %s (TLS: "
        "is client_cert signed by a CA that etcd trusts, and is "
        "ca_cert the CA of etcd's server certificate?)",
        tried);
}

/* A gateway call whose answer must be 200, or one of the `ok` error
 * messages (e.g. "already exists" for an idempotent add). *answer, when
 * given, receives the parsed JSON of a 200. */
static int gw(session *s, const char *path, const char *body,
              const char *const *ok, json_t **answer, certlc_drv_err *err)
{
    long status;
    buf b = {0};
    int rc = call_any(s, path, body, &status, &b, err);
    if (rc != CERTLC_DRV_OK)
        return rc;
    if (status == 200) {
        if (answer != NULL)
            *answer = json_loadb(b.data ? b.data : "{}", b.len ? b.len : 2,
                                 0, NULL);
        free(b.data);
        return CERTLC_DRV_OK;
    }
    char words[600];
    server_words(&b, words, sizeof words);
    free(b.data);
    for (size_t i = 0; ok != NULL && ok[i] != NULL; i++)
        if (strstr(words, ok[i]) != NULL)
            return CERTLC_DRV_OK;
    return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                           "etcd https://%s%s: HTTP %ld: %s", s->endpoint, path,
                           status, words);
}

/* JSON string escaping of s into out (for the password: kept off the
 * heap so that it can be wiped). */
static bool json_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (o + 7 >= size)
            return false;
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20) {
            o += (size_t)snprintf(out + o, size - o, "\\u%04x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
    return true;
}

static void session_end(session *s)
{
    if (s->curl != NULL)
        curl_easy_cleanup(s->curl);
    wipe(s->token, sizeof s->token);
    s->curl = NULL;
}

/* Opens an admin session: client certificate, and a token when the
 * datastore has a username and password. */
static int session_admin(session *s, const instance *in, certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = in->ds;
    memset(s, 0, sizeof *s);
    s->in = in;
    s->ca = ds->ca_cert_pem;
    s->ca_len = ds->ca_cert_len;
    s->cert = ds->client_cert_pem;
    s->cert_len = ds->client_cert_len;
    s->key = ds->client_key_pem;
    s->key_len = ds->client_key_len;
    if ((s->curl = curl_easy_init()) == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "curl_easy_init failed");
    if (ds->username == NULL || ds->password == NULL)
        return CERTLC_DRV_OK;
    char user[512], pass[512], body[1100];
    if (!json_escape(ds->username, user, sizeof user) ||
        !json_escape(ds->password, pass, sizeof pass)) {
        wipe(pass, sizeof pass);
        session_end(s);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "datastore '%s': username or "
                               "password too long",
                               ds->name);
    }
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", user,
             pass);
    wipe(pass, sizeof pass);
    json_t *a = NULL;
    int rc = gw(s, "/v3/auth/authenticate", body, NULL, &a, err);
    wipe(body, sizeof body);
    if (rc != CERTLC_DRV_OK) {
        session_end(s);
        return rc;
    }
    const char *tok = json_string_value(json_object_get(a, "token"));
    if (tok == NULL || strlen(tok) >= sizeof s->token) {
        json_decref(a);
        session_end(s);
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "etcd https://%s/v3/auth/"
            "authenticate: no token in the answer (is auth enabled?)",
            s->endpoint);
    }
    snprintf(s->token, sizeof s->token, "%s", tok);
    json_decref(a);
    return CERTLC_DRV_OK;
}

/* A JSON body from jansson, malloc'd here and freed by the caller with
 * free(). json_dumpb writes into our buffer: memory that jansson itself
 * allocates comes from the allocator the host process set with
 * json_set_alloc_funcs (the library is shared), so it must never reach
 * our free(). */
static char *dump(json_t *j)
{
    size_t n = j ? json_dumpb(j, NULL, 0, JSON_COMPACT) : 0;
    char *s = n ? malloc(n + 1) : NULL;
    if (s != NULL) {
        json_dumpb(j, s, n, JSON_COMPACT);
        s[n] = '\0';
    }
    json_decref(j);
    return s;
}

static int post(session *s, const char *path, json_t *body,
                const char *const *ok, certlc_drv_err *err)
{
    char *text = dump(body);
    if (text == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "out of memory");
    int rc = gw(s, path, text, ok, NULL, err);
    free(text);
    return rc;
}

/* The prefix /<schema>/ and its range end /<schema>0, base64. */
static int prefix_b64(const char *schema, char **key, char **end)
{
    char p[600];
    int n = snprintf(p, sizeof p, "/%s/", schema);
    if (n <= 0 || (size_t)n >= sizeof p)
        return -1;
    *key = b64(p, (size_t)n);
    p[n - 1]++; /* '/' + 1 = '0' */
    *end = b64(p, (size_t)n);
    if (*key == NULL || *end == NULL) {
        free(*key);
        free(*end);
        return -1;
    }
    return 0;
}

static const char *const exists[] = {"already exists", NULL};
static const char *const gone[] = {"not found", NULL};

static int ensure_user(session *s, const certlc_drv_tenant *t,
                       certlc_drv_err *err)
{
    int rc = post(s, "/v3/auth/user/add",
                  json_pack("{s:s, s:{s:b}}", "name", t->user, "options",
                            "no_password", 1),
                  exists, err);
    if (rc == CERTLC_DRV_OK)
        rc = post(s, "/v3/auth/user/grant",
                  json_pack("{s:s, s:s}", "user", t->user, "role", t->schema),
                  NULL, err);
    return rc;
}

static int etcd_init(const certlc_drv_datastore *ds, void **out,
                     certlc_drv_err *err)
{
    if (ds->client_cert_pem == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs "
            "client_cert and client_key: the etcd driver connects "
            "with the admin client certificate",
            ds->source, ds->name);
    if ((ds->username == NULL) != (ds->password == NULL))
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "%s: [datastore %s] username and "
                               "password_file go together for etcd's auth",
                               ds->source, ds->name);
    long timeout;
    if (certlc_drv_timeout_option(ds, DEFAULT_TIMEOUT, &timeout, err) !=
        CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "out of memory");
    in->ds = ds;
    in->timeout = timeout;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(in);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "curl_global_init failed");
    }
    *out = in;
    return CERTLC_DRV_OK;
}

static void etcd_fini(void *p)
{
    free(p);
    curl_global_cleanup();
}

static int etcd_provision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                          certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    session s;
    int rc = session_admin(&s, in, err);
    if (rc != CERTLC_DRV_OK)
        return rc;
    char *key = NULL, *end = NULL;
    if (prefix_b64(t->schema, &key, &end) != 0) {
        session_end(&s);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "schema name too long");
    }
    rc = post(&s, "/v3/auth/role/add", json_pack("{s:s}", "name", t->schema),
              exists, err);
    if (rc == CERTLC_DRV_OK)
        rc = post(&s, "/v3/auth/role/grant",
                  json_pack("{s:s, s:{s:s, s:s, s:s}}", "name", t->schema,
                            "perm", "permType", "READWRITE", "key", key,
                            "range_end", end),
                  NULL, err);
    if (rc == CERTLC_DRV_OK)
        rc = ensure_user(&s, t, err);
    free(key);
    free(end);
    session_end(&s);
    if (rc != CERTLC_DRV_OK)
        return rc;
    const certlc_drv_datastore *ds = in->ds;
    size_t used = 0;
    out->connection_string[0] = '\0';
    for (size_t i = 0; i < ds->n_endpoints; i++)
        used += (size_t)snprintf(out->connection_string + used,
                                 used < sizeof out->connection_string
                                     ? sizeof out->connection_string - used
                                     : 0,
                                 "%shttps://%s", i ? "," : "",
                                 ds->endpoints[i]);
    snprintf(out->schema, sizeof out->schema, "%s", t->schema);
    snprintf(out->user, sizeof out->user, "%s", t->user);
    out->password[0] = '\0'; /* certificate only */
    return CERTLC_DRV_OK;
}

static int etcd_deprovision(void *p, certlc_drv_call *call,
                            const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    session s;
    int rc = session_admin(&s, in, err);
    if (rc != CERTLC_DRV_OK)
        return rc;
    char *key = NULL, *end = NULL;
    if (prefix_b64(t->schema, &key, &end) != 0) {
        session_end(&s);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "schema name too long");
    }
    rc = post(&s, "/v3/kv/deleterange",
              json_pack("{s:s, s:s}", "key", key, "range_end", end), NULL,
              err);
    if (rc == CERTLC_DRV_OK)
        rc = post(&s, "/v3/auth/user/delete",
                  json_pack("{s:s}", "name", t->user), gone, err);
    if (rc == CERTLC_DRV_OK)
        rc = post(&s, "/v3/auth/role/delete",
                  json_pack("{s:s}", "role", t->schema), gone, err);
    free(key);
    free(end);
    session_end(&s);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: deleted the keys under "
                  "/%s/, the role and the user %s", t->namespace, t->name,
                  t->schema, t->user);
    return rc;
}

static int etcd_rotate(void *p, certlc_drv_call *call,
                       const certlc_drv_tenant *t, const char *reason,
                       certlc_drv_err *err)
{
    const instance *in = p;
    const certlc_drv_datastore *ds = in->ds;
    if (ds->ca_key_pem == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "[datastore %s] has no ca_key: "
            "the etcd driver signs the tenant's certificate with "
            "the DataStore CA's key",
            ds->name);
    /* The user the certificate stands for exists first. */
    session s;
    int rc = session_admin(&s, in, err);
    if (rc == CERTLC_DRV_OK) {
        rc = ensure_user(&s, t, err);
        session_end(&s);
    }
    if (rc != CERTLC_DRV_OK)
        return rc;
    certlc_drv_cert_req req = {
        .size = sizeof req,
        .ca_cert_pem = ds->ca_cert_pem, .ca_cert_len = ds->ca_cert_len,
        .ca_key_pem = ds->ca_key_pem, .ca_key_len = ds->ca_key_len,
        .cn = t->user, .client_auth = 1, .validity = t->validity,
    };
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    if (certlc_drv_issue(host, call, &req, &cert, &cert_len, &key, &key_len,
                         err) != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    certlc_drv_kv data[] = {
        {"ca.crt", ds->ca_cert_pem, ds->ca_cert_len},
        {"server.crt", cert, cert_len},
        {"server.key", key, key_len},
    };
    certlc_drv_secret sec = {.name = t->certificate_secret, .type = "Opaque",
                             .data = data, .n_data = 3};
    rc = host->secret_put(call, &sec, err);
    host->pem_free(cert, cert_len);
    host->pem_free(key, key_len);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: new client certificate "
                  "for etcd user %s (%s)", t->namespace, t->name, t->user,
                  reason);
    return rc;
}

static int etcd_verify(void *p, certlc_drv_call *call,
                       const certlc_drv_tenant *t, const char *ca_pem,
                       size_t ca_len, const char *cert_pem, size_t cert_len,
                       const char *key_pem, size_t key_len,
                       certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    session s = {.in = in, .ca = ca_pem, .ca_len = ca_len, .cert = cert_pem,
                 .cert_len = cert_len, .key = key_pem, .key_len = key_len};
    if ((s.curl = curl_easy_init()) == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "curl_easy_init failed");
    char ok[CERTLC_DRV_ERR_MAX / 2] = "", bad[CERTLC_DRV_ERR_MAX / 2] = "";
    size_t n_ok = 0;
    bool all_unreachable = true;
    for (size_t i = 0; i < in->ds->n_endpoints; i++) {
        const char *ep = in->ds->endpoints[i];
        char curl_err[CURL_ERROR_SIZE];
        long status = 0;
        buf b = {0};
        /* A TLS handshake with the tenant's certificate, then any answer
         * of the server: /version needs no permission. */
        CURLcode c = request(&s, ep, "/version", NULL, &status, &b, curl_err);
        free(b.data);
        size_t lo = strlen(ok), lb = strlen(bad);
        if (c == CURLE_OK && status == 200) {
            snprintf(ok + lo, sizeof ok - lo, "%s%s", lo ? ", " : "", ep);
            n_ok++;
            continue;
        }
        if (c == CURLE_OK) {
            all_unreachable = false;
            snprintf(bad + lb, sizeof bad - lb, "%s%s: HTTP %ld",
                     lb ? "; " : "", ep, status);
        } else {
            all_unreachable &= unreachable(c, curl_err);
            snprintf(bad + lb, sizeof bad - lb, "%s%s: %s", lb ? "; " : "",
                     ep, curl_err);
        }
    }
    session_end(&s);
    if (n_ok == in->ds->n_endpoints) {
        host->log(CERTLC_DRV_LOG_DEBUG, DRIVER, "%s/%s: the tenant's "
                  "certificate is accepted by %s", t->namespace, t->name, ok);
        return CERTLC_DRV_OK;
    }
    return certlc_drv_errf(
        err,
        n_ok == 0 && all_unreachable ? CERTLC_DRV_UNREACHABLE
                                     : CERTLC_DRV_ERROR,
        "the tenant's certificate was not accepted by %s%s%s", bad,
        n_ok ? " (accepted by " : "", n_ok ? ok : "");
}

static const certlc_driver driver = {
    CERTLC_DRV_DESCRIPTOR_HEAD,
    .name = DRIVER,
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_ISSUE,
    .keys = keys,
    .init = etcd_init,
    .fini = etcd_fini,
    .provision = etcd_provision,
    .deprovision = etcd_deprovision,
    .rotate = etcd_rotate,
    .accept = NULL,
    .verify = etcd_verify,
};

CERTLC_DRV_DEFINE_ENTRY(host, driver)
