/* optim.c: SGD, SGDM (normalized: m' = beta m + (1 - beta) g,
   x' = x - eta m'), heavy-ball and Nesterov as torch.optim.SGD computes them
   (b_1 = g_0 on the first step, then b' = mu b + (1 - dampening) g;
   x' = x - lr b' or x - lr (g + mu b'); no buffer when mu = 0), and their
   configuration.  For constant hyperparameters heavy-ball(lr, mu,
   dampening d) is SGDM(lr (1 - d) / (1 - mu), mu) with m = (1 - mu) b /
   (1 - d) after the first step (MATH.md section 3, where d = 0).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fused.h"
#include "sdekit/optim.h"
#include "sdekit/spec.h"
#include "simd.h"

SDE_CLONES static int
sgd_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
           double *m, const double *g, int first)
{
  (void)o, (void)m, (void)first;
  for (size_t k = 0; k < d * P; k++)
    x[k] -= lr * g[k];
  return GSL_SUCCESS;
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

/* PyTorch applies weight decay to the gradient before the buffer, and with
   momentum 0 steps along the gradient itself, so dampening is unused.  */
SDE_CLONES static int
hb_common (const sde_optim *o, double lr, size_t P, size_t d, double *x,
           double *m, const double *g, int first, int nesterov)
{
  const double mu = o->mom, wd = o->wd;
  const double damp = mu != 0 ? 1 - o->dampening : 1;
  for (size_t k = 0; k < d * P; k++)
    {
      double gk = wd != 0 ? g[k] + wd * x[k] : g[k];
      m[k] = first ? gk : mu * m[k] + damp * gk;
      x[k] -= lr * (nesterov ? gk + mu * m[k] : m[k]);
    }
  return GSL_SUCCESS;
}

static int
hb_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
          double *m, const double *g, int first)
{
  return hb_common (o, lr, P, d, x, m, g, first, 0);
}

static int
nesterov_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
                double *m, const double *g, int first)
{
  return hb_common (o, lr, P, d, x, m, g, first, 1);
}

static const sde_optim_type sgd_type
    = { "sgd", "SGD, x' = x - eta g", 0, sgd_apply };
static const sde_optim_type sgdm_type
    = { "sgdm",
        "SGD with momentum, normalized: m' = beta m + (1-beta) g, x' = x - "
        "eta m'; beta=B or alpha=A,c=C for 1-beta = c eta^alpha; m0=0|grad",
        1, sgdm_apply };
static const sde_optim_type hb_type
    = { "hb",
        "heavy-ball, PyTorch SGD(lr, momentum, dampening, weight_decay): "
        "b' = mu b + (1-d) g (b_1 = g_0), x' = x - lr b'",
        1, hb_apply };
static const sde_optim_type nesterov_type
    = { "nesterov",
        "Nesterov, PyTorch SGD(nesterov=True): x' = x - lr (g + "
        "mu b')",
        1, nesterov_apply };

const sde_optim_type *sde_optim_sgd = &sgd_type;
const sde_optim_type *sde_optim_sgdm = &sgdm_type;
const sde_optim_type *sde_optim_hb = &hb_type;
const sde_optim_type *sde_optim_nesterov = &nesterov_type;

static const sde_optim_type *const registry[]
    = { &sgd_type, &sgdm_type, &hb_type, &nesterov_type, NULL };

const sde_optim_type *const *
sde_optim_types (void)
{
  return registry;
}

const sde_optim_type *
sde_optim_type_find (const char *name)
{
  for (const sde_optim_type *const *t = registry; name && *t; t++)
    if (strcmp ((*t)->name, name) == 0)
      return *t;
  return NULL;
}

