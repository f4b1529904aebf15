/* manifold.h: the geometry of a manifold of minimizers and the slow SDE
   of SGD near it (MATH.md section 6; Li, Wang & Arora, "What happens after
   SGD reaches zero loss?", ICLR 2022; Theorem 4.5 of Wang, Malladi, Wang,
   Lyu & Li 2023 for SGDM).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_MANIFOLD_H
#define SDEKIT_MANIFOLD_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/problem.h>
#include <sdekit/stepper.h>
#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sde_manifold sde_manifold;

typedef struct
{
  double sigma;     /* noise scale: Sigma = sigma^2 S S^T */
  double gtol;      /* Phi converged when |grad L| <= gtol */
  size_t max_steps; /* gradient-flow step budget of one Phi */
  double rank_tol;  /* |lambda| <= rank_tol max|lambda|: a tangent direction */
  int flow;         /* nonzero: Phi by the gradient flow even when a closed
                       form exists */
  /* Phi without a closed form (MATH.md 6): Newton's method in the normal
     space with Phi's second-order term, which is exact up to O(|x -
     Gamma|^3); its error is estimated by Phi's invariance along the
     gradient flow (one flow step), and where it exceeds ptol |x -
     Gamma|^2 + SDE_MANIFOLD_PATOL, the flow (Dormand-Prince 5(4), each
     step's local error at most rtol of its length) goes first, as far as
     the estimate says.  In blocks of at least 64 paths the check runs on
     1 in 32 and, where their measured error coefficient says A is within
     a tenth of the tolerance, the others skip it (MATH.md 6.0: an
     estimate, not a bound).  rtol is at least 1e-10 (below, the local error
     of a step near Gamma is under the rounding of its stages).  */
  double rtol;
  double ptol;
  int bdf; /* nonzero: GSL's BDF flow path by path instead (slow; Newton
              from |grad L| <= SDE_MANIFOLD_GABS): for checks */
} sde_manifold_opts;

/* Points with |grad L| <= 1e-6 are finished by Newton without a flow;
   Phi's absolute tolerance.  */
#define SDE_MANIFOLD_GABS 1e-6
#define SDE_MANIFOLD_PATOL 1e-13

/* Defaults: sigma 1, gtol 1e-11, 100000 steps, rank_tol 1e-7, rtol 1e-6,
   ptol 1e-7, the block method.  */
void sde_manifold_defaults (sde_manifold_opts *o);

/* The manifold of minimizers of PB (borrowed) near x0: Phi(x0) is
   computed and its Hessian rank recorded; every later point must have the
   same rank.  NULL with a reason (through gsl_error) when Phi does not
   converge, when x0 is outside every basin (the flow stops at a point that
   is not a minimizer) or when H has no zero eigenvalue there.  */
sde_manifold *sde_manifold_alloc (const sde_problem *pb, const double *x0,
                                  const sde_manifold_opts *o);
void sde_manifold_free (sde_manifold *m);

/* Manifold and ambient dimensions.  */
size_t sde_manifold_dim (const sde_manifold *m);

/* Phi(x) at one point: the closed form of the problem, or the gradient
   flow d phi/ds = -grad L(phi) finished by Newton's method (see
   sde_manifold_opts) until |grad L| <= gtol; *steps gets the flow steps
   and Newton iterations taken (0 for the closed form).  GSL_EMAXITER
   when the budget runs out, GSL_EDOM when the flow leaves the finite
   numbers.  */
int sde_manifold_phi (sde_manifold *m, const double *x, double *phi,
                      size_t *steps);

/* At a point zeta of the manifold: the tangent projector P (d x d), the
   pseudo-inverse H+ (d x d), and the Katzenberger drift
   -1/2 H+ L'''[Sigma_par] - 1/2 P L'''[Sigma_diamond] (d), with Sigma_par =
   P Sigma P and Sigma_diamond the inverse Lyapunov operator of H on the
   normal and mixed blocks.  L''' is the problem's analytic contraction or
   a central difference of <hess L, S>.  Any output may be NULL.  */
int sde_manifold_geometry (sde_manifold *m, const double *zeta, double *P,
                           double *Hplus, double *drift);

/* Slow-SDE integrators as type objects (each a system to step with a
   scheme, and a projection by Phi after every step).  */
typedef struct
{
  const char *name;
  const char *description;
  int explicit_form; /* the explicit drift (else projected Euler) */
} sde_slow_type;

extern const sde_slow_type *sde_slow_projected;
extern const sde_slow_type *sde_slow_explicit;
/* On a one-dimensional manifold only (MATH.md 6.2).  */
extern const sde_slow_type *sde_slow_tangent;
const sde_slow_type *const *sde_slow_types (void);
const sde_slow_type *sde_slow_type_find (const char *name);

/* Fills SYS with the slow SDE of kind T on M (borrowed): for projected
   Euler dzeta = sigma S(zeta) dW; for the explicit form dzeta = P sigma S
   dW + drift dt with the r ambient noise columns (general noise); for
   the tangent form (a one-dimensional manifold, else GSL_EINVAL) the
   explicit form's drift and diffusion evaluated at Phi(x), with the
   jacobian of its scalar tangent noise t b dB, dB = u . dW, u = sigma
   S^T t / b held fixed over a step, so the noise counts as commutative and
   Milstein applies (MATH.md 6.2).  Each is stepped by a scheme and
   re-projected by Phi after every step (sde_process.manifold in
   ensemble.h).  */
int sde_slow_system (sde_system *sys, const sde_slow_type *T, sde_manifold *m);

/* Block projection x <- Phi(x) for P paths (x[i*P + p]); adds the ODE
   steps to *steps when not NULL.  Paths with a non-finite coordinate are
   left alone.  When TOLERANT, a path whose Phi fails becomes NaN and the
   call goes on (the caller counts it as diverged); otherwise the first
   failure is returned.  */
int sde_manifold_project (sde_manifold *m, size_t P, double *x, int tolerant,
                          uint64_t *steps);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_MANIFOLD_H */
