/* natscli: a small NATS client on libnats (nats.c) for the integration
 * tests: a readiness probe (NATS 2.9 sends INFO in clear before TLS, so
 * openssl s_client cannot tell), and the "real client" that logs in with a
 * tenant's datastore Secrets.
 *
 *   natscli -s tls://127.0.0.1:PORT -ca CA [-cert CRT -key KEY]
 *           [-user U -pass-file F] [-host NAME] COMMAND [ARGS]
 *   COMMAND: ping | kv-status BUCKET | kv-put BUCKET KEY VALUE
 *            | kv-get BUCKET KEY
 * Exit 0 on success; otherwise the library's words on stderr, exit 1.
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (cap + 4096) * 2;
            char *n = realloc(buf, cap);
            if (n == NULL)
                exit(2);
            buf = n;
        }
        size_t r = fread(buf + len, 1, 4096, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int fail(const char *what, natsStatus s)
{
    natsStatus ls;
    const char *text = nats_GetLastError(&ls);
    fprintf(stderr, "natscli: %s: %s%s%s\n", what, natsStatus_GetText(s),
            text && *text ? ": " : "", text ? text : "");
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: natscli -s URL -ca CA [-cert CRT -key KEY] "
                    "[-user U -pass-file F] [-host NAME] ping|kv-status B|"
                    "kv-put B K V|kv-get B K\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *ca = NULL, *cert = NULL, *key = NULL;
    const char *user = NULL, *passf = NULL, *hostname = "localhost";
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "-s") == 0) url = v;
        else if (strcmp(o, "-ca") == 0) ca = v;
        else if (strcmp(o, "-cert") == 0) cert = v;
        else if (strcmp(o, "-key") == 0) key = v;
        else if (strcmp(o, "-user") == 0) user = v;
        else if (strcmp(o, "-pass-file") == 0) passf = v;
        else if (strcmp(o, "-host") == 0) hostname = v;
        else usage();
    }
    if (url == NULL || i >= argc)
        usage();
    const char *cmd = argv[i];
    char **args = argv + i + 1;
    int nargs = argc - i - 1;

    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    char *pem_ca = ca ? slurp(ca) : NULL;
    char *pem_cert = cert ? slurp(cert) : NULL;
    char *pem_key = key ? slurp(key) : NULL;
    char *pass = NULL;
    if (passf != NULL) {
        pass = slurp(passf);
        pass[strcspn(pass, "\r\n")] = '\0';
    }
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 3000);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
    if (s == NATS_OK) s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && pem_ca) s = natsOptions_SetCATrustedCertificates(opts, pem_ca);
    if (s == NATS_OK && pem_cert && pem_key)
        s = natsOptions_SetCertificatesChain(opts, pem_cert, pem_key);
    if (s == NATS_OK && hostname) s = natsOptions_SetExpectedHostname(opts, hostname);
    if (s == NATS_OK && user) s = natsOptions_SetUserInfo(opts, user, pass);
    if (s != NATS_OK)
        return fail("options", s);
    s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK)
        return fail("connect", s);
    int rc = 0;
    if (strcmp(cmd, "ping") == 0) {
        s = natsConnection_Flush(nc);
        if (s != NATS_OK)
            rc = fail("flush", s);
    } else if (nargs >= 1) {
        s = natsConnection_JetStream(&js, nc, NULL);
        if (s == NATS_OK)
            s = js_KeyValue(&kv, js, args[0]);
        if (s != NATS_OK) {
            rc = fail("bucket", s);
        } else if (strcmp(cmd, "kv-status") == 0) {
            kvStatus *st = NULL;
            s = kvStore_Status(&st, kv);
            if (s != NATS_OK)
                rc = fail("status", s);
            else
                printf("bucket %s values %llu\n", kvStatus_Bucket(st),
                       (unsigned long long)kvStatus_Values(st));
            kvStatus_Destroy(st);
        } else if (strcmp(cmd, "kv-put") == 0 && nargs == 3) {
            uint64_t rev = 0;
            s = kvStore_PutString(&rev, kv, args[1], args[2]);
            if (s != NATS_OK)
                rc = fail("put", s);
        } else if (strcmp(cmd, "kv-get") == 0 && nargs == 2) {
            kvEntry *e = NULL;
            s = kvStore_Get(&e, kv, args[1]);
            if (s != NATS_OK)
                rc = fail("get", s);
            else
                printf("%s\n", kvEntry_ValueString(e));
            kvEntry_Destroy(e);
        } else {
            usage();
        }
    } else {
        usage();
    }
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    free(pem_ca);
    free(pem_cert);
    free(pem_key);
    free(pass);
    nats_Close();
    return rc;
}
