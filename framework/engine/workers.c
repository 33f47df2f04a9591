/* The worker pool (workers.h): a batch of calls shared by n threads, each
 * call under the pass lock, which pki.c lets go of around key generation
 * and signing through the hooks installed here, and the pass around the
 * issuing of a Secret. */
#include "workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "pki.h"

struct certlc_workers {
    unsigned n;
    pthread_t *threads; /* n - 1 */
    pthread_mutex_t mu; /* guards the batch below */
    pthread_cond_t start, done;
    void (*fn)(void *arg, size_t i);
    void *arg;
    size_t n_jobs, next, running;
    unsigned long batch; /* counts batches: a thread joins each once */
    bool quit;
};

/* One pass at a time touches what tenants share (workers.h). */
static pthread_mutex_t pass_mu = PTHREAD_MUTEX_INITIALIZER;
/* This thread holds pass_mu as a worker (not merely by chance). */
static _Thread_local bool pass_held;
/* How deep this worker is in stretches outside the lock: they nest (the
 * pass's issuing holds key generation and signing). */
static _Thread_local unsigned outside;

void certlc_workers_leave_pass(void)
{
    if (pass_held && outside++ == 0)
        pthread_mutex_unlock(&pass_mu);
}

void certlc_workers_enter_pass(void)
{
    if (pass_held && --outside == 0)
        pthread_mutex_lock(&pass_mu);
}

unsigned certlc_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

/* Takes jobs of the current batch until none is left. Called with w->mu
 * held; returns with it held. */
static void take_jobs(certlc_workers *w)
{
    while (w->next < w->n_jobs) {
        size_t i = w->next++;
        w->running++;
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_lock(&pass_mu);
        pass_held = true;
        w->fn(w->arg, i);
        pass_held = false;
        pthread_mutex_unlock(&pass_mu);
        pthread_mutex_lock(&w->mu);
        w->running--;
    }
    if (w->running == 0)
        pthread_cond_broadcast(&w->done);
}

static void *worker_main(void *arg)
{
    certlc_workers *w = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && w->batch == seen)
            pthread_cond_wait(&w->start, &w->mu);
        if (w->quit)
            break;
        seen = w->batch;
        take_jobs(w);
    }
    pthread_mutex_unlock(&w->mu);
    certlc_pki_thread_end();
    return NULL;
}

certlc_workers *certlc_workers_new(unsigned n)
{
    if (n == 0)
        n = certlc_cpu_count();
    certlc_workers *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->n = 1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->start, NULL);
    pthread_cond_init(&w->done, NULL);
    if (n > 1) {
        w->threads = calloc(n - 1, sizeof *w->threads);
        if (w->threads == NULL) {
            certlc_workers_free(w);
            return NULL;
        }
        for (unsigned k = 0; k + 1 < n; k++) {
            if (pthread_create(&w->threads[k], NULL, worker_main, w) != 0) {
                certlc_warn("workers", "only %u of %u workers started",
                            w->n, n);
                break;
            }
            w->n++;
        }
    }
    /* Idempotent: the hooks only act in threads that hold the lock as
     * workers, so installing them for every pool is harmless. */
    certlc_pki_set_busy_hooks(certlc_workers_leave_pass,
                              certlc_workers_enter_pass);
    return w;
}

unsigned certlc_workers_count(const certlc_workers *w)
{
    return w == NULL ? 1 : w->n;
}

void certlc_workers_run(certlc_workers *w, size_t n,
                        void (*fn)(void *arg, size_t i), void *arg)
{
    if (w == NULL || w->n == 1 || n <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->fn = fn;
    w->arg = arg;
    w->n_jobs = n;
    w->next = 0;
    w->batch++;
    pthread_cond_broadcast(&w->start);
    take_jobs(w);
    while (w->running > 0 || w->next < w->n_jobs)
        pthread_cond_wait(&w->done, &w->mu);
    w->fn = NULL;
    w->n_jobs = 0;
    pthread_mutex_unlock(&w->mu);
}

void certlc_workers_free(certlc_workers *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    pthread_cond_broadcast(&w->start);
    pthread_mutex_unlock(&w->mu);
    for (unsigned k = 0; k + 1 < w->n; k++)
        pthread_join(w->threads[k], NULL);
    free(w->threads);
    pthread_cond_destroy(&w->start);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
