/* bench_openssl ALG N: issues N tenants' Secret sets with bare OpenSSL
 * (bare.c) and prints one line of key=value figures:
 *   tenants= keys= certs= pem_bytes= wall= cpu=
 * ALG is ecdsa-p256 or rsa-2048. */
#include <stdio.h>
#include <stdlib.h>

#include "bare.h"
#include "clock.h"

int main(int argc, char **argv)
{
    bare_alg alg;
    if (argc != 3 || bare_alg_parse(argv[1], &alg) != 0 || atoi(argv[2]) < 0) {
        fprintf(stderr, "usage: bench_openssl ecdsa-p256|rsa-2048 N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    bare_counts c = {0, 0, 0};
    double w0 = bench_wall(), c0 = bench_cpu();
    for (int i = 0; i < n; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "10.%d.%d.%d", (i >> 16) & 255,
                 (i >> 8) & 255, i & 255);
        if (bare_tenant(alg, addr, &c) != 0) {
            fprintf(stderr, "bench_openssl: tenant %d failed\n", i);
            return 1;
        }
    }
    double w = bench_wall() - w0, cpu = bench_cpu() - c0;
    printf("tenants=%d keys=%zu certs=%zu pem_bytes=%zu wall=%.6f cpu=%.6f\n",
           n, c.keys, c.certs, c.pem_bytes, w, cpu);
    return 0;
}
