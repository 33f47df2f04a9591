/* The INI reader that certlc.ini, tenants.d and datastores.d share: libinih
 * underneath, with line numbers, every [section] header and every key kept
 * in file order, so that errors can name the file, the line and the key. */
#ifndef CERTLC_INIFILE_H
#define CERTLC_INIFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct certlc_ini_kv {
    char *key;
    char *value;
    int line;
} certlc_ini_kv;

typedef struct certlc_ini_section {
    char *name; /* trimmed text between the brackets */
    int line;
    certlc_ini_kv *kv;
    size_t n_kv;
} certlc_ini_section;

typedef struct certlc_ini_doc {
    certlc_ini_section *sec;
    size_t n_sec;
} certlc_ini_doc;

/* Error context: "<file>:<line>: [<section>] <key>: ". */
typedef struct certlc_ini_where {
    const char *file;
    const char *section; /* as written between the brackets */
} certlc_ini_where;

/* Reads `path` (named `display` in messages) into doc; errors name the
 * file and the line. */
int certlc_ini_read(const char *path, const char *display, certlc_ini_doc *doc,
                    certlc_err *err);
void certlc_ini_doc_free(certlc_ini_doc *doc);

/* "<file>:<line>: [<section>] <key>: <what>"; returns -1. */
int certlc_ini_key_err(const certlc_ini_where *w, const certlc_ini_kv *kv,
                       certlc_err *err, const char *fmt, ...)
    CERTLC_PRINTF(4, 5);

/* Rejects unknown keys (with a "did you mean" hint) and repeated keys
 * (except `repeatable`, which may be NULL). known is NULL-terminated. */
int certlc_ini_check_keys(const certlc_ini_where *w,
                          const certlc_ini_section *sec,
                          const char *const *known, const char *repeatable,
                          certlc_err *err);

/* The closest known key within two edits, or NULL. */
const char *certlc_ini_suggest(const char *key, const char *const *known);

/* The *.ini regular files of `dir` (names only, malloc'd), sorted. */
int certlc_ini_list_files(const char *dir, const char *display, char ***out,
                          size_t *n_out, certlc_err *err);

#endif
