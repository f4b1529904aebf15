/* optim_sgd.c: SGD, x' = x - eta g (MATH.md section 3).  */
#include <config.h>

#include <gsl/gsl_errno.h>

#include "sdekit/optim.h"
#include "simd.h"

static int
sgd_parse (sde_optim *o, sde_spec *spec)
{
  (void)o, (void)spec;
  return GSL_SUCCESS;
}

static int
sgd_set (sde_optim *o, double eta)
{
  (void)o, (void)eta;
  return GSL_SUCCESS;
}

SDE_CLONES static int
sgd_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
           double *m, const double *g, int first)
{
  (void)o, (void)m, (void)first;
  for (size_t k = 0; k < d * P; k++)
    x[k] -= lr * g[k];
  return GSL_SUCCESS;
}

/* x' = (1 - lr lam) x - lr sigma xi (MATH.md section 5).  */
static int
sgd_linear (const sde_optim *o, double lr, double sigma, long double lam,
            int first, long double *A, long double *b)
{
  (void)o, (void)first;
  A[0] = 1 - lr * lam;
  b[0] = -lr * sigma;
  return 0;
}

const sde_optim_type sde__optim_sgd = {
  .name = "sgd",
  .description = "SGD, x' = x - eta g",
  .state = 1,
  .family = 0,
  .plain = 1,
  .parse = sgd_parse,
  .set = sgd_set,
  .apply = sgd_apply,
  .linear = sgd_linear,
};

const sde_optim_type *sde_optim_sgd = &sde__optim_sgd;
