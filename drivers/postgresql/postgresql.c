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
#include "../common/drvutil.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (!certlc_drv_split_endpoint(ep, h, sizeof h, port, sizeof port)) {
        *rc = certlc_drv_errf(err, CERTLC_DRV_ERROR,
                              "endpoint \"%s\" is not host:port", ep);
        return NULL;
    }
    certlc_drv_memfile ca, cert, key;
    if (certlc_drv_memfile_open(&ca, "certlc-ca", cr->ca, cr->ca_len) != 0 ||
        certlc_drv_memfile_open(&cert, "certlc-cert", cr->cert,
                                cr->cert_len) != 0 ||
        certlc_drv_memfile_open(&key, "certlc-key", cr->key,
                                cr->key_len) != 0) {
        certlc_drv_memfile_close(&ca);
        certlc_drv_memfile_close(&cert);
        *rc = certlc_drv_errf(err, CERTLC_DRV_ERROR,
                              "cannot hand the TLS material to "
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
    certlc_drv_memfile_close(&ca);
    certlc_drv_memfile_close(&cert);
    certlc_drv_memfile_close(&key);
    if (c != NULL && PQstatus(c) == CONNECTION_OK)
        return c;
    char words[600];
    *rc = certlc_drv_errf(
        err, answered ? CERTLC_DRV_ERROR : CERTLC_DRV_UNREACHABLE,
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
    certlc_drv_tally tried;
    certlc_drv_tally_init(&tried);
    for (size_t i = 0; i < ds->n_endpoints; i++) {
        PGconn *c = connect_one(in, ds->endpoints[i], &cr, rc, err);
        if (c != NULL)
            return c;
        certlc_drv_tally_add(&tried, ds->endpoints[i], *rc, err->msg);
    }
    *rc = certlc_drv_tally_fail(&tried, err);
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
        certlc_drv_errf(err, CERTLC_DRV_ERROR, "postgresql: %s ...: %s", verb,
                        m);
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
    certlc_drv_pin_library((const void *)(uintptr_t)&PQconnectdbParams);
}

static int pg_init(const certlc_drv_datastore *ds, void **out,
                   certlc_drv_err *err)
{
    if (ds->ca_cert_pem == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs ca_cert: "
            "the postgresql driver verifies the server (verify-full)",
            ds->source, ds->name);
    if (ds->username == NULL || ds->password == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs username "
            "and password_file: the admin that creates databases "
            "and roles",
            ds->source, ds->name);
    long timeout;
    if (certlc_drv_timeout_option(ds, 5, &timeout, err) != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "out of memory");
    in->ds = ds;
    in->timeout = (int)timeout;
    snprintf(in->admin_db, sizeof in->admin_db, "postgres");
    for (size_t i = 0; i < ds->n_options; i++) {
        const char *k = ds->options[i].key, *v = ds->options[i].value;
        if (strcmp(k, "server_name") == 0) {
            snprintf(in->server_name, sizeof in->server_name, "%s", v);
        } else if (strcmp(k, "admin_database") == 0) {
            snprintf(in->admin_db, sizeof in->admin_db, "%s", v);
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
    else if (certlc_drv_new_password(password, sizeof password) != 0)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "cannot draw a random password");
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
        rc = certlc_drv_errf(err, CERTLC_DRV_ERROR, "postgresql: %s",
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
        rc = certlc_drv_errf(err, CERTLC_DRV_ERROR, "postgresql: %s",
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
    certlc_drv_log_awaiting_external(host, DRIVER, t, reason);
    return CERTLC_DRV_OK;
}

static int pg_verify(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *ca_pem,
                     size_t ca_len, const char *cert_pem, size_t cert_len,
                     const char *key_pem, size_t key_len, certlc_drv_err *err)
{
    const instance *in = p;
    char password[256];
    if (certlc_drv_tenant_password(host, call, t, password, sizeof password,
                                   err) != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    creds cr = {.user = t->user, .password = password, .dbname = t->schema,
                .ca = ca_pem, .ca_len = ca_len, .cert = cert_pem,
                .cert_len = cert_len, .key = key_pem, .key_len = key_len};
    certlc_drv_tally ta;
    certlc_drv_tally_init(&ta);
    for (size_t i = 0; i < in->ds->n_endpoints; i++) {
        const char *ep = in->ds->endpoints[i];
        int rc = CERTLC_DRV_OK;
        certlc_drv_err e = {{0}};
        PGconn *c = connect_one(in, ep, &cr, &rc, &e);
        if (c != NULL) {
            rc = run(c, "SELECT 1", 0, NULL, NULL, &e);
            PQfinish(c);
        }
        certlc_drv_tally_add(&ta, ep, rc, e.msg);
    }
    explicit_bzero(password, sizeof password);
    int rc = certlc_drv_tally_end(&ta, err);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_DEBUG, DRIVER, "%s/%s: %s logged in to %s "
                  "with the tenant's certificate", t->namespace, t->name,
                  t->user, ta.ok);
    return rc;
}

static const certlc_driver driver = {
    CERTLC_DRV_DESCRIPTOR_HEAD,
    .name = DRIVER,
    .version = "1.0.0",
    .mode = CERTLC_DRV_MODE_EXTERNAL,
    .keys = keys,
    .init = pg_init,
    .fini = pg_fini,
    .provision = pg_provision,
    .deprovision = pg_deprovision,
    .rotate = pg_rotate,
    /* The host already checked parse, key match, chain, validity.
     * PostgreSQL with clientcert=verify-ca needs nothing more of the
     * subject. */
    .accept = certlc_drv_accept_any,
    .verify = pg_verify,
};

CERTLC_DRV_DEFINE_ENTRY(host, driver)
