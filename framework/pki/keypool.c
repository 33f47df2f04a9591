/* The key pool (keypool.h). */
#include "keypool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct certlc_keypool {
    certlc_key_alg alg;
    unsigned size;
    EVP_PKEY **keys; /* keys[0..n) ready */
    unsigned n;
    pthread_mutex_t mu;
    pthread_cond_t want; /* the filler waits here while full */
    pthread_cond_t have; /* wait_full waits here */
    pthread_t thread;
    bool quit;
};

unsigned certlc_keypool_default_size(certlc_key_alg alg)
{
    switch (alg) {
    case CERTLC_KEY_RSA2048:
    case CERTLC_KEY_RSA3072:
    case CERTLC_KEY_RSA4096:
        return 2;
    default:
        return 0;
    }
}

/* The lowest priority there is: the pool only uses a core nobody wants. */
static void lower_priority(void)
{
    struct sched_param sp = {.sched_priority = 0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) == 0)
        return;
    /* Per thread on Linux: setpriority on the thread's id. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        certlc_debug("keypool", "cannot lower the filler's priority: %s",
                     strerror(errno));
}

static void *filler(void *arg)
{
    certlc_keypool *p = arg;
    lower_priority();
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        if (p->n >= p->size) {
            pthread_cond_wait(&p->want, &p->mu);
            continue;
        }
        pthread_mutex_unlock(&p->mu);
        certlc_err err;
        EVP_PKEY *key = certlc_key_generate_fresh(p->alg, &err);
        pthread_mutex_lock(&p->mu);
        if (key == NULL) {
            /* Not fatal: takers generate inline. Try again later rather
             * than spin on a failing generator. */
            certlc_warn("keypool", "%s", err.msg);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 5;
            pthread_cond_timedwait(&p->want, &p->mu, &ts);
            continue;
        }
        if (p->quit || p->n >= p->size) {
            EVP_PKEY_free(key);
            continue;
        }
        p->keys[p->n++] = key;
        pthread_cond_broadcast(&p->have);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

certlc_keypool *certlc_keypool_start(certlc_key_alg alg, unsigned size,
                                     certlc_err *err)
{
    if (size == 0)
        return NULL;
    certlc_keypool *p = calloc(1, sizeof *p);
    if (p == NULL || (p->keys = calloc(size, sizeof *p->keys)) == NULL) {
        free(p);
        certlc_err_set(err, "key pool: out of memory");
        return NULL;
    }
    p->alg = alg;
    p->size = size;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->want, NULL);
    pthread_cond_init(&p->have, NULL);
    int rc = pthread_create(&p->thread, NULL, filler, p);
    if (rc != 0) {
        certlc_err_set(err, "key pool: cannot start its thread: %s",
                       strerror(rc));
        pthread_cond_destroy(&p->want);
        pthread_cond_destroy(&p->have);
        pthread_mutex_destroy(&p->mu);
        free(p->keys);
        free(p);
        return NULL;
    }
    return p;
}

EVP_PKEY *certlc_keypool_take(certlc_keypool *p, certlc_key_alg alg)
{
    if (p == NULL || alg != p->alg)
        return NULL;
    EVP_PKEY *key = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->n > 0) {
        key = p->keys[--p->n];
        p->keys[p->n] = NULL;
        pthread_cond_signal(&p->want);
    }
    pthread_mutex_unlock(&p->mu);
    return key;
}

size_t certlc_keypool_ready(certlc_keypool *p)
{
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    size_t n = p->n;
    pthread_mutex_unlock(&p->mu);
    return n;
}

EVP_PKEY *certlc_keypool_peek(certlc_keypool *p, size_t i)
{
    if (p == NULL)
        return NULL;
    pthread_mutex_lock(&p->mu);
    EVP_PKEY *key = i < p->n ? p->keys[i] : NULL;
    pthread_mutex_unlock(&p->mu);
    return key;
}

int certlc_keypool_wait_full(certlc_keypool *p, int timeout_ms)
{
    if (p == NULL)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (p->n < p->size && rc == 0)
        rc = pthread_cond_timedwait(&p->have, &p->mu, &ts);
    bool full = p->n >= p->size;
    pthread_mutex_unlock(&p->mu);
    return full ? 0 : -1;
}

void certlc_keypool_free(certlc_keypool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->want);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    /* EVP_PKEY_free clears the private components before freeing them. */
    for (unsigned i = 0; i < p->n; i++)
        EVP_PKEY_free(p->keys[i]);
    free(p->keys);
    pthread_cond_destroy(&p->want);
    pthread_cond_destroy(&p->have);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

EVP_PKEY *certlc_keypool_source(certlc_key_alg alg, void *arg)
{
    return certlc_keypool_take(arg, alg);
}
