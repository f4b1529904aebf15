/* exact.h: weak errors with no Monte Carlo noise (MATH.md section 5).
   Linear-Gaussian problems (a quadratic loss with constant Gaussian noise)
   have Gaussian laws whose mean and covariance follow exact recursions for
   the discrete methods and closed forms or matrix exponentials for the
   SDEs; expectations of coordinates, second moments, |x|^2, the loss and
   cos(w.x) follow from them.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_EXACT_H
#define SDEKIT_EXACT_H

#include <stddef.h>

#include <sdekit/observable.h>
#include <sdekit/optim.h>
#include <sdekit/problem.h>
#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sde_exact sde_exact;

/* Nonzero when the linear-Gaussian engine applies to PB with oracle law
   LAW and these observables; otherwise 0 and a one-line reason in WHY.  */
int sde_exact_applies (const sde_problem *pb, sde_oracle_law law,
                       const sde_observable *obs, size_t nobs, char *why,
                       size_t len);

/* Diagonalises the problem's constant Hessian (GSL's symmetric eigensolver)
   and rotates its constant noise factor.  PB is borrowed.  Returns NULL
   with a reason through gsl_error when the engine does not apply.  */
sde_exact *sde_exact_alloc (const sde_problem *pb);
void sde_exact_free (sde_exact *ex);

/* Nonzero when sde_exact_method follows method M: its type gives the
   linear map of a step (sde_optim_type.linear), keeps at most one buffer,
   and M has no weight decay; otherwise 0 and a one-line reason in WHY.  */
int sde_exact_applies_method (const sde_optim *m, char *why, size_t len);

/* E phi at checkpoints check[c] (in steps of eta) for a resolved method
   with Gaussian noise of scale sigma from x0: out[c * nobs + o].  Momentum
   buffers start at 0 (or at g_0 for sgdm m0=grad and PyTorch's first step).
   SVAG(l) uses eta/l, sqrt(l) sigma and l steps per eta.  GSL_EINVAL with
   the reason when sde_exact_applies_method refuses M.  */
int sde_exact_method (const sde_exact *ex, const sde_optim *m, double sigma,
                      const double *x0, double eta, const size_t *check,
                      size_t ncheck, const sde_observable *obs, size_t nobs,
                      double *out);

/* The same for a limit SDE (SME-1 with a constant or step schedule, SME-2,
   the underdamped SDE from (x0, m0)) at times check[c] * eta.  */
int sde_exact_sde (const sde_exact *ex, const sde_limit *lim, const double *x0,
                   const double *m0, double eta, const size_t *check,
                   size_t ncheck, const sde_observable *obs, size_t nobs,
                   double *out);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_EXACT_H */
