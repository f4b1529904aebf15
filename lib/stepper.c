/* stepper.c: the stepper registry and the stepper object that binds a
   scheme to a system with its workspace.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fused.h"
#include "sdekit/spec.h"
#include "simd.h"
#include "stepper_internal.h"
#include "system_internal.h"

/* The type objects, defined one per scheme file.  */
extern const sde_stepper_type sde__em_type, sde__weuler_type,
    sde__milstein_type, sde__milstein_df_type, sde__weak2_type;

static const sde_stepper_type *const registry[]
    = { &sde__em_type,          &sde__weuler_type, &sde__milstein_type,
        &sde__milstein_df_type, &sde__weak2_type,  NULL };

const sde_stepper_type *const *
sde_stepper_types (void)
{
  return registry;
}

const sde_stepper_type *
sde_stepper_type_find (const char *name)
{
  if (name == NULL)
    return NULL;
  for (const sde_stepper_type *const *t = registry; *t; t++)
    if (strcmp ((*t)->name, name) == 0)
      return *t;
  return NULL;
}

size_t
sde__no_aux (size_t r)
{
  (void)r;
  return 0;
}

sde_stepper *
sde_stepper_alloc (const sde_stepper_type *T, const sde_system *sys, size_t P)
{
  if (T == NULL || sys == NULL || P == 0)
    GSL_ERROR_NULL ("stepper needs a scheme, a system and P > 0", GSL_EINVAL);
  if (sys->dim == 0 || sys->noise_dim == 0 || sys->drift == NULL
      || sys->diffusion == NULL)
    GSL_ERROR_NULL ("system needs d, r > 0, a drift and a diffusion",
                    GSL_EINVAL);
  const size_t r = sys->noise_dim;
  /* Commutativity first: milstein-df, the hint below, needs it too.  */
  if ((T->needs & SDE_STEPPER_COMMUTATIVE) && r > 1
      && !(sys->noise
           & (SDE_NOISE_DIAGONAL | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE)))
    {
      sde_error (GSL_EINVAL,
                 "%s: noise is neither scalar, diagonal nor commutative; "
                 "it would need Levy areas, which are not implemented",
                 T->name);
      return NULL;
    }
  if ((T->needs & SDE_STEPPER_JACOBIAN) && sys->jacobian == NULL)
    {
      sde_error (GSL_EINVAL,
                 "%s needs the jacobian of the diffusion; use milstein-df",
                 T->name);
      return NULL;
    }
  sde_stepper *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for stepper"), NULL;
  s->type = T;
  s->sys = sys;
  s->P = P;
  s->naux = T->aux (r);
  /* Platen's scheme needs no aux variates under additive noise (see
     weak2_additive), and no scheme needs b per path there.  */
  const int additive = (sys->noise & SDE_NOISE_ADDITIVE) != 0;
  if (T == sde_stepper_weak2 && additive)
    s->naux = 0;
  size_t nwork = additive ? sde__additive_work (sys->dim, r, P)
                 : T->apply == sde__em_apply && sde__system_has_product (sys)
                     ? 2 * sys->dim * P /* a and b dW */
                     : T->work (sys->dim, r, P);
  nwork += sys->work * P;
  s->work = malloc (sizeof (double) * (nwork ? nwork : 1));
  if (s->work == NULL)
    {
      free (s);
      return sde_error (GSL_ENOMEM, "out of memory for stepper workspace"),
             NULL;
    }
  return s;
}

double *
sde__stepper_work (sde_stepper *s)
{
  return s->work;
}

size_t
sde__additive_work (size_t d, size_t r, size_t P)
{
  /* five d x P arrays, b at two times (d r each) and one path's x (d) */
  return 5 * d * P + 2 * d * r + d;
}

int
sde__additive_noise (const sde_system *sys, double t, size_t P, const double *x,
                     double *b1, double *x1, double *w, sde__noise *nz)
{
  if (sde__system_noise (sys, t, nz))
    return GSL_SUCCESS;
  const size_t d = sys->dim, r = sys->noise_dim;
  for (size_t i = 0; i < d; i++)
    x1[i] = x[i * P];
  int st = sys->diffusion (t, 1, x1, b1, w, sys->params);
  if (st)
    return st;
  sde__cmat_view (&nz->view, b1, d, r);
  nz->m = &nz->view;
  nz->c = 1.0;
  nz->row0 = 0;
  return GSL_SUCCESS;
}

SDE_CLONES int
sde__noise_add (const sde__noise *nz, size_t P, const double *restrict dw,
                double *restrict x)
{
  const sde__cmat *M = nz->m;
  double *restrict xr = x + nz->row0 * P;
  if (M->dense)
    return sde__gemm (M->rows, M->cols, nz->c, M->a, P, dw, 1.0, xr);
  for (size_t i = 0; i < M->rows; i++)
    {
      size_t lo, hi;
      sde__cm_row (M, i, &lo, &hi);
      for (size_t k = lo; k < hi; k++)
        {
          const double v = sde__cm_val (M, i, k);
          if (v == 0)
            continue;
          const double b = v * nz->c;
          const double *dwj = dw + sde__cm_col (M, i, k) * P;
          for (size_t p = 0; p < P; p++)
            xr[i * P + p] += b * dwj[p];
        }
    }
  return GSL_SUCCESS;
}

void
sde_stepper_free (sde_stepper *s)
{
  if (s == NULL)
    return;
  free (s->work);
  free (s);
}

const char *
sde_stepper_name (const sde_stepper *s)
{
  return s->type->name;
}

const sde_stepper_type *
sde_stepper_type_of (const sde_stepper *s)
{
  return s->type;
}

size_t
sde_stepper_aux (const sde_stepper *s)
{
  return s->naux;
}

int
sde_stepper_apply (sde_stepper *s, double t, double h, size_t npaths, double *x,
                   const double *dw, const double *aux)
{
  if (npaths > s->P)
    GSL_ERROR ("more paths than the stepper was allocated for", GSL_EINVAL);
  if (npaths == 0)
    return GSL_SUCCESS;
  return s->type->apply (s->sys, t, h, npaths, x, dw, aux, s->work);
}
