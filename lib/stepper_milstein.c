/* stepper_milstein.c: the Milstein scheme for scalar, diagonal and
   commutative noise (Kloeden & Platen 1992, eqs. (10.3.3) and (10.3.16)):
   X + a h + b dW + 1/2 sum_jk (L^j b_k)(dW_j dW_k - delta_jk h), with
   (L^j b_k)_i = sum_l b_lj d_l b_ik; strong order 1, weak order 1.  */
#include <config.h>

#include <gsl/gsl_errno.h>

#include "simd.h"
#include "stepper_internal.h"
#include "system_internal.h"

static size_t
milstein_work (size_t d, size_t r, size_t P)
{
  return d * P + d * r * P + d * r * d * P;
}

SDE_CLONES static int
milstein_apply (const sde_system *sys, double t, double h, size_t P, double *x,
                const double *dw, const double *aux, double *work)
{
  (void)aux;
  /* Additive noise: L^j b_k = 0, so the correction vanishes and the
     jacobian is not needed.  */
  if (sys->noise & SDE_NOISE_ADDITIVE)
    return sde__em_additive (sys, t, h, P, x, dw, work);
  const size_t d = sys->dim, r = sys->noise_dim;
  double *a = work, *b = a + d * P, *db = b + d * r * P;
  double *w = db + d * r * d * P;
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sys->diffusion (t, P, x, b, w, sys->params);
  if (status == 0)
    status = sys->jacobian (t, P, x, db, w, sys->params);
  if (status)
    return status;
  /* The correction reads b and db only, so x can be updated in place.  */
  for (size_t i = 0; i < d; i++)
    {
      double *xi = x + i * P;
      for (size_t p = 0; p < P; p++)
        xi[p] += a[i * P + p] * h;
      for (size_t j = 0; j < r; j++)
        {
          const double *dwj = dw + j * P;
          for (size_t p = 0; p < P; p++)
            xi[p] += b[(i * r + j) * P + p] * dwj[p];
          for (size_t k = 0; k < r; k++)
            {
              const double *dwk = dw + k * P;
              const double *dbik = db + (i * r + k) * d * P;
              for (size_t p = 0; p < P; p++)
                {
                  double ljk = 0;
                  for (size_t l = 0; l < d; l++)
                    ljk += b[(l * r + j) * P + p] * dbik[l * P + p];
                  double q = dwj[p] * dwk[p] - (j == k ? h : 0.0);
                  xi[p] += 0.5 * ljk * q;
                }
            }
        }
    }
  return GSL_SUCCESS;
}

const sde_stepper_type sde__milstein_type = {
  .name = "milstein",
  .description = "Milstein, commutative noise (K&P 10.3.16): strong 1, "
                 "weak 1; needs the jacobian of b",
  .strong_order = 1.0,
  .weak_order = 1.0,
  .law = SDE_RNG_NORMAL,
  .needs = SDE_STEPPER_JACOBIAN | SDE_STEPPER_COMMUTATIVE,
  .aux = sde__no_aux,
  .work = milstein_work,
  .apply = milstein_apply,
};

const sde_stepper_type *sde_stepper_milstein = &sde__milstein_type;
