/* system.h: Ito SDEs dX = a(t,X) dt + b(t,X) dW with X in R^d and W in R^r,
   evaluated over blocks of paths (Kloeden & Platen 1992, ch. 4).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_SYSTEM_H
#define SDEKIT_SYSTEM_H

#include <stddef.h>

#include <sdekit/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A block callback evaluates a function at P paths stored coordinate-major,
   x[i*P + p].  Outputs are coordinate-major too:
     drift      out[i*P + p]             = a_i
     diffusion  out[(i*r + j)*P + p]     = b_ij
     jacobian   out[((i*r + j)*d + k)*P + p] = d b_ij / d x_k
   WORK holds sys->work * P doubles of scratch the callback may use.  A
   nonzero return is a user error and is passed back unchanged.  */
typedef int (*sde_block_fn) (double t, size_t P, const double *x, double *out,
                             double *work, void *params);

/* Noise structure; it decides which schemes apply (MATH.md section 7).  */
enum
{
  SDE_NOISE_GENERAL = 0,
  SDE_NOISE_SCALAR = 1 << 0,      /* r = 1 */
  SDE_NOISE_DIAGONAL = 1 << 1,    /* r = d, b_ij = 0 for i != j, b_ii(x_i) */
  SDE_NOISE_COMMUTATIVE = 1 << 2, /* L^j b_k = L^k b_j for all j, k */
  SDE_NOISE_ADDITIVE = 1 << 3     /* b independent of x */
};

typedef struct
{
  size_t dim;       /* d */
  size_t noise_dim; /* r */
  unsigned noise;   /* SDE_NOISE_* flags the user vouches for */
  sde_block_fn drift;
  sde_block_fn diffusion;
  sde_block_fn jacobian; /* optional: NULL when d b is not available */
  void *params;
  size_t work; /* scratch doubles per path the callbacks need */
} sde_system;

/* The one-path (GSL-style) form: x[d] in, out as above with P = 1.  */
typedef int (*sde_path_fn) (double t, const double *x, double *out,
                            void *params);

typedef struct
{
  sde_path_fn drift;
  sde_path_fn diffusion;
  sde_path_fn jacobian; /* optional */
  void *params;
  size_t dim, noise_dim; /* set by sde_system_set_path */
} sde_path_callbacks;

/* Makes SYS evaluate the one-path callbacks CB path by path.  CB is
   borrowed, must outlive SYS, and gets its dimensions filled in.  Returns
   GSL_EINVAL for d or r of 0 or a missing drift or diffusion.  */
int sde_system_set_path (sde_system *sys, size_t dim, size_t noise_dim,
                         unsigned noise, sde_path_callbacks *cb);

/* Checks L^j b_k = L^k b_j at the P paths of x, to relative tolerance TOL,
   using the jacobian.  Returns GSL_SUCCESS when it holds, GSL_FAILURE when
   it does not, GSL_EINVAL without a jacobian.  WORK: see sde_system_work.  */
int sde_system_check_commutative (const sde_system *sys, double t, size_t P,
                                  const double *x, double tol, double *work);

/* Doubles of workspace sde_system_check_commutative needs.  */
size_t sde_system_work (const sde_system *sys, size_t P);

/* ---- Limit SDEs of an optimization problem (MATH.md section 4) ---- */

typedef enum
{
  SDE_LIMIT_SME1 = 0, /* dX = -l(t) grad L dt + l(t) sqrt(tau) S dW */
  SDE_LIMIT_SME2,     /* dX = -grad(L + eta |grad L|^2/4) dt + sqrt(tau) S dW */
  SDE_LIMIT_UNDERDAMPED /* dX = -M dt, dM = c (grad L - M) dt + c sqrt(tau) S
                           dW */
} sde_limit_kind;

typedef struct
{
  sde_limit_kind kind;
  const sde_problem *prob;
  double tau; /* temperature eta sigma^2 */
  double eta; /* SME2: the learning rate of the modified equation */
  double c;   /* UNDERDAMPED: 1 - beta = c eta */
  /* SME1: the schedule factor l(t) (NULL: 1) */
  double (*lambda) (double t, const void *params);
  const void *lambda_params;
} sde_limit;

/* Fills SYS with the limit SDE LIM of its problem.  LIM is borrowed and
   must outlive SYS.  The state is x (d) for SME1 and SME2, (x, m) (2d) for
   UNDERDAMPED; the noise has the problem's r columns.  SME2 uses the
   problem's Hessian, or a central difference of the gradient along
   grad L when there is none.  GSL_EINVAL for bad settings.  */
int sde_system_limit (sde_system *sys, const sde_limit *lim);

/* ---- A small catalog of SDEs with known laws, for sde-sim and tests. ----
 */

typedef struct sde_system_entry sde_system_entry;

/* A catalog SDE with its parameters, its initial value and, where known,
   its exact mean and variance of X_1(t).  */
typedef struct
{
  sde_system sys;
  const sde_system_entry *entry;
  double param[8];
  double x0[8];
  char spec[256]; /* canonical "name:key=value,..." with every parameter */
} sde_system_named;

/* Allocates the catalog SDE described by SPEC, "name[:key=value,...]" (for
   example "gbm:lambda=-1,mu=0.5").  Returns NULL through gsl_error with a
   one-line reason naming the bad name, key or value.  */
sde_system_named *sde_system_alloc (const char *spec);
void sde_system_free (sde_system_named *s);

/* Exact E X_1(t) and Var X_1(t) from X(0) = x0; GSL_EUNSUP when the
   catalog entry has no closed form.  */
int sde_system_exact (const sde_system_named *s, double t, double *mean,
                      double *var);

/* The catalog: name, one-line description and "key=default" list; index
   runs from 0 until NULL is returned.  */
const char *sde_system_name (size_t index, const char **description,
                             const char **params);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_SYSTEM_H */
