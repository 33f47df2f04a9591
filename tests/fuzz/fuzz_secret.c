/* Secret JSON (secret.c): what the file and etcd stores read back, and what
 * apply -f accepts. Anything parsed must serialise, parse back to the same
 * Secret, and serialise again to the same bytes. */
#include "fuzz.h"
#include "secret_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlc_err err;
    certlc_secret *s = certlc_secret_from_json((const char *)data, size, &err);
    if (s == NULL)
        return 0;
    fuzz_secret_round_trip(s);
    /* The copy the stores hand out is the same Secret. */
    certlc_secret *d = certlc_secret_dup(s);
    FUZZ_CHECK(d != NULL, "certlc_secret_dup failed");
    fuzz_check_secret(s, d);
    certlc_secret_free(d);
    certlc_secret_free(s);
    return 0;
}
