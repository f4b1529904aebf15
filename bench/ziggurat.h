/* ziggurat.h: a vectorised ziggurat over 64-bit words, the strongest
   alternative transform a user could put behind the same SIMD Philox bits
   (a benchmark peer, not part of the library).  */
#ifndef SDEKIT_BENCH_ZIGGURAT_H
#define SDEKIT_BENCH_ZIGGURAT_H

#include <stddef.h>
#include <stdint.h>

/* Builds the 256-layer tables; call once.  */
void zig_init (void);

/* z0[p] and z1[p], standard normals, from the words lo[p] and hi[p], for
   p < n; the few words that miss the fast path are redrawn from a
   generator seeded by the word.  */
void zig_fill (size_t n, const uint64_t *lo, const uint64_t *hi, double *z0,
               double *z1);

#endif /* SDEKIT_BENCH_ZIGGURAT_H */
