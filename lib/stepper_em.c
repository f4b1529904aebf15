/* stepper_em.c: the Euler-Maruyama scheme, X + a h + b dW (Kloeden & Platen
   1992, eq. (10.2.2)); strong order 1/2, weak order 1.  */
#include <config.h>

#include <gsl/gsl_errno.h>

#include "simd.h"
#include "stepper_internal.h"
#include "system_internal.h"

size_t
sde__em_work (size_t d, size_t r, size_t P)
{
  return d * P + d * r * P;
}

/* Additive noise: b at one time, applied as it is (never copied per
   path), term by term after the drift as below.  */
SDE_CLONES int
sde__em_additive (const sde_system *sys, double t, double h, size_t P,
                  double *x, const double *dw, double *work)
{
  const size_t d = sys->dim, r = sys->noise_dim;
  double *a = work, *b1 = a + 5 * d * P, *x1 = b1 + 2 * d * r, *w = x1 + d;
  sde__noise nz;
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sde__additive_noise (sys, t, P, x, b1, x1, w, &nz);
  if (status)
    return status;
  for (size_t k = 0; k < d * P; k++)
    x[k] += a[k] * h;
  return sde__noise_add (&nz, P, dw, x);
}

SDE_CLONES int
sde__em_apply (const sde_system *sys, double t, double h, size_t P, double *x,
               const double *dw, const double *aux, double *work)
{
  (void)aux;
  if (sys->noise & SDE_NOISE_ADDITIVE)
    return sde__em_additive (sys, t, h, P, x, dw, work);
  const size_t d = sys->dim, r = sys->noise_dim;
  if (sde__system_has_product (sys))
    {
      /* A finite sum: the drift and b dW in one pass over the data,
         never b itself (d x n per path).  */
      double *a = work, *bdw = a + d * P, *w = bdw + d * P;
      int status = sde__system_drift_noise (sys, t, P, x, dw, a, bdw, w);
      if (status)
        return status;
      for (size_t k = 0; k < d * P; k++)
        x[k] = x[k] + a[k] * h + bdw[k];
      return GSL_SUCCESS;
    }
  double *a = work, *b = a + d * P, *w = b + d * r * P;
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sys->diffusion (t, P, x, b, w, sys->params);
  if (status)
    return status;
  for (size_t i = 0; i < d; i++)
    {
      double *xi = x + i * P;
      const double *ai = a + i * P;
      for (size_t p = 0; p < P; p++)
        xi[p] += ai[p] * h;
      for (size_t j = 0; j < r; j++)
        {
          const double *bij = b + (i * r + j) * P, *dwj = dw + j * P;
          for (size_t p = 0; p < P; p++)
            xi[p] += bij[p] * dwj[p];
        }
    }
  return GSL_SUCCESS;
}

const sde_stepper_type sde__em_type = {
  .name = "em",
  .description = "Euler-Maruyama (K&P 10.2.2): strong 1/2, weak 1",
  .strong_order = 0.5,
  .weak_order = 1.0,
  .law = SDE_RNG_NORMAL,
  .needs = 0,
  .aux = sde__no_aux,
  .work = sde__em_work,
  .apply = sde__em_apply,
};

const sde_stepper_type *sde_stepper_em = &sde__em_type;
