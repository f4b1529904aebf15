/* philox.c: Philox4x32-10 block kernels, generic and SIMD (Salmon et al.,
   SC'11, section 3.2).  The SIMD kernels keep one 32-bit counter word per
   64-bit lane, so that one vpmuludq gives the full 32x32->64 product.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "rng_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SDE_HAVE_X86 1
#endif

#define PH_M0 0xD2511F53u
#define PH_M1 0xCD9E8D57u
#define PH_W0 0x9E3779B9u
#define PH_W1 0xBB67AE85u
#define PH_ROUNDS 10

void
sde__philox1 (const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4])
{
  philox4x32_ctr_t c = { { ctr[0], ctr[1], ctr[2], ctr[3] } };
  philox4x32_key_t k = { { key[0], key[1] } };
  philox4x32_ctr_t r = philox4x32_R (PH_ROUNDS, c, k);
  memcpy (out, r.v, sizeof r.v);
}

static void
philox_generic (const uint32_t key[2], uint32_t c0, uint32_t c1, uint32_t path0,
                uint32_t c3, size_t n, uint64_t *lo, uint64_t *hi)
{
  for (size_t p = 0; p < n; p++)
    {
      uint32_t ctr[4] = { c0, c1, path0 + (uint32_t)p, c3 }, o[4];
      sde__philox1 (key, ctr, o);
      lo[p] = o[0] | (uint64_t)o[1] << 32;
      hi[p] = o[2] | (uint64_t)o[3] << 32;
    }
}

#ifdef SDE_HAVE_X86
/* Eight lanes per iteration as two interleaved 4-lane chains, so the
   multiplier latency of one chain hides behind the other.  */
__attribute__ ((target ("avx2"))) static void
philox_avx2 (const uint32_t key[2], uint32_t c0, uint32_t c1, uint32_t path0,
             uint32_t c3, size_t n, uint64_t *lo, uint64_t *hi)
{
  __m256i k0[PH_ROUNDS], k1[PH_ROUNDS];
  for (int r = 0; r < PH_ROUNDS; r++)
    {
      k0[r] = _mm256_set1_epi64x ((uint32_t)(key[0] + (uint32_t)r * PH_W0));
      k1[r] = _mm256_set1_epi64x ((uint32_t)(key[1] + (uint32_t)r * PH_W1));
    }
  const __m256i m0 = _mm256_set1_epi64x (PH_M0);
  const __m256i m1 = _mm256_set1_epi64x (PH_M1);
  const __m256i mask = _mm256_set1_epi64x (0xffffffff);
  const __m256i iota = _mm256_set_epi64x (3, 2, 1, 0);
  size_t p = 0;
  for (; p + 8 <= n; p += 8)
    {
      __m256i a0 = _mm256_set1_epi64x (c0), a1 = _mm256_set1_epi64x (c1);
      __m256i a3 = _mm256_set1_epi64x (c3);
      __m256i a2 = _mm256_add_epi64 (
          _mm256_set1_epi64x ((uint32_t)(path0 + (uint32_t)p)), iota);
      __m256i b0 = a0, b1 = a1, b3 = a3;
      __m256i b2 = _mm256_add_epi64 (a2, _mm256_set1_epi64x (4));
      for (int r = 0; r < PH_ROUNDS; r++)
        {
          __m256i x = _mm256_mul_epu32 (a0, m0), y = _mm256_mul_epu32 (a2, m1);
          __m256i xx = _mm256_mul_epu32 (b0, m0);
          __m256i yy = _mm256_mul_epu32 (b2, m1);
          a0 = _mm256_xor_si256 (
              _mm256_xor_si256 (_mm256_srli_epi64 (y, 32), a1), k0[r]);
          a2 = _mm256_xor_si256 (
              _mm256_xor_si256 (_mm256_srli_epi64 (x, 32), a3), k1[r]);
          a1 = y;
          a3 = x;
          b0 = _mm256_xor_si256 (
              _mm256_xor_si256 (_mm256_srli_epi64 (yy, 32), b1), k0[r]);
          b2 = _mm256_xor_si256 (
              _mm256_xor_si256 (_mm256_srli_epi64 (xx, 32), b3), k1[r]);
          b1 = yy;
          b3 = xx;
        }
      /* Lanes keep garbage above bit 31 in a0/a2 (only the low half feeds
         the multiplier), so mask before packing.  */
      _mm256_storeu_si256 ((__m256i *)(lo + p),
                           _mm256_or_si256 (_mm256_and_si256 (a0, mask),
                                            _mm256_slli_epi64 (a1, 32)));
      _mm256_storeu_si256 ((__m256i *)(lo + p + 4),
                           _mm256_or_si256 (_mm256_and_si256 (b0, mask),
                                            _mm256_slli_epi64 (b1, 32)));
      _mm256_storeu_si256 ((__m256i *)(hi + p),
                           _mm256_or_si256 (_mm256_and_si256 (a2, mask),
                                            _mm256_slli_epi64 (a3, 32)));
      _mm256_storeu_si256 ((__m256i *)(hi + p + 4),
                           _mm256_or_si256 (_mm256_and_si256 (b2, mask),
                                            _mm256_slli_epi64 (b3, 32)));
    }
  if (p < n)
    philox_generic (key, c0, c1, path0 + (uint32_t)p, c3, n - p, lo + p,
                    hi + p);
}

