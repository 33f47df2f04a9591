/* Lower-case hexadecimal, as digests are shown and compared. */
#ifndef CERTLC_HEX_H
#define CERTLC_HEX_H

#include <stddef.h>

/* The n bytes of in as 2n lower-case hex digits and a NUL into out (which
 * holds 2n + 1 bytes). */
void certlc_hex(const unsigned char *in, size_t n, char *out);

#endif
