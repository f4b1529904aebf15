/* density.h: weak errors with no Monte Carlo noise for one-dimensional
   problems, by propagating the law itself on a grid (MATH.md section 8.3,
   item 3): SGD by its exact Gaussian transition kernel (a push-forward
   through x - eta L'(x) followed by a Gaussian convolution), the SDE by a
   pseudo-spectral Fokker-Planck solve with FFTW and exponential
   time differencing.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_DENSITY_H
#define SDEKIT_DENSITY_H

#include <stddef.h>

#include <sdekit/observable.h>
#include <sdekit/optim.h>
#include <sdekit/problem.h>
#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The tolerance of the engine's self-checks (sde_density_grid.tol): the
   probability that may leave the domain (for SGD at a large eta, the
   paths that diverge) or be negative.  */
#define SDE_DENSITY_TOL 1e-7

/* The grid: [lo, hi] with n points; 0 means "choose from the problem, the
   start and the noise".  TOL (0: SDE_DENSITY_TOL) bounds what the engine
   accepts of its own law at every checkpoint: the probability lost past
   the edges, the negative mass of an unresolved density; a negative
   variance is refused too.  On return: what was used, and the worst lost
   and negative masses seen.  */
typedef struct
{
  double lo, hi;
  size_t n;
  double tol;
  double lost, negative;
} sde_density_grid;

/* Nonzero when the density engine applies: a one-dimensional problem with
   constant Gaussian noise (factor S), the method SGD (or SVAG of SGD), the
   reference SME-1 or SME-2 with a constant schedule.  */
int sde_density_applies (const sde_problem *pb, sde_oracle_law law,
                         const sde_optim *m, size_t nm, char *why, size_t len);

/* Chooses lo, hi, n for step eta, temperature tau and horizon T when they
   are 0: the domain reaches where the stationary density of SME-1 and the
   spread of the start fall below e^-40, and the grid puts six points per
   standard deviation of one step's noise, sqrt(eta tau s).  */
int sde_density_choose (const sde_problem *pb, const double *x0, double eta,
                        double tau, double T, sde_density_grid *g);

/* E phi at checkpoints (steps of eta) for SGD with noise scale sigma, on
   grid G: out[c * nobs + o].  GSL_ESANITY with the reason when the law
   fails the self-checks of sde_density_grid (the engine cannot vouch for
   the numbers).  */
int sde_density_method (const sde_problem *pb, const sde_optim *m, double sigma,
                        const double *x0, double eta, const size_t *check,
                        size_t ncheck, const sde_observable *obs, size_t nobs,
                        sde_density_grid *g, double *out);

/* The same for SME-1 or SME-2 at times check[c] * eta, by a Fourier
   pseudo-spectral Fokker-Planck solve with ETDRK4 (Cox & Matthews, J.
   Comput. Phys. 176, 2002; coefficients by the contour integrals of Kassam
   & Trefethen, SIAM J. Sci. Comput. 26, 2005), SUBSTEPS time steps per
   eta, started at t = eta from the order-2 Ito-Taylor Gaussian.  */
int sde_density_sde (const sde_problem *pb, const sde_limit *lim,
                     const double *x0, double eta, size_t substeps,
                     const size_t *check, size_t ncheck,
                     const sde_observable *obs, size_t nobs,
                     sde_density_grid *g, double *out);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_DENSITY_H */
