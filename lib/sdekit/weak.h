/* weak.h: weak errors over a sweep of learning rates, with confidence
   intervals, noise-floor flags and fitted orders (MATH.md section 8).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_WEAK_H
#define SDEKIT_WEAK_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/ensemble.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses an eta grid: a geometric range "2^-2:2^-10" (every power of two
   between, either order), "A:B:K" (K points geometric from A to B), or a
   list "0.1,0.05,0.025".  Returns the count (at most max), or 0 with a
   reason through gsl_error.  Values are returned in decreasing order.  */
size_t sde_weak_grid (const char *spec, double *eta, size_t max);

/* One row of a comparison: method `method` against the reference for
   observable `obs` at learning rate eta.  The error e is |E phi(method) -
   E phi(ref)| at t_star, the checkpoint where it is largest (MATH.md 8.1).
   With Monte Carlo, t_star is chosen on pilot paths and e estimated on
   other, independent paths (MATH.md 8.2): the largest of the noisy
   estimates over the checkpoints would be biased upward by about one SE,
   the estimate at an independently chosen checkpoint is not, and its 95%
   interval is the ordinary e -+ 1.96 SE.  e_final is the error at the last
   checkpoint.  */
typedef struct
{
  double eta;
  size_t method, obs;
  double e, se, lo, hi; /* signed error at t_star, its SE, and the 95% CI
                           e -+ crit SE */
  double crit;          /* the interval's critical value, 1.96; NAN when
                           exact */
  double t_star, est, est_ref;
  double se_est, se_ref;    /* marginal SEs of the two estimates */
  double e_final, se_final; /* at the last checkpoint: pointwise */
  int floor;                /* |e| < 2 SE: inside the Monte Carlo noise */
  uint64_t n, diverged;     /* paths used; diverged paths of the method */
  uint64_t diverged_ref;
  double vrf;      /* (Var phi + Var phi_ref) / Var(phi - phi_ref) */
  double kurtosis; /* of the paired differences at t_star */
  double ref_err;  /* estimated error of an SDE reference (NAN: none) */
  double ref_err_se;
  size_t substeps; /* of an SDE reference */
  double grid_err; /* density engine: the error from the grid */
  /* "fixed" (no target), "target" (CI half-width <= target |e|), "small"
     (CI half-width <= target times a negligible error, 1e-6 of the
     observable's scale: a zero error), "max" (the cap came first),
     "exact" or "density" */
  const char *stop;
  double seconds;
  uint64_t pilot; /* the pilot paths that chose t_star (0: none needed) */
} sde_weak_point;

/* The most observables a sweep compares.  */
#define SDE_WEAK_MAXOBS 16

/* Whether the reference's own error is within a tenth of the row's error
   scale, by the upper end of its interval (|ref_err| + 2 SE <= 0.1
   max(|e|, 2 SE, 1e-6 of the estimates)); 1 when it was not measured.  */
int sde_weak_ref_ok (const sde_weak_point *p);

/* A weighted least-squares fit of log |e| = log C + p log eta over the
   points not in the noise floor, with weights (e / SE)^2 (delta method).
   When chi2 per degree of freedom exceeds 1 the SE is scaled by its square
   root (the points scatter more than their SEs say).  Exact points (SE 0)
   are fitted by ordinary least squares and the SE is the residuals'.  An
   order needs at least three usable points (two Monte Carlo points would
   give an SE that hides the departure from a power law; two exact points
   give a local slope, which sde_weak_local_slopes reports): with fewer, ok
   is 0 and order is NAN.  FLAGS warns of what makes an order unreliable
   even when one is fitted (SDE_WEAK_FIT_*).

   A power law holds only as eta -> 0, and precise errors show the next
   term at the larger etas.  So when a Monte Carlo series (decreasing eta)
   warns of drift or scatter, the fit is the one over the longest tail of
   the smallest etas (at least three usable points) with no warning at
   all: SKIPPED counts the larger etas left out as not yet asymptotic and
   ALL_FLAGS keeps the whole series' warnings.  When no tail is clean the
   fit is over all points with its warnings.  */
enum
{
  SDE_WEAK_FIT_SIGN = 1 << 0,    /* the signed errors change sign across eta:
                                    the order may come from a cancellation */
  SDE_WEAK_FIT_DRIFT = 1 << 1,   /* the first and last local slopes differ by
                                    more than 2 SE (Monte Carlo): not yet a
                                    power law */
  SDE_WEAK_FIT_SCATTER = 1 << 2, /* chi2 above its 99.9% point: the points
                                    scatter more than their SEs allow */
  SDE_WEAK_FIT_FEW = 1 << 3      /* fewer than three usable points */
};

