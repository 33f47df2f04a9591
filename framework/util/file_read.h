/* Reading a whole small file that may hold a secret (a key, a password):
 * every buffer it lets go of, grown or failed, is cleansed first.
 */
#ifndef CERTLC_FILE_READ_H
#define CERTLC_FILE_READ_H

#include <stddef.h>

#include "err.h"

/* The file at `path`, malloc'd and NUL-terminated, its length without the
 * NUL in *len. NULL with "<path>: <reason>" when it cannot be opened or
 * read, or is larger than 1 MiB. */
char *certlc_file_read(const char *path, size_t *len, certlc_err *err);

#endif
