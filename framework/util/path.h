/* Paths built from parts. */
#ifndef CERTLC_PATH_H
#define CERTLC_PATH_H

/* malloc'd "a" + "/" + "b", without a doubled slash; NULL: out of memory. */
char *certlc_path_join(const char *a, const char *b);

#endif
