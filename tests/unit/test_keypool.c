/* The key pool: keys taken are distinct and valid, a drained pool falls
 * back to generating inline, the pool writes nothing anywhere, and the
 * keys it still holds are wiped when it is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keypool.h"

#define WAIT_MS 120000 /* RSA under ASan on a loaded machine */

/* ---- OpenSSL's allocator, watched: every block freed while `watching`
 * is searched for the secret before it goes back to malloc. ---- */

static unsigned char secret[16];
static size_t secret_len;
static int watching, seen_in_freed;

typedef struct { size_t size; max_align_t align[]; } block;

static void *w_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    block *b = malloc(sizeof *b + n);
    if (b == NULL)
        return NULL;
    b->size = n;
    return b->align;
}

static void w_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    if (p == NULL)
        return;
    block *b = (block *)((char *)p - offsetof(block, align));
    if (watching && secret_len > 0 && b->size >= secret_len &&
        memmem(p, b->size, secret, secret_len) != NULL)
        seen_in_freed++;
    free(b);
}

static void *w_realloc(void *p, size_t n, const char *file, int line)
{
    if (p == NULL)
        return w_malloc(n, file, line);
    block *b = (block *)((char *)p - offsetof(block, align));
    void *q = w_malloc(n, file, line);
    if (q == NULL)
        return NULL;
    memcpy(q, p, b->size < n ? b->size : n);
    w_free(p, file, line);
    return q;
}

/* The first bytes of the private scalar as they lie in memory: a BIGNUM's
 * words, least significant first, little-endian on this machine. */
static void note_secret(EVP_PKEY *key)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn),
                     1);
    unsigned char le[32];
    assert_int_equal(BN_bn2lebinpad(bn, le, sizeof le), (int)sizeof le);
    BN_clear_free(bn);
    memcpy(secret, le, sizeof secret);
    secret_len = sizeof secret;
}

static void assert_valid(EVP_PKEY *key)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_pairwise_check(ctx), 1);
    EVP_PKEY_CTX_free(ctx);
}

static void keys_taken_are_distinct_and_valid(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    certlc_keypool *p = certlc_keypool_start(CERTLC_KEY_ECDSA_P256, 3, &err);
    assert_non_null(p);
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    EVP_PKEY *k[4];
    for (int i = 0; i < 3; i++) {
        k[i] = certlc_keypool_take(p, CERTLC_KEY_ECDSA_P256);
        assert_non_null(k[i]);
        assert_int_equal(EVP_PKEY_get_base_id(k[i]), EVP_PKEY_EC);
        assert_valid(k[i]);
    }
    /* Refilled after use */
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    k[3] = certlc_keypool_take(p, CERTLC_KEY_ECDSA_P256);
    assert_non_null(k[3]);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_int_not_equal(EVP_PKEY_eq(k[i], k[j]), 1);
    /* Another algorithm is not served from this pool */
    assert_null(certlc_keypool_take(p, CERTLC_KEY_ECDSA_P384));
    for (int i = 0; i < 4; i++)
        EVP_PKEY_free(k[i]);
    certlc_keypool_free(p);
}

static void drained_pool_generates_inline(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    /* RSA: a refill takes far longer than the two calls below. */
    certlc_keypool *p = certlc_keypool_start(CERTLC_KEY_RSA2048, 1, &err);
    assert_non_null(p);
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    certlc_pki_set_key_source(certlc_keypool_source, p);
    EVP_PKEY *pooled = certlc_key_generate(CERTLC_KEY_RSA2048, &err);
    assert_non_null(pooled);
    assert_null(certlc_keypool_take(p, CERTLC_KEY_RSA2048)); /* drained */
    EVP_PKEY *inline_key = certlc_key_generate(CERTLC_KEY_RSA2048, &err);
    assert_non_null(inline_key);
    assert_int_equal(EVP_PKEY_get_bits(inline_key), 2048);
    assert_valid(inline_key);
    assert_int_not_equal(EVP_PKEY_eq(pooled, inline_key), 1);
    /* An algorithm the pool does not hold is generated inline too. */
    EVP_PKEY *ec = certlc_key_generate(CERTLC_KEY_ECDSA_P256, &err);
    assert_non_null(ec);
    assert_int_equal(EVP_PKEY_get_base_id(ec), EVP_PKEY_EC);
    certlc_pki_set_key_source(NULL, NULL);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pooled);
    EVP_PKEY_free(inline_key);
    certlc_keypool_free(p);
}

/* The names in a directory, or in /proc/self/fd the files open. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void pool_never_persists_a_key(void **state)
{
    (void)state;
    char dir[] = "/tmp/certlc-keypool-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    /* Wherever a careless pool could write: the working directory, TMPDIR */
    assert_int_equal(chdir(dir), 0);
    setenv("TMPDIR", dir, 1);
    int fds = count_entries("/proc/self/fd");
    certlc_err err = {{0}};
    certlc_keypool *p = certlc_keypool_start(CERTLC_KEY_ECDSA_P256, 4, &err);
    assert_non_null(p);
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    EVP_PKEY *k = certlc_keypool_take(p, CERTLC_KEY_ECDSA_P256);
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    /* No file opened and kept, none written */
    assert_int_equal(count_entries("/proc/self/fd"), fds);
    assert_int_equal(count_entries(dir), 0);
    certlc_keypool_free(p);
    EVP_PKEY_free(k);
    assert_int_equal(count_entries(dir), 0);
    unsetenv("TMPDIR");
    assert_int_equal(chdir(old), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void keys_are_wiped_on_free(void **state)
{
    (void)state;
    certlc_err err = {{0}};
    certlc_keypool *p = certlc_keypool_start(CERTLC_KEY_ECDSA_P256, 1, &err);
    assert_non_null(p);
    assert_int_equal(certlc_keypool_wait_full(p, WAIT_MS), 0);
    note_secret(certlc_keypool_peek(p, 0));

    /* The watch sees a secret in a freed block when one is there. */
    unsigned char *copy = OPENSSL_malloc(64);
    assert_non_null(copy);
    memcpy(copy + 7, secret, secret_len);
    watching = 1;
    OPENSSL_free(copy);
    watching = 0;
    assert_int_equal(seen_in_freed, 1);

    /* The pool's own key, freed with the pool, leaves no trace. */
    seen_in_freed = 0;
    watching = 1;
    certlc_keypool_free(p);
    watching = 0;
    assert_int_equal(seen_in_freed, 0);
}

int main(void)
{
    /* Before OpenSSL allocates anything */
    if (!CRYPTO_set_mem_functions(w_malloc, w_realloc, w_free)) {
        fprintf(stderr, "cannot watch OpenSSL's allocator\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_taken_are_distinct_and_valid),
        cmocka_unit_test(drained_pool_generates_inline),
        cmocka_unit_test(pool_never_persists_a_key),
        cmocka_unit_test(keys_are_wiped_on_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