/* Sixteen lanes per iteration; vpternlogq folds the two xors of a round.  */
__attribute__ ((target ("avx512f"))) static void
philox_avx512 (const uint32_t key[2], uint32_t c0, uint32_t c1, uint32_t path0,
               uint32_t c3, size_t n, uint64_t *lo, uint64_t *hi)
{
  __m512i k0[PH_ROUNDS], k1[PH_ROUNDS];
  for (int r = 0; r < PH_ROUNDS; r++)
    {
      k0[r] = _mm512_set1_epi64 ((uint32_t)(key[0] + (uint32_t)r * PH_W0));
      k1[r] = _mm512_set1_epi64 ((uint32_t)(key[1] + (uint32_t)r * PH_W1));
    }
  const __m512i m0 = _mm512_set1_epi64 (PH_M0);
  const __m512i m1 = _mm512_set1_epi64 (PH_M1);
  const __m512i mask = _mm512_set1_epi64 (0xffffffff);
  const __m512i iota = _mm512_set_epi64 (7, 6, 5, 4, 3, 2, 1, 0);
  size_t p = 0;
  for (; p + 16 <= n; p += 16)
    {
      __m512i a0 = _mm512_set1_epi64 (c0), a1 = _mm512_set1_epi64 (c1);
      __m512i a3 = _mm512_set1_epi64 (c3);
      __m512i a2 = _mm512_add_epi64 (
          _mm512_set1_epi64 ((uint32_t)(path0 + (uint32_t)p)), iota);
      __m512i b0 = a0, b1 = a1, b3 = a3;
      __m512i b2 = _mm512_add_epi64 (a2, _mm512_set1_epi64 (8));
      for (int r = 0; r < PH_ROUNDS; r++)
        {
          __m512i x = _mm512_mul_epu32 (a0, m0), y = _mm512_mul_epu32 (a2, m1);
          __m512i xx = _mm512_mul_epu32 (b0, m0);
          __m512i yy = _mm512_mul_epu32 (b2, m1);
          a0 = _mm512_ternarylogic_epi64 (_mm512_srli_epi64 (y, 32), a1, k0[r],
                                          0x96);
          a2 = _mm512_ternarylogic_epi64 (_mm512_srli_epi64 (x, 32), a3, k1[r],
                                          0x96);
          a1 = y;
          a3 = x;
          b0 = _mm512_ternarylogic_epi64 (_mm512_srli_epi64 (yy, 32), b1, k0[r],
                                          0x96);
          b2 = _mm512_ternarylogic_epi64 (_mm512_srli_epi64 (xx, 32), b3, k1[r],
                                          0x96);
          b1 = yy;
          b3 = xx;
        }
      _mm512_storeu_si512 (lo + p,
                           _mm512_or_si512 (_mm512_and_si512 (a0, mask),
                                            _mm512_slli_epi64 (a1, 32)));
      _mm512_storeu_si512 (lo + p + 8,
                           _mm512_or_si512 (_mm512_and_si512 (b0, mask),
                                            _mm512_slli_epi64 (b1, 32)));
      _mm512_storeu_si512 (hi + p,
                           _mm512_or_si512 (_mm512_and_si512 (a2, mask),
                                            _mm512_slli_epi64 (a3, 32)));
      _mm512_storeu_si512 (hi + p + 8,
                           _mm512_or_si512 (_mm512_and_si512 (b2, mask),
                                            _mm512_slli_epi64 (b3, 32)));
    }
  if (p < n)
    philox_avx2 (key, c0, c1, path0 + (uint32_t)p, c3, n - p, lo + p, hi + p);
}
#endif /* SDE_HAVE_X86 */

sde__philox_fn
sde__philox_kernel (const char *isa)
{
  if (strcmp (isa, "generic") == 0)
    return philox_generic;
#ifdef SDE_HAVE_X86
  __builtin_cpu_init ();
  if (strcmp (isa, "avx2") == 0 && __builtin_cpu_supports ("avx2"))
    return philox_avx2;
  if (strcmp (isa, "avx512") == 0 && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx2"))
    return philox_avx512;
#endif
  return NULL;
}

static const char *const isa_order[] = { "avx512", "avx2", "generic" };

sde__philox_fn
sde__philox_best (const char **isa)
{
  /* Racing threads compute the same answer, so relaxed atomics suffice.  */
  static sde__philox_fn best;
  static const char *best_name;
  sde__philox_fn f = __atomic_load_n (&best, __ATOMIC_ACQUIRE);
  if (f == NULL)
    {
      const char *cap = getenv ("SDEKIT_ISA");
      size_t start = 0;
      for (size_t i = 0; cap && i < 3; i++)
        if (strcmp (cap, isa_order[i]) == 0)
          start = i;
      for (size_t i = start; i < 3 && f == NULL; i++)
        {
          f = sde__philox_kernel (isa_order[i]);
          if (f)
            __atomic_store_n (&best_name, isa_order[i], __ATOMIC_RELAXED);
        }
      __atomic_store_n (&best, f, __ATOMIC_RELEASE);
    }
  if (isa)
    *isa = __atomic_load_n (&best_name, __ATOMIC_RELAXED);
  return f;
}
