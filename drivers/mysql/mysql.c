/* The MySQL driver (MariaDB and MySQL servers): each tenant gets a database
 * and a user, through libmariadb (MariaDB Connector/C); rotation mode
 * external, like the postgresql driver.
 *
 * Tenant space: database <schema>; user '<user>'@'%' IDENTIFIED BY the
 * generated password and REQUIRE X509 (a client certificate that the
 * server trusts is needed besides the password); SELECT, INSERT, UPDATE,
 * DELETE, CREATE, ALTER, INDEX on <schema>.*.
 *
 * Facts that shape it:
 *  - every connection sets MYSQL_OPT_SSL_VERIFY_SERVER_CERT: the server's
 *    certificate is checked against the DataStore CA and its host name,
 *    always. Connector/C reads TLS material from files only: the PEM is
 *    handed over as memfd files (/proc/self/fd/N), never written to disk.
 *  - CREATE USER / ALTER USER take no placeholders. The password itself is
 *    never sent: its mysql_native_password hash ("*" + hex SHA1(SHA1(pw)))
 *    is computed here and given as IDENTIFIED BY PASSWORD '<hash>'. Names
 *    are quoted (`` ` `` doubled inside identifiers, literals through
 *    mysql_real_escape_string).
 */
#include <certlc/driver.h>
#include "../common/drvutil.h"
#include <errmsg.h>
#include <mysql.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIVER "mysql"

static const certlc_host *host;

static const char *const keys[] = {"client_cert_secret", "external_timeout",
                                   "timeout", "user_host", NULL};

typedef struct instance {
    const certlc_drv_datastore *ds;
    unsigned timeout;
    char user_host[64]; /* the host part of tenant users: '%' */
} instance;

/* ---- connections -------------------------------------------------------- */

typedef struct creds {
    const char *user, *password, *dbname;
    const char *ca, *cert, *key;
    size_t ca_len, cert_len, key_len;
} creds;

static bool is_unreachable(unsigned e)
{
    return e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
           e == CR_SERVER_GONE_ERROR || e == CR_UNKNOWN_HOST;
}

/* One connection to one endpoint, over TLS with the server verified. */
static MYSQL *connect_one(const instance *in, const char *ep, const creds *cr,
                          int *rc, certlc_drv_err *err)
{
    char h[256], port[16];
    if (!certlc_drv_split_endpoint(ep, h, sizeof h, port, sizeof port)) {
        *rc = certlc_drv_errf(err, CERTLC_DRV_ERROR,
                              "endpoint \"%s\" is not host:port", ep);
        return NULL;
    }
    MYSQL *m = mysql_init(NULL);
    if (m == NULL) {
        *rc =
            certlc_drv_errf(err, CERTLC_DRV_ERROR, "mysql_init: out of memory");
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
        mysql_close(m);
        *rc = certlc_drv_errf(err, CERTLC_DRV_ERROR,
                              "cannot hand the TLS material to "
                              "libmariadb (memfd_create failed)");
        return NULL;
    }
    my_bool yes = 1;
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &in->timeout);
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &in->timeout);
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &in->timeout);
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &yes);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
    if (ca.path[0])
        mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca.path);
    if (cert.path[0])
        mysql_optionsv(m, MYSQL_OPT_SSL_CERT, cert.path);
    if (key.path[0])
        mysql_optionsv(m, MYSQL_OPT_SSL_KEY, key.path);
    MYSQL *ok = mysql_real_connect(m, h, cr->user, cr->password, cr->dbname,
                                   (unsigned)atoi(port), NULL, 0);
    certlc_drv_memfile_close(&ca);
    certlc_drv_memfile_close(&cert);
    certlc_drv_memfile_close(&key);
    if (ok != NULL)
        return m;
    unsigned e = mysql_errno(m);
    *rc = certlc_drv_errf(err, is_unreachable(e) ? CERTLC_DRV_UNREACHABLE
                                                 : CERTLC_DRV_ERROR,
                          "mysql %s: ERROR %u: %s", ep, e, mysql_error(m));
    mysql_close(m);
    return NULL;
}

static MYSQL *connect_admin(const instance *in, int *rc, certlc_drv_err *err)
{
    const certlc_drv_datastore *ds = in->ds;
    creds cr = {.user = ds->username, .password = ds->password,
                .ca = ds->ca_cert_pem, .ca_len = ds->ca_cert_len,
                .cert = ds->client_cert_pem, .cert_len = ds->client_cert_len,
                .key = ds->client_key_pem, .key_len = ds->client_key_len};
    certlc_drv_tally tried;
    certlc_drv_tally_init(&tried);
    for (size_t i = 0; i < ds->n_endpoints; i++) {
        MYSQL *m = connect_one(in, ds->endpoints[i], &cr, rc, err);
        if (m != NULL)
            return m;
        certlc_drv_tally_add(&tried, ds->endpoints[i], *rc, err->msg);
    }
    *rc = certlc_drv_tally_fail(&tried, err);
    return NULL;
}

