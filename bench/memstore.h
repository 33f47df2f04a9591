/* A store in memory for the benchmarks (memstore.c): no files, no fsync,
 * no serialisation. Not watchable. */
#ifndef CERTLC_BENCH_MEMSTORE_H
#define CERTLC_BENCH_MEMSTORE_H

#include "store.h"

certlc_store *bench_memstore_open(void);

#endif
