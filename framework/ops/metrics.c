#include "metrics.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "grow.h"

typedef struct series {
    char **values;
    double value;     /* counters and gauges; a histogram's sum */
    uint64_t count;   /* histograms */
    uint64_t *counts; /* histograms: per bucket, not cumulative */
    uint64_t hash;
} series;

struct certlc_metric {
    certlc_metrics *reg;
    char *name, *help;
    certlc_metric_type type;
    char **labels;
    size_t n_labels;
    double *buckets;
    size_t n_buckets;
    series *s;
    size_t n, cap;
    size_t *index; /* open addressing over s[], (i + 1), 0 empty */
    size_t index_cap;
    /* A collected family keeps no series (metrics.h). */
    certlc_metric_collect collect;
    void *collect_arg;
};

struct certlc_metrics {
    pthread_mutex_t mu;
    bool process;
    certlc_metric **fam;
    size_t n_fam;
};

/* ---- registry ------------------------------------------------------------ */

certlc_metrics *certlc_metrics_new(bool process)
{
    certlc_metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m->mu, &a);
    pthread_mutexattr_destroy(&a);
    m->process = process;
    return m;
}

static void series_fini(certlc_metric *f, series *s)
{
    for (size_t i = 0; i < f->n_labels; i++)
        free(s->values[i]);
    free(s->values);
    free(s->counts);
}

static void family_free(certlc_metric *f)
{
    for (size_t i = 0; i < f->n; i++)
        series_fini(f, &f->s[i]);
    for (size_t i = 0; i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->labels);
    free(f->s);
    free(f->index);
    free(f->buckets);
    free(f->name);
    free(f->help);
    free(f);
}

void certlc_metrics_free(certlc_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_fam; i++)
        family_free(m->fam[i]);
    free(m->fam);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void certlc_metrics_lock(certlc_metrics *m)
{
    pthread_mutex_lock(&m->mu);
}

void certlc_metrics_unlock(certlc_metrics *m)
{
    pthread_mutex_unlock(&m->mu);
}

static bool valid_name(const char *s, bool colon)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || (colon && c == ':')))
            return false;
    }
    return true;
}

static series *find_or_add(certlc_metric *f, const char *const *values,
                           bool add);

certlc_metric *certlc_metrics_add_family(certlc_metrics *m, const char *name,
                                         const char *help,
                                         certlc_metric_type type,
                                         const char *const *labels,
                                         const double *buckets,
                                         size_t n_buckets)
{
    if (!valid_name(name, true))
        return NULL;
    for (size_t k = 0; labels != NULL && labels[k] != NULL; k++)
        if (!valid_name(labels[k], false) || strncmp(labels[k], "__", 2) == 0 ||
            (type == CERTLC_METRIC_HISTOGRAM && strcmp(labels[k], "le") == 0))
            return NULL;
    for (size_t k = 1; k < n_buckets; k++)
        if (!(buckets[k] > buckets[k - 1]))
            return NULL;
    certlc_metric *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->reg = m;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help != NULL ? help : "");
    while (labels != NULL && labels[f->n_labels] != NULL)
        f->n_labels++;
    f->labels = calloc(f->n_labels + 1, sizeof *f->labels);
    bool oom = f->name == NULL || f->help == NULL || f->labels == NULL;
    for (size_t k = 0; !oom && k < f->n_labels; k++)
        oom = (f->labels[k] = strdup(labels[k])) == NULL;
    if (!oom && type == CERTLC_METRIC_HISTOGRAM && n_buckets > 0) {
        f->buckets = malloc(n_buckets * sizeof *f->buckets);
        oom = f->buckets == NULL;
        if (!oom) {
            memcpy(f->buckets, buckets, n_buckets * sizeof *buckets);
            f->n_buckets = n_buckets;
        }
    }
    if (oom) {
        family_free(f);
        return NULL;
    }
    pthread_mutex_lock(&m->mu);
    certlc_metric *ret = NULL;
    bool dup = false;
    for (size_t i = 0; i < m->n_fam; i++)
        dup |= strcmp(m->fam[i]->name, name) == 0;
    certlc_metric **v = dup ? NULL
                            : realloc(m->fam, (m->n_fam + 1) * sizeof *v);
    if (v != NULL) {
        m->fam = v;
        m->fam[m->n_fam++] = f;
        ret = f;
        if (f->n_labels == 0)
            find_or_add(f, NULL, true);
    }
    pthread_mutex_unlock(&m->mu);
    if (ret == NULL)
        family_free(f);
    return ret;
}

