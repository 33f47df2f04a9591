/* Kubeconfig YAML (kubeconfig.c): certlc reads kubeconfigs back from the
 * store and from users. Anything parsed must be written, read back to the
 * same cluster, user, server and certificates, and written again to the
 * same bytes. */
#include "fuzz.h"
#include "kubeconfig.h"

static void check_bytes(const unsigned char *a, size_t alen,
                        const unsigned char *b, size_t blen, const char *what)
{
    FUZZ_CHECK(alen == blen && memcmp(a, b, alen) == 0,
               "%s changed (%zu bytes, then %zu)", what, alen, blen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlc_err err;
    certlc_kubeconfig *kc = certlc_kubeconfig_parse(data, size, &err);
    if (kc == NULL)
        return 0;
    size_t len = 0, len2 = 0;
    char *yaml = certlc_kubeconfig_write(kc, &len, &err);
    FUZZ_CHECK(yaml != NULL, "an accepted kubeconfig is not written: %s",
               err.msg);
    certlc_kubeconfig *kc2 = certlc_kubeconfig_parse(yaml, len, &err);
    FUZZ_CHECK(kc2 != NULL, "its own YAML does not parse: %s\n%s", err.msg,
               yaml);
    FUZZ_CHECK(strcmp(kc->cluster, kc2->cluster) == 0,
               "cluster \"%s\", then \"%s\"", kc->cluster, kc2->cluster);
    FUZZ_CHECK(strcmp(kc->user, kc2->user) == 0, "user \"%s\", then \"%s\"",
               kc->user, kc2->user);
    FUZZ_CHECK(strcmp(kc->server, kc2->server) == 0,
               "server \"%s\", then \"%s\"", kc->server, kc2->server);
    check_bytes(kc->ca_pem, kc->ca_len, kc2->ca_pem, kc2->ca_len,
                "certificate-authority-data");
    check_bytes(kc->cert_pem, kc->cert_len, kc2->cert_pem, kc2->cert_len,
                "client-certificate-data");
    check_bytes(kc->key_pem, kc->key_len, kc2->key_pem, kc2->key_len,
                "client-key-data");
    /* The writer names the one context "<user>@<cluster>". */
    size_t want_len = strlen(kc->user) + 1 + strlen(kc->cluster) + 1;
    char *want = malloc(want_len);
    FUZZ_CHECK(want != NULL, "out of memory");
    snprintf(want, want_len, "%s@%s", kc->user, kc->cluster);
    FUZZ_CHECK(strcmp(kc2->context, want) == 0, "context \"%s\", not \"%s\"",
               kc2->context, want);
    free(want);
    char *yaml2 = certlc_kubeconfig_write(kc2, &len2, &err);
    FUZZ_CHECK(yaml2 != NULL && len2 == len && memcmp(yaml, yaml2, len) == 0,
               "writing again gives other bytes:\n%s", yaml);
    certlc_kubeconfig_yaml_free(yaml2, len2);
    certlc_kubeconfig_yaml_free(yaml, len);
    certlc_kubeconfig_free(kc2);
    certlc_kubeconfig_free(kc);
    return 0;
}
