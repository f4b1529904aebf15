/* rng_gsl.c: the laws of rng.h drawn from any GSL generator (GSL manual,
   "Random Number Generation" and "Random Number Distributions").  Each
   block is drawn sequentially after reseeding from its first coordinates, so
   a block is reproducible but a variate is not addressable on its own.
   The seeds have 32 bits, so blocks can repeat each other: see reseed.  */
#include <config.h>

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng_internal.h"
#include "sdekit/rng.h"

int sde__rng_gsl_sample (gsl_rng *g, uint64_t seed, sde_rng_law law,
                         double param, uint32_t stream, uint64_t step,
                         uint64_t path0, size_t npaths, size_t n, double *x,
                         size_t ld);
int sde__rng_gsl_sample_index (gsl_rng *g, uint64_t seed, uint32_t range,
                               uint32_t stream, uint64_t step, uint64_t path0,
                               size_t npaths, size_t n, uint32_t *k, size_t ld);

/* The block's GSL seed: a 32-bit Philox hash of its coordinates, never 0
   (some GSL generators treat 0 as "use the default seed").  GSL's seeding
   keeps at most 32 bits (mt19937 and taus2 mask the seed, minstd and
   others reduce it modulo a number below 2^32) and some generators do not
   survive more (ran1 and ran2 crash on seeds of 2^32 and above), so a
   wider seed would not help.  Hence among B blocks about B^2 / 2^33 pairs
   share a seed and draw the same variates: an ensemble of N paths in
   chunks of 256 over K steps has B = N K / 256 per stream, e.g. 10^5 paths
   and 10^3 steps give about 18 repeated pairs.  rng.h says so; Philox has
   no such limit.  */
static void
reseed (gsl_rng *g, uint64_t seed, uint32_t stream, uint64_t step,
        uint64_t path0)
{
  uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
  uint32_t ctr[4] = { 0x7fffffffu, sde__philox_c1 (step), (uint32_t)path0,
                      sde__philox_c3 (stream, step) };
  uint32_t o[4];
  sde__philox1 (key, ctr, o);
  gsl_rng_set (g, o[0] ? o[0] : 1u);
}

int
sde__rng_gsl_sample (gsl_rng *g, uint64_t seed, sde_rng_law law, double param,
                     uint32_t stream, uint64_t step, uint64_t path0,
                     size_t npaths, size_t n, double *x, size_t ld)
{
  reseed (g, seed, stream, step, path0);
  const double tscale
      = law == SDE_RNG_STUDENT ? sqrt ((param - 2.0) / param) : 1.0;
  const double sqrt3 = sqrt (3.0);
  for (size_t p = 0; p < npaths; p++)
    for (size_t i = 0; i < n; i++)
      {
        double v;
        switch (law)
          {
          case SDE_RNG_NORMAL:
            v = gsl_ran_gaussian_ziggurat (g, 1.0);
            break;
          case SDE_RNG_UNIFORM:
            v = gsl_rng_uniform_pos (g);
            break;
          case SDE_RNG_TWOPOINT:
            v = gsl_rng_uniform (g) < 0.5 ? 1.0 : -1.0;
            break;
          case SDE_RNG_THREEPOINT:
            {
              double u = gsl_rng_uniform (g);
              v = u < 1.0 / 6 ? sqrt3 : (u < 1.0 / 3 ? -sqrt3 : 0.0);
            }
            break;
          case SDE_RNG_STUDENT:
            v = tscale * gsl_ran_tdist (g, param);
            break;
          default:
            GSL_ERROR ("unknown law", GSL_EINVAL);
          }
        x[i * ld + p] = v;
      }
  return GSL_SUCCESS;
}

int
sde__rng_gsl_sample_index (gsl_rng *g, uint64_t seed, uint32_t range,
                           uint32_t stream, uint64_t step, uint64_t path0,
                           size_t npaths, size_t n, uint32_t *k, size_t ld)
{
  reseed (g, seed, stream, step, path0);
  for (size_t p = 0; p < npaths; p++)
    for (size_t i = 0; i < n; i++)
      k[i * ld + p] = (uint32_t)gsl_rng_uniform_int (g, range);
  return GSL_SUCCESS;
}