int
sde_optim_parse (sde_optim *o, const char **text)
{
  memset (o, 0, sizeof *o);
  o->lr = o->beta = o->alpha = o->c = NAN;
  o->svag = 1;
  sde_schedule_parse (&o->schedule, NULL);
  const char *start = *text;
  sde_spec spec;
  int st = sde_spec_parse (&spec, text);
  if (st)
    return st;
  if (strcmp (spec.name, "svag") == 0)
    {
      double l;
      if ((st = sde_spec_double (&spec, "l", 1, 1, 1e6, &l))
          || (st = sde_spec_check_used (&spec)))
        return st;
      if (l != floor (l))
        return sde_error (GSL_EINVAL, "svag: l must be an integer (got %g)", l);
      if (**text == '\0')
        return sde_error (GSL_EINVAL,
                          "svag needs a method after it: svag:l=%g,sgd", l);
      if (strncmp (*text, "svag", 4) == 0)
        return sde_error (GSL_EINVAL, "svag cannot wrap svag");
      st = sde_optim_parse (o, text);
      if (st)
        return st;
      o->svag = (unsigned)l;
      char inner[256];
      snprintf (inner, sizeof inner, "%s", o->spec);
      snprintf (o->spec, sizeof o->spec, "svag:l=%u,%.230s", o->svag, inner);
      return GSL_SUCCESS;
    }
  o->type = sde_optim_type_find (spec.name);
  if (o->type == NULL)
    return sde_error (GSL_EINVAL,
                      "unknown method '%s' (sgd, sgdm, hb, nesterov, svag)",
                      spec.name);
  if (o->type == sde_optim_sgdm)
    {
      if ((st = sde_spec_double (&spec, "beta", NAN, 0, 1, &o->beta))
          || (st = sde_spec_double (&spec, "alpha", NAN, 0, 1, &o->alpha))
          || (st = sde_spec_double (&spec, "c", NAN, 0, 1e12, &o->c)))
        return st;
      const char *m0 = sde_spec_string (&spec, "m0");
      if (m0 && strcmp (m0, "grad") == 0)
        o->m0_grad = 1;
      else if (m0 && strcmp (m0, "0") != 0)
        return sde_error (GSL_EINVAL, "sgdm: m0=%s: use 0 or grad", m0);
      if (o->beta == 1)
        return sde_error (GSL_EINVAL, "sgdm: beta must be < 1");
      if (!isnan (o->beta) && (!isnan (o->alpha) || !isnan (o->c)))
        return sde_error (GSL_EINVAL,
                          "sgdm: give beta or alpha,c (1-beta = c eta^alpha), "
                          "not both");
      if (isnan (o->alpha) != isnan (o->c) && isnan (o->beta))
        {
          if (isnan (o->c))
            o->c = 1;
          else
            o->alpha = 0;
        }
    }
  else if (o->type != sde_optim_sgd)
    {
      if ((st = sde_spec_double (&spec, "lr", NAN, 0, 1e6, &o->lr))
          || (st = sde_spec_double (&spec, "momentum", NAN, 0, 1, &o->beta))
          || (st = sde_spec_double (&spec, "dampening", 0, 0, 1, &o->dampening))
          || (st = sde_spec_double (&spec, "wd", 0, 0, 1e6, &o->wd)))
        return st;
      if (o->lr == 0)
        return sde_error (GSL_EINVAL, "%s: lr must be > 0", spec.name);
      if (o->type == sde_optim_nesterov && o->dampening != 0)
        return sde_error (GSL_EINVAL, "nesterov: dampening must be 0 (as in "
                                      "PyTorch)");
      if (o->type == sde_optim_nesterov && o->beta == 0)
        return sde_error (GSL_EINVAL, "nesterov: momentum must be > 0 (as in "
                                      "PyTorch)");
      if (o->beta == 1)
        return sde_error (GSL_EINVAL, "%s: momentum must be < 1", spec.name);
      /* The buffer would never take in a gradient.  */
      if (o->dampening == 1 && o->beta != 0)
        return sde_error (GSL_EINVAL,
                          "%s: dampening must be < 1 with momentum > 0",
                          spec.name);
    }
  if ((st = sde_spec_check_used (&spec)))
    return st;
  size_t len = (size_t)(*text - start);
  if (len && start[len - 1] == ',')
    len--;
  snprintf (o->spec, sizeof o->spec, "%.*s", (int)len, start);
  return GSL_SUCCESS;
}

int
sde_optim_set (sde_optim *o, double eta)
{
  double mom = 0;
  if (o->type != sde_optim_sgd)
    {
      if (!isnan (o->beta))
        mom = o->beta;
      else if (!isnan (o->alpha))
        mom = 1 - o->c * pow (eta, o->alpha);
      else
        mom = 0.9; /* the common default */
      if (!(mom >= 0 && mom < 1))
        return sde_error (GSL_EDOM,
                          "%s: beta = 1 - c eta^alpha = %g is outside [0, 1) "
                          "at eta = %g",
                          o->spec, mom, eta);
    }
  o->mom = mom;
  if (o->type == sde_optim_hb || o->type == sde_optim_nesterov)
    {
      /* Effective learning rate per unit lr: the buffer settles at (1 - d)
         g / (1 - mu); without momentum there is no buffer.  */
      const double gain = mom != 0 ? (1 - o->dampening) / (1 - mom) : 1.0;
      if (!(gain > 0))
        return sde_error (GSL_EDOM,
                          "%s: dampening 1 with momentum %g leaves "
                          "no gradient in the step",
                          o->spec, mom);
      if (isnan (o->lr))
        {
          o->eta = eta;
          o->step_lr = eta / gain;
        }
      else
        {
          o->step_lr = o->lr;
          o->eta = o->lr * gain;
        }
    }
  else
    {
      o->eta = eta;
      o->step_lr = eta;
    }
  if (!(o->eta > 0) || !isfinite (o->eta))
    return sde_error (GSL_EDOM, "%s: learning rate must be positive", o->spec);
  o->step_lr /= o->svag;
  o->dt = o->eta / o->svag;
  return GSL_SUCCESS;
}

double
sde__optim_lr (const sde_optim *o, size_t k)
{
  double lr = o->step_lr;
  if (o->schedule.kind != SDE_SCHEDULE_CONSTANT)
    lr *= sde_schedule_factor (&o->schedule, (double)k * o->dt);
  return lr;
}

int
sde_optim_apply (const sde_optim *o, size_t k, size_t P, size_t d, double *x,
                 double *m, const double *g)
{
  return o->type->apply (o, sde__optim_lr (o, k), P, d, x, m, g, k == 0);
}

const char *
sde_optim_name (const sde_optim *o, char *buf, size_t len)
{
  if (o->type == sde_optim_sgd)
    snprintf (buf, len, "%s(eta=%.6g)", o->spec, o->eta);
  else
    snprintf (buf, len, "%s(eta=%.6g,beta=%.6g)", o->spec, o->eta, o->mom);
  return buf;
}
