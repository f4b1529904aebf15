/* bench_normals.c: standard normals per second on one core, sdekit's block
   fill against GSL's ziggurat (on mt19937 and taus2), against the same SIMD
   bits through a vectorised ziggurat (ziggurat.c) and against bit
   generation alone.  The contestants take turns trial by trial, so a
   change of the machine's load hits them alike.  Prints one "name rate"
   line per contestant (the median over the trials), "trial name rate" for
   every trial, "pair normals-simd MEDIAN MIN MAX", the ratio of the fill's
   rate to the SIMD bits' within each trial, and "pair ziggurat-simd ..."
   the same for the ziggurat; run-normals.sh adds
   numpy and forms the ratios.  Usage: bench_normals [N [TRIALS]].  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Random123/philox.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng_internal.h"
#include "sdekit/rng.h"
#include "ziggurat.h"

#define TRIALS 7 /* default trials; the clock is the process CPU time */

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Keeps results alive so the compiler cannot drop the work.  */
static volatile double sink;

typedef double (*trial_fn) (size_t n);

static double
trial_rate (trial_fn f, size_t n)
{
  double t0 = now ();
  sink += f (n);
  return (double)n / (now () - t0);
}

static double
median_of (double *r, int n)
{
  qsort (r, (size_t)n, sizeof r[0], cmp_double);
  return n % 2 ? r[n / 2] : 0.5 * (r[n / 2 - 1] + r[n / 2]);
}

enum
{
  P = 256,
  D = 64
};
static double block[P * D];
static sde_rng *rng;

/* sdekit: blocks of 256 paths by 64 draws, as the ensemble engine asks.  */
static double
trial_sdekit (size_t n)
{
  double acc = 0;
  for (size_t step = 0; step * P * D < n; step++)
    {
      sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, step, 0, P, D, block, P);
      acc += block[step % (P * D)];
    }
  return acc;
}

static gsl_rng *grng;

static double
trial_gsl (size_t n)
{
  double acc = 0;
  for (size_t i = 0; i < n; i++)
    acc += gsl_ran_gaussian_ziggurat (grng, 1.0);
  return acc;
}

/* The limit as a user would write it: a plain loop over Random123's
   philox4x32, 128 bits per call, counted as the two normals our fill makes
   from 128 bits.  */
static double
trial_plain_philox (size_t n)
{
  philox4x32_key_t k = { { 1, 2 } };
  uint32_t acc = 0;
  for (size_t i = 0; 2 * i < n; i++)
    {
      philox4x32_ctr_t c = { { (uint32_t)(i >> 8), 3, (uint32_t)i, 7 } };
      philox4x32_ctr_t o = philox4x32 (c, k);
      acc += o.v[0] ^ o.v[1] ^ o.v[2] ^ o.v[3];
    }
  return acc;
}

/* Our own SIMD Philox kernel with no transform: the bits the fill uses.  */
static double
trial_simd_philox (size_t n)
{
  static uint64_t lo[P], hi[P];
  const uint32_t key[2] = { 1, 2 };
  sde__philox_fn f = sde__philox_best (NULL);
  uint64_t acc = 0;
  for (size_t b = 0; 2 * b * P < n; b++)
    {
      f (key, (uint32_t)b, 3, 0, 7, P, lo, hi);
      acc ^= lo[b % P] ^ hi[(b + 1) % P];
    }
  return (double)acc;
}

/* The same SIMD bits and block layout through a vectorised ziggurat
   instead of Box-Muller: the transform a user would try next.  */
static void
ziggurat_block (size_t step)
{
  static uint64_t lo[P], hi[P];
  const uint32_t key[2] = { 1, 2 };
  sde__philox_fn f = sde__philox_best (NULL);
  for (size_t b = 0; 2 * b < D; b++)
    {
      f (key, (uint32_t)b, (uint32_t)step, 0, 7, P, lo, hi);
      zig_fill (P, lo, hi, block + 2 * b * P, block + (2 * b + 1) * P);
    }
}

static double
trial_simd_ziggurat (size_t n)
{
  double acc = 0;
  for (size_t step = 0; step * P * D < n; step++)
    {
      ziggurat_block (step);
      acc += block[step % (P * D)];
    }
  return acc;
}

/* The ziggurat's law on 2^24 normals: the mean, the variance and four
   probabilities (the top wedge, three SDs, beyond the base strip's edge R,
   four SDs: erfc(c / sqrt 2)) within 5 SE of N(0,1), or the peer's rate
   means nothing.  */
