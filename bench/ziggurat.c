/* ziggurat.c: Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000)
   with 256 layers and Doornik's separate bits for the layer and the abscissa
   (Doornik, "An improved ziggurat method", 2005), written as a benchmark
   peer: the fast path is one vectorisable loop (two table lookups, a
   multiply and a compare per normal), the wedges and the tail a scalar pass
   over the words that missed it.  The compiler emulates the lookups with
   scalar loads; explicit AVX-512 gathers were slower on the machine the
   README's figures come from.  */
#include <config.h>

#include <math.h>
#include <string.h>

#include "simd.h"
#include "ziggurat.h"

#define ZIG_R 3.6541528853610088 /* the base strip's edge */
#define ZIG_V 4.92867323399e-3   /* the area of every layer */

static double xs[257], fx[257]; /* layer edges and exp(-x^2/2) there */
static double W[256];           /* xs[i] 2^-52 */
static uint64_t K[256];         /* 2^52 xs[i+1] / xs[i] */

void
zig_init (void)
{
  xs[0] = ZIG_V / exp (-0.5 * ZIG_R * ZIG_R);
  xs[1] = ZIG_R;
  for (int i = 1; i < 255; i++)
    xs[i + 1] = sqrt (-2.0 * log (ZIG_V / xs[i] + exp (-0.5 * xs[i] * xs[i])));
  xs[256] = 0.0;
  for (int i = 0; i <= 256; i++)
    fx[i] = exp (-0.5 * xs[i] * xs[i]);
  for (int i = 0; i < 256; i++)
    {
      W[i] = xs[i] * 0x1p-52;
      K[i] = (uint64_t)(xs[i + 1] / xs[i] * 0x1p52);
    }
}

static uint64_t
splitmix (uint64_t *s)
{
  uint64_t z = (*s += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* In (0, 1].  */
static double
unit (uint64_t *s)
{
  return ((double)(splitmix (s) >> 11) + 1.0) * 0x1p-53;
}

/* The word W missed the fast path: its wedge or tail test, then fresh
   words until one is accepted.  */
static double
slow (uint64_t w)
{
  uint64_t s = w ^ UINT64_C (0x6a09e667f3bcc909);
  for (;;)
    {
      const unsigned i = (unsigned)(w & 0xff);
      const uint64_t u = w >> 12;
      const double sign = (w >> 8) & 1 ? -1.0 : 1.0;
      double x = (double)u * W[i];
      if (u < K[i])
        return sign * x;
      if (i == 0)
        {
          double y;
          do
            {
              x = -log (unit (&s)) / ZIG_R;
              y = -log (unit (&s));
            }
          while (y + y < x * x);
          return sign * (ZIG_R + x);
        }
      if (fx[i] + unit (&s) * (fx[i + 1] - fx[i]) < exp (-0.5 * x * x))
        return sign * x;
      w = splitmix (&s);
    }
}

/* The fast path: the normal, and in *MISS a 1 when W must go to slow.  */
static inline double
fast (uint64_t w, uint8_t *miss)
{
  const uint64_t i = w & 0xff, u = w >> 12;
  double x = (double)(int64_t)u * W[i];
  uint64_t b;
  memcpy (&b, &x, sizeof b);
  b |= (w << 55) & UINT64_C (0x8000000000000000);
  memcpy (&x, &b, sizeof x);
  *miss = u >= K[i];
  return x;
}

enum
{
  BLOCK = 256
};

SDE_CLONES static void
fill_fast (size_t n, const uint64_t *restrict lo, const uint64_t *restrict hi,
           double *restrict z0, double *restrict z1, uint8_t *restrict m0,
           uint8_t *restrict m1)
{
  for (size_t p = 0; p < n; p++)
    {
      z0[p] = fast (lo[p], &m0[p]);
      z1[p] = fast (hi[p], &m1[p]);
    }
}

void
zig_fill (size_t n, const uint64_t *lo, const uint64_t *hi, double *z0,
          double *z1)
{
  /* The flags as bytes, scanned eight at a time: about one normal in 67
     misses, so most groups of eight are clean.  */
  uint64_t f0[BLOCK / 8], f1[BLOCK / 8];
  for (size_t c = 0; c < n; c += BLOCK)
    {
      const size_t len = n - c < BLOCK ? n - c : BLOCK;
      memset (f0, 0, sizeof f0);
      memset (f1, 0, sizeof f1);
      fill_fast (len, lo + c, hi + c, z0 + c, z1 + c, (uint8_t *)f0,
                 (uint8_t *)f1);
      const uint8_t *m0 = (const uint8_t *)f0, *m1 = (const uint8_t *)f1;
      for (size_t g = 0; 8 * g < len; g++)
        if (f0[g] | f1[g])
          for (size_t p = 8 * g; p < 8 * g + 8 && p < len; p++)
            {
              if (m0[p])
                z0[c + p] = slow (lo[c + p]);
              if (m1[p])
                z1[c + p] = slow (hi[c + p]);
            }
    }
}
