/* rng.h: counter-based random streams on Philox4x32-10 (Salmon, Moraes,
   Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11), with a
   GSL-generator adapter.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_RNG_H
#define SDEKIT_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Laws a block fill can draw.  All have mean 0 and variance 1 except
   SDE_RNG_UNIFORM, which is U(0,1) and never returns 0 or 1.  */
typedef enum
{
  SDE_RNG_NORMAL = 0, /* N(0,1), Box-Muller on 128 bits per pair */
  SDE_RNG_UNIFORM,    /* U(0,1), 53 bits */
  SDE_RNG_TWOPOINT,   /* +-1 with probability 1/2 each (Rademacher) */
  SDE_RNG_THREEPOINT, /* +-sqrt(3) with probability 1/6 each, 0 w.p. 2/3 */
  SDE_RNG_STUDENT,    /* Student-t(nu) times sqrt((nu-2)/nu), nu > 2 */
  SDE_RNG_NLAWS
} sde_rng_law;

/* Rademacher variables are the two-point law; the name is kept for users
   who think of noise vectors rather than weak-scheme increments.  */
#define SDE_RNG_RADEMACHER SDE_RNG_TWOPOINT

/* Coordinate limits of the counter: (stream, step, path, draw).  */
#define SDE_RNG_MAX_STREAM 0xffffu
#define SDE_RNG_MAX_STEP ((UINT64_C (1) << 48) - 1)
#define SDE_RNG_MAX_PATH UINT64_C (0xffffffff)
#define SDE_RNG_MAX_DRAWS (1u << 24)

typedef struct sde_rng sde_rng;

/* Allocates a generator.  NAME is "philox" (or NULL) for the counter-based
   default, or the name of any GSL generator ("mt19937", "taus2", ...).
   A GSL generator is reseeded for every block with a 32-bit hash of the
   block's coordinates (GSL's seeding keeps no more), so among B blocks
   about B^2 / 2^33 pairs repeat the same variates: harmless for a few
   thousand blocks, not for large ensembles, which should use Philox.
   Returns NULL, with GSL_EINVAL through gsl_error, for an unknown name.  */
sde_rng *sde_rng_alloc (const char *name, uint64_t seed);

/* Frees R; NULL is a no-op.  */
void sde_rng_free (sde_rng *r);

/* The generator's name ("philox" or the GSL name) and its seed.  */
const char *sde_rng_name (const sde_rng *r);
uint64_t sde_rng_seed (const sde_rng *r);

/* Nonzero when every variate is a pure function of its coordinates, so that
   results do not depend on how paths are split into blocks (Philox).  */
int sde_rng_is_counter (const sde_rng *r);

/* Fills x[i*ld + p], i < n, p < npaths, with draw i of path path0+p at
   (stream, step), distributed by LAW (PARAM is nu for SDE_RNG_STUDENT and
   ignored otherwise).  With Philox each variate is a pure function of
   (seed, stream, step, path, draw): any one can be regenerated alone.  With a
   GSL generator the block is drawn sequentially from a generator seeded by a
   32-bit hash of (seed, stream, step, path0) (see sde_rng_alloc):
   reproducible for the same blocks only, and R must not be shared between
   threads.  Returns GSL_SUCCESS or GSL_EINVAL.  */
int sde_rng_sample (sde_rng *r, sde_rng_law law, double param, uint32_t stream,
                    uint64_t step, uint64_t path0, size_t npaths, size_t n,
                    double *x, size_t ld);

/* One variate of the fill above (Philox only): draw DRAW of PATH at
   (stream, step), bitwise equal to what sde_rng_sample writes.  Returns NaN
   through GSL_ERROR_VAL for a GSL generator or a coordinate out of range.  */
double sde_rng_sample_one (const sde_rng *r, sde_rng_law law, double param,
                           uint32_t stream, uint64_t step, uint64_t path,
                           uint32_t draw);

/* Uniform integers in [0, range), unbiased (Lemire's multiply-and-reject),
   into k[i*ld + p]; the coordinates are as in sde_rng_sample.  */
int sde_rng_sample_index (sde_rng *r, uint32_t range, uint32_t stream,
                          uint64_t step, uint64_t path0, size_t npaths,
                          size_t n, uint32_t *k, size_t ld);

/* The law's name ("normal", "uniform", ...) and lookup by name;
   find returns -1 for an unknown name.  */
const char *sde_rng_law_name (sde_rng_law law);
int sde_rng_law_find (const char *name);

/* The instruction set the Philox kernel uses on this CPU: "avx512",
   "avx2" or "generic".  All give bitwise identical variates.  The
   environment variable SDEKIT_ISA can lower the choice.  */
const char *sde_rng_isa (void);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_RNG_H */
