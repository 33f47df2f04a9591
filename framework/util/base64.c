#include "base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *certlc_base64_encode(const void *in, size_t len, size_t *out_len)
{
    size_t n = 4 * ((len + 2) / 3);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    /* EVP_EncodeBlock takes an int length: encode in chunks of whole
     * 3-byte groups so that any size works. */
    const unsigned char *p = in;
    size_t done = 0, w = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > (size_t)3 * 1024 * 1024)
            chunk = (size_t)3 * 1024 * 1024;
        w += (size_t)EVP_EncodeBlock((unsigned char *)out + w, p + done,
                                     (int)chunk);
        done += chunk;
    }
    out[w] = '\0';
    if (out_len != NULL)
        *out_len = w;
    return out;
}

static int is_b64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

unsigned char *certlc_base64_decode(const char *in, size_t len,
                                    size_t *out_len)
{
    /* EVP_DecodeBlock skips surrounding blanks and does not report padding,
     * so the strict checks are done here first. */
    if (len % 4 != 0 || len > (size_t)1 << 30)
        return NULL;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=') {
            if (i < len - 2)
                return NULL;
            pad++;
        } else if (pad > 0 || !is_b64(c)) {
            return NULL;
        }
    }
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (out == NULL)
        return NULL;
    int n = len == 0 ? 0 : EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return NULL;
    }
    n -= (int)pad;
    out[n] = '\0';
    if (out_len != NULL)
        *out_len = (size_t)n;
    return out;
}
