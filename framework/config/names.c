#include "names.h"

#include <string.h>

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool certlc_dns1123_subdomain(const char *s, size_t max, size_t label_max)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            /* A part ends here: it must not be empty nor end with '-'. */
            if (label == 0 || !lower_alnum(s[i - 1]))
                return false;
            label = 0;
            continue;
        }
        if (!lower_alnum(c) && !(c == '-' && label > 0))
            return false;
        label++;
        if (label_max > 0 && label > label_max)
            return false;
    }
    return lower_alnum(s[n - 1]);
}

int certlc_check_object_name(const char *what, const char *s,
                             certlc_err *err)
{
    if (s == NULL || *s == '\0')
        return certlc_err_set(err, "%s: missing", what);
    size_t n = strlen(s);
    if (n > CERTLC_OBJECT_NAME_MAX)
        return certlc_err_set(err, "invalid %s \"%.40s...\": longer than %d "
                              "characters", what, s, CERTLC_OBJECT_NAME_MAX);
    if (!certlc_dns1123_subdomain(s, CERTLC_OBJECT_NAME_MAX, 0))
        return certlc_err_set(err, "invalid %s \"%s\": must consist of lower "
                              "case letters, digits, '-' and '.', and start "
                              "and end with a letter or digit", what, s);
    return 0;
}

bool certlc_dns1123_label(const char *s)
{
    /* One label: the shared check with no dots. */
    return s != NULL && strchr(s, '.') == NULL &&
           certlc_dns1123_subdomain(s, CERTLC_DNS_LABEL_MAX,
                                    CERTLC_DNS_LABEL_MAX);
}