certlc_metric *certlc_metrics_add_collected(certlc_metrics *m,
                                            const char *name,
                                            const char *help,
                                            certlc_metric_type type,
                                            const char *const *labels,
                                            certlc_metric_collect collect,
                                            void *arg)
{
    if (type == CERTLC_METRIC_HISTOGRAM || collect == NULL)
        return NULL;
    certlc_metric *f =
        certlc_metrics_add_family(m, name, help, type, labels, NULL, 0);
    if (f == NULL)
        return NULL;
    /* A family without labels got its one series at once: it has none. */
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < f->n; i++)
        series_fini(f, &f->s[i]);
    f->n = 0;
    free(f->index);
    f->index = NULL;
    f->index_cap = 0;
    f->collect = collect;
    f->collect_arg = arg;
    pthread_mutex_unlock(&m->mu);
    return f;
}

/* ---- series --------------------------------------------------------------- */

static uint64_t hash_values(const certlc_metric *f, const char *const *values)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < f->n_labels; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xffu) * 1099511628211ull; /* ends a value: never a byte */
    }
    return h;
}

static bool same(const certlc_metric *f, const series *s,
                 const char *const *values)
{
    for (size_t i = 0; i < f->n_labels; i++)
        if (strcmp(s->values[i], values[i]) != 0)
            return false;
    return true;
}

static int reindex(certlc_metric *f, size_t cap)
{
    size_t *idx = calloc(cap, sizeof *idx);
    if (idx == NULL)
        return -1;
    for (size_t i = 0; i < f->n; i++) {
        size_t j = f->s[i].hash & (cap - 1);
        while (idx[j] != 0)
            j = (j + 1) & (cap - 1);
        idx[j] = i + 1;
    }
    free(f->index);
    f->index = idx;
    f->index_cap = cap;
    return 0;
}

/* Under the lock. */
static series *find_or_add(certlc_metric *f, const char *const *values,
                           bool add)
{
    uint64_t h = hash_values(f, values);
    if (f->index_cap > 0) {
        for (size_t j = h & (f->index_cap - 1); f->index[j] != 0;
             j = (j + 1) & (f->index_cap - 1)) {
            series *s = &f->s[f->index[j] - 1];
            if (s->hash == h && same(f, s, values))
                return s;
        }
    }
    if (!add)
        return NULL;
    if ((f->n + 1) * 2 > f->index_cap &&
        reindex(f, f->index_cap == 0 ? 16 : f->index_cap * 2) != 0)
        return NULL;
    series *v = certlc_grow(f->s, f->n, &f->cap, sizeof *v, 8);
    if (v == NULL)
        return NULL;
    f->s = v;
    series s = {0};
    s.hash = h;
    s.values = calloc(f->n_labels + 1, sizeof *s.values);
    bool oom = s.values == NULL;
    for (size_t i = 0; !oom && i < f->n_labels; i++)
        oom = (s.values[i] = strdup(values[i])) == NULL;
    if (!oom && f->type == CERTLC_METRIC_HISTOGRAM)
        oom = (s.counts = calloc(f->n_buckets + 1, sizeof *s.counts)) == NULL;
    if (oom) {
        if (s.values != NULL)
            series_fini(f, &s);
        return NULL;
    }
    f->s[f->n] = s;
    size_t j = h & (f->index_cap - 1);
    while (f->index[j] != 0)
        j = (j + 1) & (f->index_cap - 1);
    f->index[j] = ++f->n;
    return &f->s[f->n - 1];
}

static int update(certlc_metric *f, const char *const *values, double v,
                  int op)
{
    if (f->collect != NULL)
        return -1;
    pthread_mutex_lock(&f->reg->mu);
    int rc = -1;
    series *s = NULL;
    bool ok_type = op == 2 ? f->type == CERTLC_METRIC_HISTOGRAM
                           : f->type != CERTLC_METRIC_HISTOGRAM;
    if (ok_type)
        s = find_or_add(f, values, true);
    if (s != NULL) {
        rc = 0;
        if (op == 0) {
            s->value = v;
        } else if (op == 1) {
            s->value += v;
        } else {
            size_t b = 0;
            while (b < f->n_buckets && v > f->buckets[b])
                b++;
            s->counts[b]++;
            s->count++;
            s->value += v;
        }
    }
    pthread_mutex_unlock(&f->reg->mu);
    return rc;
}

int certlc_metric_set(certlc_metric *f, const char *const *values, double v)
{
    return update(f, values, v, 0);
}

