/* optim_qhm.c: quasi-hyperbolic momentum of Ma & Yarats, "Quasi-hyperbolic
   momentum and Adam for deep learning" (ICLR 2019), eq. (3):
   m' = beta m + (1 - beta) g, x' = x - eta ((1 - nu) g + nu m'), m_0 = 0.
   The step averages the gradient and the momentum buffer: nu = 1 is SGDM,
   nu = 0 is SGD, and the effective learning rate is eta for every nu.  */
#include <config.h>

#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/optim.h"
#include "simd.h"

enum
{
  NU /* o->param[NU]: the weight of the buffer in the step */
};

static int
qhm_parse (sde_optim *o, sde_spec *spec)
{
  int st = sde_optim_parse_momentum (o, spec);
  if (st)
    return st;
  /* The paper's recommended default.  */
  return sde_spec_double (spec, "nu", 0.7, 0, 1, &o->param[NU]);
}

static int
qhm_set (sde_optim *o, double eta)
{
  return sde_optim_set_momentum (o, eta);
}

/* With nu = 1 (or 0) the weight of g (or m') is an exact zero, so the
   step is bitwise SGDM's (or SGD's) wherever the values are finite.  */
SDE_CLONES static int
qhm_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
           double *m, const double *g, int first)
{
  const double b = o->mom, c = 1 - o->mom;
  const double nu = o->param[NU], w = 1 - nu;
  if (first)
    memset (m, 0, sizeof (double) * d * P);
  for (size_t k = 0; k < d * P; k++)
    {
      m[k] = b * m[k] + c * g[k];
      x[k] -= lr * (w * g[k] + nu * m[k]);
    }
  return GSL_SUCCESS;
}

/* With g = lam x + sigma xi: m' = mu m + (1 - mu) g and x' = x - lr (1 -
   nu mu) g - lr nu mu m, so on (x, m) A = [[1 - lr (1 - nu mu) lam,
   -lr nu mu], [(1 - mu) lam, mu]] and b = (-lr (1 - nu mu), 1 - mu)
   sigma (MATH.md section 5).  */
static int
qhm_linear (const sde_optim *o, double lr, double sigma, long double lam,
            int first, long double *A, long double *b)
{
  (void)first;
  const long double mu = o->mom, nu = o->param[NU], w = 1 - nu * mu;
  A[0] = 1 - lr * w * lam, A[1] = -lr * nu * mu;
  A[2] = (1 - mu) * lam, A[3] = mu;
  b[0] = -lr * w * sigma, b[1] = (1 - mu) * sigma;
  return 0;
}

const sde_optim_type sde__optim_qhm = {
  .name = "qhm",
  .description = "quasi-hyperbolic momentum (Ma & Yarats 2019): m' = beta m "
                 "+ (1-beta) g, x' = x - eta ((1-nu) g + nu m'); nu=V "
                 "(default 0.7), beta=B or alpha=A,c=C",
  .state = 2,
  .family = 1,
  .plain = 0,
  .parse = qhm_parse,
  .set = qhm_set,
  .apply = qhm_apply,
  .linear = qhm_linear,
};
