/* rng.c: laws drawn from counter-based Philox4x32-10 streams.  Normals by
   the Box-Muller transform (Box & Muller, Ann. Math. Stat. 29, 1958) with
   branch-free polynomial log/sin/cos so that blocks of paths vectorise;
   Student-t by Bailey's polar method (Math. Comp. 62, 1994); integers by
   Lemire's multiply-and-reject (ACM TOMACS 29, 2019).  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "rng_internal.h"
#include "sdekit/rng.h"
#include "sdekit/spec.h"
#include "simd.h"

/* Lanes per kernel call: the two word buffers stay in L1.  */
#define CHUNK 256

struct sde_rng
{
  uint64_t seed;
  uint32_t key[2];
  gsl_rng *gsl; /* NULL for Philox */
};

/* Defined in rng_gsl.c.  */
int sde__rng_gsl_sample (gsl_rng *g, uint64_t seed, sde_rng_law law,
                         double param, uint32_t stream, uint64_t step,
                         uint64_t path0, size_t npaths, size_t n, double *x,
                         size_t ld);
int sde__rng_gsl_sample_index (gsl_rng *g, uint64_t seed, uint32_t range,
                               uint32_t stream, uint64_t step, uint64_t path0,
                               size_t npaths, size_t n, uint32_t *k, size_t ld);

static const char *const law_names[SDE_RNG_NLAWS]
    = { "normal", "uniform", "twopoint", "threepoint", "student" };

const char *
sde_rng_law_name (sde_rng_law law)
{
  return (unsigned)law < SDE_RNG_NLAWS ? law_names[law] : NULL;
}

int
sde_rng_law_find (const char *name)
{
  if (name == NULL)
    return -1;
  if (strcmp (name, "rademacher") == 0)
    return SDE_RNG_RADEMACHER;
  for (int i = 0; i < SDE_RNG_NLAWS; i++)
    if (strcmp (name, law_names[i]) == 0)
      return i;
  return -1;
}

