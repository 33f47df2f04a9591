/* The PostgreSQL driver: each tenant gets a database and a login role in a
 * PostgreSQL server, through libpq; rotation mode external (the tenants'
 * client certificate comes from an external PKI: the host deletes the
 * Secret it is delivered in, awaits the new one, has this driver judge it
 * and verify it against the live server).
 *
 * Tenant space: role <user> (LOGIN, the generated password), database
 * <schema> owned by the role, CONNECT and CREATE on it granted to the role
 * and CONNECT revoked from PUBLIC.
 *
 * Facts that shape it:
 *  - libpq reads TLS material from files only. The PEM the host holds in
 *    memory is handed over as memfd files (/proc/self/fd/N, mode 0600), so
 *    that no key is ever written to a disk.
 *  - CREATE ROLE and ALTER ROLE take no bind parameters. The password is
 *    therefore never sent: PQencryptPasswordConn computes its SCRAM verifier
 *    on this side (what psql's \password does), and only the verifier,
 *    escaped with PQescapeLiteral, appears in the statement. Identifiers go
 *    through PQescapeIdentifier; everything else is a bind parameter.
 *  - sslmode=verify-full always: the server's certificate is checked
 *    against the DataStore CA and the host name (server_name, or the
 *    endpoint's host).
 */
#include <certlc/driver.h>
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRIVER "postgresql"

static const certlc_host *host;

/* client_cert_secret and external_timeout are read by the host (the
 * external flow); the driver declares them so that they are allowed. */
static const char *const keys[] = {"client_cert_secret", "external_timeout",
                                   "server_name", "timeout", "admin_database",
                                   NULL};

typedef struct instance {
    const certlc_drv_datastore *ds;
    char server_name[256]; /* "" : the endpoint's host */
    char admin_db[128];
    int timeout;
} instance;

static int errf(certlc_drv_err *err, int rc, const char *fmt, ...)
    CERTLC_DRIVER_PRINTF(3, 4);
static int errf(certlc_drv_err *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return rc;
}

/* Appends sep (when buf is not empty) and s to buf, truncating. */
static void append(char *buf, size_t size, const char *sep, const char *s)
{
    size_t used = strlen(buf);
    if (used > 0)
        for (; *sep && used + 1 < size; sep++)
            buf[used++] = *sep;
    for (; *s && used + 1 < size; s++)
        buf[used++] = *s;
    buf[used] = '\0';
}

/* ---- PEM in memory as a file name libpq can open ------------------------ */

typedef struct memfile {
    int fd;
    char path[64];
} memfile;