static int
check_ziggurat (void)
{
  enum
  {
    NP = 4
  };
  const double cut[NP] = { 0.5, 3.0, 3.6541528853610088, 4.0 };
  const double pr[NP] = { 0.3829249225480262, 2.6997960632601913e-3,
                          2.580324876539013e-4, 6.334248366623993e-05 };
  double s1 = 0, s2 = 0, cnt[NP] = { 0 };
  const size_t n = (size_t)1 << 24;
  for (size_t step = 0; step * P * D < n; step++)
    {
      ziggurat_block (step);
      for (size_t j = 0; j < P * D; j++)
        {
          const double z = block[j], a = fabs (z);
          s1 += z;
          s2 += z * z;
          cnt[0] += a < cut[0];
          for (int k = 1; k < NP; k++)
            cnt[k] += a > cut[k];
        }
    }
  const double N = (double)n, mean = s1 / N, var = s2 / N - mean * mean;
  double dev[2 + NP] = { mean / sqrt (1 / N), (var - 1) / sqrt (2 / N) };
  for (int k = 0; k < NP; k++)
    dev[2 + k] = (cnt[k] / N - pr[k]) / sqrt (pr[k] * (1 - pr[k]) / N);
  int bad = 0;
  printf ("# ziggurat peer's law on %zu normals, deviations in SE: mean "
          "%.2f, variance %.2f, P(|Z|<0.5) %.2f, P(|Z|>3) %.2f, P(|Z|>R) "
          "%.2f, P(|Z|>4) %.2f\n",
          n, dev[0], dev[1], dev[2], dev[3], dev[4], dev[5]);
  for (int k = 0; k < 2 + NP; k++)
    bad |= !(fabs (dev[k]) <= 5);
  return bad;
}

static gsl_rng *grng_mt, *grng_taus;

static double
trial_gsl_mt (size_t n)
{
  grng = grng_mt;
  return trial_gsl (n);
}

static double
trial_gsl_taus (size_t n)
{
  grng = grng_taus;
  return trial_gsl (n);
}

int
main (int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul (argv[1], NULL, 10) : 50000000;
  int trials = argc > 2 ? atoi (argv[2]) : TRIALS;
  if (trials < 1 || trials > 64)
    trials = TRIALS;
  rng = sde_rng_alloc (NULL, 42);
  grng_mt = gsl_rng_alloc (gsl_rng_mt19937);
  grng_taus = gsl_rng_alloc (gsl_rng_taus2);
  zig_init ();
  if (check_ziggurat ())
    {
      fprintf (stderr, "bench_normals: the ziggurat peer is not N(0,1)\n");
      return 1;
    }
  const struct
  {
    const char *name;
    trial_fn f;
    size_t n;
  } c[] = { { "sdekit", trial_sdekit, n },
            { "gsl-mt19937-ziggurat", trial_gsl_mt, n / 4 },
            { "gsl-taus2-ziggurat", trial_gsl_taus, n / 4 },
            { "philox-plain-loop", trial_plain_philox, n },
            { "philox-simd-ziggurat", trial_simd_ziggurat, n },
            { "philox-simd-bits", trial_simd_philox, n } };
  enum
  {
    NC = sizeof c / sizeof c[0]
  };
  double r[NC][64], pair[64], zpair[64];
  printf ("# isa %s, %zu normals per trial, %d trials, contestants in "
          "turn\n",
          sde_rng_isa (), n, trials);
  for (int k = 0; k < NC; k++)
    c[k].f (c[k].n / 10); /* warm up caches and the dispatcher */
  for (int t = 0; t < trials; t++)
    {
      for (int k = 0; k < NC; k++)
        {
          r[k][t] = trial_rate (c[k].f, c[k].n);
          printf ("trial %s %.4g\n", c[k].name, r[k][t]);
        }
      pair[t] = r[0][t] / r[NC - 1][t];
      zpair[t] = r[NC - 2][t] / r[NC - 1][t];
    }
  for (int k = 0; k < NC; k++)
    printf ("%s %.4g\n", c[k].name, median_of (r[k], trials));
  const double pm = median_of (pair, trials);
  printf ("pair normals-simd %.4g %.4g %.4g\n", pm, pair[0], pair[trials - 1]);
  const double zm = median_of (zpair, trials);
  printf ("pair ziggurat-simd %.4g %.4g %.4g\n", zm, zpair[0],
          zpair[trials - 1]);
  gsl_rng_free (grng_mt);
  gsl_rng_free (grng_taus);
  sde_rng_free (rng);
  return 0;
}
