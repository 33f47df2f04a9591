#include "path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* malloc'd "a" + "/" + "b", without a doubled slash. */
char *certlc_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    bool slash = la > 0 && a[la - 1] != '/';
    char *d = malloc(la + slash + lb + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, a, la);
    if (slash)
        d[la] = '/';
    memcpy(d + la + slash, b, lb + 1);
    return d;
}