static int memfile_open(memfile *m, const char *name, const char *pem,
                        size_t len)
{
    m->fd = -1;
    m->path[0] = '\0';
    if (pem == NULL)
        return 0;
    m->fd = memfd_create(name, MFD_CLOEXEC);
    if (m->fd < 0)
        return -1;
    /* libpq refuses a key file that group or others may read. */
    if (fchmod(m->fd, 0600) != 0) {
        close(m->fd);
        m->fd = -1;
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(m->fd, pem + off, len - off);
        if (w <= 0) {
            close(m->fd);
            m->fd = -1;
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
    return 0;
}

static void memfile_close(memfile *m)
{
    if (m->fd >= 0) {
        /* Overwrite the pages before they go back. */
        struct stat st;
        if (fstat(m->fd, &st) == 0 && st.st_size > 0) {
            static const char zero[4096];
            off_t left = st.st_size;
            lseek(m->fd, 0, SEEK_SET);
            while (left > 0) {
                size_t n = left > (off_t)sizeof zero ? sizeof zero
                                                      : (size_t)left;
                if (write(m->fd, zero, n) <= 0)
                    break;
                left -= (off_t)n;
            }
        }
        close(m->fd);
    }
    m->fd = -1;
}

/* ---- endpoints, passwords ----------------------------------------------- */

/* "host:port" or "[v6]:port" into host and port. */
static bool split_endpoint(const char *ep, char *h, size_t hsize, char *port,
                           size_t psize)
{
    const char *colon = strrchr(ep, ':');
    if (colon == NULL)
        return false;
    const char *b = ep, *e = colon;
    if (*b == '[' && e > b && e[-1] == ']') {
        b++;
        e--;
    }
    if ((size_t)(e - b) >= hsize || strlen(colon + 1) >= psize)
        return false;
    memcpy(h, b, (size_t)(e - b));
    h[e - b] = '\0';
    snprintf(port, psize, "%s", colon + 1);
    return true;
}

/* 32 characters from [A-Za-z0-9], from the kernel's CSPRNG. */
static int new_password(char *out, size_t size)
{
    static const char set[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    if (size < 33 || getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < sizeof r && o < 32; i++)
        if (r[i] < 248) /* 248 = 4 * 62: no modulo bias */
            out[o++] = set[r[i] % 62];
    while (o < 32) { /* all but impossible: draw again */
        unsigned char c;
        if (getrandom(&c, 1, 0) != 1)
            return -1;
        if (c < 248)
            out[o++] = set[c % 62];
    }
    out[o] = '\0';
    explicit_bzero(r, sizeof r);
    return 0;
}

/* libpq's message without its trailing newline. */
static const char *pq_words(PGconn *c, char *buf, size_t size)
{
    snprintf(buf, size, "%s", c ? PQerrorMessage(c) : "out of memory");
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

/* ---- connections -------------------------------------------------------- */

typedef struct creds {
    const char *user, *password, *dbname;
    const char *ca, *cert, *key;
    size_t ca_len, cert_len, key_len;
} creds;

/* Connects to one endpoint with sslmode=verify-full. Returns the
 * connection, or NULL with err set (CERTLC_DRV_UNREACHABLE in *rc when
 * nothing answered). */
static PGconn *connect_one(const instance *in, const char *ep,
                           const creds *cr, int *rc, certlc_drv_err *err)
{
    char h[256], port[16], tmo[16];
    if (!split_endpoint(ep, h, sizeof h, port, sizeof port)) {
        *rc = errf(err, CERTLC_DRV_ERROR, "endpoint \"%s\" is not host:port",
                   ep);
        return NULL;
    }
    memfile ca, cert, key;
    if (memfile_open(&ca, "certlc-ca", cr->ca, cr->ca_len) != 0 ||
        memfile_open(&cert, "certlc-cert", cr->cert, cr->cert_len) != 0 ||
        memfile_open(&key, "certlc-key", cr->key, cr->key_len) != 0) {
        memfile_close(&ca);
        memfile_close(&cert);
        *rc = errf(err, CERTLC_DRV_ERROR, "cannot hand the TLS material to "
                   "libpq (memfd_create failed)");
        return NULL;
    }
    snprintf(tmo, sizeof tmo, "%d", in->timeout);
    /* host is the name the certificate must carry; hostaddr, when the
     * name is not the endpoint, is where to connect. */
    const char *kw[16], *val[16];
    size_t n = 0;
    kw[n] = "host";
    val[n++] = in->server_name[0] ? in->server_name : h;
    if (in->server_name[0]) {
        kw[n] = "hostaddr";
        val[n++] = h;
    }
    kw[n] = "port"; val[n++] = port;
    kw[n] = "user"; val[n++] = cr->user;
    kw[n] = "dbname"; val[n++] = cr->dbname;
    kw[n] = "sslmode"; val[n++] = "verify-full";
    kw[n] = "connect_timeout"; val[n++] = tmo;
    kw[n] = "application_name"; val[n++] = "certlc";
    if (cr->password != NULL) {
        kw[n] = "password";
        val[n++] = cr->password;
    }
    if (ca.path[0]) { kw[n] = "sslrootcert"; val[n++] = ca.path; }
    if (cert.path[0]) { kw[n] = "sslcert"; val[n++] = cert.path; }
    if (key.path[0]) { kw[n] = "sslkey"; val[n++] = key.path; }
    kw[n] = NULL;
    val[n] = NULL;
    PGconn *c = PQconnectdbParams(kw, val, 0);
    bool answered = true;
    if (c == NULL || PQstatus(c) != CONNECTION_OK)
        answered = PQpingParams(kw, val, 0) != PQPING_NO_RESPONSE;
    memfile_close(&ca);
    memfile_close(&cert);
    memfile_close(&key);
    if (c != NULL && PQstatus(c) == CONNECTION_OK)
        return c;
    char words[600];
    *rc = errf(err, answered ? CERTLC_DRV_ERROR : CERTLC_DRV_UNREACHABLE,
               "postgresql %s: %s", ep, pq_words(c, words, sizeof words));
    PQfinish(c);
    return NULL;
}

/* The admin connection: the first endpoint that answers. */
static PGconn *connect_admin(const instance *in, const char *dbname, int *rc,
                             certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = in->ds;
    creds cr = {.user = ds->username, .password = ds->password,
                .dbname = dbname, .ca = ds->ca_cert_pem,
                .ca_len = ds->ca_cert_len, .cert = ds->client_cert_pem,
                .cert_len = ds->client_cert_len, .key = ds->client_key_pem,
                .key_len = ds->client_key_len};
    char tried[CERTLC_DRV_ERR_MAX] = "";
    bool all_unreachable = true;
    for (size_t i = 0; i < ds->n_endpoints; i++) {
        PGconn *c = connect_one(in, ds->endpoints[i], &cr, rc, err);
        if (c != NULL)
            return c;
        all_unreachable &= *rc == CERTLC_DRV_UNREACHABLE;
        append(tried, sizeof tried, "; ", err->msg);
    }
    *rc = errf(err, all_unreachable ? CERTLC_DRV_UNREACHABLE : CERTLC_DRV_ERROR,
               "%s", tried);
    return NULL;
}

/* Runs a statement with text parameters. Returns CERTLC_DRV_OK and, when
 * rows is given, the number of rows. */
static int run(PGconn *c, const char *sql, int n, const char *const *params,
               int *rows, certlc_drv_err *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char words[600];
        const char *m = r ? PQresultErrorMessage(r) : NULL;
        if (m == NULL || *m == '\0')
            m = pq_words(c, words, sizeof words);
        else {
            snprintf(words, sizeof words, "%s", m);
            size_t l = strlen(words);
            while (l > 0 && words[l - 1] == '\n')
                words[--l] = '\0';
            m = words;
        }
        /* The statement is named by its verb only: it may hold a
         * password verifier. */
        char verb[48];
        snprintf(verb, sizeof verb, "%.*s", (int)strcspn(sql, " \""), sql);
        errf(err, CERTLC_DRV_ERROR, "postgresql: %s ...: %s", verb, m);
        PQclear(r);
        return CERTLC_DRV_ERROR;
    }
    if (rows != NULL)
        *rows = PQntuples(r);
    PQclear(r);
    return CERTLC_DRV_OK;
}

/* ---- methods ------------------------------------------------------------ */

/* Keeps the client library loaded for the life of the process, whatever
 * happens to this driver: libpq keeps state in statics from its first use
 * (its BIO method for sockets, kept in a static), which unloading would turn into leaks. */
static void pin_library(void)
{
    static int pinned;
    Dl_info info;
    if (pinned || dladdr((void *)(uintptr_t)&PQconnectdbParams, &info) == 0 ||
        info.dli_fname == NULL)
        return;
    if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL)
        pinned = 1;
}

static int pg_init(const certlc_drv_datastore *ds, void **out,
                   certlc_drv_err *err)
{
    if (ds->ca_cert_pem == NULL)
        return errf(err, CERTLC_DRV_ERROR, "%s: [datastore %s] needs ca_cert: "
                    "the postgresql driver verifies the server (verify-full)",
                    ds->source, ds->name);
    if (ds->username == NULL || ds->password == NULL)
        return errf(err, CERTLC_DRV_ERROR, "%s: [datastore %s] needs username "
                    "and password_file: the admin that creates databases "
                    "and roles", ds->source, ds->name);
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return errf(err, CERTLC_DRV_ERROR, "out of memory");
    in->ds = ds;
    in->timeout = 5;
    snprintf(in->admin_db, sizeof in->admin_db, "postgres");
    for (size_t i = 0; i < ds->n_options; i++) {
        const char *k = ds->options[i].key, *v = ds->options[i].value;
        if (strcmp(k, "server_name") == 0) {
            snprintf(in->server_name, sizeof in->server_name, "%s", v);
        } else if (strcmp(k, "admin_database") == 0) {
            snprintf(in->admin_db, sizeof in->admin_db, "%s", v);
        } else if (strcmp(k, "timeout") == 0) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end != '\0' || t < 1 || t > 300) {
                free(in);
                return errf(err, CERTLC_DRV_ERROR, "%s: [datastore %s] "
                            "timeout: \"%s\" is not a number of seconds "
                            "(1-300)", ds->source, ds->name, v);
            }
            in->timeout = (int)t;
        }
    }
    pin_library();
    *out = in;
    return CERTLC_DRV_OK;
}

