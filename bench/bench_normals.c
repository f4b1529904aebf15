/* bench_normals.c: standard normals per second on one core, sdekit's block
   fill against GSL's ziggurat and against bit generation alone.  Prints one
   "name rate" line per contestant (median of repeated trials); run.sh adds
   numpy and forms the ratios.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Random123/philox.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng_internal.h"
#include "sdekit/rng.h"

#define TRIALS 7

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
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
median_rate (trial_fn f, size_t n)
{
  double r[TRIALS];
  f (n / 10); /* warm up caches and the dispatcher */
  for (int t = 0; t < TRIALS; t++)
    {
      double t0 = now ();
      sink += f (n);
      r[t] = (double)n / (now () - t0);
    }
  qsort (r, TRIALS, sizeof r[0], cmp_double);
  return r[TRIALS / 2];
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

int
main (int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul (argv[1], NULL, 10) : 50000000;
  rng = sde_rng_alloc (NULL, 42);
  printf ("# isa %s, %zu normals per trial, median of %d trials\n",
          sde_rng_isa (), n, TRIALS);
  printf ("sdekit %.4g\n", median_rate (trial_sdekit, n));
  grng = gsl_rng_alloc (gsl_rng_mt19937);
  printf ("gsl-mt19937-ziggurat %.4g\n", median_rate (trial_gsl, n / 4));
  gsl_rng_free (grng);
  grng = gsl_rng_alloc (gsl_rng_taus2);
  printf ("gsl-taus2-ziggurat %.4g\n", median_rate (trial_gsl, n / 4));
  gsl_rng_free (grng);
  printf ("philox-plain-loop %.4g\n", median_rate (trial_plain_philox, n));
  printf ("philox-simd-bits %.4g\n", median_rate (trial_simd_philox, n));
  sde_rng_free (rng);
  return 0;
}
