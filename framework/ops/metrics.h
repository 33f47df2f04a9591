/* Metrics: a registry of metric families and their series, and its
 * exposition in the Prometheus text format (version 0.0.4).
 *
 * The engine's thread updates the registry while the HTTP server's thread
 * renders it, so every call takes the registry's mutex. The mutex is
 * recursive: certlc_metrics_lock / _unlock around several updates make a
 * scrape see all of them or none.
 *
 * Label values are any bytes but NUL; the exposition escapes backslash,
 * double quote and line feed as the format requires, and help texts
 * backslash and line feed.
 */
#ifndef CERTLC_METRICS_H
#define CERTLC_METRICS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct certlc_metrics certlc_metrics;
typedef struct certlc_metric certlc_metric; /* one family */

typedef enum certlc_metric_type {
    CERTLC_METRIC_COUNTER,
    CERTLC_METRIC_GAUGE,
    CERTLC_METRIC_HISTOGRAM,
} certlc_metric_type;

/* With `process`, the exposition ends with the process_* metrics every
 * Prometheus client exports (CPU, memory, descriptors, start time), read
 * from /proc when rendered. */
certlc_metrics *certlc_metrics_new(bool process);
void certlc_metrics_free(certlc_metrics *m);

/* Registers a family. labels: NULL-terminated label names (NULL: none).
 * Histograms take their upper bounds, increasing, without +Inf. Returns
 * NULL for an invalid or duplicate name, or out of memory. A family without
 * labels has its one series from the start, at 0. */
certlc_metric *certlc_metrics_add_family(certlc_metrics *m, const char *name,
                                         const char *help,
                                         certlc_metric_type type,
                                         const char *const *labels,
                                         const double *buckets,
                                         size_t n_buckets);

/* A family whose series the registry does not keep: they exist elsewhere
 * already (one per certificate of every tenant, in the observer), and
 * keeping them twice would cost more than the rest of the process. While
 * the exposition is rendered, under the registry's lock, collect(arg, emit,
 * ctx) calls emit(ctx, values, v) once per series, sorted by label values
 * as the registry's own series are. Counters and gauges only; the
 * certlc_metric_* calls below do nothing on such a family. Whoever changes
 * what collect reads takes certlc_metrics_lock around the change. */
typedef void (*certlc_metric_emit)(void *ctx, const char *const *values,
                                   double v);
typedef void (*certlc_metric_collect)(void *arg, certlc_metric_emit emit,
                                      void *ctx);
certlc_metric *certlc_metrics_add_collected(certlc_metrics *m,
                                            const char *name,
                                            const char *help,
                                            certlc_metric_type type,
                                            const char *const *labels,
                                            certlc_metric_collect collect,
                                            void *arg);

/* The series with these label values (as many as the family has labels;
 * NULL for a family without labels), made when missing. 0 or -1 (out of
 * memory, or the wrong operation for the type). */
int certlc_metric_set(certlc_metric *f, const char *const *values, double v);
int certlc_metric_add(certlc_metric *f, const char *const *values, double v);
int certlc_metric_observe(certlc_metric *f, const char *const *values,
                          double v);
/* The value of a series (a histogram's count); -1 when there is none. */
int certlc_metric_get(certlc_metric *f, const char *const *values,
                      double *out);
/* Removes the series whose label i equals match[i] for every match[i] that
 * is not NULL. Returns how many were removed. */
size_t certlc_metric_remove(certlc_metric *f, const char *const *match);

void certlc_metrics_lock(certlc_metrics *m);
void certlc_metrics_unlock(certlc_metrics *m);

/* The exposition, malloc'd and NUL-terminated (*len without the NUL).
 * Families in registration order, series sorted by label values. */
char *certlc_metrics_render(certlc_metrics *m, size_t *len);

/* The content type of the exposition. */
#define CERTLC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
