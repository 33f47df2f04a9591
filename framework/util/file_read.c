#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *certlc_file_read(const char *path, size_t *len, certlc_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        certlc_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL)
            break;
        if (n + 1 >= cap) {
            char *b = malloc(cap * 2);
            if (b != NULL)
                memcpy(b, buf, n);
            OPENSSL_cleanse(buf, cap);
            free(buf);
            buf = b;
            cap *= 2;
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            certlc_err_set(err, "%s: %s", path, strerror(errno));
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > (1u << 20)) {
            certlc_err_set(err, "%s: larger than 1 MiB", path);
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    if (buf == NULL) {
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