int certlc_metric_add(certlc_metric *f, const char *const *values, double v)
{
    return update(f, values, v, 1);
}

int certlc_metric_observe(certlc_metric *f, const char *const *values,
                          double v)
{
    return update(f, values, v, 2);
}

int certlc_metric_get(certlc_metric *f, const char *const *values,
                      double *out)
{
    pthread_mutex_lock(&f->reg->mu);
    series *s = find_or_add(f, values, false);
    if (s != NULL)
        *out = f->type == CERTLC_METRIC_HISTOGRAM ? (double)s->count
                                                  : s->value;
    pthread_mutex_unlock(&f->reg->mu);
    return s != NULL ? 0 : -1;
}

size_t certlc_metric_remove(certlc_metric *f, const char *const *match)
{
    pthread_mutex_lock(&f->reg->mu);
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < f->n; i++) {
        bool hit = f->n_labels > 0;
        for (size_t k = 0; hit && k < f->n_labels; k++)
            hit = match[k] == NULL || strcmp(match[k], f->s[i].values[k]) == 0;
        if (hit) {
            series_fini(f, &f->s[i]);
            removed++;
        } else {
            f->s[kept++] = f->s[i];
        }
    }
    f->n = kept;
    if (removed > 0 && f->index_cap > 0)
        reindex(f, f->index_cap); /* same size: cannot fail for room */
    pthread_mutex_unlock(&f->reg->mu);
    return removed;
}

/* ---- exposition ----------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Label values: \\, \" and \n. Help: \\ and \n. */
static void put_escaped(buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(b, "\\\\");
        else if (*s == '\n')
            puts_(b, "\\n");
        else if (quote && *s == '"')
            puts_(b, "\\\"");
        else
            put(b, s, 1);
    }
}

/* Shortest text that reads back as the same double. */
static void put_double(buf *b, double v)
{
    char s[40];
    if (isnan(v))
        snprintf(s, sizeof s, "NaN");
    else if (isinf(v))
        snprintf(s, sizeof s, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(s, sizeof s, "%lld", (long long)v);
    else {
        snprintf(s, sizeof s, "%.15g", v);
        if (strtod(s, NULL) != v)
            snprintf(s, sizeof s, "%.17g", v);
    }
    puts_(b, s);
}

static void put_u64(buf *b, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    puts_(b, s);
}

/* name{l1="v1",...,extra="x"} */
static void put_series_name(buf *b, const certlc_metric *f,
                            const char *const *values, const char *suffix,
                            const char *extra_label, const char *extra_value)
{
    puts_(b, f->name);
    puts_(b, suffix);
    if (f->n_labels == 0 && extra_label == NULL)
        return;
    put(b, "{", 1);
    for (size_t k = 0; k < f->n_labels; k++) {
        if (k > 0)
            put(b, ",", 1);
        puts_(b, f->labels[k]);
        puts_(b, "=\"");
        put_escaped(b, values[k], true);
        put(b, "\"", 1);
    }
    if (extra_label != NULL) {
        if (f->n_labels > 0)
            put(b, ",", 1);
        puts_(b, extra_label);
        puts_(b, "=\"");
        puts_(b, extra_value);
        put(b, "\"", 1);
    }
    put(b, "}", 1);
}

static int cmp_series(const void *x, const void *y, void *arg)
{
    const certlc_metric *f = arg;
    const series *a = *(const series *const *)x, *c = *(const series *const *)y;
    for (size_t k = 0; k < f->n_labels; k++) {
        int r = strcmp(a->values[k], c->values[k]);
        if (r != 0)
            return r;
    }
    return 0;
}

static void put_header(buf *b, const char *name, const char *help,
                       const char *type)
{
    puts_(b, "# HELP ");
    puts_(b, name);
    put(b, " ", 1);
    put_escaped(b, help, false);
    puts_(b, "\n# TYPE ");
    puts_(b, name);
    put(b, " ", 1);
    puts_(b, type);
    put(b, "\n", 1);
}

/* What a collected family's emit writes into. */
typedef struct emit_ctx {
    buf *b;
    const certlc_metric *f;
} emit_ctx;

static void emit_series(void *arg, const char *const *values, double v)
{
    emit_ctx *c = arg;
    put_series_name(c->b, c->f, values, "", NULL, NULL);
    put(c->b, " ", 1);
    put_double(c->b, v);
    put(c->b, "\n", 1);
}

static void render_family(buf *b, const certlc_metric *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    /* A family with no series yet still says it exists (a counter nothing
     * has counted, as rotations before the first one). */
    put_header(b, f->name, f->help, types[f->type]);
    if (f->collect != NULL) {
        emit_ctx ctx = {b, f};
        f->collect(f->collect_arg, emit_series, &ctx);
        return;
    }
    if (f->n == 0)
        return;
    const series **order = malloc(f->n * sizeof *order);
    if (order == NULL) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < f->n; i++)
        order[i] = &f->s[i];
    qsort_r(order, f->n, sizeof *order, cmp_series, (void *)f);
    for (size_t i = 0; i < f->n; i++) {
        const series *s = order[i];
        const char *const *cv = (const char *const *)s->values;
        if (f->type != CERTLC_METRIC_HISTOGRAM) {
            put_series_name(b, f, cv, "", NULL, NULL);
            put(b, " ", 1);
            put_double(b, s->value);
            put(b, "\n", 1);
            continue;
        }
        uint64_t cum = 0;
        for (size_t k = 0; k <= f->n_buckets; k++) {
            cum += s->counts[k];
            buf le = {0};
            if (k < f->n_buckets)
                put_double(&le, f->buckets[k]);
            else
                puts_(&le, "+Inf");
            put_series_name(b, f, cv, "_bucket", "le", le.oom ? "" : le.p);
            free(le.p);
            put(b, " ", 1);
            put_u64(b, cum);
            put(b, "\n", 1);
        }
        put_series_name(b, f, cv, "_sum", NULL, NULL);
        put(b, " ", 1);
        put_double(b, s->value);
        put(b, "\n", 1);
        put_series_name(b, f, cv, "_count", NULL, NULL);
        put(b, " ", 1);
        put_u64(b, s->count);
        put(b, "\n", 1);
    }
    free(order);
}