typedef struct
{
  double order, se, lo, hi; /* p, its SE and 95% CI */
  double logc;              /* log C */
  double chi2dof;
  size_t used, floored; /* points fitted; points left out as noise */
  int ok;               /* at least three points with positive weight */
  unsigned flags;       /* SDE_WEAK_FIT_* of the fitted points */
  size_t skipped;       /* leading (largest) etas left out */
  double eta_max;       /* the largest eta fitted (NAN: none) */
  unsigned all_flags;   /* SDE_WEAK_FIT_* of the whole series */
} sde_weak_fit;

void sde_weak_fit_points (const sde_weak_point *pts, size_t n,
                          sde_weak_fit *fit);

/* A one-line text for FLAGS ("" when 0), e.g. "the errors change sign
   across eta; the local slopes drift".  */
const char *sde_weak_fit_warning (unsigned flags, char *buf, size_t len);

/* Local slopes between neighbouring etas, log(e_i/e_j)/log(eta_i/eta_j),
   so a reader can see the approach to the asymptotic order: slope[i] for
   points i and i+1 (NAN across a floored point), and when SE is not NULL
   its standard error by the delta method (independent samples per eta;
   0 for exact points).  */
void sde_weak_local_slopes (const sde_weak_point *pts, size_t n, double *slope,
                            double *se);

/* Rows of one eta from exact expectations (an engine with no sampling
   error): val[(m * ncheck + c) * nobs + o] is E phi_o at checkpoint c for
   method m, m = nmethods being the reference.  SE, CI width and the
   diagnostics of sampling are 0 or NAN; stop is "exact".  */
void sde_weak_rows_exact (double eta, size_t nmethods, size_t nobs,
                          size_t ncheck, const size_t *check, const double *val,
                          sde_weak_point *rows);

/* ---- The sweep ---- */

/* Builds the ensemble at learning rate eta (the i-th of the grid) with an
   SDE reference of `substeps` substeps.  Its processes are the methods
   0..nmethods-1, then the reference (index nmethods, e->ref), then
   optionally a check SDE with twice the substeps (index nmethods + 1) to
   estimate the reference's own error.  Returns GSL_SUCCESS or a status
   with a reason.  */
typedef int (*sde_weak_build_fn) (void *ctx, size_t i, double eta,
                                  size_t substeps, sde_ensemble *e);

/* Called with the rows of one eta as soon as they are final.  A nonzero
   return stops the sweep.  */
typedef int (*sde_weak_row_fn) (void *ctx, const sde_weak_point *rows,
                                size_t nrows);

typedef struct
{
  const double *eta;
  size_t neta;
  size_t nmethods;
  uint64_t paths;     /* per eta (the first batch when adaptive) */
  uint64_t pilot;     /* paths that choose t_star, before and apart from
                         those that estimate e (0: paths / 4, in whole
                         chunks; none with one checkpoint) */
  uint64_t max_paths; /* adaptive cap */
  double target_ci;   /* > 0: add paths until every row's 95% CI
                         half-width is at most target_ci |e| ("target") or
                         target_ci times a negligible error ("small"), or
                         max_paths is reached ("max" for the rows short
                         of it) */
  int check_ref;      /* build a check SDE (2x substeps) */
  size_t substeps;    /* initial reference substeps */
  int auto_substeps;  /* double until the reference error < |e| / 10 */
  size_t max_substeps;
  double ref_order; /* weak order of the reference scheme */
  void *ctx;        /* for build */
  sde_weak_build_fn build;
  void *row_ctx; /* for row */
  sde_weak_row_fn row;
  /* A reference known without sampling error (NULL: the ensemble's
     process e->ref): fills val[c * nobs + o], E phi_o at checkpoint c of
     the ensemble built for eta number i, and err[...] its own error
     estimate.  The errors are then each method's estimate minus val, with
     the method's own SE.  */
  int (*reference) (void *ctx, size_t i, const sde_ensemble *e, double *val,
                    double *err);
  /* Called after every batch of eta number i with the paths run so far
     (NULL: none); a nonzero return stops the sweep with SDE_ESTOP (a
     time budget, an interrupt).  */
  int (*progress) (void *ctx, size_t i, uint64_t paths);
  /* How a batch of paths is run (NULL: sde_ensemble_run); a parallel
     caller splits the paths and reduces the sums.  */
  int (*run) (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
              sde_ensemble_sums *s);
} sde_weak_sweep;

/* Runs the sweep; rows go to sweep->row eta by eta.  Returns the first
   failure's status (rows already delivered stay delivered).  */
int sde_weak_run (const sde_weak_sweep *sweep);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_WEAK_H */
