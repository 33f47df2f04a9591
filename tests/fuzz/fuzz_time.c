/* RFC 3339 times (timefmt.c). Anything parsed must be written back as
 * text that parses to the same second, and written again the same. */
#include <inttypes.h>

#include "fuzz.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    int64_t t = 0, t2 = 0;
    int rc = certlc_time_parse_rfc3339(text, &t);
    free(text);
    if (rc != 0)
        return 0;
    char buf[128], buf2[128];
    memset(buf, 0, sizeof buf);
    memset(buf2, 0, sizeof buf2);
    certlc_time_rfc3339(t, buf, sizeof buf);
    FUZZ_CHECK(certlc_time_parse_rfc3339(buf, &t2) == 0,
               "%" PRId64 " is written as \"%s\", which does not parse", t,
               buf);
    FUZZ_CHECK(t2 == t, "%" PRId64 " is written as \"%s\", read as %" PRId64,
               t, buf, t2);
    certlc_time_rfc3339(t2, buf2, sizeof buf2);
    FUZZ_CHECK(strcmp(buf, buf2) == 0, "\"%s\", then \"%s\"", buf, buf2);
    certlc_time_kubeadm(t, buf, sizeof buf);
    return 0;
}
