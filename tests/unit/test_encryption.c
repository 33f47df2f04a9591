/* Encryption at rest: the EncryptionConfiguration loader and the envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encryption.h"

/* base64 of 32 bytes 0x01..0x20, of 32 bytes 0x21..0x40, of 16 bytes. */
#define KEY1 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define KEY2 "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A="
#define KEY16 "AQIDBAUGBwgJCgsMDQ4PEA=="
#define STORE_KEY "/certlc/secrets/default/a-ca"

static const char plain[] = "{\"kind\":\"Secret\",\"data\":{\"tls.key\":\"x\"}}";

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/certlc-test-enc-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_conf(const char *name, const char *providers,
                              mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "apiVersion: apiserver.config.k8s.io/v1\n"
               "kind: EncryptionConfiguration\n"
               "resources:\n"
               "  - resources:\n"
               "      - secrets\n"
               "    providers:\n%s", providers);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static certlc_encryption *load(const char *providers)
{
    certlc_err err = {{0}};
    certlc_encryption *enc =
        certlc_encryption_load(write_conf("enc.yaml", providers, 0600), &err);
    if (enc == NULL)
        fail_msg("load: %s", err.msg);
    return enc;
}

static const char *gcm1 = "      - aesgcm:\n"
                          "          keys:\n"
                          "            - name: key1\n"
                          "              secret: " KEY1 "\n";

static void seal(const certlc_encryption *enc, const char *aad,
                 unsigned char **out, size_t *n)
{
    certlc_err err = {{0}};
    assert_int_equal(certlc_encryption_seal(enc, aad, plain, strlen(plain),
                                            out, n, &err), 0);
}

static int open_rc(const certlc_encryption *enc, const char *aad,
                   const unsigned char *in, size_t n, char *msg, size_t msgn)
{
    certlc_err err = {{0}};
    unsigned char *out = NULL;
    size_t outn = 0;
    int rc = certlc_encryption_open(enc, aad, in, n, &out, &outn, &err);
    if (rc == 0) {
        assert_int_equal(outn, strlen(plain));
        assert_memory_equal(out, plain, outn);
        free(out);
    } else if (msg != NULL) {
        snprintf(msg, msgn, "%s", err.msg);
    }
    return rc;
}

/* The stored shape is kube-apiserver's: prefix, 12-byte nonce, ciphertext,
 * 16-byte tag; and it decrypts with plain AES-256-GCM. */
static void test_aesgcm_layout(void **state)
{
    (void)state;
    certlc_encryption *enc = load(gcm1);
    unsigned char *v;
    size_t n;
    seal(enc, STORE_KEY, &v, &n);
    const char *prefix = "k8s:enc:aesgcm:v1:key1:";
    size_t pl = strlen(prefix);
    assert_int_equal(n, pl + 12 + strlen(plain) + 16);
    assert_memory_equal(v, prefix, pl);
    assert_null(memmem(v, n, "tls.key", 7));

    unsigned char key[32], out[256];
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)(i + 1);
    char aad[128];
    snprintf(aad, sizeof aad, "%s%s", prefix, STORE_KEY);
    size_t cn = n - pl - 12 - 16;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l = 0, l2 = 0;
    assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
                                        v + pl), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &l, (unsigned char *)aad,
                                       (int)strlen(aad)), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, out, &l, v + pl + 12, (int)cn), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                                         v + n - 16), 1);
    assert_int_equal(EVP_DecryptFinal_ex(ctx, out + l, &l2), 1);
    EVP_CIPHER_CTX_free(ctx);
    assert_int_equal((size_t)(l + l2), strlen(plain));
    assert_memory_equal(out, plain, strlen(plain));

    /* A fresh nonce per write. */
    unsigned char *v2;
    size_t n2;
    seal(enc, STORE_KEY, &v2, &n2);
    assert_memory_not_equal(v + pl, v2 + pl, 12);
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0), 0);
    assert_true(certlc_encryption_is_current(enc, v, n));
    free(v);
    free(v2);
    certlc_encryption_free(enc);
}

