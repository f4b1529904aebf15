/* order.h: the convergence of schemes on one SDE: weak and strong errors
   at a horizon T over a grid of step sizes, every scheme and every step
   size on one Brownian path per sample (a coarse step sums the fine
   increments), against the exact solution on that path, exact moments, or
   a finer reference on that path; with CIs, noise-floor flags, fitted
   orders, local slopes and the time each row took (MATH.md section 9).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_ORDER_H
#define SDEKIT_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/observable.h>
#include <sdekit/rng.h>
#include <sdekit/stepper.h>
#include <sdekit/system.h>
#include <sdekit/system_expr.h>
#include <sdekit/weak.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exact solution at time T on P paths from the Brownian values W_t
   (noise_dim rows of P): X (dim rows of P).  WORK holds exact_work doubles
   per path.  sde_system_expr_exact has this form.  */
typedef int (*sde_order_exact_fn) (double t, size_t P, const double *w,
                                   double *x, double *work, void *params);

/* E phi_obs(X_t) from x0 into *VALUE; GSL_EUNSUP when it is not known.
   sde_system_expr_moment has this form (its moments in order).  */
typedef int (*sde_order_moment_fn) (size_t obs, double t, double *value,
                                    void *params);

/* What an error is measured against.  */
typedef enum
{
  SDE_ORDER_AUTO = 0, /* the best available, in the order below */
  SDE_ORDER_EXACT,    /* the exact solution on the same Brownian path:
                         weak errors from paired differences, whose
                         variance falls with h */
  SDE_ORDER_MOMENT,   /* exact expectations (weak errors only) */
  SDE_ORDER_REFERENCE /* a reference scheme at a finer step on the same
                         Brownian path (paired differences) */
} sde_order_against;

typedef enum
{
  SDE_ORDER_WEAK = 0, /* |E phi(X_h(T)) - E phi(X(T))| per observable */
  SDE_ORDER_STRONG    /* E |X_h(T) - X(T)| (Euclidean norm) */
} sde_order_kind;

#define SDE_ORDER_MAXSCHEMES 8
#define SDE_ORDER_MAXH 24
#define SDE_ORDER_MAXOBS 16

typedef struct
{
  const sde_system *sys; /* borrowed, as everything here */
  const double *x0;      /* sys->dim values */
  double T;              /* the horizon: errors are at T */
  const sde_stepper_type *const *schemes;
  size_t nschemes;
  /* Step sizes, strictly decreasing, each T / h an integer (to 1e-9);
     the fine Brownian grid is the least common multiple of the step
     counts (powers of two keep it small).  */
  const double *h;
  size_t nh;
  const sde_observable *obs; /* weak test functions; nobs may be 0 */
  size_t nobs;
  sde_order_exact_fn exact; /* or NULL */
  void *exact_params;
  size_t exact_work;
  sde_order_moment_fn moment; /* or NULL */
  void *moment_params;
  sde_order_against against; /* of the weak errors (AUTO: 0) */
  /* The reference, where one is needed: its schemes (NULL: weak2 for the
     weak errors; for the strong errors milstein where the noise is
     commutative and the system has a jacobian, milstein-df where it has
     none, else em), run at the smallest h / ref_refine (0: 8; even), and
     at twice that step to estimate its own error.  */
  const sde_stepper_type *ref_weak, *ref_strong;
  size_t ref_refine;
  /* Nonzero: a scheme whose law is not normal (weak-euler, weak2) draws
     its own variates of that law, independent of the Brownian path: its
     weak errors are then unpaired and it has no strong errors.  Zero
     (the default): every scheme takes the normal increments of the one
     Brownian path, which keeps weak2's weak order 2 (stepper.h).  */
  int native_law;
  sde_rng *rng; /* counter-based for results independent of threads */
  uint32_t stream0;
  uint64_t paths;
  size_t chunk; /* paths per canonical chunk (0: 64) */
  int threads;  /* OpenMP threads (0: the OpenMP default) */
  double bound; /* a path diverges at T when some |x_i| > bound or is not
                   finite (0: 1e30, which keeps the fourth powers of the
                   sums within their exact accumulators' range) */
} sde_order_job;

/* The exact solution's mean of phi on the paths against its exact
   moment: a check of both (z = (est - exact) / se).  */
typedef struct
{
  double est, se, exact, z;
} sde_order_check;

/* The results.  Rows are sde_weak_point with eta = h, method = the
   scheme's index, obs = the observable's index for weak rows and nobs for
   strong rows (so a table with nobs + 1 names, the last the strong error,
   reads both), t_star = T, stop "fixed" ("none" for a row with no value),
   substeps the reference's steps per step h when the comparison is
   against a reference, ref_err its estimated own error, and seconds the
   time the scheme's steps took at that step size (sde_stepper_apply alone,
   summed over threads; drawing and summing the shared Brownian increments
   is left out, as is a native law's drawing), for a work-precision view.
   weak[(s * nobs + o) * nh + k] and strong[s * nh + k] for scheme s,
   observable o and step size k: each scheme's (and observable's) nh rows
   are contiguous for sde_weak_fit_points and sde_weak_local_slopes.  The
   rows share their paths, so their errors are correlated; the fits and
   local slopes take them as independent, which overstates a local slope's
   SE when neighbouring errors are positively correlated (as a path's
   errors at h and h/2 usually are).  */
typedef struct
{
  size_t nschemes, nh, nobs;
  double T;
  sde_weak_point *weak, *strong;
  sde_weak_fit *weak_fit;   /* [s * nobs + o] */
  sde_weak_fit *strong_fit; /* [s] */
  sde_order_against against[SDE_ORDER_MAXOBS];
  sde_order_against strong_against;
  int has_check; /* exact solution and some exact moments */
  sde_order_check check[SDE_ORDER_MAXOBS];       /* NAN where no moment */
  const sde_stepper_type *ref_weak, *ref_strong; /* NULL: not used */
  double ref_h;
  uint64_t paths, diverged_exact;
  double seconds; /* wall time of the run */
} sde_order_result;

/* Runs JOB.  On success *RES holds the results (free them with
   sde_order_result_free).  Returns GSL_EINVAL for bad settings (the
   reason names the setting; a scheme that refuses the system, such as
   Milstein on non-commutative noise, gives the stepper's reason), a
   callback's status, or GSL_ENOMEM.  */
int sde_order_run (const sde_order_job *job, sde_order_result **res);
void sde_order_result_free (sde_order_result *res);

/* Validates JOB as sde_order_run would, without running it (a caller
   refuses bad settings before any output): GSL_SUCCESS or its status and
   reason.  Calls the moment callback.  */
int sde_order_validate (const sde_order_job *job);

/* The nh rows of scheme S and observable OBS (ignored for strong
   errors); NULL out of range.  */
const sde_weak_point *sde_order_rows (const sde_order_result *res,
                                      sde_order_kind kind, size_t s,
                                      size_t obs);

/* "auto", "exact", "moment" or "reference".  */
const char *sde_order_against_name (sde_order_against a);

/* Fills JOB's system, x0, exact solution and moments from S (borrowed;
   it must outlive the job), and its observables from S's moments (their
   phi, named by their text) into OBS (at most MAX), leaving the rest of
   JOB alone.  Returns the number of observables.  The exact solution and
   moments are S's, from S's x0: a tool that replaces x0 allocates the SDE
   again with it (the spec's x0=...) rather than changing JOB->x0.  */
size_t sde_order_job_expr (sde_order_job *job, const sde_system_expr *s,
                           sde_observable *obs, size_t max);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_ORDER_H */
