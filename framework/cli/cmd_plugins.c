/* certlc plugins: what is in plugins_dir, and what the loader thinks of it. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inifile.h"
#include "path.h"
#include "plugin_loader.h"
#include "table.h"

static const char usage[] =
    "Usage: certlc plugins\n"
    "\n"
    "Loads every *.so in plugins_dir with the checks the operator applies\n"
    "(regular file; it and every directory up to / owned by root or this\n"
    "user and not writable by group or others; dlopen, entry symbol, magic,\n"
    "ABI, descriptor size, name, required methods, unique name) and lists\n"
    "NAME VERSION ABI MODE STATUS FILE. No driver code runs but the entry\n"
    "function. Exits 1 when any file is refused, and then prints why.\n";

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.so files of dir, sorted, into *out and *n_out (a
 * name that could not be copied ends the list). -1 with errno when dir
 * cannot be opened. */
static int so_files(const char *dir, char ***out, size_t *n_out)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 ||
            strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        char **v = realloc(names, (n + 1) * sizeof *v);
        if (v == NULL || (v[n] = strdup(e->d_name)) == NULL) {
            names = v ? v : names;
            break;
        }
        names = v;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, name_cmp);
    *out = names;
    *n_out = n;
    return 0;
}

int certlc_cmd_plugins(certlc_cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        }
        return certlc_cli_usage("plugins", "bad option");
    }
    if (optind < argc)
        return certlc_cli_usage("plugins", "unexpected argument '%s'",
                                argv[optind]);
    certlc_err err;
    if (certlc_config_load(c->config_path, &c->cfg, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    const char *dir = c->cfg->plugins_dir;
    char **names = NULL;
    size_t n = 0;
    if (so_files(dir, &names, &n) != 0) {
        fprintf(stderr, "certlc: plugins_dir %s: %s\n", dir, strerror(errno));
        certlc_config_free(c->cfg);
        c->cfg = NULL;
        return CERTLC_EXIT_FAIL;
    }

    int rc = CERTLC_EXIT_OK;
    certlc_plugins ps = {0};
    certlc_table *tab = certlc_table_new(6);
    const char *head[] = {"NAME", "VERSION", "ABI", "MODE", "STATUS", "FILE"};
    certlc_table_add(tab, head);
    char **why = calloc(n + 1, sizeof *why);
    for (size_t i = 0; i < n; i++) {
        char *path = certlc_path_join(dir, names[i]);
        certlc_plugin *p = NULL;
        if (path == NULL || certlc_plugins_load(&ps, path, &p, &err) != 0) {
            const char *row[] = {"-", "-", "-", "-", "refused", names[i]};
            certlc_table_add(tab, row);
            if (why != NULL)
                why[i] = strdup(path ? err.msg : "out of memory");
            rc = CERTLC_EXIT_FAIL;
        } else {
            char abi[32];
            snprintf(abi, sizeof abi, "%u.%u", p->drv.abi_major,
                     p->drv.abi_minor);
            const char *row[] = {
                p->drv.name, p->drv.version ? p->drv.version : "-", abi,
                p->drv.mode == CERTLC_DRV_MODE_ISSUE ? "issue" : "external",
                "ok", names[i]};
            certlc_table_add(tab, row);
        }
        free(path);
    }
    if (n == 0)
        printf("no drivers (*.so) in %s\n", dir);
    else
        certlc_table_print(tab, stdout);
    for (size_t i = 0; i < n; i++) {
        if (why != NULL && why[i] != NULL)
            fprintf(stderr, "certlc: %s\n", why[i]);
        if (why != NULL)
            free(why[i]);
        free(names[i]);
    }
    free(why);
    free(names);
    certlc_table_free(tab);
    certlc_plugins_clear(&ps);
    certlc_config_free(c->cfg);
    c->cfg = NULL;
    return rc;
}