/* One flipped byte anywhere, or another store key, is refused. */
static void test_aesgcm_tamper(void **state)
{
    (void)state;
    certlc_encryption *enc = load(gcm1);
    unsigned char *v;
    size_t n;
    seal(enc, STORE_KEY, &v, &n);
    size_t pl = strlen("k8s:enc:aesgcm:v1:key1:");
    size_t where[] = {pl,          /* nonce */
                      pl + 11,     /* nonce, last byte */
                      pl + 12,     /* ciphertext */
                      n - 17,      /* ciphertext, last byte */
                      n - 1};      /* tag */
    char msg[CERTLC_ERR_MAX];
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        v[where[i]] ^= 0x01;
        assert_int_equal(open_rc(enc, STORE_KEY, v, n, msg, sizeof msg),
                         CERTLC_UNDECRYPTABLE);
        assert_non_null(strstr(msg, "aesgcm key \"key1\""));
        v[where[i]] ^= 0x01;
    }
    /* The associated data: the same value under another Secret's key. */
    assert_int_equal(open_rc(enc, "/certlc/secrets/default/b-ca", v, n, msg,
                             sizeof msg),
                     CERTLC_UNDECRYPTABLE);
    assert_int_equal(open_rc(enc, STORE_KEY "x", v, n, NULL, 0),
                     CERTLC_UNDECRYPTABLE);
    /* Truncated. */
    assert_int_equal(open_rc(enc, STORE_KEY, v, pl + 20, NULL, 0),
                     CERTLC_UNDECRYPTABLE);
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0), 0);
    free(v);
    certlc_encryption_free(enc);
}

/* A key name relabelled in the prefix does not decrypt either, even when
 * the other name holds the same secret. */
static void test_key_name_is_bound(void **state)
{
    (void)state;
    certlc_encryption *enc = load("      - aesgcm:\n"
                                  "          keys:\n"
                                  "            - name: key1\n"
                                  "              secret: " KEY1 "\n"
                                  "            - name: key9\n"
                                  "              secret: " KEY1 "\n");
    unsigned char *v;
    size_t n;
    seal(enc, STORE_KEY, &v, &n);
    memcpy(v + strlen("k8s:enc:aesgcm:v1:"), "key9", 4);
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0),
                     CERTLC_UNDECRYPTABLE);
    free(v);
    certlc_encryption_free(enc);
}

static void test_secretbox(void **state)
{
    (void)state;
    certlc_encryption *enc = load("      - secretbox:\n"
                                  "          keys:\n"
                                  "            - name: sb\n"
                                  "              secret: " KEY2 "\n");
    unsigned char *v;
    size_t n;
    seal(enc, STORE_KEY, &v, &n);
    const char *prefix = "k8s:enc:secretbox:v1:sb:";
    assert_memory_equal(v, prefix, strlen(prefix));
    assert_int_equal(n, strlen(prefix) + 24 + 16 + strlen(plain));
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0), 0);
    v[strlen(prefix) + 3] ^= 0x80; /* nonce */
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0),
                     CERTLC_UNDECRYPTABLE);
    v[strlen(prefix) + 3] ^= 0x80;
    v[n - 1] ^= 0x80; /* ciphertext */
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0),
                     CERTLC_UNDECRYPTABLE);
    free(v);
    certlc_encryption_free(enc);
}

/* key2 first: writes name key2, key1's values still read, and are not
 * current; without key1 they are refused naming key1. */
static void test_rotation(void **state)
{
    (void)state;
    certlc_encryption *old = load(gcm1);
    unsigned char *v;
    size_t n;
    seal(old, STORE_KEY, &v, &n);
    certlc_encryption *both = load("      - aesgcm:\n"
                                   "          keys:\n"
                                   "            - name: key2\n"
                                   "              secret: " KEY2 "\n"
                                   "            - name: key1\n"
                                   "              secret: " KEY1 "\n");
    assert_int_equal(open_rc(both, STORE_KEY, v, n, NULL, 0), 0);
    assert_false(certlc_encryption_is_current(both, v, n));
    unsigned char *w;
    size_t wn;
    seal(both, STORE_KEY, &w, &wn);
    assert_memory_equal(w, "k8s:enc:aesgcm:v1:key2:", 23);
    assert_true(certlc_encryption_is_current(both, w, wn));
    certlc_encryption *only2 = load("      - aesgcm:\n"
                                    "          keys:\n"
                                    "            - name: key2\n"
                                    "              secret: " KEY2 "\n");
    char msg[CERTLC_ERR_MAX];
    assert_int_equal(open_rc(only2, STORE_KEY, v, n, msg, sizeof msg),
                     CERTLC_UNDECRYPTABLE);
    assert_non_null(strstr(msg, "aesgcm key \"key1\""));
    assert_non_null(strstr(msg, "not listed"));
    assert_int_equal(open_rc(only2, STORE_KEY, w, wn, NULL, 0), 0);
    /* No configuration at all. */
    assert_int_equal(open_rc(NULL, STORE_KEY, w, wn, msg, sizeof msg),
                     CERTLC_UNDECRYPTABLE);
    assert_non_null(strstr(msg, "key2"));
    free(v);
    free(w);
    certlc_encryption_free(old);
    certlc_encryption_free(both);
    certlc_encryption_free(only2);
}

