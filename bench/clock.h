/* Clocks for the benchmarks: wall (monotonic) and this process's CPU time,
 * in seconds. */
#ifndef CERTLC_BENCH_CLOCK_H
#define CERTLC_BENCH_CLOCK_H

#include <time.h>

static inline double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
