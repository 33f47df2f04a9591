#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* RFC 4648 section 10 test vectors. */
static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t n;
        char *e = certlc_base64_encode(plain[i], strlen(plain[i]), &n);
        assert_non_null(e);
        assert_string_equal(e, coded[i]);
        assert_int_equal(n, strlen(coded[i]));
        free(e);
        unsigned char *d = certlc_base64_decode(coded[i], strlen(coded[i]), &n);
        assert_non_null(d);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(d, plain[i], n);
        free(d);
    }
}

static void test_binary_round_trip(void **state)
{
    (void)state;
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len < sizeof buf; len += 37) {
        size_t n, m;
        char *e = certlc_base64_encode(buf, len, &n);
        unsigned char *d = certlc_base64_decode(e, n, &m);
        assert_non_null(d);
        assert_int_equal(m, len);
        assert_memory_equal(d, buf, len);
        free(e);
        free(d);
    }
}

static void test_rejects_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"Zg=", "Zm9v\n", " Zm9v", "Zm=v", "Zm9v!A==", "Z===", "=Zm9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(certlc_base64_decode(bad[i], strlen(bad[i]), NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_binary_round_trip),
        cmocka_unit_test(test_rejects_malformed),
    };
    return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
