/* driver.c: fixed-grid integration of a block of paths, drawing each
   step's increments from counter-based streams so that any step size sees
   the same Brownian path (sums of a fine grid's increments).  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "stepper_internal.h"

struct sde_driver
{
  sde_stepper *stepper;
  size_t P, r, naux;
  double *dw, *aux, *tmp;
};

sde_driver *
sde_driver_alloc (const sde_stepper_type *T, const sde_system *sys, size_t P)
{
  sde_stepper *s = sde_stepper_alloc (T, sys, P);
  if (s == NULL)
    return NULL;
  sde_driver *d = calloc (1, sizeof *d);
  if (d == NULL)
    {
      sde_stepper_free (s);
      return sde_error (GSL_ENOMEM, "out of memory for driver"), NULL;
    }
  d->stepper = s;
  d->P = P;
  d->r = sys->noise_dim;
  d->naux = sde_stepper_aux (s);
  d->dw = malloc (sizeof (double) * d->r * P);
  d->tmp = malloc (sizeof (double) * d->r * P);
  d->aux = malloc (sizeof (double) * (d->naux ? d->naux : 1) * P);
  if (d->dw == NULL || d->tmp == NULL || d->aux == NULL)
    {
      sde_driver_free (d);
      return sde_error (GSL_ENOMEM, "out of memory for driver buffers"), NULL;
    }
  return d;
}

void
sde_driver_free (sde_driver *d)
{
  if (d == NULL)
    return;
  sde_stepper_free (d->stepper);
  free (d->dw);
  free (d->tmp);
  free (d->aux);
  free (d);
}

sde_stepper *
sde_driver_stepper (sde_driver *d)
{
  return d->stepper;
}

int
sde_driver_apply (sde_driver *d, const sde_noise *noise, double t0, double h,
                  uint64_t step0, size_t nsteps, size_t npaths, double *x)
{
  const sde_stepper_type *T = sde_stepper_type_of (d->stepper);
  const size_t r = d->r, P = npaths, m = noise->refine;
  const sde_rng_law law = noise->brownian ? SDE_RNG_NORMAL : T->law;
  if (npaths > d->P)
    GSL_ERROR ("more paths than the driver was allocated for", GSL_EINVAL);
  if (m == 0 || (m > 1 && law != SDE_RNG_NORMAL))
    return sde_error (GSL_EINVAL,
                      "%s: refine must be 1 for %s increments (got %zu)",
                      T->name, sde_rng_law_name (law), m);
  if (!(h > 0) || !isfinite (h))
    GSL_ERROR ("step size must be positive and finite", GSL_EINVAL);
  const double scale = sqrt (h / (double)m);
  for (size_t k = 0; k < nsteps; k++)
    {
      const uint64_t step = step0 + k;
      int status;
      if (m == 1)
        {
          status = sde_rng_sample (noise->rng, law, 0, noise->stream, step,
                                   noise->path0, P, r, d->dw, P);
          if (status)
            return status;
          for (size_t i = 0; i < r * P; i++)
            d->dw[i] *= scale;
        }
      else
        {
          memset (d->dw, 0, sizeof (double) * r * P);
          for (size_t f = 0; f < m; f++)
            {
              status = sde_rng_sample (noise->rng, law, 0, noise->stream,
                                       step * m + f, noise->path0, P, r, d->tmp,
                                       P);
              if (status)
                return status;
              for (size_t i = 0; i < r * P; i++)
                d->dw[i] += d->tmp[i];
            }
          for (size_t i = 0; i < r * P; i++)
            d->dw[i] *= scale;
        }
      if (d->naux)
        {
          status = sde_rng_sample (noise->rng, SDE_RNG_TWOPOINT, 0,
                                   noise->stream + 1, step, noise->path0, P,
                                   d->naux, d->aux, P);
          if (status)
            return status;
          for (size_t i = 0; i < d->naux * P; i++)
            d->aux[i] *= h;
        }
      status = sde_stepper_apply (d->stepper, t0 + (double)step * h, h, P, x,
                                  d->dw, d->aux);
      if (status)
        return status;
    }
  return GSL_SUCCESS;
}
