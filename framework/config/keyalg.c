#include "keyalg.h"

#include <stddef.h>
#include <string.h>

static const struct {
    certlc_key_alg alg;
    const char *name;
} names[] = {
    {CERTLC_KEY_RSA2048, "rsa-2048"},
    {CERTLC_KEY_RSA3072, "rsa-3072"},
    {CERTLC_KEY_RSA4096, "rsa-4096"},
    {CERTLC_KEY_ECDSA_P256, "ecdsa-p256"},
    {CERTLC_KEY_ECDSA_P384, "ecdsa-p384"},
};
#define N_NAMES (sizeof names / sizeof names[0])

int certlc_key_alg_parse(const char *text, certlc_key_alg *out)
{
    if (text == NULL)
        return -1;
    for (size_t i = 0; i < N_NAMES; i++) {
        if (strcmp(text, names[i].name) == 0) {
            if (out != NULL)
                *out = names[i].alg;
            return 0;
        }
    }
    return -1;
}

const char *certlc_key_alg_name(certlc_key_alg alg)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (names[i].alg == alg)
            return names[i].name;
    return "unknown";
}