static void put_process_metric(buf *b, const char *name, const char *help,
                               const char *type, double v)
{
    put_header(b, name, help, type);
    puts_(b, name);
    put(b, " ", 1);
    put_double(b, v);
    put(b, "\n", 1);
}

/* The process_* metrics of Prometheus' client libraries, from /proc. */
static void render_process(buf *b)
{
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char stat[1024];
    FILE *fp = fopen("/proc/self/stat", "r");
    size_t n = fp != NULL ? fread(stat, 1, sizeof stat - 1, fp) : 0;
    if (fp != NULL)
        fclose(fp);
    stat[n] = '\0';
    /* Fields after the command (which may hold spaces), from field 3. */
    const char *p = strrchr(stat, ')');
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0;
    if (p != NULL &&
        sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d "
               "%*d %*d %*d %*d %*d %llu %llu %lld",
               &utime, &stime, &start, &vsize, &rss) == 5 &&
        tick > 0) {
        put_process_metric(b, "process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.",
                           "counter", (double)(utime + stime) / (double)tick);
        put_process_metric(b, "process_virtual_memory_bytes",
                           "Virtual memory size in bytes.", "gauge",
                           (double)vsize);
        put_process_metric(b, "process_resident_memory_bytes",
                           "Resident memory size in bytes.", "gauge",
                           (double)rss * (double)page);
        /* Start: boot time (btime in /proc/stat) plus the ticks after. */
        fp = fopen("/proc/stat", "r");
        char line[256];
        long long btime = -1;
        while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
            if (sscanf(line, "btime %lld", &btime) == 1)
                break;
        if (fp != NULL)
            fclose(fp);
        if (btime >= 0)
            put_process_metric(b, "process_start_time_seconds",
                               "Start time of the process since unix epoch "
                               "in seconds.",
                               "gauge",
                               (double)btime + (double)start / (double)tick);
    }
    size_t fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            fds += de->d_name[0] != '.';
        closedir(d);
        put_process_metric(b, "process_open_fds",
                           "Number of open file descriptors.", "gauge",
                           (double)(fds > 0 ? fds - 1 : 0)); /* not d's own */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        put_process_metric(b, "process_max_fds",
                           "Maximum number of open file descriptors.",
                           "gauge",
                           rl.rlim_cur == RLIM_INFINITY ? INFINITY
                                                        : (double)rl.rlim_cur);
}

char *certlc_metrics_render(certlc_metrics *m, size_t *len)
{
    buf b = {0};
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_fam; i++)
        render_family(&b, m->fam[i]);
    pthread_mutex_unlock(&m->mu);
    if (m->process)
        render_process(&b);
    put(&b, "", 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.p;
}
