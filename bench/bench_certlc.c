/* certlc's own issuance path, in process, timed.
 *
 *   bench_certlc issue CONFIG file|mem [once]
 *       One pass of certlc_reconcile_tenant over every tenant of CONFIG
 *       (the pass that creates every Secret), then, unless `once`, a
 *       second pass over the same store (nothing to do: every Secret is
 *       read and checked). The file store is CONFIG's state_dir; mem is
 *       memstore.c. Prints
 *         tenants= created= failed= wall= cpu= verify_wall= verify_cpu=
 *         unchanged=
 *
 *   bench_certlc pki ecdsa-p256|rsa-2048 COUNT
 *       Issues COUNT leaf certificates (new key, certificate signed by a
 *       CA, certificate and key as PEM) two ways, interleaved in blocks:
 *       certlc_cert_issue + certlc_pem_cert (what reconcile.c does) and
 *       certlc_cert_issue_pem. Prints
 *         count= x509_wall= x509_cpu= pem_wall= pem_cpu=
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "memstore.h"
#include "pki.h"
#include "reconcile.h"
#include "store.h"

static int usage(void)
{
    fprintf(stderr, "usage: bench_certlc issue CONFIG file|mem [once]\n"
                    "       bench_certlc pki ecdsa-p256|rsa-2048 COUNT\n");
    return 2;
}

typedef struct totals {
    size_t created, reissued, unchanged, failed;
} totals;

static int pass(certlc_store *st, const certlc_config *cfg, totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        certlc_reconcile_result res;
        certlc_err err = {{0}};
        if (certlc_reconcile_tenant(st, cfg, &cfg->tenants[i], NULL, NULL,
                                    &res, &err) != 0) {
            fprintf(stderr, "bench_certlc: %s: %s\n", cfg->tenants[i].name,
                    err.msg);
            return -1;
        }
        t->created += res.created;
        t->reissued += res.reissued;
        t->unchanged += res.unchanged;
        t->failed += res.failed;
    }
    return 0;
}

static int cmd_issue(const char *config, const char *kind, bool verify)
{
    certlc_config *cfg;
    certlc_err err = {{0}};
    if (certlc_config_load(config, &cfg, &err) != 0) {
        fprintf(stderr, "bench_certlc: %s\n", err.msg);
        return 1;
    }
    certlc_log_set_level(CERTLC_LOG_ERROR);
    certlc_store *st = strcmp(kind, "mem") == 0
                           ? bench_memstore_open()
                           : certlc_store_file_open(cfg->state_dir, &err);
    if (st == NULL) {
        fprintf(stderr, "bench_certlc: cannot open the store: %s\n", err.msg);
        certlc_config_free(cfg);
        return 1;
    }
    totals t1, t2 = {0, 0, 0, 0};
    double w0 = bench_wall(), c0 = bench_cpu();
    int rc = pass(st, cfg, &t1);
    double w1 = bench_wall(), c1 = bench_cpu();
    if (rc == 0 && verify)
        rc = pass(st, cfg, &t2);
    double w2 = bench_wall(), c2 = bench_cpu();
    if (rc == 0)
        printf("tenants=%zu created=%zu failed=%zu wall=%.6f cpu=%.6f "
               "verify_wall=%.6f verify_cpu=%.6f unchanged=%zu\n",
               cfg->n_tenants, t1.created, t1.failed + t2.failed, w1 - w0,
               c1 - c0, w2 - w1, c2 - c1, t2.unchanged);
    certlc_store_close(st);
    certlc_config_free(cfg);
    return rc == 0 && t1.failed + t2.failed == 0 ? 0 : 1;
}

/* One leaf: key, certificate, both PEMs, the one way or the other. */
static int leaf(certlc_key_alg alg, const certlc_cert_spec *spec, X509 *ca,
                EVP_PKEY *ca_key, int fast)
{
    certlc_err err;
    EVP_PKEY *key = certlc_key_generate(alg, &err);
    if (key == NULL)
        return -1;
    char *pem = NULL;
    size_t len = 0, klen = 0;
    if (fast) {
        pem = certlc_cert_issue_pem(spec, key, ca, ca_key, &len, &err);
    } else {
        X509 *x = certlc_cert_issue(spec, key, ca, ca_key, &err);
        if (x != NULL)
            pem = certlc_pem_cert(x, &len, &err);
        X509_free(x);
    }
    char *kpem = pem ? certlc_pem_private_key(key, &klen, &err) : NULL;
    int rc = kpem != NULL ? 0 : -1;
    free(pem);
    certlc_pem_free(kpem, klen);
    EVP_PKEY_free(key);
    return rc;
}

static int cmd_pki(const char *algname, const char *count)
{
    certlc_key_alg alg;
    long n = atol(count);
    if (certlc_key_alg_parse(algname, &alg) != 0 || n <= 0)
        return usage();
    certlc_err err;
    certlc_cert_spec ca_spec = {.cn = "kubernetes", .is_ca = true,
                                .validity = 87600L * 3600};
    EVP_PKEY *ca_key = certlc_key_generate(alg, &err);
    X509 *ca = ca_key ? certlc_cert_issue(&ca_spec, ca_key, NULL, ca_key, &err)
                      : NULL;
    if (ca == NULL) {
        fprintf(stderr, "bench_certlc: %s\n", err.msg);
        return 1;
    }
    const char *orgs[] = {"kubeadm:cluster-admins"};
    certlc_cert_spec spec = {.cn = "kube-apiserver-kubelet-client",
                             .orgs = orgs, .n_orgs = 1, .client_auth = true,
                             .validity = 8760L * 3600};
    double wall[2] = {0, 0}, cpu[2] = {0, 0};
    long done = 0;
    /* Blocks of 50, alternating, so that both ways see the same noise. */
    while (done < n) {
        long block = n - done < 50 ? n - done : 50;
        for (int fast = 0; fast < 2; fast++) {
            double w0 = bench_wall(), c0 = bench_cpu();
            for (long i = 0; i < block; i++)
                if (leaf(alg, &spec, ca, ca_key, fast) != 0) {
                    fprintf(stderr, "bench_certlc: issuance failed\n");
                    return 1;
                }
            wall[fast] += bench_wall() - w0;
            cpu[fast] += bench_cpu() - c0;
        }
        done += block;
    }
    printf("count=%ld x509_wall=%.6f x509_cpu=%.6f pem_wall=%.6f "
           "pem_cpu=%.6f\n",
           n, wall[0], cpu[0], wall[1], cpu[1]);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || (argc == 5 && strcmp(argv[4], "once") == 0)) &&
        strcmp(argv[1], "issue") == 0 &&
        (strcmp(argv[3], "file") == 0 || strcmp(argv[3], "mem") == 0))
        return cmd_issue(argv[2], argv[3], argc == 4);
    if (argc == 4 && strcmp(argv[1], "pki") == 0)
        return cmd_pki(argv[2], argv[3]);
    return usage();
}
