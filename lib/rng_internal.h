/* rng_internal.h: Philox4x32-10 block kernels shared by the rng module and
   its tests (not installed).  */
#ifndef SDEKIT_RNG_INTERNAL_H
#define SDEKIT_RNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Bit 31 of counter word 0 marks a fallback draw (rejection retries); bits
   24..30 hold the attempt and bits 0..23 the variate.  */
#define SDE_PHILOX_FALLBACK 0x80000000u

/* One Philox4x32-10 call: out = philox(ctr, key).  */
void sde__philox1 (const uint32_t key[2], const uint32_t ctr[4],
                   uint32_t out[4]);

/* A block kernel: for lanes p < n, counter (c0, c1, path0 + p, c3) gives
   lo[p] = w0 | w1 << 32 and hi[p] = w2 | w3 << 32.  */
typedef void (*sde__philox_fn) (const uint32_t key[2], uint32_t c0, uint32_t c1,
                                uint32_t path0, uint32_t c3, size_t n,
                                uint64_t *lo, uint64_t *hi);

/* The kernel for ISA ("avx512", "avx2", "generic"), or NULL when this CPU
   or compiler cannot run it.  */
sde__philox_fn sde__philox_kernel (const char *isa);

/* The fastest kernel allowed here (SDEKIT_ISA may lower it) and its name.  */
sde__philox_fn sde__philox_best (const char **isa);

/* Counter words for coordinates (stream, step): c1 and c3.  */
static inline uint32_t
sde__philox_c1 (uint64_t step)
{
  return (uint32_t)step;
}

static inline uint32_t
sde__philox_c3 (uint32_t stream, uint64_t step)
{
  return (stream << 16) | (uint32_t)(step >> 32);
}

#endif /* SDEKIT_RNG_INTERNAL_H */
