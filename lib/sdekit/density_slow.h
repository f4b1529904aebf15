/* density_slow.h: E phi(zeta_t) for the slow SDE on a one-dimensional
   manifold of minimizers with no sampling error, by the backward
   Kolmogorov equation of the arc-length coordinate (the
   derivation is in doc/MATH.md section 6.1).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_DENSITY_SLOW_H
#define SDEKIT_DENSITY_SLOW_H

#include <stddef.h>
#include <stdio.h>

#include <sdekit/manifold.h>
#include <sdekit/observable.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sde_slow_density sde_slow_density;

typedef struct
{
  double tol;     /* the estimated grid error each value must reach */
  size_t n0;      /* the coarsest grid */
  size_t nmax;    /* the largest grid; beyond it the engine refuses */
  double leak;    /* open curves: the largest accepted bound on the
                     probability of leaving the modelled arc by the last
                     time asked for */
  double lmax;    /* arc length traced from zeta0 looking for a closed
                     curve, and the farthest an open domain may reach */
  int drop_drift; /* nonzero: a(s) = 0, the law without the tangential
                     (Sigma_diamond) drift, to measure what it changes */
} sde_slow_density_opts;

/* Defaults: tol 1e-9, n0 16, nmax 512, leak 1e-13, lmax 100, the drift
   kept.  */
void sde_slow_density_defaults (sde_slow_density_opts *o);

/* What the last sde_slow_density_expect used (for provenance lines).  */
typedef struct
{
  int closed;        /* the curve closes on itself after LENGTH */
  int deterministic; /* b = 0: zeta follows an ODE and no grid is used */
  double length;     /* closed: the curve's length; else 0 */
  double lo, hi;     /* the domain in arc length from zeta0 */
  double half;       /* open: half-width of the arc the leak bound covers */
  double leak;       /* open: bound on P(leaving that arc by the horizon) */
  size_t n;          /* grid points of the values returned (0: the ODE) */
  size_t ncheck;     /* grid points of the comparison run */
  double err;        /* the largest error estimate of the last call */
} sde_slow_density_grid;

/* Nonzero when the engine applies to M: a manifold of dimension one.
   Otherwise 0 and a one-line reason in WHY.  */
int sde_slow_density_applies (const sde_manifold *m, char *why, size_t len);

/* Prepares the engine on M (borrowed; the noise scale sigma is M's) from
   zeta0 = Phi(X0): traces the curve from zeta0 along its unit tangent
   (re-projected by Phi) until it closes, within opts->lmax, or is taken
   as open.  O may be NULL (the defaults).  NULL with a reason through
   gsl_error when M is not one-dimensional, when Phi or the geometry fail
   along the trace, or for bad options.  One object serves one thread.  */
sde_slow_density *sde_slow_density_alloc (sde_manifold *m, const double *x0,
                                          const sde_slow_density_opts *o);
void sde_slow_density_free (sde_slow_density *d);

/* E phi_o(zeta_t) at the NT slow times T (t = k eta^2; non-decreasing,
   >= 0) into out[k * nobs + o], and the estimated error of each value
   into err (may be NULL): the difference from a coarser grid (or a looser
   ODE tolerance), plus the leak bound times the range of phi on an open
   domain.  Refuses with a reason through gsl_error (GSL_ETOL) when a value
   cannot reach opts->tol on the largest grid, when the probability of
   leaving an open domain cannot be bounded by opts->leak, when a value
   falls outside the range of phi on the curve (GSL_ESANITY), or when
   Phi, the geometry or an observable fail.  */
int sde_slow_density_expect (sde_slow_density *d, const double *t, size_t nt,
                             const sde_observable *obs, size_t nobs,
                             double *out, double *err);

/* At the N arc lengths S (from zeta0, in the direction of the tangent at
   zeta0; taken modulo the length on a closed curve): the points gamma(s)
   into gamma[k * dim + i], the drift a(s) of the arc-length coordinate,
   ds = a dt + b dB, and b(s)^2.  Any output may be NULL.  */
int sde_slow_density_curve (sde_slow_density *d, size_t n, const double *s,
                            double *gamma, double *a, double *b2);

/* What the last expect used; before any call, the curve alone.  */
void sde_slow_density_info (const sde_slow_density *d,
                            sde_slow_density_grid *g);

/* One provenance line describing the last call, without a newline.  */
int sde_slow_density_fprintf (FILE *f, const sde_slow_density *d);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_DENSITY_SLOW_H */
