/* The writer lock of the file store (writer_lock.h). */
#include "writer_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The holder writes its PID just after it takes the lock, so a second
 * process that lost the race by a few microseconds finds the file empty:
 * wait up to half a second for the PID to appear, so the refusal always
 * names whom it is waiting on. */
static void holder_pid(int fd, char *pid, size_t size)
{
    snprintf(pid, size, "?");
    char buf[32];
    for (int tries = 0; tries < 50; tries++) {
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0 && memchr(buf, '\n', (size_t)n) != NULL) {
            buf[n] = '\0';
            buf[strcspn(buf, "\n")] = '\0';
            snprintf(pid, size, "%s", buf);
            return;
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The one place the lock file is named. */
void certlc_writer_lock_path(const char *state_dir, char *path, size_t size)
{
    snprintf(path, size, "%s/operator.pid", state_dir);
}

int certlc_writer_lock_holder(const char *state_dir, char *pid, size_t size)
{
    char path[4096];
    certlc_writer_lock_path(state_dir, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    /* A shared lock we cannot take: an operator holds the exclusive one. */
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0;
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    close(fd);
    snprintf(pid, size, "%s", buf);
    return held ? 1 : 0;
}

int certlc_writer_lock(const char *state_dir, bool wait, int *fd_out)
{
    char path[4096];
    certlc_writer_lock_path(state_dir, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "certlc: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32];
        holder_pid(fd, pid, sizeof pid);
        if (!wait) {
            fprintf(stderr, "certlc: another operator (PID %s) is running on "
                            "%s; only one may run at a time\n",
                    pid, state_dir);
            close(fd);
            return -1;
        }
        fprintf(stderr, "certlc: waiting for the operator (PID %s) on %s to "
                        "stop\n", pid, state_dir);
        int rc;
        while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
            ;
        if (rc != 0) {
            fprintf(stderr, "certlc: %s: cannot lock: %s\n", path,
                    strerror(errno));
            close(fd);
            return -1;
        }
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
        certlc_warn("engine", "%s: cannot record the PID", path);
    *fd_out = fd;
    return 0;
}
