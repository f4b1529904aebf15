/* system.c: one-path adapters for sde_system and the commutativity check
   L^j b_k = L^k b_j of Kloeden & Platen (1992), eq. (10.3.13).  */
#include <config.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/system.h"

/* Scratch layout of the adapters: x (d), then the output (d r d).  */
static int
path_eval (sde_path_fn f, size_t out_len, double t, size_t P, const double *x,
           double *out, double *work, void *params, size_t d)
{
  const sde_path_callbacks *cb = params;
  double *xp = work, *op = work + d;
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < d; i++)
        xp[i] = x[i * P + p];
      int status = f (t, xp, op, cb->params);
      if (status)
        return status;
      for (size_t k = 0; k < out_len; k++)
        out[k * P + p] = op[k];
    }
  return GSL_SUCCESS;
}

static int
adapt_drift (double t, size_t P, const double *x, double *out, double *work,
             void *params)
{
  const sde_path_callbacks *cb = params;
  return path_eval (cb->drift, cb->dim, t, P, x, out, work, params, cb->dim);
}

static int
adapt_diffusion (double t, size_t P, const double *x, double *out, double *work,
                 void *params)
{
  const sde_path_callbacks *cb = params;
  return path_eval (cb->diffusion, cb->dim * cb->noise_dim, t, P, x, out, work,
                    params, cb->dim);
}

static int
adapt_jacobian (double t, size_t P, const double *x, double *out, double *work,
                void *params)
{
  const sde_path_callbacks *cb = params;
  return path_eval (cb->jacobian, cb->dim * cb->noise_dim * cb->dim, t, P, x,
                    out, work, params, cb->dim);
}

int
sde_system_set_path (sde_system *sys, size_t dim, size_t noise_dim,
                     unsigned noise, sde_path_callbacks *cb)
{
  if (dim == 0 || noise_dim == 0)
    GSL_ERROR ("system dimension and noise dimension must be positive",
               GSL_EINVAL);
  if (cb == NULL || cb->drift == NULL || cb->diffusion == NULL)
    GSL_ERROR ("one-path system needs drift and diffusion", GSL_EINVAL);
  memset (sys, 0, sizeof *sys);
  cb->dim = dim;
  cb->noise_dim = noise_dim;
  sys->dim = dim;
  sys->noise_dim = noise_dim;
  sys->noise = noise;
  sys->drift = adapt_drift;
  sys->diffusion = adapt_diffusion;
  sys->jacobian = cb->jacobian ? adapt_jacobian : NULL;
  sys->params = cb;
  /* One path's x and output: the adapters run path by path, so this
     per-path figure is generous.  */
  sys->work = dim + dim * noise_dim * dim;
  return GSL_SUCCESS;
}

size_t
sde_system_work (const sde_system *sys, size_t P)
{
  size_t d = sys->dim, r = sys->noise_dim;
  return P * (sys->work + d * r + d * r * d);
}

int
sde_system_check_commutative (const sde_system *sys, double t, size_t P,
                              const double *x, double tol, double *work)
{
  if (sys->jacobian == NULL)
    GSL_ERROR ("commutativity check needs the jacobian of b", GSL_EINVAL);
  const size_t d = sys->dim, r = sys->noise_dim;
  double *b = work + sys->work * P, *db = b + d * r * P;
  int status = sys->diffusion (t, P, x, b, work, sys->params);
  if (status == 0)
    status = sys->jacobian (t, P, x, db, work, sys->params);
  if (status)
    return status;
  /* (L^j b_k)_i = sum_l b_lj d_l b_ik.  */
  for (size_t p = 0; p < P; p++)
    for (size_t j = 0; j < r; j++)
      for (size_t k = j + 1; k < r; k++)
        for (size_t i = 0; i < d; i++)
          {
            double ljk = 0, lkj = 0, scale = 0;
            for (size_t l = 0; l < d; l++)
              {
                double u = b[(l * r + j) * P + p]
                           * db[((i * r + k) * d + l) * P + p];
                double v = b[(l * r + k) * P + p]
                           * db[((i * r + j) * d + l) * P + p];
                ljk += u;
                lkj += v;
                scale += fabs (u) + fabs (v);
              }
            if (fabs (ljk - lkj) > tol * (scale > 1 ? scale : 1))
              return GSL_FAILURE;
          }
  return GSL_SUCCESS;
}
