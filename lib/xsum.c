/* xsum.c: fixed-point accumulation of doubles (Kulisch & Miranker, "The
   arithmetic of the digital computer", SIAM Review 28(1), 1986): integer
   additions are associative, so any grouping gives the same sum.  */
#include <config.h>

#include <math.h>
#include <string.h>

#include "xsum.h"

int
sde__xsum_add (sde_xsum *s, double v)
{
  if (v == 0)
    return 0;
  if (!(fabs (v) < SDE_XSUM_MAX))
    return 1;
  int e;
  double f = frexp (v, &e); /* v = f 2^e, 1/2 <= |f| < 1 */
  int64_t m = (int64_t)ldexp (f, 53);
  int q = e - 53 - SDE_XSUM_LOW; /* bit position of m's last bit */
  int neg = m < 0;
  uint64_t um = neg ? (uint64_t)(-m) : (uint64_t)m;
  if (q < 0)
    {
      if (q <= -64)
        return 0;
      um >>= -q;
      q = 0;
    }
  const int k = q / 32, sh = q % 32;
  unsigned __int128 w = (unsigned __int128)um << sh;
  int64_t p0 = (int64_t)(uint32_t)w, p1 = (int64_t)(uint32_t)(w >> 32);
  int64_t p2 = (int64_t)(uint32_t)(w >> 64);
  if (neg)
    p0 = -p0, p1 = -p1, p2 = -p2;
  s->b[k] += p0;
  if (k + 1 < SDE_XSUM_BINS)
    s->b[k + 1] += p1;
  if (k + 2 < SDE_XSUM_BINS)
    s->b[k + 2] += p2;
  return 0;
}

void
sde__xsum_merge (sde_xsum *s, const sde_xsum *t)
{
  for (int k = 0; k < SDE_XSUM_BINS; k++)
    s->b[k] += t->b[k];
}

double
sde__xsum_value (const sde_xsum *s)
{
  int64_t b[SDE_XSUM_BINS];
  memcpy (b, s->b, sizeof b);
  /* Carries: every bin but the top into [0, 2^32).  */
  for (int k = 0; k + 1 < SDE_XSUM_BINS; k++)
    {
      int64_t carry = b[k] >> 32; /* floor division: arithmetic shift */
      b[k] -= carry * ((int64_t)1 << 32);
      b[k + 1] += carry;
    }
  long double r = 0;
  for (int k = SDE_XSUM_BINS - 1; k >= 0; k--)
    r = r * 4294967296.0L + (long double)b[k];
  return (double)ldexpl (r, SDE_XSUM_LOW);
}
