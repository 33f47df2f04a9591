/* The worker pool: every job runs exactly once, the jobs are spread over
 * the threads, and outside key generation no two jobs run at once (the
 * pass lock), while key generation lets another job in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "pki.h"
#include "workers.h"

#define N_JOBS 64

typedef struct run {
    atomic_int done[N_JOBS];
    atomic_int inside;     /* jobs in their locked part now */
    atomic_int max_inside; /* the most ever seen */
    atomic_int in_keygen;  /* jobs generating a key now */
    atomic_int overlapped; /* a job entered while another generated */
    certlc_key_alg alg;
    pthread_t threads[N_JOBS];
} run;

static void locked_part(run *r)
{
    int now = atomic_fetch_add(&r->inside, 1) + 1;
    int max = atomic_load(&r->max_inside);
    while (now > max && !atomic_compare_exchange_weak(&r->max_inside, &max, now))
        ;
    if (atomic_load(&r->in_keygen) > 0)
        atomic_store(&r->overlapped, 1);
    usleep(200); /* long enough for another thread to try */
    atomic_fetch_sub(&r->inside, 1);
}

static void job(void *arg, size_t i)
{
    run *r = arg;
    r->threads[i] = pthread_self();
    locked_part(r);
    certlc_err err = {{0}};
    atomic_fetch_add(&r->in_keygen, 1);
    EVP_PKEY *key = certlc_key_generate_fresh(r->alg, &err);
    atomic_fetch_sub(&r->in_keygen, 1);
    EVP_PKEY_free(key);
    locked_part(r);
    atomic_fetch_add(&r->done[i], 1);
}

static void each_job_once_one_at_a_time(void **state)
{
    (void)state;
    certlc_workers *w = certlc_workers_new(2);
    assert_non_null(w);
    assert_int_equal(certlc_workers_count(w), 2);
    static run r;
    for (int round = 0; round < 3; round++) {
        memset(&r, 0, sizeof r);
        r.alg = CERTLC_KEY_ECDSA_P256;
        certlc_workers_run(w, N_JOBS, job, &r);
        for (int i = 0; i < N_JOBS; i++)
            assert_int_equal(atomic_load(&r.done[i]), 1);
        assert_int_equal(atomic_load(&r.max_inside), 1);
    }
    bool two_threads = false;
    for (int i = 1; i < N_JOBS; i++)
        two_threads |= !pthread_equal(r.threads[i], r.threads[0]);
    assert_true(two_threads);
    certlc_workers_free(w);
}

/* With a slow RSA key generation in every job, some job runs its locked
 * part while another generates: the lock is let go there. */
static void key_generation_overlaps(void **state)
{
    (void)state;
    certlc_workers *w = certlc_workers_new(2);
    assert_non_null(w);
    static run r;
    memset(&r, 0, sizeof r);
    r.alg = CERTLC_KEY_RSA2048;
    certlc_workers_run(w, 6, job, &r);
    assert_int_equal(atomic_load(&r.max_inside), 1);
    assert_int_equal(atomic_load(&r.overlapped), 1);
    certlc_workers_free(w);
}

/* A stretch bracketed by certlc_workers_leave_pass/enter_pass, with key
 * generation (which lets go of the lock itself) nested inside: other jobs
 * run their locked parts meanwhile, and after it the job holds the lock
 * again (never two locked parts at once). */
static atomic_int in_stretch;

static void stretch_job(void *arg, size_t i)
{
    run *r = arg;
    r->threads[i] = pthread_self();
    locked_part(r);
    if (atomic_load(&in_stretch) > 0)
        atomic_store(&r->overlapped, 1);
    certlc_workers_leave_pass();
    atomic_fetch_add(&in_stretch, 1);
    usleep(1000);
    certlc_err err = {{0}};
    EVP_PKEY_free(certlc_key_generate_fresh(r->alg, &err));
    usleep(1000);
    atomic_fetch_sub(&in_stretch, 1);
    certlc_workers_enter_pass();
    locked_part(r);
    locked_part(r);
    atomic_fetch_add(&r->done[i], 1);
}

static void stretch_outside_the_lock(void **state)
{
    (void)state;
    certlc_workers *w = certlc_workers_new(2);
    assert_non_null(w);
    static run r;
    memset(&r, 0, sizeof r);
    r.alg = CERTLC_KEY_ECDSA_P256;
    certlc_workers_run(w, N_JOBS, stretch_job, &r);
    for (int i = 0; i < N_JOBS; i++)
        assert_int_equal(atomic_load(&r.done[i]), 1);
    assert_int_equal(atomic_load(&r.max_inside), 1);
    assert_int_equal(atomic_load(&r.overlapped), 1);
    certlc_workers_free(w);
    /* Outside a worker they do nothing. */
    certlc_workers_leave_pass();
    certlc_workers_enter_pass();
}

static void one_worker_runs_inline(void **state)
{
    (void)state;
    certlc_workers *w = certlc_workers_new(1);
    assert_non_null(w);
    static run r;
    memset(&r, 0, sizeof r);
    r.alg = CERTLC_KEY_ECDSA_P256;
    certlc_workers_run(w, 8, job, &r);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(atomic_load(&r.done[i]), 1);
        assert_true(pthread_equal(r.threads[i], pthread_self()));
    }
    certlc_workers_free(w);
    assert_true(certlc_cpu_count() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_job_once_one_at_a_time),
        cmocka_unit_test(key_generation_overlaps),
        cmocka_unit_test(stretch_outside_the_lock),
        cmocka_unit_test(one_worker_runs_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
