/* stepper.h: one-step schemes for Ito SDEs as type objects (Kloeden &
   Platen, "Numerical solution of stochastic differential equations", 1992),
   and a fixed-grid driver over blocks of paths.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_STEPPER_H
#define SDEKIT_STEPPER_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/rng.h>
#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a scheme needs from the system.  */
enum
{
  SDE_STEPPER_JACOBIAN = 1 << 0,   /* calls sys->jacobian */
  SDE_STEPPER_COMMUTATIVE = 1 << 1 /* refuses general noise when r > 1 */
};

/* A scheme receives its random variates, never a generator: one step is a
   deterministic function of (t, h, x, dw, aux), so unit tests can pass
   hand-picked increments and coupled processes share noise by
   construction.  dw holds r rows of P increments, drawn from LAW and scaled
   by sqrt(h); aux holds aux(r) rows of two-point variables +-h.  A step
   evaluates the coefficients only at times in [t, t + h): at t, and where
   a scheme needs the end of the step (weak2), just inside it, as the left
   limit at t + h.  So coefficients that jump in time (a step schedule,
   right-continuous like sde_schedule_factor) take on each step their
   value on [t, t + h), with no O(h) error from a jump at a grid time.  */
typedef struct
{
  const char *name;
  const char *description;
  double strong_order; /* 0 when the scheme has no strong order */
  double weak_order;
  sde_rng_law law; /* SDE_RNG_NORMAL, _TWOPOINT or _THREEPOINT */
  unsigned needs;  /* SDE_STEPPER_* */
  size_t (*aux) (size_t r);
  size_t (*work) (size_t d, size_t r, size_t P);
  int (*apply) (const sde_system *sys, double t, double h, size_t P, double *x,
                const double *dw, const double *aux, double *work);
} sde_stepper_type;

extern const sde_stepper_type *sde_stepper_em;
extern const sde_stepper_type *sde_stepper_weuler;
extern const sde_stepper_type *sde_stepper_milstein;
extern const sde_stepper_type *sde_stepper_milstein_df;
extern const sde_stepper_type *sde_stepper_weak2;

/* The registry, NULL-terminated, and lookup by name (NULL if unknown).  */
const sde_stepper_type *const *sde_stepper_types (void);
const sde_stepper_type *sde_stepper_type_find (const char *name);

typedef struct sde_stepper sde_stepper;

/* Binds scheme T to SYS (borrowed) for blocks of up to P paths.  Refuses,
   with NULL and GSL_EINVAL, a system the scheme cannot integrate correctly:
   Milstein on noise that is not scalar, diagonal or commutative (it would
   need Levy areas), or a scheme that needs a jacobian the system lacks.  */
sde_stepper *sde_stepper_alloc (const sde_stepper_type *T,
                                const sde_system *sys, size_t P);
void sde_stepper_free (sde_stepper *s);
const char *sde_stepper_name (const sde_stepper *s);
const sde_stepper_type *sde_stepper_type_of (const sde_stepper *s);

/* Number of auxiliary rows the scheme reads per step for this system.  */
size_t sde_stepper_aux (const sde_stepper *s);

/* One step of size h from t for npaths <= P paths of x (leading dimension
   npaths).  Returns the callbacks' status.  */
int sde_stepper_apply (sde_stepper *s, double t, double h, size_t npaths,
                       double *x, const double *dw, const double *aux);

/* ---- Fixed-grid driver ---- */

/* Where the driver's noise comes from.  Increments of step k use stream
   STREAM at step index k (scaled by sqrt(h)), auxiliary variables stream
   STREAM + 1.  For normal increments the Brownian path lives on a grid
   REFINE times finer: step k sums the fine normals k*REFINE ... (k+1)*REFINE
   - 1, so a run with step h/m and refine/m sees the same Brownian path.  */
typedef struct
{
  sde_rng *rng;
  uint32_t stream;
  uint64_t path0;
  size_t refine; /* >= 1; must be 1 unless the increments are normal */
  int brownian;  /* nonzero: normal increments whatever the scheme's law
                    (weak2 keeps weak order 2), so grids can be coupled */
} sde_noise;

typedef struct sde_driver sde_driver;

sde_driver *sde_driver_alloc (const sde_stepper_type *T, const sde_system *sys,
                              size_t P);
void sde_driver_free (sde_driver *d);

/* Integrates npaths <= P paths of x over nsteps steps of size h, from step
   index step0 (time t0 + step0*h).  Returns GSL_SUCCESS, a callback's
   status, or GSL_EINVAL for inconsistent noise settings.  */
int sde_driver_apply (sde_driver *d, const sde_noise *noise, double t0,
                      double h, uint64_t step0, size_t nsteps, size_t npaths,
                      double *x);

/* The driver's stepper, e.g. to read its type.  */
sde_stepper *sde_driver_stepper (sde_driver *d);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_STEPPER_H */
