/* apply -f documents (cmd_apply.c): a Secret as JSON or YAML, the YAML
 * turned into JSON by libyaml, then the Secret parser. Anything accepted
 * must round-trip through the Secret JSON, and its JSON, fed to apply -f
 * again, must give the same Secret. */
#include "cli.h"
#include "fuzz.h"
#include "secret_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlc_err err;
    /* apply -f reads the file into a NUL-terminated buffer. */
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    certlc_secret *s = certlc_apply_parse(text, size, "fuzz.yaml", &err);
    free(text);
    if (s == NULL)
        return 0;
    fuzz_secret_round_trip(s);
    size_t len = 0;
    char *json = certlc_secret_to_json(s, &len, &err);
    FUZZ_CHECK(json != NULL, "an applied Secret does not serialise: %s",
               err.msg);
    certlc_secret *again = certlc_apply_parse(json, len, "fuzz.json", &err);
    FUZZ_CHECK(again != NULL, "apply -f of its JSON fails: %s", err.msg);
    fuzz_check_secret(s, again);
    certlc_secret_free(again);
    certlc_secret_json_free(json, len);
    certlc_secret_free(s);
    return 0;
}
