/* What every fuzz harness shares. Each tests/fuzz/fuzz_NAME.c defines
 * LLVMFuzzerTestOneInput for one parser of untrusted input; it is linked
 * either with libFuzzer (clang, `make fuzz`) or with replay.c (gcc, `make
 * test`: every file of tests/fuzz/corpus/NAME/ fed once). */
#ifndef CERTLC_FUZZ_H
#define CERTLC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant (a round trip that does not give the same object) is
 * a finding like a crash: abort, so that libFuzzer keeps the input and the
 * replay fails. */
#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* The input as a NUL-terminated string (the parsers of text take one);
 * NULL when out of memory. Bytes after an embedded NUL are not seen by a
 * parser that takes a C string, as in the program. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        if (size > 0)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