/* Plaintext reads only with identity listed; identity first writes it. */
static void test_identity(void **state)
{
    (void)state;
    certlc_encryption *enc = load(gcm1);
    char msg[CERTLC_ERR_MAX];
    assert_int_equal(open_rc(enc, STORE_KEY, (const unsigned char *)plain,
                             strlen(plain), msg, sizeof msg),
                     CERTLC_UNDECRYPTABLE);
    assert_non_null(strstr(msg, "identity"));
    certlc_encryption_free(enc);
    enc = load("      - identity: {}\n"
               "      - aesgcm:\n"
               "          keys:\n"
               "            - name: key1\n"
               "              secret: " KEY16 "\n");
    unsigned char *v;
    size_t n;
    seal(enc, STORE_KEY, &v, &n);
    assert_int_equal(n, strlen(plain));
    assert_memory_equal(v, plain, n);
    assert_true(certlc_encryption_is_current(enc, v, n));
    assert_int_equal(open_rc(enc, STORE_KEY, v, n, NULL, 0), 0);
    assert_int_equal(open_rc(NULL, STORE_KEY, v, n, NULL, 0), 0);
    free(v);
    certlc_encryption_free(enc);
}

static void expect_refused(const char *providers, mode_t mode,
                           const char *needle)
{
    certlc_err err = {{0}};
    const char *path = write_conf("bad.yaml", providers, mode);
    certlc_encryption *enc = certlc_encryption_load(path, &err);
    if (enc != NULL)
        fail_msg("accepted: %s", providers);
    if (strstr(err.msg, needle) == NULL || strstr(err.msg, path) == NULL)
        fail_msg("message '%s' lacks '%s' or the file", err.msg, needle);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused(gcm1, 0640, "chmod 600");
    expect_refused(gcm1, 0604, "chmod 600");
    expect_refused("      - kms:\n          name: x\n", 0600,
                   "kms provider is not supported");
    expect_refused("      - aescbc:\n          keys: []\n", 0600, "aescbc");
    expect_refused("      - aesgcm:\n          keys:\n"
                   "            - name: k\n              secret: AAAA\n",
                   0600, "16, 24 or 32 bytes");
    expect_refused("      - aesgcm:\n          keys:\n"
                   "            - name: k\n              secret: n*t\n",
                   0600, "not base64");
    expect_refused("      - secretbox:\n          keys:\n"
                   "            - name: k\n              secret: " KEY16 "\n",
                   0600, "32 bytes");
    expect_refused("      - aesgcm:\n          keys:\n"
                   "            - name: k\n              secret: " KEY1 "\n"
                   "            - name: k\n              secret: " KEY2 "\n",
                   0600, "used twice");
    expect_refused("      - aesgcm:\n          keys:\n"
                   "            - name: a:b\n              secret: " KEY1 "\n",
                   0600, "without ':'");
    expect_refused("      - rot13: {}\n", 0600, "unknown provider");
    expect_refused("    - [\n", 0600, "not YAML");
    /* An entry for other resources only. */
    certlc_err err = {{0}};
    char path[128];
    snprintf(path, sizeof path, "%s/other.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("apiVersion: apiserver.config.k8s.io/v1\n"
          "kind: EncryptionConfiguration\n"
          "resources:\n  - resources: [configmaps]\n"
          "    providers:\n      - identity: {}\n", f);
    fclose(f);
    chmod(path, 0600);
    assert_null(certlc_encryption_load(path, &err));
    assert_non_null(strstr(err.msg, "no resources entry lists secrets"));
    /* Another user's file (only root can hand one over). */
    if (geteuid() == 0) {
        const char *p = write_conf("theirs.yaml", gcm1, 0600);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_null(certlc_encryption_load(p, &err));
        assert_non_null(strstr(err.msg, "owned by uid 65534"));
    }
    /* A symbolic link to a good file: refused, saying so. */
    char link[160];
    snprintf(link, sizeof link, "%s/link.yaml", dir);
    assert_int_equal(symlink(write_conf("target.yaml", gcm1, 0600), link), 0);
    assert_null(certlc_encryption_load(link, &err));
    assert_non_null(strstr(err.msg, "is a symbolic link"));
    /* Missing file. */
    snprintf(path, sizeof path, "%s/absent.yaml", dir);
    assert_null(certlc_encryption_load(path, &err));
    assert_non_null(strstr(err.msg, "absent.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aesgcm_layout),
        cmocka_unit_test(test_aesgcm_tamper),
        cmocka_unit_test(test_key_name_is_bound),
        cmocka_unit_test(test_secretbox),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