/* A statement; *rows (when given) receives the number of rows. sql may
 * hold a password hash: messages name only its first word. */
static int run(MYSQL *m, const char *sql, unsigned long *rows,
               certlc_drv_err *err)
{
    if (mysql_real_query(m, sql, (unsigned long)strlen(sql)) != 0) {
        char verb[48];
        snprintf(verb, sizeof verb, "%.*s", (int)strcspn(sql, " "), sql);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "mysql: %s ...: ERROR %u: %s", verb,
                               mysql_errno(m), mysql_error(m));
    }
    MYSQL_RES *r = mysql_store_result(m);
    if (rows != NULL)
        *rows = r ? (unsigned long)mysql_num_rows(r) : 0;
    mysql_free_result(r);
    return CERTLC_DRV_OK;
}

/* `name` with backticks doubled. */
static bool ident(const char *name, char *out, size_t size)
{
    size_t o = 0;
    out[o++] = '`';
    for (const char *p = name; *p; p++) {
        if (o + 3 >= size)
            return false;
        if (*p == '`')
            out[o++] = '`';
        out[o++] = *p;
    }
    out[o++] = '`';
    out[o] = '\0';
    return true;
}

/* 'value', escaped for the connection's character set. */
static bool literal(MYSQL *m, const char *v, char *out, size_t size)
{
    size_t n = strlen(v);
    if (2 * n + 3 > size)
        return false;
    out[0] = '\'';
    unsigned long w = mysql_real_escape_string(m, out + 1, v,
                                               (unsigned long)n);
    if (w == (unsigned long)-1)
        return false;
    out[1 + w] = '\'';
    out[2 + w] = '\0';
    return true;
}

/* mysql_native_password's stored form: "*" + HEX(SHA1(SHA1(password))). */
static int native_hash(const char *pw, char out[42])
{
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned la = 0, lb = 0;
    if (!EVP_Digest(pw, strlen(pw), a, &la, EVP_sha1(), NULL) ||
        !EVP_Digest(a, la, b, &lb, EVP_sha1(), NULL) || lb != 20)
        return -1;
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '*';
    for (unsigned i = 0; i < 20; i++) {
        out[1 + 2 * i] = hex[b[i] >> 4];
        out[2 + 2 * i] = hex[b[i] & 15];
    }
    out[41] = '\0';
    explicit_bzero(a, sizeof a);
    return 0;
}

/* ---- methods ------------------------------------------------------------ */

/* Keeps the client library loaded for the life of the process, whatever
 * happens to this driver: libmariadb keeps state in statics from its first use
 * (mysql_server_init, run once), which unloading would turn into leaks. */
static void pin_library(void)
{
    certlc_drv_pin_library((const void *)(uintptr_t)&mysql_init);
}

static int my_init(const certlc_drv_datastore *ds, void **out,
                   certlc_drv_err *err)
{
    if (ds->ca_cert_pem == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "%s: [datastore %s] needs ca_cert: "
                               "the mysql driver always verifies the server's "
                               "certificate",
                               ds->source, ds->name);
    if (ds->username == NULL || ds->password == NULL)
        return certlc_drv_errf(
            err, CERTLC_DRV_ERROR,
            "%s: [datastore %s] needs username "
            "and password_file: the admin that creates databases "
            "and users",
            ds->source, ds->name);
    long timeout;
    if (certlc_drv_timeout_option(ds, 5, &timeout, err) != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "out of memory");
    in->ds = ds;
    in->timeout = (unsigned)timeout;
    snprintf(in->user_host, sizeof in->user_host, "%%");
    for (size_t i = 0; i < ds->n_options; i++) {
        const char *k = ds->options[i].key, *v = ds->options[i].value;
        if (strcmp(k, "user_host") == 0) {
            snprintf(in->user_host, sizeof in->user_host, "%s", v);
        }
    }
    pin_library();
    *out = in;
    return CERTLC_DRV_OK;
}

static void my_fini(void *p)
{
    free(p);
}

/* 'user'@'host' and `schema` of a tenant. */
static int names(MYSQL *m, const instance *in, const certlc_drv_tenant *t,
                 char *account, size_t asize, char *db, size_t dsize,
                 char *user_lit, size_t usize, certlc_drv_err *err)
{
    char host_lit[160];
    if (!literal(m, t->user, user_lit, usize) ||
        !literal(m, in->user_host, host_lit, sizeof host_lit) ||
        !ident(t->schema, db, dsize))
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "tenant names too long");
    snprintf(account, asize, "%s@%s", user_lit, host_lit);
    return CERTLC_DRV_OK;
}

