/* optim_sgdm.c: SGD with momentum in the normalized form of Wang, Malladi,
   Wang, Lyu & Li (ICLR 2024): m' = beta m + (1 - beta) g, x' = x - eta m',
   m_0 = 0 or g_0 (MATH.md section 3).  */
#include <config.h>

#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/optim.h"
#include "simd.h"

static int
sgdm_parse (sde_optim *o, sde_spec *spec)
{
  int st = sde_optim_parse_momentum (o, spec);
  if (st)
    return st;
  const char *m0 = sde_spec_string (spec, "m0");
  if (m0 && strcmp (m0, "grad") == 0)
    o->m0_grad = 1;
  else if (m0 && strcmp (m0, "0") != 0)
    return sde_error (GSL_EINVAL, "sgdm: m0=%s: use 0 or grad", m0);
  return GSL_SUCCESS;
}

static int
sgdm_set (sde_optim *o, double eta)
{
  return sde_optim_set_momentum (o, eta);
}

SDE_CLONES static int
sgdm_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
            double *m, const double *g, int first)
{
  const double b = o->mom, c = 1 - o->mom;
  if (first)
    {
      if (o->m0_grad)
        memcpy (m, g, sizeof (double) * d * P);
      else
        memset (m, 0, sizeof (double) * d * P);
    }
  for (size_t k = 0; k < d * P; k++)
    {
      m[k] = b * m[k] + c * g[k];
      x[k] -= lr * m[k];
    }
  return GSL_SUCCESS;
}

/* On (x, m): A = [[1 - lr (1 - mu) lam, -lr mu], [(1 - mu) lam, mu]], b =
   (-lr (1 - mu), 1 - mu) sigma (MATH.md section 5); with m0 = grad the
   first step has m = g_0, so m_1 = g_0.  */
static int
sgdm_linear (const sde_optim *o, double lr, double sigma, long double lam,
             int first, long double *A, long double *b)
{
  const long double mu = o->mom;
  if (first && o->m0_grad)
    {
      A[0] = 1 - lr * lam, A[1] = 0, A[2] = lam, A[3] = 0;
      b[0] = -lr * sigma, b[1] = sigma;
      return 1;
    }
  A[0] = 1 - lr * (1 - mu) * lam, A[1] = -lr * mu;
  A[2] = (1 - mu) * lam, A[3] = mu;
  b[0] = -lr * (1 - mu) * sigma, b[1] = (1 - mu) * sigma;
  return 0;
}

const sde_optim_type sde__optim_sgdm = {
  .name = "sgdm",
  .description
  = "SGD with momentum, normalized: m' = beta m + (1-beta) g, x' = x - "
    "eta m'; beta=B or alpha=A,c=C for 1-beta = c eta^alpha; m0=0|grad",
  .state = 2,
  .family = 1,
  .plain = 0,
  .parse = sgdm_parse,
  .set = sgdm_set,
  .apply = sgdm_apply,
  .linear = sgdm_linear,
};

const sde_optim_type *sde_optim_sgdm = &sde__optim_sgdm;
