/* system_catalog.c: built-in SDEs with closed-form laws, for sde-sim and
   the tests: geometric Brownian motion and Ornstein-Uhlenbeck (Kloeden &
   Platen 1992, section 4.4, eqs. (4.4.6) and (4.4.8)).  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "sdekit/system.h"

struct sde_system_entry
{
  const char *name;
  const char *keys[8]; /* parameter names, then "x0" */
  const char *description;
  const char *params; /* "key=default,..." for --list */
  unsigned noise;
  sde_block_fn drift, diffusion, jacobian;
  int (*setup) (sde_system_named *s, sde_spec *spec);
  void (*exact) (const double *param, const double *x0, double t, double *mean,
                 double *var);
};

/* ---- Geometric Brownian motion: dX = lambda X dt + mu X dW. ---- */

static int
gbm_drift (double t, size_t P, const double *x, double *out, double *work,
           void *params)
{
  (void)t;
  (void)work;
  const double lambda = ((const double *)params)[0];
  for (size_t p = 0; p < P; p++)
    out[p] = lambda * x[p];
  return GSL_SUCCESS;
}

static int
gbm_diffusion (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)t;
  (void)work;
  const double mu = ((const double *)params)[1];
  for (size_t p = 0; p < P; p++)
    out[p] = mu * x[p];
  return GSL_SUCCESS;
}

static int
gbm_jacobian (double t, size_t P, const double *x, double *out, double *work,
              void *params)
{
  (void)t;
  (void)x;
  (void)work;
  const double mu = ((const double *)params)[1];
  for (size_t p = 0; p < P; p++)
    out[p] = mu;
  return GSL_SUCCESS;
}

static int
gbm_setup (sde_system_named *s, sde_spec *spec)
{
  int st = sde_spec_double (spec, "lambda", 1.0, -1e6, 1e6, &s->param[0]);
  if (st == 0)
    st = sde_spec_double (spec, "mu", 0.5, -1e6, 1e6, &s->param[1]);
  if (st == 0)
    st = sde_spec_double (spec, "x0", 1.0, -1e300, 1e300, &s->x0[0]);
  return st;
}

static void
gbm_exact (const double *param, const double *x0, double t, double *mean,
           double *var)
{
  const double l = param[0], m = param[1];
  *mean = x0[0] * exp (l * t);
  *var = x0[0] * x0[0] * exp (2 * l * t) * expm1 (m * m * t);
}

/* ---- Ornstein-Uhlenbeck: dX = theta (m - X) dt + s dW. ---- */

static int
ou_drift (double t, size_t P, const double *x, double *out, double *work,
          void *params)
{
  (void)t;
  (void)work;
  const double *q = params;
  for (size_t p = 0; p < P; p++)
    out[p] = q[0] * (q[1] - x[p]);
  return GSL_SUCCESS;
}

static int
ou_diffusion (double t, size_t P, const double *x, double *out, double *work,
              void *params)
{
  (void)t;
  (void)x;
  (void)work;
  const double s = ((const double *)params)[2];
  for (size_t p = 0; p < P; p++)
    out[p] = s;
  return GSL_SUCCESS;
}

static int
ou_jacobian (double t, size_t P, const double *x, double *out, double *work,
             void *params)
{
  (void)t;
  (void)x;
  (void)work;
  (void)params;
  memset (out, 0, sizeof (double) * P);
  return GSL_SUCCESS;
}

static int
ou_setup (sde_system_named *s, sde_spec *spec)
{
  int st = sde_spec_double (spec, "theta", 1.0, 1e-12, 1e6, &s->param[0]);
  if (st == 0)
    st = sde_spec_double (spec, "mean", 0.0, -1e300, 1e300, &s->param[1]);
  if (st == 0)
    st = sde_spec_double (spec, "s", 1.0, 0.0, 1e300, &s->param[2]);
  if (st == 0)
    st = sde_spec_double (spec, "x0", 1.0, -1e300, 1e300, &s->x0[0]);
  return st;
}

static void
ou_exact (const double *param, const double *x0, double t, double *mean,
          double *var)
{
  const double th = param[0], m = param[1], s = param[2];
  *mean = m + (x0[0] - m) * exp (-th * t);
  *var = -s * s * expm1 (-2 * th * t) / (2 * th);
}

static const sde_system_entry catalog[] = {
  { "gbm",
    { "lambda", "mu", "x0" },
    "geometric Brownian motion dX = lambda X dt + mu X dW",
    "lambda=1,mu=0.5,x0=1",
    SDE_NOISE_SCALAR,
    gbm_drift,
    gbm_diffusion,
    gbm_jacobian,
    gbm_setup,
    gbm_exact },
  { "ou",
    { "theta", "mean", "s", "x0" },
    "Ornstein-Uhlenbeck dX = theta (mean - X) dt + s dW",
    "theta=1,mean=0,s=1,x0=1",
    SDE_NOISE_SCALAR | SDE_NOISE_ADDITIVE,
    ou_drift,
    ou_diffusion,
    ou_jacobian,
    ou_setup,
    ou_exact },
};

#define NCATALOG (sizeof catalog / sizeof catalog[0])

const char *
sde_system_name (size_t index, const char **description, const char **params)
{
  if (index >= NCATALOG)
    return NULL;
  if (description)
    *description = catalog[index].description;
  if (params)
    *params = catalog[index].params;
  return catalog[index].name;
}

sde_system_named *
sde_system_alloc (const char *text)
{
  sde_spec spec;
  const char *rest = text;
  if (text == NULL || sde_spec_parse (&spec, &rest))
    return NULL;
  if (*rest != '\0')
    {
      sde_error (GSL_EINVAL, "unexpected '%s' after the SDE", rest);
      return NULL;
    }
  const sde_system_entry *e = NULL;
  for (size_t i = 0; i < NCATALOG; i++)
    if (strcmp (catalog[i].name, spec.name) == 0)
      e = &catalog[i];
  if (e == NULL)
    {
      sde_error (GSL_EINVAL, "unknown SDE '%s' (see --list-sdes)", spec.name);
      return NULL;
    }
  sde_system_named *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for system"), NULL;
  s->entry = e;
  if (e->setup (s, &spec) || sde_spec_check_used (&spec))
    {
      free (s);
      return NULL;
    }
  s->sys.dim = 1;
  s->sys.noise_dim = 1;
  s->sys.noise = e->noise;
  s->sys.drift = e->drift;
  s->sys.diffusion = e->diffusion;
  s->sys.jacobian = e->jacobian;
  s->sys.params = s->param;
  s->sys.work = 0;
  /* Canonical spec: parameters in order, x0 last (all catalog SDEs are
     one-dimensional so far).  */
  size_t len = (size_t)snprintf (s->spec, sizeof s->spec, "%s:", e->name);
  for (size_t k = 0; e->keys[k]; k++)
    {
      int last = e->keys[k + 1] == NULL;
      double v = last ? s->x0[0] : s->param[k];
      char num[32];
      sde_shortest (num, sizeof num, v);
      len += (size_t)snprintf (s->spec + len, sizeof s->spec - len, "%s%s=%s",
                               k ? "," : "", e->keys[k], num);
    }
  return s;
}

void
sde_system_free (sde_system_named *s)
{
  free (s);
}

int
sde_system_exact (const sde_system_named *s, double t, double *mean,
                  double *var)
{
  if (s->entry->exact == NULL)
    return GSL_EUNSUP;
  s->entry->exact (s->param, s->x0, t, mean, var);
  return GSL_SUCCESS;
}
