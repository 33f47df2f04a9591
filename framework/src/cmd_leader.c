/* certlc get leader: which operator replica acts.
 *
 * On etcd: the leader key's holder, its lease and the seconds left on it.
 * On the file store: the PID holding the operator lock, if any. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli.h"
#include "leader.h"
#include "store_etcd.h"

static const char usage[] =
    "Usage: certlc get leader [-o json]\n"
    "\n"
    "Shows the operator replica that leads (etcd store: the holder of\n"
    "<prefix>/leader and the seconds left on its lease; file store: the PID\n"
    "holding <state_dir>/operator.pid). Exit 1 when nobody leads.\n";

bool certlc_get_is_leader(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-n") == 0 ||
                strcmp(argv[i], "-l") == 0)
                i++;
            continue;
        }
        return strcmp(argv[i], "leader") == 0;
    }
    return false;
}

static int file_leader(certlc_cli *c, bool json)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/operator.pid", c->cfg->state_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char pid[32] = "";
    bool held = false;
    if (fd >= 0) {
        held = flock(fd, LOCK_SH | LOCK_NB) != 0;
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
    }
    if (!held) {
        fprintf(stderr, "certlc: no operator is running on %s\n", c->cfg->state_dir);
        return CERTLC_EXIT_FAIL;
    }
    if (json)
        printf("{\"store\":\"file\",\"pid\":%s,\"lock\":\"%s\"}\n", pid, path);
    else
        printf("STORE   PID      LOCK\nfile    %-8s %s\n", pid, path);
    return CERTLC_EXIT_OK;
}

int certlc_cmd_get_leader(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    bool json = false;
    int o;
    while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (o == 'o' && strcmp(optarg, "json") == 0)
            json = true;
        else if (o == 'o' && strcmp(optarg, "wide") == 0)
            json = false;
        else if (o == 'h') {
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        } else
            return certlc_cli_usage("get", "get leader takes -o json or -o wide");
    }
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    if (!certlc_store_is_etcd(c->store)) {
        rc = file_leader(c, json);
        certlc_cli_close(c);
        return rc;
    }
    char *text = NULL;
    int64_t ttl = -1;
    certlc_err err;
    int g = certlc_leader_get(c->store, &text, &ttl, &err);
    if (g == CERTLC_NOTFOUND) {
        fprintf(stderr, "certlc: no replica leads (no %s/leader key)\n",
                c->cfg->etcd.prefix);
        rc = CERTLC_EXIT_FAIL;
    } else if (g != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        rc = CERTLC_EXIT_FAIL;
    } else {
        json_error_t je;
        json_t *v = json_loads(text, 0, &je);
        const char *id = json_string_value(json_object_get(v, "identity"));
        const char *lease = json_string_value(json_object_get(v, "lease"));
        const char *since = json_string_value(json_object_get(v, "since"));
        if (json) {
            printf("{\"store\":\"etcd\",\"identity\":\"%s\",\"lease\":\"%s\","
                   "\"ttl\":%lld,\"since\":\"%s\"}\n", id ? id : "",
                   lease ? lease : "", (long long)ttl, since ? since : "");
        } else {
            printf("%-28s %-18s %-6s %s\n", "LEADER", "LEASE", "TTL", "SINCE");
            char t[32];
            snprintf(t, sizeof t, "%llds", (long long)ttl);
            printf("%-28s %-18s %-6s %s\n", id ? id : "?", lease ? lease : "?",
                   ttl >= 0 ? t : "-", since ? since : "?");
        }
        json_decref(v);
        free(text);
    }
    certlc_cli_close(c);
    return rc;
}