sde_rng *
sde_rng_alloc (const char *name, uint64_t seed)
{
  const gsl_rng_type *type = NULL;
  if (name != NULL && strcmp (name, "philox") != 0)
    {
      for (const gsl_rng_type **t = gsl_rng_types_setup (); *t; t++)
        if (strcmp ((*t)->name, name) == 0)
          type = *t;
      if (type == NULL)
        GSL_ERROR_NULL ("unknown random number generator", GSL_EINVAL);
    }
  sde_rng *r = calloc (1, sizeof *r);
  if (r == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for rng"), NULL;
  r->seed = seed;
  r->key[0] = (uint32_t)seed;
  r->key[1] = (uint32_t)(seed >> 32);
  if (type)
    {
      r->gsl = gsl_rng_alloc (type);
      if (r->gsl == NULL)
        {
          free (r);
          return sde_error (GSL_ENOMEM, "out of memory for GSL generator"),
                 NULL;
        }
    }
  return r;
}

void
sde_rng_free (sde_rng *r)
{
  if (r == NULL)
    return;
  if (r->gsl)
    gsl_rng_free (r->gsl);
  free (r);
}

const char *
sde_rng_name (const sde_rng *r)
{
  return r->gsl ? gsl_rng_name (r->gsl) : "philox";
}

uint64_t
sde_rng_seed (const sde_rng *r)
{
  return r->seed;
}

int
sde_rng_is_counter (const sde_rng *r)
{
  return r->gsl == NULL;
}

const char *
sde_rng_isa (void)
{
  const char *isa;
  sde__philox_best (&isa);
  return isa;
}

/* ---- Per-lane transforms, shared by the vector fills and sample_one. ---- */

#define ONE_BITS UINT64_C (0x3ff0000000000000)
#define MANT_MASK UINT64_C (0x000fffffffffffff)
#define SIGN_BIT UINT64_C (0x8000000000000000)
#define LN2_HI 0x1.62e42feep-1 /* 32 bits: e * LN2_HI is exact */
#define LN2_LO 0x1.a39ef35793c76p-33
#define PI_4 0x1.921fb54442d18p-1
#define SQRT2 0x1.6a09e667f3bcdp+0
#define SQRT3 0x1.bb67ae8584caap+0
#define THREE_T1 UINT64_C (0x2aaaaaaaaaaaaaaa) /* floor(2^64/6) */

static inline double
as_double (uint64_t u)
{
  double d;
  memcpy (&d, &u, sizeof d);
  return d;
}

static inline uint64_t
as_bits (double d)
{
  uint64_t u;
  memcpy (&u, &d, sizeof u);
  return u;
}

/* (k + 1/2) 2^-52 for k the top 52 bits of w: in (0,1), exact.  */
static inline double
unit_open (uint64_t w)
{
  return as_double (ONE_BITS | (w >> 12)) - 1.0 + 0x1p-53;
}

/* log(u) for u in [2^-53, 1): u = 2^e m with m in [sqrt(1/2), sqrt(2)),
   log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716; the atanh series to
   s^19 leaves a relative error below 3e-17.  */
static inline double
log_unit (double u)
{
  uint64_t ub = as_bits (u);
  double m = as_double ((ub & MANT_MASK) | ONE_BITS);
  double e = as_double (UINT64_C (0x4330000000000000) | (ub >> 52))
             - (0x1p52 + 1023.0);
  int big = m > SQRT2;
  m = big ? 0.5 * m : m;
  e = big ? e + 1.0 : e;
  double s = (m - 1.0) / (m + 1.0), z = s * s;
  double z2 = z * z, z4 = z2 * z2;
  /* Estrin's scheme: short dependency chains keep the pipes busy.  */
  double q01 = fma (1.0 / 5, z, 1.0 / 3), q23 = fma (1.0 / 9, z, 1.0 / 7);
  double q45 = fma (1.0 / 13, z, 1.0 / 11), q67 = fma (1.0 / 17, z, 1.0 / 15);
  double q = fma (fma (q67, z2, q45), z4, fma (q23, z2, q01));
  q = fma (1.0 / 19, z4 * z4, q);
  double s2 = 2.0 * s;
  double lm = fma (s2 * z, q, s2);
  return fma (e, LN2_HI, fma (e, LN2_LO, lm));
}

/* sin and cos on [0, pi/4] by their Taylor series to x^15 and x^16: the
   truncation error is below 7e-17 relative.  */
static inline void
sincos_octant (double x, double *sn, double *cs)
{
  double y = x * x, y2 = y * y, y4 = y2 * y2;
  double s01 = fma (1.0 / 120, y, -1.0 / 6);
  double s23 = fma (1.0 / 362880, y, -1.0 / 5040);
  double s45 = fma (1.0 / 6227020800.0, y, -1.0 / 39916800);
  double sp
      = fma (fma (-1.0 / 1307674368000.0, y2, s45), y4, fma (s23, y2, s01));
  *sn = fma (x * y, sp, x);
  double c01 = fma (1.0 / 24, y, -0.5);
  double c23 = fma (1.0 / 40320, y, -1.0 / 720);
  double c45 = fma (1.0 / 479001600, y, -1.0 / 3628800);
  double c67 = fma (1.0 / 20922789888000.0, y, -1.0 / 87178291200.0);
  double cp = fma (fma (c67, y2, c45), y4, fma (c23, y2, c01));
  *cs = fma (y, cp, 1.0);
}

/* Two independent N(0,1) from 128 bits.  The radius takes 52 bits of LO;
   the angle is phi in [0, pi/4] (50 bits of HI) mapped to the circle by the
   eight symmetries of the square chosen by HI's top three bits, which keeps
   the law of the angle uniform.  */
static inline void
normal_pair (uint64_t lo, uint64_t hi, double *z0, double *z1)
{
  double r = sqrt (-2.0 * log_unit (unit_open (lo)));
  double f = as_double (ONE_BITS | ((hi & ((UINT64_C (1) << 50) - 1)) << 2) | 2)
             - 1.0;
  double sn, cs;
  sincos_octant (f * PI_4, &sn, &cs);
  int swap = (int)(hi >> 63);
  double a = swap ? sn : cs, b = swap ? cs : sn;
  *z0 = as_double (as_bits (r * a) ^ ((hi << 1) & SIGN_BIT));
  *z1 = as_double (as_bits (r * b) ^ ((hi << 2) & SIGN_BIT));
}

static inline double
threepoint (uint64_t w)
{
  return w < THREE_T1 ? SQRT3 : (w < 2 * THREE_T1 ? -SQRT3 : 0.0);
}

static inline double
twopoint (uint64_t lo, uint64_t hi, unsigned j)
{
  uint64_t w = j < 64 ? lo : hi;
  return 1.0 - 2.0 * (double)((w >> (j & 63)) & 1);
}

SDE_CLONES static void
fill_normal (size_t n, const uint64_t *restrict lo, const uint64_t *restrict hi,
             double *restrict z0, double *restrict z1)
{
  for (size_t p = 0; p < n; p++)
    normal_pair (lo[p], hi[p], &z0[p], &z1[p]);
}

SDE_CLONES static void
fill_normal_one (size_t n, const uint64_t *restrict lo,
                 const uint64_t *restrict hi, double *restrict z0)
{
  for (size_t p = 0; p < n; p++)
    {
      double z1;
      normal_pair (lo[p], hi[p], &z0[p], &z1);
    }
}

SDE_CLONES static void
fill_unit (size_t n, const uint64_t *restrict w, double *restrict u)
{
  for (size_t p = 0; p < n; p++)
    u[p] = unit_open (w[p]);
}

SDE_CLONES static void
fill_threepoint (size_t n, const uint64_t *restrict w, double *restrict u)
{
  for (size_t p = 0; p < n; p++)
    u[p] = threepoint (w[p]);
}

SDE_CLONES static void
fill_twopoint (size_t n, const uint64_t *restrict lo,
               const uint64_t *restrict hi, unsigned j, double *restrict u)
{
  for (size_t p = 0; p < n; p++)
    u[p] = twopoint (lo[p], hi[p], j);
}

/* ---- Rejection laws: scalar, retries drawn from fallback counters. ---- */

static void
fallback_words (const sde_rng *r, uint32_t draw, unsigned attempt, uint32_t c1,
                uint32_t path, uint32_t c3, uint32_t out[4])
{
  uint32_t ctr[4]
      = { SDE_PHILOX_FALLBACK | (attempt & 0x7fu) << 24 | (draw & 0xffffffu),
          c1, path, c3 };
  sde__philox1 (r->key, ctr, out);
}

/* Bailey's polar method: (U, V) uniform in the disc, W = U^2 + V^2,
   T = U sqrt(nu (W^(-2/nu) - 1) / W); rescaled to unit variance.  */
static double
student (const sde_rng *r, double nu, uint64_t lo, uint64_t hi, uint32_t draw,
         uint32_t c1, uint32_t path, uint32_t c3)
{
  for (unsigned attempt = 0;; attempt++)
    {
      double u = 2.0 * unit_open (lo) - 1.0, v = 2.0 * unit_open (hi) - 1.0;
      double w = u * u + v * v;
      if (w <= 1.0 || attempt >= 127)
        {
          if (w > 1.0) /* 127 rejections: probability 0.215^127 */
            w = 1.0;
          double t = u * sqrt (nu * (pow (w, -2.0 / nu) - 1.0) / w);
          return t * sqrt ((nu - 2.0) / nu);
        }
      uint32_t o[4];
      fallback_words (r, draw, attempt, c1, path, c3, o);
      lo = o[0] | (uint64_t)o[1] << 32;
      hi = o[2] | (uint64_t)o[3] << 32;
    }
}

/* Lemire: x * range = 2^32 q + l; accept q unless l < 2^32 mod range.  */
static uint32_t
index_draw (const sde_rng *r, uint32_t range, uint32_t w, uint32_t draw,
            uint32_t c1, uint32_t path, uint32_t c3)
{
  uint32_t threshold = (uint32_t)(-range) % range;
  uint64_t m = (uint64_t)w * range;
  for (unsigned attempt = 0; (uint32_t)m < threshold && attempt < 128;
       attempt++)
    {
      uint32_t o[4];
      fallback_words (r, draw, attempt, c1, path, c3, o);
      for (int j = 0; j < 4 && (uint32_t)m < threshold; j++)
        m = (uint64_t)o[j] * range;
    }
  return (uint32_t)(m >> 32);
}

/* ---- Block fills. ---- */

static int
check_coords (uint32_t stream, uint64_t step, uint64_t path0, size_t npaths,
              size_t n)
{
  if (stream > SDE_RNG_MAX_STREAM)
    GSL_ERROR ("rng stream above 65535", GSL_EINVAL);
  if (step > SDE_RNG_MAX_STEP)
    GSL_ERROR ("rng step index above 2^48 - 1", GSL_EINVAL);
  if (path0 > SDE_RNG_MAX_PATH || npaths > SDE_RNG_MAX_PATH + 1 - path0)
    GSL_ERROR ("rng path index above 2^32 - 1", GSL_EINVAL);
  if (n > SDE_RNG_MAX_DRAWS)
    GSL_ERROR ("more than 2^24 draws per path and step", GSL_EINVAL);
  return GSL_SUCCESS;
}

int
sde_rng_sample (sde_rng *r, sde_rng_law law, double param, uint32_t stream,
                uint64_t step, uint64_t path0, size_t npaths, size_t n,
                double *x, size_t ld)
{
  int status = check_coords (stream, step, path0, npaths, n);
  if (status)
    return status;
  if ((unsigned)law >= SDE_RNG_NLAWS)
    GSL_ERROR ("unknown law", GSL_EINVAL);
  if (law == SDE_RNG_STUDENT && !(param > 2.0 && param < INFINITY))
    GSL_ERROR ("student-t needs a finite nu > 2", GSL_EDOM);
  if (n > 1 && ld < npaths)
    GSL_ERROR ("leading dimension smaller than the number of paths",
               GSL_EINVAL);
  if (n == 0 || npaths == 0)
    return GSL_SUCCESS;
  if (r->gsl)
    return sde__rng_gsl_sample (r->gsl, r->seed, law, param, stream, step,
                                path0, npaths, n, x, ld);

  sde__philox_fn kernel = sde__philox_best (NULL);
  const uint32_t c1 = sde__philox_c1 (step), c3 = sde__philox_c3 (stream, step);
  uint64_t lo[CHUNK], hi[CHUNK];
  for (size_t c = 0; c < npaths; c += CHUNK)
    {
      const size_t len = npaths - c < CHUNK ? npaths - c : CHUNK;
      const uint32_t pc = (uint32_t)(path0 + c);
      double *xc = x + c;
      switch (law)
        {
        case SDE_RNG_NORMAL:
          for (size_t b = 0; 2 * b < n; b++)
            {
              kernel (r->key, (uint32_t)b, c1, pc, c3, len, lo, hi);
              if (2 * b + 1 < n)
                fill_normal (len, lo, hi, xc + 2 * b * ld,
                             xc + (2 * b + 1) * ld);
              else
                fill_normal_one (len, lo, hi, xc + 2 * b * ld);
            }
          break;
        case SDE_RNG_UNIFORM:
        case SDE_RNG_THREEPOINT:
          for (size_t b = 0; 2 * b < n; b++)
            {
              kernel (r->key, (uint32_t)b, c1, pc, c3, len, lo, hi);
              for (size_t h = 0; h < 2 && 2 * b + h < n; h++)
                {
                  double *row = xc + (2 * b + h) * ld;
                  if (law == SDE_RNG_UNIFORM)
                    fill_unit (len, h ? hi : lo, row);
                  else
                    fill_threepoint (len, h ? hi : lo, row);
                }
            }
          break;
        case SDE_RNG_TWOPOINT:
          for (size_t b = 0; 128 * b < n; b++)
            {
              kernel (r->key, (uint32_t)b, c1, pc, c3, len, lo, hi);
              for (unsigned j = 0; j < 128 && 128 * b + j < n; j++)
                fill_twopoint (len, lo, hi, j, xc + (128 * b + j) * ld);
            }
          break;
        case SDE_RNG_STUDENT:
          for (size_t i = 0; i < n; i++)
            {
              kernel (r->key, (uint32_t)i, c1, pc, c3, len, lo, hi);
              for (size_t p = 0; p < len; p++)
                xc[i * ld + p] = student (r, param, lo[p], hi[p], (uint32_t)i,
                                          c1, pc + (uint32_t)p, c3);
            }
          break;
        default:
          break;
        }
    }
  return GSL_SUCCESS;
}

int
sde_rng_sample_index (sde_rng *r, uint32_t range, uint32_t stream,
                      uint64_t step, uint64_t path0, size_t npaths, size_t n,
                      uint32_t *k, size_t ld)
{
  int status = check_coords (stream, step, path0, npaths, n);
  if (status)
    return status;
  if (range == 0)
    GSL_ERROR ("index range must be positive", GSL_EINVAL);
  if (n > 1 && ld < npaths)
    GSL_ERROR ("leading dimension smaller than the number of paths",
               GSL_EINVAL);
  if (n == 0 || npaths == 0)
    return GSL_SUCCESS;
  if (r->gsl)
    return sde__rng_gsl_sample_index (r->gsl, r->seed, range, stream, step,
                                      path0, npaths, n, k, ld);
  sde__philox_fn kernel = sde__philox_best (NULL);
  const uint32_t c1 = sde__philox_c1 (step), c3 = sde__philox_c3 (stream, step);
  uint64_t lo[CHUNK], hi[CHUNK];
  for (size_t c = 0; c < npaths; c += CHUNK)
    {
      const size_t len = npaths - c < CHUNK ? npaths - c : CHUNK;
      const uint32_t pc = (uint32_t)(path0 + c);
      for (size_t b = 0; 4 * b < n; b++)
        {
          kernel (r->key, (uint32_t)b, c1, pc, c3, len, lo, hi);
          for (size_t j = 0; j < 4 && 4 * b + j < n; j++)
            {
              const uint64_t *w = j < 2 ? lo : hi;
              uint32_t *row = k + (4 * b + j) * ld + c;
              for (size_t p = 0; p < len; p++)
                row[p] = index_draw (
                    r, range, (uint32_t)(w[p] >> (32 * (j & 1))),
                    (uint32_t)(4 * b + j), c1, pc + (uint32_t)p, c3);
            }
        }
    }
  return GSL_SUCCESS;
}

double
sde_rng_sample_one (const sde_rng *r, sde_rng_law law, double param,
                    uint32_t stream, uint64_t step, uint64_t path,
                    uint32_t draw)
{
  if (r->gsl)
    GSL_ERROR_VAL ("random access needs the philox generator", GSL_EINVAL, NAN);
  if (check_coords (stream, step, path, 1, (size_t)draw + 1))
    return NAN;
  if ((unsigned)law >= SDE_RNG_NLAWS
      || (law == SDE_RNG_STUDENT && !(param > 2.0 && param < INFINITY)))
    GSL_ERROR_VAL ("bad law or parameter", GSL_EINVAL, NAN);
  const uint32_t c1 = sde__philox_c1 (step), c3 = sde__philox_c3 (stream, step);
  uint32_t blk = law == SDE_RNG_TWOPOINT  ? draw / 128
                 : law == SDE_RNG_STUDENT ? draw
                                          : draw / 2;
  uint32_t ctr[4] = { blk, c1, (uint32_t)path, c3 }, o[4];
  sde__philox1 (r->key, ctr, o);
  uint64_t lo = o[0] | (uint64_t)o[1] << 32, hi = o[2] | (uint64_t)o[3] << 32;
  double z0, z1;
  switch (law)
    {
    case SDE_RNG_NORMAL:
      normal_pair (lo, hi, &z0, &z1);
      return draw & 1 ? z1 : z0;
    case SDE_RNG_UNIFORM:
      return unit_open (draw & 1 ? hi : lo);
    case SDE_RNG_THREEPOINT:
      return threepoint (draw & 1 ? hi : lo);
    case SDE_RNG_TWOPOINT:
      return twopoint (lo, hi, draw % 128);
    case SDE_RNG_STUDENT:
      return student (r, param, lo, hi, draw, c1, (uint32_t)path, c3);
    default:
      return NAN;
    }
}
