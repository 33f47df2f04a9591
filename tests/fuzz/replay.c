/* Replays a corpus through a fuzz harness without libFuzzer: each argument
 * is a file, or a directory whose regular files are each fed once, in name
 * order, to LLVMFuzzerTestOneInput. Used by `make test` in the gcc builds
 * (plain and ASan+UBSan), so that every input ever found stays fixed.
 * Each input runs in a child process: a failed check aborts, and the
 * inputs after it are still tried. Prints "FAIL FILE" for each that
 * failed (after the harness's own message), then "N inputs, N failed". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static int feed(const char *path, size_t count[2])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            fprintf(stderr, "replay: %s: out of memory\n", path);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *nb = realloc(buf, cap * 2);
        if (nb == NULL)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: %s: read error\n", path);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        free(buf);
        fprintf(stderr, "replay: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* An exact-size copy, so that ASan sees a read past the input. */
        unsigned char *exact = malloc(n > 0 ? n : 1);
        if (exact == NULL)
            _exit(2);
        memcpy(exact, buf, n);
        free(buf);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
        exit(0); /* exit, not _exit: LeakSanitizer checks at exit */
    }
    free(buf);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
            return -1;
        }
    }
    count[0]++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "FAIL %s (signal %d)\n", path, WTERMSIG(status));
        else
            fprintf(stderr, "FAIL %s (exit %d)\n", path, WEXITSTATUS(status));
        count[1]++;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int feed_dir(const char *dir, size_t count[2])
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *names);
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        char *p = malloc(len);
        if (nn == NULL || p == NULL) {
            free(p);
            names = nn != NULL ? nn : names;
            rc = -1;
            break;
        }
        names = nn;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        names[n++] = p;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = feed(names[i], count);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count[2] = {0, 0}; /* inputs, failed */
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? feed_dir(argv[i], count)
                                     : feed(argv[i], count);
        if (rc != 0)
            return 1;
    }
    if (count[0] == 0) {
        fprintf(stderr, "replay: no input given\n");
        return 1;
    }
    printf("%zu inputs, %zu failed\n", count[0], count[1]);
    return count[1] == 0 ? 0 : 1;
}