static void pg_fini(void *p)
{
    free(p);
}

static int pg_provision(void *p, certlc_drv_call *call,
                        const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                        certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    char password[64];
    if (t->password != NULL && *t->password != '\0')
        snprintf(password, sizeof password, "%s", t->password);
    else if (new_password(password, sizeof password) != 0)
        return errf(err, CERTLC_DRV_ERROR, "cannot draw a random password");
    int rc;
    PGconn *c = connect_admin(in, in->admin_db, &rc, err);
    if (c == NULL) {
        explicit_bzero(password, sizeof password);
        return rc;
    }
    char *role = PQescapeIdentifier(c, t->user, strlen(t->user));
    char *db = PQescapeIdentifier(c, t->schema, strlen(t->schema));
    char *verifier = PQencryptPasswordConn(c, password, t->user,
                                           "scram-sha-256");
    char *lit = verifier ? PQescapeLiteral(c, verifier, strlen(verifier))
                         : NULL;
    char sql[2048];
    int rows = 0;
    rc = CERTLC_DRV_OK;
    if (role == NULL || db == NULL || lit == NULL) {
        char words[600];
        rc = errf(err, CERTLC_DRV_ERROR, "postgresql: %s",
                  pq_words(c, words, sizeof words));
        goto out;
    }
    const char *user_param[] = {t->user};
    rc = run(c, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, user_param,
             &rows, err);
    if (rc != CERTLC_DRV_OK)
        goto out;
    snprintf(sql, sizeof sql, "%s ROLE %s LOGIN PASSWORD %s",
             rows ? "ALTER" : "CREATE", role, lit);
    rc = run(c, sql, 0, NULL, NULL, err);
    explicit_bzero(sql, sizeof sql);
    if (rc != CERTLC_DRV_OK)
        goto out;
    const char *db_param[] = {t->schema};
    rc = run(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, db_param,
             &rows, err);
    if (rc == CERTLC_DRV_OK && rows == 0) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER %s", db, role);
        rc = run(c, sql, 0, NULL, NULL, err);
        if (rc == CERTLC_DRV_OK)
            host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: created database "
                      "%s owned by role %s", t->namespace, t->name, t->schema,
                      t->user);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "ALTER DATABASE %s OWNER TO %s", db, role);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "GRANT CONNECT, CREATE ON DATABASE %s TO %s",
                 db, role);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "REVOKE ALL ON DATABASE %s FROM PUBLIC", db);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc != CERTLC_DRV_OK)
        goto out;
    snprintf(out->connection_string, sizeof out->connection_string, "%s",
             in->ds->endpoints[0]);
    snprintf(out->schema, sizeof out->schema, "%s", t->schema);
    snprintf(out->user, sizeof out->user, "%s", t->user);
    snprintf(out->password, sizeof out->password, "%s", password);