static int my_provision(void *p, certlc_drv_call *call,
                        const certlc_drv_tenant *t, certlc_drv_dbconfig *out,
                        certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    char password[64], hash[42];
    if (t->password != NULL && *t->password != '\0')
        snprintf(password, sizeof password, "%s", t->password);
    else if (certlc_drv_new_password(password, sizeof password) != 0)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "cannot draw a random password");
    int rc = native_hash(password, hash);
    if (rc != 0) {
        explicit_bzero(password, sizeof password);
        return certlc_drv_errf(err, CERTLC_DRV_ERROR,
                               "cannot hash the password (SHA-1 "
                               "unavailable)");
    }
    MYSQL *m = connect_admin(in, &rc, err);
    if (m == NULL) {
        explicit_bzero(password, sizeof password);
        explicit_bzero(hash, sizeof hash);
        return rc;
    }
    char account[700], db[300], user_lit[600], host_lit[160], sql[2048];
    unsigned long rows = 0;
    rc = names(m, in, t, account, sizeof account, db, sizeof db, user_lit,
               sizeof user_lit, err);
    if (rc == CERTLC_DRV_OK && !literal(m, in->user_host, host_lit,
                                        sizeof host_lit))
        rc = certlc_drv_errf(err, CERTLC_DRV_ERROR, "user_host too long");
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", db);
        rc = run(m, sql, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "SELECT 1 FROM mysql.user WHERE User = %s "
                 "AND Host = %s", user_lit, host_lit);
        rc = run(m, sql, &rows, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "%s USER %s IDENTIFIED BY PASSWORD '%s' "
                 "REQUIRE X509", rows ? "ALTER" : "CREATE", account, hash);
        rc = run(m, sql, NULL, err);
        explicit_bzero(sql, sizeof sql);
        if (rc == CERTLC_DRV_OK && rows == 0)
            host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: created database "
                      "%s and user %s", t->namespace, t->name, t->schema,
                      account);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "GRANT SELECT, INSERT, UPDATE, DELETE, "
                 "CREATE, ALTER, INDEX ON %s.* TO %s", db, account);
        rc = run(m, sql, NULL, err);
    }
    mysql_close(m);
    explicit_bzero(hash, sizeof hash);
    if (rc == CERTLC_DRV_OK) {
        snprintf(out->connection_string, sizeof out->connection_string, "%s",
                 in->ds->endpoints[0]);
        snprintf(out->schema, sizeof out->schema, "%s", t->schema);
        snprintf(out->user, sizeof out->user, "%s", t->user);
        snprintf(out->password, sizeof out->password, "%s", password);
    }
    explicit_bzero(password, sizeof password);
    return rc;
}

static int my_deprovision(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, certlc_drv_err *err)
{
    (void)call;
    const instance *in = p;
    int rc;
    MYSQL *m = connect_admin(in, &rc, err);
    if (m == NULL)
        return rc;
    char account[700], db[300], user_lit[600], host_lit[160], sql[2048];
    unsigned long rows = 0;
    rc = names(m, in, t, account, sizeof account, db, sizeof db, user_lit,
               sizeof user_lit, err);
    if (rc == CERTLC_DRV_OK && !literal(m, in->user_host, host_lit,
                                        sizeof host_lit))
        rc = certlc_drv_errf(err, CERTLC_DRV_ERROR, "user_host too long");
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "SELECT 1 FROM mysql.user WHERE User = %s "
                 "AND Host = %s", user_lit, host_lit);
        rc = run(m, sql, &rows, err);
    }
    if (rc == CERTLC_DRV_OK && rows > 0) {
        snprintf(sql, sizeof sql, "REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s",
                 account);
        rc = run(m, sql, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
        rc = run(m, sql, NULL, err);
    }
    if (rc == CERTLC_DRV_OK) {
        snprintf(sql, sizeof sql, "DROP USER IF EXISTS %s", account);
        rc = run(m, sql, NULL, err);
    }
    mysql_close(m);
    if (rc == CERTLC_DRV_OK)
        host->log(CERTLC_DRV_LOG_INFO, DRIVER, "%s/%s: dropped database %s "
                  "and user %s", t->namespace, t->name, t->schema, account);
    return rc;
}

static int my_rotate(void *p, certlc_drv_call *call,
                     const certlc_drv_tenant *t, const char *reason,
                     certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)err;
    certlc_drv_log_awaiting_external(host, DRIVER, t, reason);
    return CERTLC_DRV_OK;
}

static int my_verify(void *p, certlc_drv_call *call,
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
        MYSQL *m = connect_one(in, ep, &cr, &rc, &e);
        if (m != NULL) {
            rc = run(m, "SELECT 1", NULL, &e);
            mysql_close(m);
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
    .init = my_init,
    .fini = my_fini,
    .provision = my_provision,
    .deprovision = my_deprovision,
    .rotate = my_rotate,
    .accept = certlc_drv_accept_any,
    .verify = my_verify,
};

CERTLC_DRV_DEFINE_ENTRY(host, driver)
