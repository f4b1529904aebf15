/* stepper_milstein_df.c: the derivative-free (Runge-Kutta) Milstein scheme
   for commutative noise (Kloeden & Platen 1992, eqs. (11.1.5) and (11.1.7)):
   L^j b_k is replaced by (b_k(Y_j) - b_k(X)) / sqrt(h) with the supporting
   value Y_j = X + a h + b_j sqrt(h); strong order 1, weak order 1.  */
#include <config.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "simd.h"
#include "stepper_internal.h"
#include "system_internal.h"

static size_t
mdf_work (size_t d, size_t r, size_t P)
{
  return 3 * d * P + 2 * d * r * P;
}

/* Additive noise: b(Y_j) = b(X), so the correction vanishes: X + v with
   v = a h + sum_j b_j dW_j, in the order of the general form.  */
SDE_CLONES static int
mdf_additive (const sde_system *sys, double t, double h, size_t P, double *x,
              const double *dw, double *work)
{
  const size_t d = sys->dim, r = sys->noise_dim;
  double *v = work, *b1 = v + 5 * d * P, *x1 = b1 + 2 * d * r, *w = x1 + d;
  sde__noise nz;
  int status = sys->drift (t, P, x, v, w, sys->params);
  if (status == 0)
    status = sde__additive_noise (sys, t, P, x, b1, x1, w, &nz);
  if (status)
    return status;
  for (size_t k = 0; k < d * P; k++)
    v[k] *= h;
  if ((status = sde__noise_add (&nz, P, dw, v)))
    return status;
  for (size_t k = 0; k < d * P; k++)
    x[k] += v[k];
  return GSL_SUCCESS;
}

SDE_CLONES static int
mdf_apply (const sde_system *sys, double t, double h, size_t P, double *x,
           const double *dw, const double *aux, double *work)
{
  (void)aux;
  if (sys->noise & SDE_NOISE_ADDITIVE)
    return mdf_additive (sys, t, h, P, x, dw, work);
  const size_t d = sys->dim, r = sys->noise_dim;
  double *a = work, *b = a + d * P, *bs = b + d * r * P, *y = bs + d * r * P;
  double *corr = y + d * P, *w = corr + d * P;
  const double sh = sqrt (h), c = 0.5 / sh;
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sys->diffusion (t, P, x, b, w, sys->params);
  if (status)
    return status;
  memset (corr, 0, sizeof (double) * d * P);
  for (size_t j1 = 0; j1 < r; j1++)
    {
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < P; p++)
          y[i * P + p]
              = x[i * P + p] + a[i * P + p] * h + b[(i * r + j1) * P + p] * sh;
      status = sys->diffusion (t, P, y, bs, w, sys->params);
      if (status)
        return status;
      for (size_t j2 = 0; j2 < r; j2++)
        for (size_t i = 0; i < d; i++)
          {
            const double *bsi = bs + (i * r + j2) * P,
                         *bi = b + (i * r + j2) * P;
            for (size_t p = 0; p < P; p++)
              {
                double q
                    = dw[j1 * P + p] * dw[j2 * P + p] - (j1 == j2 ? h : 0.0);
                corr[i * P + p] += c * (bsi[p] - bi[p]) * q;
              }
          }
    }
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      {
        double v = a[i * P + p] * h + corr[i * P + p];
        for (size_t j = 0; j < r; j++)
          v += b[(i * r + j) * P + p] * dw[j * P + p];
        x[i * P + p] += v;
      }
  return GSL_SUCCESS;
}

const sde_stepper_type sde__milstein_df_type = {
  .name = "milstein-df",
  .description = "derivative-free Milstein, commutative noise (K&P 11.1.7): "
                 "strong 1, weak 1",
  .strong_order = 1.0,
  .weak_order = 1.0,
  .law = SDE_RNG_NORMAL,
  .needs = SDE_STEPPER_COMMUTATIVE,
  .aux = sde__no_aux,
  .work = mdf_work,
  .apply = mdf_apply,
};

const sde_stepper_type *sde_stepper_milstein_df = &sde__milstein_df_type;