out:
    explicit_bzero(password, sizeof password);
    if (verifier != NULL) {
        explicit_bzero(verifier, strlen(verifier));
        PQfreemem(verifier);
    }
    if (lit != NULL) {
        explicit_bzero(lit, strlen(lit));
        PQfreemem(lit);
    }
    PQfreemem(role);
    PQfreemem(db);
    PQfinish(c);
    return rc;
}

static int pg_deprovision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    int rc;
    PGconn *c = connect_admin(in, in->admin_db, &rc, err);
    if (c == NULL)
        return rc;
    char *role = PQescapeIdentifier(c, t->user, strlen(t->user));
    char *db = PQescapeIdentifier(c, t->schema, strlen(t->schema));
    char sql[1024];
    int role_rows = 0, db_rows = 0;
    rc = CERTLC_DRV_OK;
    if (role == NULL || db == NULL) {
        char words[600];
        rc = errf(err, CERTLC_DRV_ERROR, "postgresql: %s",
                  pq_words(c, words, sizeof words));
        goto out;
    }
    const char *user_param[] = {t->user}, *db_param[] = {t->schema};
    rc = run(c, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, user_param,
             &role_rows, err);
    if (rc == CERTLC_DRV_OK)
        rc = run(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
                 db_param, &db_rows, err);
    if (rc == CERTLC_DRV_OK && role_rows && db_rows) {
        snprintf(sql, sizeof sql, "REVOKE ALL ON DATABASE %s FROM %s", db,
                 role);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
                 db);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: dropped database %s "
                  "and role %s", t->namespace, t->name, t->schema, t->user);
out:
    PQfreemem(role);
    PQfreemem(db);
    PQfinish(c);
    return rc;
}

/* Mode external: the host puts the delivered Secret's predecessor aside
 * and removes it (it lives in the namespace client_cert_secret names,
 * which only the host reaches). Nothing for the driver to do but say so. */
static int pg_rotate(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *reason,
                     certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)err;
    host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: the datastore certificate "
              "is due (%s): awaiting the external PKI", t->namespace, t->name,
              reason);
    return CERTLC_DRV_OK;
}

