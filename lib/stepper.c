/* stepper.c: the stepper registry and the stepper object that binds a
   scheme to a system with its workspace.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "stepper_internal.h"

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
    GSL_ERROR_NULL ("out of memory for stepper", GSL_ENOMEM);
  s->type = T;
  s->sys = sys;
  s->P = P;
  s->naux = T->aux (r);
  /* Platen's scheme needs no aux variates under additive noise (see
     weak2_additive).  */
  if (T == sde_stepper_weak2 && (sys->noise & SDE_NOISE_ADDITIVE))
    s->naux = 0;
  size_t nwork = T->work (sys->dim, r, P) + sys->work * P;
  s->work = malloc (sizeof (double) * (nwork ? nwork : 1));
  if (s->work == NULL)
    {
      free (s);
      GSL_ERROR_NULL ("out of memory for stepper workspace", GSL_ENOMEM);
    }
  return s;
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
