#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "wipe_buf.h"

char *certlc_file_read(const char *path, size_t *len, certlc_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        certlc_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    certlc_wipe_buf b = {0};
    for (;;) {
        if (certlc_wipe_buf_reserve(&b, 4096) != 0) {
            certlc_err_set(err, "out of memory");
            goto fail;
        }
        ssize_t r = read(fd, b.p + b.n, b.cap - b.n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            certlc_err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        b.n += (size_t)r;
        if (b.n > (1u << 20)) {
            certlc_err_set(err, "%s: larger than 1 MiB", path);
            goto fail;
        }
    }
    close(fd);
    b.p[b.n] = '\0';
    *len = b.n;
    return b.p;
fail:
    certlc_wipe_buf_free(&b);
    close(fd);
    return NULL;
}