/* The host already checked parse, key match, chain, validity. PostgreSQL
 * with clientcert=verify-ca needs nothing more of the subject; a
 * certificate without clientAuth would be refused at the handshake by
 * servers that check it, so say so here. */
static int pg_accept(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *cert_pem,
                     size_t cert_len, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)t;
    if (cert_pem == NULL || cert_len == 0)
        return errf(err, CERTLC_DRV_ERROR, "no certificate");
    return CERTLC_DRV_OK;
}

/* The password of the tenant: its datastore-config's DB_PASSWORD. */
static int tenant_password(certlc_drv_call *call, const certlc_drv_tenant *t,
                           char *out, size_t size, certlc_drv_err *err)
{
    if (t->password != NULL && *t->password != '\0') {
        snprintf(out, size, "%s", t->password);
        return CERTLC_DRV_OK;
    }
    certlc_drv_secret *s = NULL;
    int rc = host->secret_get(call, t->config_secret, &s, err);
    if (rc == CERTLC_DRV_NOTFOUND)
        return errf(err, CERTLC_DRV_ERROR, "%s: no such Secret: the tenant's "
                    "password is unknown", t->config_secret);
    if (rc != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    out[0] = '\0';
    for (size_t i = 0; i < s->n_data; i++)
        if (strcmp(s->data[i].key, "DB_PASSWORD") == 0)
            snprintf(out, size, "%.*s", (int)s->data[i].len,
                     s->data[i].value);
    host->secret_free(s);
    if (out[0] == '\0')
        return errf(err, CERTLC_DRV_ERROR, "%s: no DB_PASSWORD",
                    t->config_secret);
    return CERTLC_DRV_OK;
}

static int pg_verify(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *ca_pem,
                     size_t ca_len, const char *cert_pem, size_t cert_len,
                     const char *key_pem, size_t key_len, certlc_drv_err *err)
{
    const instance *in = p;
    char password[256];
    if (tenant_password(call, t, password, sizeof password, err) !=
        CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    creds cr = {.user = t->user, .password = password, .dbname = t->schema,
                .ca = ca_pem, .ca_len = ca_len, .cert = cert_pem,
                .cert_len = cert_len, .key = key_pem, .key_len = key_len};
    char ok[CERTLC_DRV_ERR_MAX / 2] = "", bad[CERTLC_DRV_ERR_MAX] = "";
    size_t n_ok = 0;
    bool all_unreachable = true;
    for (size_t i = 0; i < in->ds->n_endpoints; i++) {
        const char *ep = in->ds->endpoints[i];
        int rc = CERTLC_DRV_OK;
        certlc_drv_err e = {{0}};
        PGconn *c = connect_one(in, ep, &cr, &rc, &e);
        if (c != NULL) {
            rc = run(c, "SELECT 1", 0, NULL, NULL, &e);
            PQfinish(c);
        }
        if (rc == CERTLC_DRV_OK) {
            append(ok, sizeof ok, ", ", ep);
            n_ok++;
        } else {
            all_unreachable &= rc == CERTLC_DRV_UNREACHABLE;
            append(bad, sizeof bad, "; ", e.msg);
        }
    }
    explicit_bzero(password, sizeof password);
    if (n_ok == in->ds->n_endpoints) {
        host->log(CERTLC_DRV_LOG_DEBUG, DRIVER, "%s/%s: %s logged in to %s "
                  "with the tenant's certificate", t->namespace, t->name,
                  t->user, ok);
        return CERTLC_DRV_OK;
    }
    return errf(err, n_ok == 0 && all_unreachable ? CERTLC_DRV_UNREACHABLE
                                                  : CERTLC_DRV_ERROR,
                "%s", bad);
}

static const certlc_driver driver = {
    .magic = CERTLC_DRIVER_MAGIC,
    .abi_major = CERTLC_DRIVER_ABI_MAJOR,
    .abi_minor = CERTLC_DRIVER_ABI_MINOR,
    .size = sizeof(certlc_driver),
    .name = DRIVER,
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_EXTERNAL,
    .keys = keys,
    .init = pg_init,
    .fini = pg_fini,
    .provision = pg_provision,
    .deprovision = pg_deprovision,
    .rotate = pg_rotate,
    .accept = pg_accept,
    .verify = pg_verify,
};

CERTLC_DRIVER_EXPORT const certlc_driver *certlc_driver_entry(
    const certlc_host *h)
{
    host = h;
    return &driver;
}
